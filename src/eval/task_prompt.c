/* The contexts and continuations lm-eval's multiple-choice requests are made of: the
 * description (mmlu), the few-shot examples each followed by "\n\n", then the item. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "eval/task_prompt.h"

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* K draws without replacement from [0, n): the first K steps of a Fisher-Yates shuffle,
 * over a virtual identity array of which only the swapped slots are stored. */
static int draw(uint64_t seed, int index, int n, int k, int *out, lf_error *err) {
    int *keys = malloc(sizeof(int) * 2 * (size_t)k), *vals = malloc(sizeof(int) * 2 * (size_t)k), used = 0;
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    }
    uint64_t state = seed + 0x9E3779B97F4A7C15ull * (uint64_t)(index + 1);
    for (int i = 0; i < k; i++) {
        int j = i + (int)(splitmix64(&state) % (uint64_t)(n - i));
        int si = -1, sj = -1;
        for (int u = 0; u < used; u++) {
            if (keys[u] == i) si = u;
            if (keys[u] == j) sj = u;
        }
        int vi = si >= 0 ? vals[si] : i, vj = sj >= 0 ? vals[sj] : j;
        if (si < 0) keys[si = used++] = i;
        if (sj < 0 && j != i) keys[sj = used++] = j;
        if (j == i) sj = si;
        vals[si] = vj;
        vals[sj] = vi;
        out[i] = vj;
    }
    free(keys);
    free(vals);
    return LF_OK;
}

static const char *subject_name(const lf_eval_task *t, const lf_task_item *it) {
    return it->subject >= 0 ? t->subjects[it->subject] : "";
}

/* Pool indices of the examples for item index of t. */
static int choose(const lf_eval_task *t, int index, const lf_eval_task_params *p, int *out, lf_error *err) {
    const lf_eval_task *pool = p->fewshot ? p->fewshot : t;
    bool same = pool == t;
    int k = p->num_fewshot;
    if (t->kind == LF_TASK_MMLU) { /* lm-eval's first_n, within the subject */
        const char *subject = subject_name(t, &t->items[index]);
        int found = 0;
        for (int i = 0; i < pool->n && found < k; i++)
            if (!(same && i == index) && !strcmp(subject_name(pool, &pool->items[i]), subject)) out[found++] = i;
        if (found < k)
            return lf_fail(err, LF_ERR_ARG, "--num-fewshot %d: the few-shot pool has only %d examples of subject %s", k,
                           found, subject);
        return LF_OK;
    }
    int n = pool->n - (same ? 1 : 0);
    if (n < k) return lf_fail(err, LF_ERR_ARG, "--num-fewshot %d: the few-shot pool has only %d examples", k, n);
    int rc = draw(p->seed, index, n, k, out, err);
    if (rc) return rc;
    for (int i = 0; i < k; i++)
        if (same && out[i] >= index) out[i]++;
    return LF_OK;
}

/* A solved example: the question and its gold answer (winogrande: the gold-filled
 * sentence start and the rest). */
static char *example(const lf_task_item *it) {
    if (!it->text) return lf_concat(3, it->choices[it->label], " ", it->target);
    return lf_concat(3, it->text, " ", it->choices[it->label]);
}

int lf_task_prefix(const lf_eval_task *t, int index, const lf_eval_task_params *p, char **out, lf_error *err) {
    *out = NULL;
    char *prefix = strdup("");
    if (!prefix) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    const lf_task_item *it = &t->items[index];
    if (t->kind == LF_TASK_MMLU) {
        char *words = strdup(subject_name(t, it));
        if (words)
            for (char *c = words; *c; c++)
                if (*c == '_') *c = ' ';
        char *d = words ? lf_concat(3, "The following are multiple choice questions (with answers) about ", words,
                                    ".\n\n")
                        : NULL;
        free(words);
        free(prefix);
        if (!(prefix = d)) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    }
    if (p->num_fewshot > 0) {
        int *chosen = malloc(sizeof(int) * (size_t)p->num_fewshot);
        int rc = chosen ? choose(t, index, p, chosen, err) : lf_fail(err, LF_ERR_NOMEM, "out of memory");
        const lf_eval_task *pool = p->fewshot ? p->fewshot : t;
        for (int i = 0; i < p->num_fewshot && !rc; i++) {
            char *ex = example(&pool->items[chosen[i]]);
            char *next = ex ? lf_concat(3, prefix, ex, "\n\n") : NULL;
            free(ex);
            if (!next) rc = lf_fail(err, LF_ERR_NOMEM, "out of memory");
            free(prefix);
            prefix = next;
        }
        free(chosen);
        if (rc) {
            free(prefix);
            return rc;
        }
    }
    *out = prefix;
    return LF_OK;
}

int lf_task_request(const lf_eval_task *t, int index, int choice, const char *prefix, char **context,
                    char **continuation) {
    const lf_task_item *it = &t->items[index];
    *context = lf_concat(2, prefix, it->text ? it->text : it->choices[choice]);
    *continuation = lf_concat(2, " ", it->text ? it->choices[choice] : it->target);
    if (*context && *continuation) return LF_OK;
    free(*context);
    free(*continuation);
    *context = *continuation = NULL;
    return LF_ERR_NOMEM;
}
