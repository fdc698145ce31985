/* The generation loop: prefill the prompt in batches, then sample and decode one token
 * at a time, streaming text through the callback. */
#include <time.h>

#include "core/error.h"
#include "runtime/context.h"

double lf_time_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int lf_generate(lf_context *ctx, lf_sampler *sampler, const int32_t *prompt, int n_prompt, int max_new_tokens,
                lf_token_callback cb, void *user, lf_generate_stats *stats, lf_error *err) {
    lf_generate_stats st = {.n_prompt = n_prompt};
    if (stats) *stats = st;
    if (n_prompt < 1) return lf_fail(err, LF_ERR_ARG, "the prompt is empty (no tokens, not even BOS)");
    if (max_new_tokens < 0) return lf_fail(err, LF_ERR_ARG, "max_new_tokens %d is negative", max_new_tokens);
    const lf_tokenizer *tok = ctx->model->tokenizer;
    double t0 = lf_time_ms();
    int rc = lf_decode(ctx, prompt, n_prompt, err);
    if (rc) return rc;
    st.prefill_ms = lf_time_ms() - t0;
    lf_detokenizer detok;
    if (tok) lf_detokenizer_init(&detok, tok);
    char text[256];
    double t_first = 0;
    for (int i = 0; i < max_new_tokens; i++) {
        int32_t id = lf_sampler_sample(sampler, lf_context_logits(ctx));
        if (i == 0) {
            t_first = lf_time_ms();
            st.ttft_ms = t_first - t0;
        }
        if (tok && lf_token_is_end_of_generation(tok, id)) {
            st.stopped_by_eog = true;
            break;
        }
        st.n_generated++;
        text[0] = 0;
        if (tok) lf_detokenizer_push(&detok, id, text, sizeof text);
        if (cb && !cb(id, text, user)) break;
        if (i + 1 == max_new_tokens || lf_context_position(ctx) >= lf_context_size(ctx)) break;
        if ((rc = lf_decode(ctx, &id, 1, err))) return rc;
    }
    if (tok && cb) {
        text[0] = 0;
        if (lf_detokenizer_flush(&detok, text, sizeof text) > 0) cb(-1, text, user);
    }
    st.decode_ms = st.n_generated > 0 ? lf_time_ms() - t_first : 0;
    if (stats) *stats = st;
    return LF_OK;
}
