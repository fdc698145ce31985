/* One step of speculative decoding: guess the tokens after the last one, decode the last
 * token and the guesses in one batch, keep the guesses the model agrees with and add a
 * token of its own. Without guesses this is one step of plain decoding. */
#include <stdlib.h>

#include "core/error.h"
#include "runtime/context.h"
#include "runtime/draft.h"
#include "runtime/sampler.h"
#include "runtime/speculative.h"

lf_speculative_params lf_speculative_default_params(void) {
    return (lf_speculative_params){.draft = NULL, .lookup_ngram = 0, .max_draft = 10};
}

/* What every step checks; the token texts are compared once, by lf_speculative_check. */
static int check_shape(const lf_context *ctx, const lf_speculative_params *p, lf_error *err) {
    if (p->lookup_ngram < 0 || p->lookup_ngram > LF_MAX_DRAFT)
        return lf_fail(err, LF_ERR_ARG, "lookup n-gram size %d is outside [0, %d]", p->lookup_ngram, LF_MAX_DRAFT);
    if (p->max_draft < 1 || p->max_draft > LF_MAX_DRAFT)
        return lf_fail(err, LF_ERR_ARG, "max_draft %d is outside [1, %d]", p->max_draft, LF_MAX_DRAFT);
    if (p->draft && p->lookup_ngram)
        return lf_fail(err, LF_ERR_ARG, "a draft model and prompt lookup cannot be used together: choose one");
    if (p->draft == ctx) return lf_fail(err, LF_ERR_ARG, "the draft context is the model's own context");
    if (p->draft && p->draft->model->cfg.vocab_size != ctx->model->cfg.vocab_size)
        return lf_draft_check_vocab(ctx->model, p->draft->model, err);
    return LF_OK;
}

int lf_speculative_check(const lf_context *ctx, const lf_speculative_params *p, lf_error *err) {
    int rc = check_shape(ctx, p, err);
    return !rc && p->draft ? lf_draft_check_vocab(ctx->model, p->draft->model, err) : rc;
}

/* Room in ctx for the distributions of a sampling draft model: q for each guess, then p
 * and max(0, p - q) of the position being checked. */
static float *draft_probs(lf_context *ctx, int k, lf_error *err) {
    size_t need = (size_t)(k + 2) * ctx->model->cfg.vocab_size;
    if (need > ctx->spec_probs_cap) {
        float *p = realloc(ctx->spec_probs, need * sizeof *p);
        if (!p) {
            lf_fail(err, LF_ERR_NOMEM, "out of memory for the draft's distributions");
            return NULL;
        }
        ctx->spec_probs = p;
        ctx->spec_probs_cap = need;
    }
    return ctx->spec_probs;
}

int32_t lf_speculative_pick(lf_sampler *s, const float *logits, int32_t guessed, const float *q, float *p,
                            float *residual, int vocab, bool *kept) {
    if (guessed < 0 || !q) {
        int32_t t = lf_sampler_sample(s, logits);
        *kept = t == guessed;
        return t;
    }
    lf_sampler_probs(s, logits, p);
    *kept = lf_sampler_uniform(s) * q[guessed] < p[guessed];
    if (*kept) return guessed;
    for (int i = 0; i < vocab; i++) residual[i] = p[i] > q[i] ? p[i] - q[i] : 0;
    int32_t t = lf_sampler_draw(s, residual);
    return t >= 0 ? t : lf_sampler_draw(s, p);
}

/* Decodes last and the guesses in one batch, keeping the logits of every position
 * whatever the context was created with. */
static int verify(lf_context *ctx, const int32_t *batch, int n, lf_error *err) {
    bool all = ctx->logits_all;
    ctx->logits_all = all || n > 1;
    int rc = lf_decode(ctx, batch, n, err);
    ctx->logits_all = all;
    return rc;
}

int lf_speculative_step(lf_context *ctx, lf_sampler *sampler, const lf_speculative_params *spec, int32_t last,
                        int32_t *out, int max_out, lf_generate_stats *stats, lf_error *err) {
    lf_speculative_params none = lf_speculative_default_params();
    const lf_speculative_params *p = spec ? spec : &none;
    int rc = check_shape(ctx, p, err);
    if (rc) return rc;
    if (max_out < 1) return lf_fail(err, LF_ERR_ARG, "max_out %d: a step makes at least one token", max_out);
    if (last < 0 || last >= ctx->model->cfg.vocab_size)
        return lf_fail(err, LF_ERR_ARG, "token id %d is outside the vocabulary", last);
    int room = ctx->n_ctx - ctx->pos;
    if (room < 1) return lf_fail(err, LF_ERR_CONTEXT_FULL, "the context's %d positions are used", ctx->n_ctx);
    /* a step makes at most k + 1 tokens, and decodes k + 1 */
    int k = max_out - 1 < room - 1 ? max_out - 1 : room - 1;
    if (k > p->max_draft) k = p->max_draft;
    if (!p->draft && !p->lookup_ngram) k = 0;
    int vocab = ctx->model->cfg.vocab_size;
    bool sampled_draft = p->draft && !lf_sampler_is_greedy(sampler);
    float *q = NULL;
    if (k > 0 && sampled_draft && !(q = draft_probs(ctx, k, err))) return LF_ERR_NOMEM;
    int32_t batch[LF_MAX_DRAFT + 1];
    batch[0] = last;
    ctx->tokens[ctx->pos] = last; /* the history guesses follow; verify writes the same id there */
    int n_guess = 0, hist = ctx->pos + 1;
    if (k > 0 && p->lookup_ngram) n_guess = lf_draft_lookup(ctx->tokens, hist, p->lookup_ngram, batch + 1, k);
    else if (k > 0) n_guess = lf_draft_model(p->draft, sampler, ctx->tokens, hist, batch + 1, q, k, err);
    if (n_guess < 0) return n_guess;
    int pos0 = ctx->pos;
    if ((rc = verify(ctx, batch, n_guess + 1, err))) return rc;
    int m = 0;
    for (;; m++) {
        bool kept;
        int32_t guessed = m < n_guess ? batch[m + 1] : -1;
        const float *qm = q && guessed >= 0 ? q + (size_t)m * vocab : NULL;
        const float *logits = ctx->logits + (size_t)m * vocab;
        out[m] = lf_speculative_pick(sampler, logits, guessed, qm, q ? q + (size_t)k * vocab : NULL,
                                     q ? q + (size_t)(k + 1) * vocab : NULL, vocab, &kept);
        lf_sampler_accept(sampler, out[m]); /* the penalties of the next position see it */
        if (!kept) break;
    }
    /* the cache keeps last and the kept guesses; the token of the model's own is not in it */
    lf_context_truncate(ctx, pos0 + 1 + m);
    if (stats) {
        stats->n_drafted += n_guess;
        stats->n_accepted += m;
    }
    return m + 1;
}
