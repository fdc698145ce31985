/* lm-eval's prompts for the multiple-choice tasks (fewshot_context and the requests of
 * output_type multiple_choice, target_delimiter " ", fewshot_delimiter "\n\n"). */
#ifndef LF_EVAL_TASK_PROMPT_H
#define LF_EVAL_TASK_PROMPT_H

#include "eval/task_items.h"

/* What precedes item index's own text in every context: mmlu's description, then
 * p->num_fewshot solved examples each followed by "\n\n" (see lf_eval_task_params). */
int lf_task_prefix(const lf_eval_task *t, int index, const lf_eval_task_params *p, char **out, lf_error *err);
/* The context and continuation of one choice (malloc'd); LF_ERR_NOMEM on failure. */
int lf_task_request(const lf_eval_task *t, int index, int choice, const char *prefix, char **context,
                    char **continuation);

#endif
