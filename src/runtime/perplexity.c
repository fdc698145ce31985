/* Perplexity of a text, and a model's divergence from a base model on it
 * (lf_perplexity): llama-perplexity's chunking and statistics. Each chunk runs as one
 * batched decode that computes logits only for the scored half; the scoring of its
 * positions is spread over the context's threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "runtime/context.h"
#include "runtime/logprob.h"
#include "runtime/ppl_stats.h"
#include "tokenizer/tokenizer.h"

lf_perplexity_params lf_perplexity_default_params(void) { return (lf_perplexity_params){.n_ctx = 512}; }

/* One chunk's scoring: each scored position's log-likelihood, and with a base model its divergence. */
typedef struct score_job {
    const float *logits, *base_logits; /* row i: position first + i */
    const int32_t *targets;            /* row i's right token */
    int32_t vocab;
    float *scratch;                    /* 2 x vocab floats per thread */
    lf_ppl_token *out;
} score_job;

static void score_task(void *arg, int i, int thread_index) {
    const score_job *j = arg;
    size_t row = (size_t)i * (size_t)j->vocab;
    float *s = j->scratch + (size_t)thread_index * 2 * (size_t)j->vocab;
    const float *q = j->logits + row;
    int32_t tok = j->targets[i];
    double q_sum, b_sum;
    lf_row_norm qn = lf_row_normalize(q, j->vocab, s, &q_sum);
    lf_ppl_token *t = &j->out[i];
    t->nll = qn.log_z - q[tok];
    if (!j->base_logits) return;
    const float *b = j->base_logits + row;
    lf_row_norm bn = lf_row_normalize(b, j->vocab, s + j->vocab, &b_sum);
    t->nll_base = bn.log_z - b[tok];
    t->kld = lf_row_kl(b, s + j->vocab, b_sum, bn, q, qn, j->vocab);
    t->p_diff = expf((float)-t->nll) - expf((float)-t->nll_base);
    t->same_top = qn.top == bn.top;
}

static const char *model_name(const lf_model *m) {
    lf_model_info info;
    lf_model_get_info(m, &info);
    return info.name;
}

/* The text's ids under model's tokenizer (*ids malloc'd). */
static int tokenize_text(const lf_model *model, const char *name, const char *text, size_t len, int32_t **ids,
                         size_t *n, lf_error *err) {
    *ids = NULL;
    const lf_tokenizer *tok = lf_model_tokenizer(model);
    if (!tok) return lf_fail(err, LF_ERR_ARG, "perplexity: the model %s has no tokenizer", model_name(model));
    int rc = lf_tokenize(tok, text, len, 0, NULL, 0, n, err);
    if (rc) return rc;
    if (!(*ids = malloc((*n ? *n : 1) * sizeof **ids)))
        return lf_fail(err, LF_ERR_NOMEM, "perplexity: out of memory for the %zu tokens of %s", *n, name);
    if ((rc = lf_tokenize(tok, text, len, 0, *ids, *n, n, err))) {
        free(*ids);
        *ids = NULL;
    }
    return rc;
}

/* The base model must give the same ids for the text and score over the same vocabulary. */
static int check_base(const lf_model *model, const lf_model *base, const char *name, const char *text, size_t len,
                      const int32_t *ids, size_t n, lf_error *err) {
    if (base->cfg.vocab_size != model->cfg.vocab_size)
        return lf_fail(err, LF_ERR_ARG,
                       "perplexity: the model %s has a vocabulary of %d tokens and the base model %s one of %d: "
                       "they cannot be compared", model_name(model), model->cfg.vocab_size, model_name(base),
                       base->cfg.vocab_size);
    int32_t *base_ids;
    size_t base_n;
    int rc = tokenize_text(base, name, text, len, &base_ids, &base_n, err);
    if (rc) return rc;
    size_t at = 0;
    while (at < n && at < base_n && ids[at] == base_ids[at]) at++;
    free(base_ids);
    if (at < n || base_n != n)
        return lf_fail(err, LF_ERR_ARG,
                       "perplexity: the model %s and the base model %s tokenize %s differently (%zu and %zu tokens, "
                       "first difference at token %zu): they cannot be compared", model_name(model),
                       model_name(base), name, n, base_n, at);
    return LF_OK;
}

typedef struct run_state {
    lf_context *ctx, *base_ctx;
    int32_t *chunk;
    float *scratch;
    lf_ppl_token *tokens;
    lf_ppl_sums sums;
} run_state;

static int run_chunks(run_state *st, const int32_t *ids, int32_t bos, const lf_perplexity_params *p,
                      lf_perplexity_result *r, lf_error *err) {
    int n_ctx = p->n_ctx, first = n_ctx / 2, n_scored = n_ctx - 1 - first;
    bool with_base = st->base_ctx != NULL;
    double t0 = lf_time_ms();
    for (int c = 0; c < r->n_chunks_total; c++) {
        memcpy(st->chunk, ids + (size_t)c * (size_t)n_ctx, (size_t)n_ctx * sizeof *st->chunk);
        if (bos >= 0) st->chunk[0] = bos;
        int rc = LF_OK;
        if (with_base) {
            lf_context_truncate(st->base_ctx, 0);
            rc = lf_decode_logits_from(st->base_ctx, st->chunk, n_ctx, first, err);
        }
        lf_context_truncate(st->ctx, 0);
        if (!rc) rc = lf_decode_logits_from(st->ctx, st->chunk, n_ctx, first, err);
        if (rc) return rc;
        /* the targets are the text's own tokens: position first + i predicts first + i + 1 */
        score_job job = {.logits = st->ctx->logits, .base_logits = with_base ? st->base_ctx->logits : NULL,
                         .targets = ids + (size_t)c * (size_t)n_ctx + first + 1, .vocab = st->ctx->model->cfg.vocab_size,
                         .scratch = st->scratch, .out = st->tokens};
        lf_threadpool_run(st->ctx->pool, n_scored, score_task, &job);
        for (int i = 0; i < n_scored; i++) lf_ppl_sums_add(&st->sums, &st->tokens[i], with_base);
        r->n_chunks = c + 1;
        r->seconds = (lf_time_ms() - t0) / 1e3;
        if (p->progress && c + 1 < r->n_chunks_total) {
            lf_ppl_sums_result(&st->sums, with_base, false, r);
            if (!p->progress(r, p->user)) {
                r->interrupted = true;
                break;
            }
        }
    }
    lf_ppl_sums_result(&st->sums, with_base, true, r);
    if (p->progress && !r->interrupted) p->progress(r, p->user);
    return LF_OK;
}

int lf_perplexity(const lf_model *model, const lf_model *base, const char *text, size_t len,
                  const lf_perplexity_params *params, lf_perplexity_result *result, lf_error *err) {
    lf_perplexity_params p = params ? *params : lf_perplexity_default_params();
    const char *name = p.name ? p.name : "the text";
    memset(result, 0, sizeof *result);
    result->n_ctx = p.n_ctx;
    if (p.n_ctx < 4 || p.n_ctx > model->cfg.context_length || p.n_ctx > LF_MAX_CONTEXT)
        return lf_fail(err, LF_ERR_ARG, "perplexity: a context of %d tokens is outside [4, %d] (the model's context)",
                       p.n_ctx, model->cfg.context_length < LF_MAX_CONTEXT ? model->cfg.context_length : LF_MAX_CONTEXT);
    if (p.n_chunks < 0 || p.n_threads < 0)
        return lf_fail(err, LF_ERR_ARG, "perplexity: bad chunk count %d or thread count %d", p.n_chunks, p.n_threads);
    if (!text || !len) return lf_fail(err, LF_ERR_ARG, "perplexity: %s is empty", name);
    int32_t *ids;
    size_t n_ids;
    int rc = tokenize_text(model, name, text, len, &ids, &n_ids, err);
    if (rc) return rc;
    result->n_tokens = (int64_t)n_ids;
    if (n_ids < 2 * (size_t)p.n_ctx) {
        free(ids);
        return lf_fail(err, LF_ERR_ARG, "perplexity: %s tokenizes to %zu tokens; a context of %d needs at least %d",
                       name, n_ids, p.n_ctx, 2 * p.n_ctx);
    }
    if (base && (rc = check_base(model, base, name, text, len, ids, n_ids, err))) {
        free(ids);
        return rc;
    }
    size_t most = n_ids / (size_t)p.n_ctx;
    result->n_chunks_total = p.n_chunks > 0 && (size_t)p.n_chunks < most ? p.n_chunks : (int)(most < INT32_MAX ? most : INT32_MAX);
    lf_context_params cp = lf_context_default_params();
    cp.max_seq_len = p.n_ctx;
    cp.n_threads = p.n_threads;
    cp.precise_activations = p.precise_activations;
    cp.type_k = p.type_k;
    cp.type_v = p.type_v;
    run_state st = {0};
    int n_scored = p.n_ctx - 1 - p.n_ctx / 2;
    if (!(rc = lf_context_create(model, &cp, &st.ctx, err)) && !(rc = base ? lf_context_create(base, &cp, &st.base_ctx, err) : 0) &&
        !(rc = lf_ppl_sums_init(&st.sums, (int64_t)result->n_chunks_total * n_scored, base != NULL, err))) {
        size_t vocab = (size_t)model->cfg.vocab_size, threads = (size_t)lf_context_threads(st.ctx);
        st.chunk = malloc((size_t)p.n_ctx * sizeof *st.chunk);
        st.scratch = malloc(threads * 2 * vocab * sizeof *st.scratch);
        st.tokens = calloc((size_t)n_scored, sizeof *st.tokens);
        if (!st.chunk || !st.scratch || !st.tokens)
            rc = lf_fail(err, LF_ERR_NOMEM, "perplexity: out of memory for a chunk of %d tokens", p.n_ctx);
        const lf_tokenizer *tok = lf_model_tokenizer(model);
        if (!rc) rc = run_chunks(&st, ids, tokenizer_adds_bos(tok) ? lf_token_bos(tok) : -1, &p, result, err);
        lf_ppl_sums_free(&st.sums);
    }
    free(st.chunk);
    free(st.scratch);
    free(st.tokens);
    lf_context_free(st.base_ctx);
    lf_context_free(st.ctx);
    free(ids);
    return rc;
}
