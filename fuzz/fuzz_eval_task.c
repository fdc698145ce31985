/* libFuzzer target for the readers of the multiple-choice tasks' data (JSON Lines of
 * every task and shape, MMLU CSV, piqa's labels file): any byte string must load or fail
 * cleanly. The first byte picks the reader: its value mod 7 is the task (6 = mmlu from
 * CSV), and for piqa a set high bit means the rest holds the rows, a NUL byte, then the
 * labels. When it loads, every item's prompts (with one few-shot example) are built. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eval/task_prompt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int sel = data[0] % 7;
    lf_eval_task_kind kind = sel == 6 ? LF_TASK_MMLU : (lf_eval_task_kind)sel;
    const char *rows = (const char *)data + 1, *labels = NULL;
    size_t n = size - 1, n_labels = 0;
    if (kind == LF_TASK_PIQA && (data[0] & 0x80)) {
        const char *nul = memchr(rows, '\0', n);
        if (nul) {
            labels = nul + 1;
            n_labels = n - (size_t)(labels - rows);
            n = (size_t)(nul - rows);
        }
    }
    lf_eval_task *t = NULL;
    lf_error err;
    if (lf_eval_task_load_buffer(kind, rows, n, sel == 6 ? "fuzz_test.csv" : "fuzz.jsonl", labels, n_labels, &t,
                                 &err) == LF_OK) {
        lf_eval_task_params p = lf_eval_task_default_params();
        p.num_fewshot = t->n > 1 ? 1 : 0;
        for (int i = 0; i < t->n && i < 64; i++) {
            char *prefix = NULL;
            if (lf_task_prefix(t, i, &p, &prefix, &err) != LF_OK) continue;
            for (int j = 0; j < t->items[i].n_choices; j++) {
                char *context, *continuation;
                if (lf_task_request(t, i, j, prefix, &context, &continuation) != LF_OK) continue;
                if (strlen(context) + strlen(continuation) == (size_t)-1) abort();
                free(context);
                free(continuation);
            }
            free(prefix);
        }
    }
    lf_eval_task_free(t);
    return 0;
}
