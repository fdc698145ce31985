/* The items of a multiple-choice task as lm-evaluation-harness sees them after its
 * process_docs: doc_to_text, doc_to_choice and the gold index. */
#ifndef LF_EVAL_TASK_ITEMS_H
#define LF_EVAL_TASK_ITEMS_H

#include <jansson.h>

#include "llamafast.h"

#define LF_TASK_MAX_CHOICES 8
#define LF_TASK_MAX_ITEMS (1 << 24)
#define LF_TASK_MAX_LINE (1 << 20)     /* bytes of one JSON line or CSV record */
#define LF_TASK_MAX_FILE (1ull << 32)  /* bytes of one data file */
#define LF_TASK_MAX_SUBJECTS 4096

typedef struct lf_task_item {
    char *text;     /* the question; NULL for winogrande, where each choice is a context */
    char *target;   /* winogrande: the sentence after "_", every choice's continuation */
    char *choices[LF_TASK_MAX_CHOICES];
    int n_choices, label, subject; /* subject: index into the task's subjects, or -1 */
} lf_task_item;

struct lf_eval_task {
    lf_eval_task_kind kind;
    lf_task_item *items;
    int n, cap;
    char **subjects;
    int n_subjects;
};

/* Appends a copy of the strings of *it (taking them: *it's pointers move into the task). */
int lf_task_push(lf_eval_task *t, lf_task_item *it, const char *where, lf_error *err);
void lf_task_item_clear(lf_task_item *it);
/* The index of subject name, added when new. */
int lf_task_subject(lf_eval_task *t, const char *name, int *index, lf_error *err);

/* One JSON row of task t's kind into *it. where is "file:line" for messages; label: a
 * piqa label from its separate file, or -1. */
int lf_task_item_from_json(lf_eval_task *t, const json_t *row, const char *where, int label, lf_task_item *it,
                           lf_error *err);
/* lm-eval's mmlu prompt: the stripped question, the four options, "Answer:"; the
 * choices are the letters A..D. */
int lf_task_mmlu_item(lf_eval_task *t, const char *question, const char *const opts[4], int answer,
                      const char *subject, const char *where, lf_task_item *it, lf_error *err);
/* The rows of one Hendrycks MMLU CSV file; subject from the file name. */
int lf_task_mmlu_csv(lf_eval_task *t, const char *data, size_t size, const char *name, lf_error *err);

/* Python's str methods and lm-eval's text steps, on UTF-8 (whitespace as str.isspace
 * sees it within ASCII and Latin-1; capitalize lowercases ASCII letters only). */
size_t lf_py_rstrip_len(const char *s, size_t n);
char *lf_py_strip(const char *s);
char *lf_hellaswag_preprocess(const char *s);
char *lf_py_capitalize(const char *s);
int lf_utf8_count(const char *s);
/* malloc'd concatenation of n strings (NULL ones skipped); NULL when out of memory. */
char *lf_concat(int n, ...);

#endif
