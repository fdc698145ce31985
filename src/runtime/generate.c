/* The generation loop: prefill the prompt in batches, then sample and decode, streaming
 * text through the callback. Each decoding step is a speculative step, which without
 * guesses is one token of plain decoding. */
#include <time.h>

#include "core/error.h"
#include "runtime/context.h"
#include "runtime/sampler.h"

double lf_time_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

typedef struct emitter {
    const lf_tokenizer *tok;
    lf_detokenizer detok;
    lf_token_callback cb;
    void *user;
    lf_generate_stats *st;
    int max_new;
} emitter;

/* Hands a sampled token to the caller; false when generation ends with it (end of
 * generation, which is not passed on, the caller's stop, or max_new reached). */
static bool emit(emitter *e, int32_t id) {
    if (e->tok && lf_token_is_end_of_generation(e->tok, id)) {
        e->st->stopped_by_eog = true;
        return false;
    }
    e->st->n_generated++;
    char text[256] = "";
    if (e->tok) lf_detokenizer_push(&e->detok, id, text, sizeof text);
    if (e->cb && !e->cb(id, text, e->user)) return false;
    return e->st->n_generated < e->max_new;
}

/* After the prefill: the last token emitted is never decoded, so a step that ends the
 * generation midway forgets the cache entries of the tokens after it. The penalties see
 * every token the context holds (the prompt, and earlier turns kept in the cache), as
 * llama.cpp counts the prompt, then the tokens generated (the steps accept theirs). */
static int decode_loop(lf_context *ctx, lf_sampler *s, const lf_speculative_params *spec, emitter *e, double t0,
                       double *t_first, lf_error *err) {
    lf_sampler_reset(s);
    const int32_t *held = lf_context_tokens(ctx);
    for (int i = 0; i < lf_context_position(ctx); i++) lf_sampler_accept(s, held[i]);
    int32_t id = lf_sampler_sample(s, lf_context_logits(ctx)), out[LF_MAX_DRAFT + 1];
    lf_sampler_accept(s, id);
    *t_first = lf_time_ms();
    e->st->ttft_ms = *t_first - t0;
    if (!emit(e, id)) return LF_OK;
    while (lf_context_position(ctx) < lf_context_size(ctx)) {
        int pos0 = lf_context_position(ctx), left = e->max_new - e->st->n_generated;
        int n = lf_speculative_step(ctx, s, spec, id, out, left < LF_MAX_DRAFT + 1 ? left : LF_MAX_DRAFT + 1, e->st, err);
        if (n < 0) return n;
        for (int j = 0; j < n; j++) {
            if (!emit(e, out[j])) {
                lf_context_truncate(ctx, pos0 + 1 + j);
                return LF_OK;
            }
        }
        id = out[n - 1];
    }
    return LF_OK;
}

int lf_generate_speculative(lf_context *ctx, lf_sampler *sampler, const lf_speculative_params *spec,
                            const int32_t *prompt, int n_prompt, int max_new_tokens, lf_token_callback cb,
                            void *user, lf_generate_stats *stats, lf_error *err) {
    lf_generate_stats st = {.n_prompt = n_prompt};
    if (stats) *stats = st;
    if (n_prompt < 1) return lf_fail(err, LF_ERR_ARG, "the prompt is empty (no tokens, not even BOS)");
    if (max_new_tokens < 0) return lf_fail(err, LF_ERR_ARG, "max_new_tokens %d is negative", max_new_tokens);
    if (spec && (spec->draft || spec->lookup_ngram) && lf_sampler_has_grammar(sampler))
        return lf_fail(err, LF_ERR_ARG, "speculative decoding cannot follow a grammar (drop --grammar/--json-schema or the draft)");
    int rc = spec ? lf_speculative_check(ctx, spec, err) : LF_OK;
    if (rc) return rc;
    emitter e = {.tok = ctx->model->tokenizer, .cb = cb, .user = user, .st = &st, .max_new = max_new_tokens};
    if (e.tok) lf_detokenizer_init(&e.detok, e.tok);
    double t0 = lf_time_ms(), t_first = 0;
    if ((rc = lf_decode(ctx, prompt, n_prompt, err))) return rc;
    st.prefill_ms = lf_time_ms() - t0;
    if (max_new_tokens > 0 && (rc = decode_loop(ctx, sampler, spec, &e, t0, &t_first, err))) return rc;
    if (e.tok && cb) {
        char text[256] = "";
        if (lf_detokenizer_flush(&e.detok, text, sizeof text) > 0) cb(-1, text, user);
    }
    st.decode_ms = st.n_generated > 0 ? lf_time_ms() - t_first : 0;
    if (stats) *stats = st;
    return LF_OK;
}

int lf_generate(lf_context *ctx, lf_sampler *sampler, const int32_t *prompt, int n_prompt, int max_new_tokens,
                lf_token_callback cb, void *user, lf_generate_stats *stats, lf_error *err) {
    return lf_generate_speculative(ctx, sampler, NULL, prompt, n_prompt, max_new_tokens, cb, user, stats, err);
}
