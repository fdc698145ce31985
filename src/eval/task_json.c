/* One JSON row of each task, in the data set's published shape and in the shape of its
 * Hugging Face `datasets` rows, into doc_to_text / doc_to_choice / gold as lm-eval's
 * task definitions make them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "eval/task_items.h"
#include "format/json_file.h"

static int oom(const char *where, lf_error *err) {
    return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", where);
}

/* A required string member without NUL bytes. */
static int str(const json_t *obj, const char *key, const char *where, const char **out, lf_error *err) {
    const json_t *v = lf_json_member(obj, key);
    if (!v) return lf_fail(err, LF_ERR_FORMAT, "%s: \"%s\" is missing", where, key);
    if (!json_is_string(v)) return lf_fail(err, LF_ERR_FORMAT, "%s: \"%s\" is not a string", where, key);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return lf_fail(err, LF_ERR_FORMAT, "%s: \"%s\" holds a NUL character", where, key);
    *out = json_string_value(v);
    return LF_OK;
}

/* An index given as an integer or as a string of digits ("0", HF's hellaswag labels). */
static int index_value(const json_t *obj, const char *key, const char *where, int n, int *out, lf_error *err) {
    const json_t *v = lf_json_member(obj, key);
    if (!v) return lf_fail(err, LF_ERR_FORMAT, "%s: \"%s\" is missing", where, key);
    long long x = -1;
    if (json_is_integer(v)) {
        x = json_integer_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        if (*s >= '0' && *s <= '9' && json_string_length(v) < 4) {
            x = strtoll(s, &end, 10);
            if (*end) x = -1;
        }
    } else {
        return lf_fail(err, LF_ERR_FORMAT, "%s: \"%s\" is neither an integer nor a string", where, key);
    }
    if (x < 0 || x >= n)
        return lf_fail(err, LF_ERR_FORMAT, "%s: \"%s\" is not an index of the %d choices (0..%d)", where, key, n,
                       n - 1);
    *out = (int)x;
    return LF_OK;
}

/* n strings of a JSON array member (or of the array arr itself when key is NULL). */
static int str_array(const json_t *arr, const char *key, const char *where, int lo, int hi, lf_task_item *it,
                     bool preprocess, lf_error *err) {
    if (!json_is_array(arr)) return lf_fail(err, LF_ERR_FORMAT, "%s: \"%s\" is not an array", where, key);
    int n = (int)(json_array_size(arr) < 1000 ? json_array_size(arr) : 1000);
    if (n < lo || n > hi)
        return lo == hi ? lf_fail(err, LF_ERR_FORMAT, "%s: \"%s\" has %d entries, not %d", where, key, n, lo)
                        : lf_fail(err, LF_ERR_FORMAT, "%s: \"%s\" has %d entries, not %d to %d", where, key, n, lo, hi);
    for (int i = 0; i < n; i++) {
        const json_t *v = json_array_get(arr, (size_t)i);
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
            return lf_fail(err, LF_ERR_FORMAT, "%s: \"%s\"[%d] is not a string", where, key, i);
        it->choices[i] = preprocess ? lf_hellaswag_preprocess(json_string_value(v)) : strdup(json_string_value(v));
        if (!it->choices[i]) return oom(where, err);
        it->n_choices = i + 1;
    }
    return LF_OK;
}

static int hellaswag(const json_t *row, const char *where, lf_task_item *it, lf_error *err) {
    const char *label, *a, *b;
    int rc;
    if ((rc = str(row, "activity_label", where, &label, err)) || (rc = str(row, "ctx_a", where, &a, err)) ||
        (rc = str(row, "ctx_b", where, &b, err)))
        return rc;
    const json_t *endings = lf_json_member(row, "endings");
    if (!endings) return lf_fail(err, LF_ERR_FORMAT, "%s: \"endings\" is missing", where);
    if ((rc = str_array(endings, "endings", where, 4, 4, it, true, err))) return rc;
    if ((rc = index_value(row, "label", where, 4, &it->label, err))) return rc;
    char *cap = lf_py_capitalize(b);
    char *query = cap ? lf_concat(5, label, ": ", a, " ", cap) : NULL;
    free(cap);
    it->text = query ? lf_hellaswag_preprocess(query) : NULL;
    free(query);
    return it->text ? LF_OK : oom(where, err);
}

static int winogrande(const json_t *row, const char *where, lf_task_item *it, lf_error *err) {
    const char *sentence, *o1, *o2, *answer;
    int rc;
    if ((rc = str(row, "sentence", where, &sentence, err)) || (rc = str(row, "option1", where, &o1, err)) ||
        (rc = str(row, "option2", where, &o2, err)) || (rc = str(row, "answer", where, &answer, err)))
        return rc;
    const char *blank = strchr(sentence, '_');
    if (!blank || strchr(blank + 1, '_'))
        return lf_fail(err, LF_ERR_FORMAT, "%s: \"sentence\" has %s \"_\" (exactly one is the blank)", where,
                       blank ? "more than one" : "no");
    if (strcmp(answer, "1") && strcmp(answer, "2"))
        return lf_fail(err, LF_ERR_FORMAT, "%s: \"answer\" is neither \"1\" nor \"2\"", where);
    it->label = answer[0] - '1';
    size_t pre = (size_t)(blank - sentence);
    char *head = strndup(sentence, pre);
    if (head) {
        it->choices[0] = lf_concat(2, head, o1);
        it->choices[1] = lf_concat(2, head, o2);
    }
    free(head);
    it->n_choices = 2;
    it->target = lf_py_strip(blank + 1);
    return it->choices[0] && it->choices[1] && it->target ? LF_OK : oom(where, err);
}

/* ARC: AI2's {"question": {"stem", "choices": [{"text", "label"}]}, "answerKey"} or HF's
 * {"question", "choices": {"text": [...], "label": [...]}, "answerKey"}. */
static int arc(const json_t *row, const char *where, lf_task_item *it, lf_error *err) {
    const json_t *q = lf_json_member(row, "question"), *choices;
    const char *stem, *key;
    int rc;
    if (json_is_object(q)) {
        if ((rc = str(q, "stem", where, &stem, err))) return rc;
        choices = lf_json_member(q, "choices");
    } else {
        if ((rc = str(row, "question", where, &stem, err))) return rc;
        choices = lf_json_member(row, "choices");
    }
    if ((rc = str(row, "answerKey", where, &key, err))) return rc;
    if (!choices) return lf_fail(err, LF_ERR_FORMAT, "%s: \"choices\" is missing", where);
    const json_t *labels = NULL;
    if (json_is_object(choices)) { /* HF: parallel text and label lists */
        labels = lf_json_member(choices, "label");
        const json_t *texts = lf_json_member(choices, "text");
        if (!texts || !labels) return lf_fail(err, LF_ERR_FORMAT, "%s: \"choices\" lacks \"text\" or \"label\"", where);
        if ((rc = str_array(texts, "choices.text", where, 3, 5, it, false, err))) return rc;
        if (!json_is_array(labels) || json_array_size(labels) != (size_t)it->n_choices)
            return lf_fail(err, LF_ERR_FORMAT, "%s: \"choices.label\" is not an array as long as \"choices.text\"",
                           where);
    } else if (json_is_array(choices)) {
        size_t n = json_array_size(choices);
        if (n < 3 || n > 5)
            return lf_fail(err, LF_ERR_FORMAT, "%s: \"choices\" has %zu entries, not 3 to 5", where, n);
        for (size_t i = 0; i < n; i++) {
            const char *text;
            const json_t *c = json_array_get(choices, i);
            if (!json_is_object(c)) return lf_fail(err, LF_ERR_FORMAT, "%s: \"choices\"[%zu] is not an object", where, i);
            if ((rc = str(c, "text", where, &text, err))) return rc;
            if (!(it->choices[i] = strdup(text))) return oom(where, err);
            it->n_choices = (int)i + 1;
        }
    } else {
        return lf_fail(err, LF_ERR_FORMAT, "%s: \"choices\" is neither an array nor an object", where);
    }
    it->label = -1;
    for (int i = 0; i < it->n_choices; i++) {
        const json_t *l = labels ? json_array_get(labels, (size_t)i)
                                 : lf_json_member(json_array_get(choices, (size_t)i), "label");
        if (!json_is_string(l)) return lf_fail(err, LF_ERR_FORMAT, "%s: the label of choice %d is not a string", where, i);
        if (!strcmp(json_string_value(l), key) && it->label < 0) it->label = i;
    }
    if (it->label < 0) return lf_fail(err, LF_ERR_FORMAT, "%s: \"answerKey\" names none of the choices' labels", where);
    it->text = lf_concat(3, "Question: ", stem, "\nAnswer:");
    return it->text ? LF_OK : oom(where, err);
}

static int piqa(const json_t *row, const char *where, int label, lf_task_item *it, lf_error *err) {
    const char *goal, *s1, *s2;
    int rc;
    if ((rc = str(row, "goal", where, &goal, err)) || (rc = str(row, "sol1", where, &s1, err)) ||
        (rc = str(row, "sol2", where, &s2, err)))
        return rc;
    if (label >= 0) {
        it->label = label;
    } else if (!lf_json_member(row, "label")) {
        return lf_fail(err, LF_ERR_FORMAT, "%s: \"label\" is missing (give the labels file with --labels)", where);
    } else if ((rc = index_value(row, "label", where, 2, &it->label, err))) {
        return rc;
    }
    it->text = lf_concat(3, "Question: ", goal, "\nAnswer:");
    it->choices[0] = strdup(s1);
    it->choices[1] = strdup(s2);
    it->n_choices = 2;
    return it->text && it->choices[0] && it->choices[1] ? LF_OK : oom(where, err);
}

int lf_task_mmlu_item(lf_eval_task *t, const char *question, const char *const opts[4], int answer,
                     const char *subject, const char *where, lf_task_item *it, lf_error *err) {
    int rc = lf_task_subject(t, subject, &it->subject, err);
    if (rc) return rc;
    char *q = lf_py_strip(question);
    it->text = q ? lf_concat(10, q, "\nA. ", opts[0], "\nB. ", opts[1], "\nC. ", opts[2], "\nD. ", opts[3], "\nAnswer:")
                 : NULL;
    free(q);
    static const char *const letters[4] = {"A", "B", "C", "D"};
    for (int i = 0; i < 4; i++)
        if (!(it->choices[i] = strdup(letters[i]))) return oom(where, err);
    it->n_choices = 4;
    it->label = answer;
    return it->text ? LF_OK : oom(where, err);
}

static int mmlu_json(lf_eval_task *t, const json_t *row, const char *where, lf_task_item *it, lf_error *err) {
    const char *question, *subject;
    int rc;
    if ((rc = str(row, "question", where, &question, err)) || (rc = str(row, "subject", where, &subject, err)))
        return rc;
    const json_t *choices = lf_json_member(row, "choices");
    if (!choices) return lf_fail(err, LF_ERR_FORMAT, "%s: \"choices\" is missing", where);
    if ((rc = str_array(choices, "choices", where, 4, 4, it, false, err))) return rc;
    int answer;
    if ((rc = index_value(row, "answer", where, 4, &answer, err))) return rc;
    char *opts[4];
    memcpy(opts, it->choices, sizeof opts);
    memset(it->choices, 0, sizeof it->choices);
    it->n_choices = 0;
    rc = lf_task_mmlu_item(t, question, (const char *const *)opts, answer, subject, where, it, err);
    for (int i = 0; i < 4; i++) free(opts[i]);
    return rc;
}

int lf_task_item_from_json(lf_eval_task *t, const json_t *row, const char *where, int label, lf_task_item *it,
                           lf_error *err) {
    *it = (lf_task_item){.subject = -1};
    switch (t->kind) {
    case LF_TASK_HELLASWAG: return hellaswag(row, where, it, err);
    case LF_TASK_WINOGRANDE: return winogrande(row, where, it, err);
    case LF_TASK_ARC_EASY:
    case LF_TASK_ARC_CHALLENGE: return arc(row, where, it, err);
    case LF_TASK_PIQA: return piqa(row, where, label, it, err);
    case LF_TASK_MMLU: return mmlu_json(t, row, where, it, err);
    }
    return lf_fail(err, LF_ERR_ARG, "%s: unknown task", where);
}
