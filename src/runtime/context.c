#include "runtime/context.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

lf_context_params lf_context_default_params(void) {
    lf_context_params p = {.max_seq_len = 0, .n_threads = 0, .logits_all = false, .precise_activations = false,
                           .type_k = LF_KV_F16, .type_v = LF_KV_F16};
    return p;
}

/* 64-byte aligned; zeroed unless lazy. The KV cache is lazy: every position is written
 * before attention reads it, so its pages are only committed as the conversation grows. */
static void *aligned_alloc64(size_t n, bool zero, bool *ok) {
    void *p = NULL;
    if (posix_memalign(&p, 64, n ? n : 64) != 0) p = NULL;
    if (!p) *ok = false;
    else if (zero) memset(p, 0, n);
    return p;
}

static void *xalloc(size_t n, bool *ok) { return aligned_alloc64(n, true, ok); }

static void *kv_alloc(size_t n, bool *ok) {
    void *p = lf_attn_kv_alloc(n);
    if (!p) *ok = false;
    return p;
}

static size_t max_act_row_bytes(const lf_model *m) {
    size_t best = 0;
    for (int l = 0; l < m->cfg.n_layers; l++)
        for (int i = 0; i < LF_LAYER_MATRICES; i++) {
            const lf_weight *w = &m->layers[l].matrices[i];
            size_t b = lf_act_row_bytes(w->type, w->cols);
            if (b > best) best = b;
        }
    size_t out = lf_act_row_bytes(m->output.type, m->output.cols);
    return out > best ? out : best;
}

int lf_context_create(const lf_model *model, const lf_context_params *params, lf_context **out, lf_error *err) {
    *out = NULL;
    lf_context_params defaults = lf_context_default_params();
    if (!params) params = &defaults;
    const lf_model_config *c = &model->cfg;
    if (params->max_seq_len < 0) return lf_fail(err, LF_ERR_ARG, "max_seq_len %d is negative", params->max_seq_len);
    if (params->n_batch < 0 || params->n_batch > LF_MAX_BATCH)
        return lf_fail(err, LF_ERR_ARG, "batch size %d is out of range [1, %d]", params->n_batch, LF_MAX_BATCH);
    if (params->n_threads < 0 || params->n_threads > 512)
        return lf_fail(err, LF_ERR_ARG, "thread count %d is out of range [0, 512]", params->n_threads);
    const lf_kv_type kv_types[2] = {params->type_k, params->type_v};
    for (int i = 0; i < 2; i++) {
        const char *what = i ? "values" : "keys";
        if (!lf_kv_type_name(kv_types[i]))
            return lf_fail(err, LF_ERR_ARG, "KV cache type %d for %s is not one of f32, f16, q8_0", (int)kv_types[i],
                           what);
        lf_type rt = lf_kv_row_type(kv_types[i]);
        if (c->head_dim % lf_attn_kv_block(rt))
            return lf_fail(err, LF_ERR_ARG,
                           "KV cache type %s (--kv-type) stores %s in blocks of %d: the head dimension must be a "
                           "multiple of %d, and this model's is %d (use f16 or f32)",
                           lf_kv_type_name(kv_types[i]), what, lf_attn_kv_block(rt), lf_attn_kv_block(rt), c->head_dim);
    }
    int n_ctx = params->max_seq_len ? params->max_seq_len : (c->context_length < 4096 ? c->context_length : 4096);
    if (n_ctx > c->context_length) {
        lf_log(LF_LOG_WARN, "max_seq_len %d is longer than the model's context of %d tokens; using %d", n_ctx,
               c->context_length, c->context_length);
        n_ctx = c->context_length;
    }
    int n_threads = params->n_threads ? params->n_threads : lf_default_thread_count();

    lf_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    ctx->model = model;
    ctx->n_ctx = n_ctx;
    ctx->logits_all = params->logits_all;
    ctx->pool = lf_threadpool_create(n_threads);
    size_t kv_dim = (size_t)c->n_kv_heads * c->head_dim, q_dim = (size_t)c->n_heads * c->head_dim;
    size_t B = LF_MAX_BATCH, f = sizeof(float);
    bool ok = ctx->pool != NULL;
    ctx->type_k = params->type_k;
    ctx->type_v = params->type_v;
    ctx->k_row_type = lf_kv_row_type(params->type_k);
    ctx->v_row_type = lf_kv_row_type(params->type_v);
    ctx->k_row_bytes = lf_attn_kv_row_bytes(ctx->k_row_type, c->head_dim);
    ctx->v_row_bytes = lf_attn_kv_row_bytes(ctx->v_row_type, c->head_dim);
    size_t rows = (size_t)c->n_layers * n_ctx * c->n_kv_heads;
    ctx->tokens = aligned_alloc64((size_t)n_ctx * sizeof(int32_t), false, &ok);
    ctx->k_cache = kv_alloc(rows * ctx->k_row_bytes, &ok);
    ctx->v_cache = kv_alloc(rows * ctx->v_row_bytes, &ok);
    ctx->rope_freqs = xalloc((size_t)c->rope_dim / 2 * f, &ok);
    ctx->rope_rot = xalloc(B * (size_t)c->rope_dim * f, &ok);
    size_t wide = q_dim > (size_t)c->dim ? q_dim : (size_t)c->dim;
    ctx->x = xalloc(B * c->dim * f, &ok);
    ctx->xb = xalloc(B * wide * f, &ok);
    ctx->q = xalloc(B * q_dim * f, &ok);
    ctx->k = xalloc(B * kv_dim * f, &ok);
    ctx->v = xalloc(B * kv_dim * f, &ok);
    ctx->att = xalloc(B * q_dim * f, &ok);
    ctx->ffn_gate = xalloc(B * c->hidden_dim * f, &ok);
    ctx->ffn_up = xalloc(B * c->hidden_dim * f, &ok);
    ctx->act_row_bytes = max_act_row_bytes(model);
    ctx->precise_activations = params->precise_activations;
    ctx->n_batch = params->n_batch ? params->n_batch : LF_MAX_BATCH;
    ctx->progress = params->progress;
    ctx->progress_user = params->progress_user;
    for (int i = 0; i < LF_MAX_ACT_SLOTS; i++) {
        ctx->act[i] = xalloc(B * ctx->act_row_bytes, &ok);
        if (ctx->precise_activations) ctx->act_resid[i] = xalloc(B * ctx->act_row_bytes, &ok);
    }
    size_t widest = (size_t)c->hidden_dim > wide ? (size_t)c->hidden_dim : wide;
    lf_model_info info;
    lf_model_get_info(model, &info);
    if (info.repacked_bytes) {
        /* the most rows the repacked product serves, at the widest input of a product */
        for (int n = LF_MAX_BATCH; n > 1 && !ctx->act_packed_bytes; n--)
            ctx->act_packed_bytes = lf_repacked_acts_bytes((int64_t)widest, n, ctx->precise_activations);
        for (int i = 0; ctx->act_packed_bytes && i < LF_MAX_ACT_SLOTS; i++)
            ctx->act_packed[i] = xalloc(ctx->act_packed_bytes, &ok);
    }
    ctx->act_float_cols = widest;
    ctx->act_float = xalloc((size_t)n_threads * widest * f, &ok);
    ctx->attn = lf_attention_ws_create(n_threads, c->n_heads, c->n_kv_heads, c->head_dim, LF_MAX_BATCH);
    if (!ctx->attn) ok = false;
    ctx->logits_cap = 1;
    ctx->logits = xalloc((size_t)c->vocab_size * f, &ok);
    if (!ok) {
        lf_context_free(ctx);
        return lf_fail(err, LF_ERR_NOMEM, "out of memory for a context of %d tokens", n_ctx);
    }
    for (int i = 0; i < c->rope_dim / 2; i++) {
        float freq = powf(c->rope_theta, -2.0f * (float)i / (float)c->rope_dim) / c->rope_linear_scale;
        if (model->rope_freq_factors) freq /= model->rope_freq_factors[i];
        ctx->rope_freqs[i] = freq;
    }
    *out = ctx;
    return LF_OK;
}

void lf_context_free(lf_context *ctx) {
    if (!ctx) return;
    lf_threadpool_free(ctx->pool);
    lf_attention_ws_free(ctx->attn);
    free(ctx->tokens);
    free(ctx->k_cache);
    free(ctx->v_cache);
    float *bufs[] = {ctx->rope_freqs, ctx->rope_rot, ctx->x, ctx->xb, ctx->q, ctx->k, ctx->v,
                     ctx->att, ctx->ffn_gate, ctx->ffn_up, ctx->logits, ctx->act_float, ctx->spec_probs,
                     ctx->step_logits};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    for (int i = 0; i < LF_MAX_ACT_SLOTS; i++) {
        free(ctx->act[i]);
        free(ctx->act_resid[i]);
        free(ctx->act_packed[i]);
    }
    free(ctx);
}

int lf_context_reserve_logits(lf_context *ctx, int n, lf_error *err) {
    if (n <= ctx->logits_cap) return LF_OK;
    float *p = realloc(ctx->logits, (size_t)n * ctx->model->cfg.vocab_size * sizeof(float));
    if (!p) return lf_fail(err, LF_ERR_NOMEM, "out of memory for the logits of %d tokens", n);
    ctx->logits = p;
    ctx->logits_cap = n;
    return LF_OK;
}

int lf_context_check_tokens(const lf_context *ctx, const int32_t *tokens, int n, lf_error *err) {
    if (n <= 0 || !tokens) return lf_fail(err, LF_ERR_ARG, "lf_decode needs at least one token");
    if (n > ctx->n_ctx - ctx->pos)
        return lf_fail(err, LF_ERR_CONTEXT_FULL, "%d tokens do not fit: %d of the context's %d positions are used", n,
                       ctx->pos, ctx->n_ctx);
    int vocab = ctx->model->cfg.vocab_size;
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= vocab)
            return lf_fail(err, LF_ERR_ARG, "token id %d at index %d is outside the vocabulary [0, %d)", tokens[i], i,
                           vocab);
    return LF_OK;
}

int lf_decode_logits_from(lf_context *ctx, const int32_t *tokens, int n, int first, lf_error *err) {
    int rc = lf_context_check_tokens(ctx, tokens, n, err);
    if (rc) return rc;
    if (first < 0 || first > n) return lf_fail(err, LF_ERR_ARG, "logits from token %d of %d: out of range", first, n);
    if ((rc = lf_context_reserve_logits(ctx, n - first, err))) return rc;
    ctx->n_logits = 0;
    for (int done = 0; done < n;) {
        int step = n - done < ctx->n_batch ? n - done : ctx->n_batch, at = ctx->pos;
        int from = first - done < 0 ? 0 : first - done > step ? step : first - done;
        if ((rc = lf_forward_batch(ctx, tokens + done, step, from, err))) return rc;
        memcpy(ctx->tokens + at, tokens + done, (size_t)step * sizeof *tokens);
        done += step;
        if (ctx->progress && n > ctx->n_batch) ctx->progress(done, n, ctx->progress_user);
    }
    return LF_OK;
}

int lf_decode(lf_context *ctx, const int32_t *tokens, int n, lf_error *err) {
    return lf_decode_logits_from(ctx, tokens, n, ctx->logits_all || n <= 0 ? 0 : n - 1, err);
}

const float *lf_context_logits(const lf_context *ctx) {
    return ctx->logits + (size_t)(ctx->n_logits > 0 ? ctx->n_logits - 1 : 0) * ctx->model->cfg.vocab_size;
}

const float *lf_context_logits_at(const lf_context *ctx, int i) {
    if (!ctx->logits_all || i < 0 || i >= ctx->n_logits) return NULL;
    return ctx->logits + (size_t)i * ctx->model->cfg.vocab_size;
}

const float *lf_context_logits_row(const lf_context *ctx, int i) {
    if (i < 0 || i >= ctx->n_logits) return NULL;
    return ctx->logits + (size_t)i * ctx->model->cfg.vocab_size;
}

int lf_context_position(const lf_context *ctx) { return ctx->pos; }
int lf_context_size(const lf_context *ctx) { return ctx->n_ctx; }
int lf_context_threads(const lf_context *ctx) { return lf_threadpool_size(ctx->pool); }

size_t lf_context_kv_bytes(const lf_context *ctx) {
    const lf_model_config *c = &ctx->model->cfg;
    return (size_t)c->n_layers * ctx->n_ctx * c->n_kv_heads * (ctx->k_row_bytes + ctx->v_row_bytes);
}

void lf_context_kv_types(const lf_context *ctx, lf_kv_type *type_k, lf_kv_type *type_v) {
    if (type_k) *type_k = ctx->type_k;
    if (type_v) *type_v = ctx->type_v;
}

void lf_context_truncate(lf_context *ctx, int pos) {
    if (pos < 0) pos = 0;
    if (pos < ctx->pos) ctx->pos = pos;
}

const int32_t *lf_context_tokens(const lf_context *ctx) { return ctx->tokens; }

/* Stops one short of n: the caller needs the logits of tokens[n-1], and only decoding it
 * produces them. */
int lf_context_keep_prefix(lf_context *ctx, const int32_t *tokens, int n) {
    int limit = !tokens || n < 1 ? 0 : n - 1 < ctx->pos ? n - 1 : ctx->pos;
    int kept = 0;
    while (kept < limit && ctx->tokens[kept] == tokens[kept]) kept++;
    lf_context_truncate(ctx, kept);
    return kept;
}
