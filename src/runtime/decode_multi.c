/* lf_decode_multi: the public face of a forward step over several contexts (continuous
 * batching); checks everything first, so that a refused call changes no context. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "runtime/context.h"

/* Context i's check, its index put in front of the message. */
static int check_context(lf_context *const *ctxs, const int32_t *const *tokens, const int *n_tokens, int i,
                         lf_error *err) {
    lf_context *ctx = ctxs[i], *lead = ctxs[0];
    if (!ctx) return lf_fail(err, LF_ERR_ARG, "lf_decode_multi: context %d is NULL", i);
    if (ctx->model != lead->model)
        return lf_fail(err, LF_ERR_ARG, "lf_decode_multi: context %d runs another model than context 0", i);
    if (ctx->precise_activations != lead->precise_activations)
        return lf_fail(err, LF_ERR_ARG, "lf_decode_multi: context %d's precise_activations differs from context 0's", i);
    if (ctx->act_stats != lead->act_stats)
        return lf_fail(err, LF_ERR_ARG, "lf_decode_multi: context %d collects activation statistics apart from context 0",
                       i);
    for (int j = 0; j < i; j++)
        if (ctxs[j] == ctx) return lf_fail(err, LF_ERR_ARG, "lf_decode_multi: context %d is context %d again", i, j);
    lf_error sub = {0};
    int rc = lf_context_check_tokens(ctx, tokens[i], n_tokens[i], &sub);
    if (rc) return lf_fail(err, rc, "lf_decode_multi: context %d: %s", i, sub.message);
    return LF_OK;
}

int lf_decode_multi(lf_context *const *ctxs, const int32_t *const *tokens, const int *n_tokens, int n_ctxs,
                    lf_error *err) {
    if (!ctxs || !tokens || !n_tokens || n_ctxs < 1)
        return lf_fail(err, LF_ERR_ARG, "lf_decode_multi needs at least one context (n_ctxs %d)", n_ctxs);
    if (!ctxs[0]) return lf_fail(err, LF_ERR_ARG, "lf_decode_multi: context 0 is NULL");
    long total = 0;
    for (int i = 0; i < n_ctxs; i++) {
        int rc = check_context(ctxs, tokens, n_tokens, i, err);
        if (rc) return rc;
        total += n_tokens[i];
    }
    if (total > LF_DECODE_MULTI_MAX_TOKENS)
        return lf_fail(err, LF_ERR_ARG, "lf_decode_multi: %ld tokens in all, more than %d", total,
                       LF_DECODE_MULTI_MAX_TOKENS);
    lf_forward_part *parts = malloc((size_t)n_ctxs * sizeof *parts);
    if (!parts) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    int rc = LF_OK;
    for (int i = 0; !rc && i < n_ctxs; i++) {
        lf_context *ctx = ctxs[i];
        int n = n_tokens[i];
        parts[i] = (lf_forward_part){ctx, tokens[i], n, ctx->logits_all ? 0 : n - 1};
        rc = lf_context_reserve_logits(ctx, n - parts[i].logits_from, err);
    }
    if (!rc) {
        for (int i = 0; i < n_ctxs; i++) ctxs[i]->n_logits = 0;
        rc = lf_forward_parts(ctxs[0], parts, n_ctxs, err);
    }
    for (int i = 0; !rc && i < n_ctxs; i++)
        memcpy(ctxs[i]->tokens + ctxs[i]->pos - n_tokens[i], tokens[i], (size_t)n_tokens[i] * sizeof **tokens);
    free(parts);
    return rc;
}
