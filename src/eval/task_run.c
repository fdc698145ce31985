/* Scoring a multiple-choice task as lm-eval's loglikelihood requests: per choice the sum
 * of the log-probabilities of the continuation's tokens given the context, then acc
 * (argmax) and acc_norm (argmax of the sum over the choice's length in characters). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "eval/task_prompt.h"
#include "runtime/context.h"
#include "runtime/logprob.h"

lf_eval_task_params lf_eval_task_default_params(void) {
    return (lf_eval_task_params){.seed = 1234};
}

typedef struct ids {
    int32_t *v;
    size_t n, cap;
} ids;

static int tokenize(const lf_tokenizer *tok, const char *s, size_t len, ids *out, lf_error *err) {
    for (;;) {
        int rc = lf_tokenize(tok, s, len, 0, out->v, out->cap, &out->n, err);
        if (rc) return rc;
        if (out->n <= out->cap) return LF_OK;
        size_t cap = out->n + 64;
        int32_t *v = realloc(out->v, cap * sizeof *v);
        if (!v) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
        out->v = v;
        out->cap = cap;
    }
}

typedef struct scorer {
    lf_context *ctx;
    const lf_tokenizer *tok;
    int32_t vocab;  /* the model's: the row length of the logits */
    float *scratch; /* vocab floats for lf_row_normalize */
    ids context, whole;
    uint64_t tokens;
} scorer;

/* Decodes n tokens, keeping the logits of tokens [first, n) as the rows of ctx->logits. */
static int decode(scorer *s, const int32_t *t, int n, int first, lf_error *err) {
    s->tokens += (uint64_t)n;
    return lf_decode_logits_from(s->ctx, t, n, first, err);
}

/* lm-eval's _encode_pair: the context's trailing whitespace moves to the continuation;
 * the continuation's tokens are those of context + continuation past the context's
 * count, and the model reads the context's own tokens followed by them. */
static int loglikelihood(scorer *s, const char *context, const char *continuation, double *ll, lf_error *err) {
    size_t n_ctx = lf_py_rstrip_len(context, strlen(context));
    char *whole = lf_concat(2, context, continuation);
    if (!whole) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    int rc = tokenize(s->tok, context, n_ctx, &s->context, err);
    if (!rc) rc = tokenize(s->tok, whole, strlen(whole), &s->whole, err);
    free(whole);
    if (rc) return rc;
    if (s->context.n == 0) { /* an empty context is the end-of-text token, as in lm-eval */
        int32_t eos = lf_token_eos(s->tok);
        if (eos < 0) return lf_fail(err, LF_ERR_UNSUPPORTED, "an empty context needs a BOS or EOS token");
        s->context.v[0] = eos; /* the buffers start with room for 256 */
        s->context.n = 1;
    }
    size_t nc = s->context.n, m = s->whole.n > nc ? s->whole.n - nc : 0;
    *ll = 0;
    if (!m) return LF_OK;
    if (nc + m - 1 > (size_t)lf_context_size(s->ctx))
        return lf_fail(err, LF_ERR_CONTEXT_FULL, "%zu tokens do not fit the context of %d", nc + m - 1,
                       lf_context_size(s->ctx));
    /* the sequence read: context tokens, then the continuation's but its last */
    size_t total = nc + m - 1;
    if (s->context.cap < total) {
        int32_t *v = realloc(s->context.v, total * sizeof *v);
        if (!v) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
        s->context.v = v;
        s->context.cap = total;
    }
    memcpy(s->context.v + nc, s->whole.v + nc, (m - 1) * sizeof(int32_t));
    int keep = lf_context_keep_prefix(s->ctx, s->context.v, (int)nc);
    int n_rest = (int)nc - 1 - keep;
    if (n_rest > 0 && (rc = decode(s, s->context.v + keep, n_rest, n_rest, err))) return rc;
    if ((rc = decode(s, s->context.v + nc - 1, (int)m, 0, err))) return rc;
    for (size_t i = 0; i < m; i++) {
        const float *row = s->ctx->logits + i * (size_t)s->vocab;
        double sum_exp;
        *ll += (double)row[s->whole.v[nc + i]] - lf_row_normalize(row, s->vocab, s->scratch, &sum_exp).log_z;
    }
    return LF_OK;
}

static int argmax(const double *v, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

static int score_item(scorer *s, const lf_eval_task *t, int index, const lf_eval_task_params *p,
                      lf_eval_item_result *r, lf_error *err) {
    const lf_task_item *it = &t->items[index];
    *r = (lf_eval_item_result){.index = index, .label = it->label, .n_choices = it->n_choices, .subject = it->subject};
    r->loglik = calloc((size_t)it->n_choices, sizeof *r->loglik);
    r->lengths = calloc((size_t)it->n_choices, sizeof *r->lengths);
    double norm[LF_TASK_MAX_CHOICES];
    char *prefix = NULL;
    int rc = r->loglik && r->lengths ? lf_task_prefix(t, index, p, &prefix, err) : lf_fail(err, LF_ERR_NOMEM, "out of memory");
    for (int j = 0; j < it->n_choices && !rc; j++) {
        char *context, *continuation;
        if (lf_task_request(t, index, j, prefix, &context, &continuation)) {
            rc = lf_fail(err, LF_ERR_NOMEM, "out of memory");
            break;
        }
        rc = loglikelihood(s, context, continuation, &r->loglik[j], err);
        free(context);
        free(continuation);
        r->lengths[j] = lf_utf8_count(it->choices[j]);
        norm[j] = r->loglik[j] / (r->lengths[j] ? r->lengths[j] : 1);
    }
    free(prefix);
    if (rc) return rc;
    r->pred = argmax(r->loglik, it->n_choices);
    r->pred_norm = argmax(norm, it->n_choices);
    return LF_OK;
}

/* mean and sample standard error (lm-eval's mean_stderr; 0 for fewer than 2) */
static void mean_stderr(const lf_eval_task_result *res, int subject, bool norm, int *n_out, double *mean,
                        double *stderr_out, double *ss_out) {
    int n = 0;
    double sum = 0, ss = 0;
    for (int i = 0; i < res->n; i++) {
        const lf_eval_item_result *r = &res->items[i];
        if (subject >= 0 && r->subject != subject) continue;
        n++;
        sum += (norm ? r->pred_norm : r->pred) == r->label;
    }
    double mu = n ? sum / n : 0;
    for (int i = 0; i < res->n; i++) {
        const lf_eval_item_result *r = &res->items[i];
        if (subject >= 0 && r->subject != subject) continue;
        double x = (norm ? r->pred_norm : r->pred) == r->label;
        ss += (x - mu) * (x - mu);
    }
    *n_out = n;
    *mean = mu;
    *stderr_out = n > 1 ? sqrt(ss / (n - 1) / n) : 0;
    if (ss_out) *ss_out = ss;
}

static int summarize(const lf_eval_task *t, lf_eval_task_result *res, lf_error *err) {
    int n;
    mean_stderr(res, -1, false, &n, &res->acc, &res->acc_stderr, NULL);
    res->has_acc_norm = t->kind != LF_TASK_WINOGRANDE && t->kind != LF_TASK_MMLU;
    if (res->has_acc_norm) mean_stderr(res, -1, true, &n, &res->acc_norm, &res->acc_norm_stderr, NULL);
    if (t->kind != LF_TASK_MMLU || !res->n) return LF_OK;
    res->subjects = calloc((size_t)t->n_subjects, sizeof *res->subjects);
    if (!res->subjects) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    /* lm-eval's group of subjects: the pooled variance within them (pooled_sample_stderr) */
    double within = 0;
    int groups = 0;
    for (int s = 0; s < t->n_subjects; s++) {
        lf_eval_subject_result *sr = &res->subjects[res->n_subjects];
        double ss;
        mean_stderr(res, s, false, &sr->n, &sr->acc, &sr->acc_stderr, &ss);
        if (!sr->n) continue;
        sr->name = t->subjects[s];
        within += ss;
        groups++;
        res->n_subjects++;
    }
    if (groups > 1) res->acc_stderr = res->n > groups ? sqrt(within / (res->n - groups) / res->n) : 0;
    return LF_OK;
}

void lf_eval_task_result_free(lf_eval_task_result *result) {
    if (!result) return;
    for (int i = 0; i < result->n; i++) {
        free(result->items[i].loglik);
        free(result->items[i].lengths);
    }
    free(result->items);
    free(result->subjects);
    free(result);
}

int lf_eval_task_run(lf_context *ctx, const lf_eval_task *task, const lf_eval_task_params *params,
                     lf_eval_task_result **out, lf_error *err) {
    *out = NULL;
    lf_eval_task_params p = params ? *params : lf_eval_task_default_params();
    if (!ctx || !task || p.limit < 0 || p.num_fewshot < 0 || p.num_fewshot > 1024)
        return lf_fail(err, LF_ERR_ARG, "lf_eval_task_run: bad arguments (limit %d, num_fewshot %d)", p.limit,
                       p.num_fewshot);
    if (p.fewshot && p.fewshot->kind != task->kind)
        return lf_fail(err, LF_ERR_ARG, "the few-shot data is of task %s, not %s", lf_eval_task_name(p.fewshot->kind),
                       lf_eval_task_name(task->kind));
    int total = p.limit && p.limit < task->n ? p.limit : task->n;
    lf_eval_task_result *res = calloc(1, sizeof *res);
    if (!res || !(res->items = calloc((size_t)total, sizeof *res->items))) {
        free(res);
        return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    }
    scorer s = {.ctx = ctx, .tok = lf_model_tokenizer(ctx->model)};
    s.vocab = ctx->model->cfg.vocab_size;
    lf_context_truncate(ctx, 0);
    s.context.cap = s.whole.cap = 256;
    s.context.v = malloc(s.context.cap * sizeof(int32_t));
    s.whole.v = malloc(s.whole.cap * sizeof(int32_t));
    s.scratch = malloc((size_t)s.vocab * sizeof *s.scratch);
    int rc = s.context.v && s.whole.v && s.scratch ? LF_OK : lf_fail(err, LF_ERR_NOMEM, "out of memory"), correct = 0;
    for (int i = 0; i < total && !rc; i++) {
        rc = score_item(&s, task, i, &p, &res->items[i], err);
        res->n = i + 1;
        if (rc) {
            char msg[sizeof err->message];
            if (err) {
                memcpy(msg, err->message, sizeof msg);
                lf_fail(err, rc, "item %d: %.400s", i + 1, msg);
            }
            break;
        }
        correct += res->items[i].pred == res->items[i].label;
        lf_eval_task_progress pr = {.done = i + 1, .total = total, .correct = correct, .tokens = s.tokens};
        if (p.progress && !p.progress(&pr, p.progress_user) && i + 1 < total) {
            res->interrupted = true;
            break;
        }
    }
    free(s.scratch);
    free(s.context.v);
    free(s.whole.v);
    res->tokens = s.tokens;
    if (!rc) rc = summarize(task, res, err);
    if (rc) lf_eval_task_result_free(res);
    else *out = res;
    return rc;
}
