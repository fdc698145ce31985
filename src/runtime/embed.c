/* Text embeddings from a causal model: the final hidden states (after the output norm,
 * what the output projection would read) pooled over the tokens and L2-normalized. The
 * output projection itself is skipped: on a small model it is most of the work. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "runtime/context.h"

const char *lf_pooling_name(lf_pooling pooling) {
    switch (pooling) {
    case LF_POOLING_MEAN: return "mean";
    case LF_POOLING_LAST: return "last";
    }
    return NULL;
}

bool lf_pooling_from_name(const char *name, lf_pooling *out) {
    for (lf_pooling p = LF_POOLING_MEAN; p <= LF_POOLING_LAST; p++)
        if (name && !strcmp(name, lf_pooling_name(p))) {
            *out = p;
            return true;
        }
    return false;
}

int lf_model_embedding_dim(const lf_model *model) { return model->cfg.dim; }

/* Adds the normed final state of rows [first, n) of the batch just decoded to sum. */
static void add_states(lf_context *ctx, int first, int n, double *sum) {
    const lf_model *m = ctx->model;
    int dim = m->cfg.dim;
    for (int t = first; t < n; t++) {
        lf_rmsnorm_f32(ctx->xb, ctx->x + (size_t)t * dim, m->output_norm, dim, m->cfg.norm_eps);
        for (int i = 0; i < dim; i++) sum[i] += ctx->xb[i];
    }
}

int lf_embed(lf_context *ctx, const int32_t *tokens, int n, lf_pooling pooling, float *out, lf_error *err) {
    if (!lf_pooling_name(pooling)) return lf_fail(err, LF_ERR_ARG, "pooling %d is not one of mean, last", (int)pooling);
    if (n <= 0 || !tokens) return lf_fail(err, LF_ERR_ARG, "an embedding needs at least one token");
    int dim = ctx->model->cfg.dim;
    double *sum = calloc((size_t)dim, sizeof *sum);
    if (!sum) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    lf_context_truncate(ctx, 0);
    int rc = LF_OK;
    for (int done = 0; !rc && done < n;) {
        int step = n - done < LF_MAX_BATCH ? n - done : LF_MAX_BATCH;
        /* first == n: no logits; ctx->x keeps the batch's final residual stream */
        rc = lf_decode_logits_from(ctx, tokens + done, step, step, err);
        done += step;
        if (!rc && (pooling == LF_POOLING_MEAN || done == n))
            add_states(ctx, pooling == LF_POOLING_MEAN ? 0 : step - 1, step, sum);
    }
    if (!rc) {
        double norm = 0;
        for (int i = 0; i < dim; i++) norm += sum[i] * sum[i];
        /* the mean's scale cancels in the normalization */
        norm = norm > 0 ? 1 / sqrt(norm) : 0;
        for (int i = 0; i < dim; i++) out[i] = (float)(sum[i] * norm);
    }
    free(sum);
    return rc;
}
