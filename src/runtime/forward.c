/* The Llama forward pass over a batch of tokens: embedding → n_layers × (RMSNorm,
 * attention with RoPE and GQA over the KV cache, residual, RMSNorm, SwiGLU, residual) →
 * final norm → logits. Matrix products and attention run on the thread pool. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "runtime/context.h"

typedef struct matmul_item {
    const lf_weight *w;
    const void *act;   /* n_batch activation rows, act_stride bytes apart */
    const void *resid; /* their residuals in the same layout, or NULL */
    float *y;          /* n_batch × w->rows */
} matmul_item;

typedef struct matmul_job {
    matmul_item items[LF_MAX_ACT_SLOTS];
    int n_items, n_batch;
    bool precise; /* --precise-activations: the precise product, also for float weights */
    size_t act_stride;
    int64_t chunk_rows; /* rows per task; tasks run through the items in order */
} matmul_job;

/* The rows of the job go out in chunks that threads take as they finish, so a thread
 * slowed by another process on its CPU does not hold the others at the end of the
 * product; the chunks run across the items of a job (Q, K, V as one list of rows).
 * Decode: a chunk is a multiple of the four-row decode group, and large enough that the
 * decode kernels' once-per-call activation expansion stays a small part of it. Prompt
 * batches: each chunk repacks the whole batch of activations (the GEMMs pack per call),
 * so there are about four per thread, not more. Chunks start at multiples of 64 rows,
 * where every kernel's row groups and tiles start anyway, so a row's result does not
 * depend on the thread count. */
#define DECODE_CHUNK_ROWS 256
#define PROMPT_CHUNKS_PER_THREAD 4
#define CHUNK_ALIGN_ROWS 64

/* Up to this many activations (continuous batching's decode steps) the kernels pack the
 * activations per call too, but little next to the rows: chunks are sized as for
 * prompts, and at least as for decode (a 128k-row output layer in 256-row chunks packed
 * the batch 500 times). */
#define FEW_ACTIVATIONS 16

static void matmul_rows(const matmul_job *job, const matmul_item *it, int64_t r0, int64_t r1) {
    const lf_weight *w = it->w;
    int n = job->n_batch;
    if (!it->resid && !job->precise) {
        lf_matmul_rows(w->type, w->data, w->row_bytes, w->cols, r0, r1, it->act, job->act_stride, n, it->y,
                       (size_t)w->rows);
        return;
    }
    /* y = W · (act + residual): the fused kernels unpack each weight block once for both;
     * float weights (no residual): f32 activations that no kernel rounds */
    lf_matmul_rows_residual(w->type, w->data, w->row_bytes, w->cols, r0, r1, it->act, it->resid, job->act_stride, n,
                            it->y, (size_t)w->rows);
}

static int64_t item_chunks(const matmul_job *job, int i) {
    return (job->items[i].w->rows + job->chunk_rows - 1) / job->chunk_rows;
}

static void matmul_task(void *arg, int task, int thread_index) {
    (void)thread_index;
    const matmul_job *job = arg;
    int64_t c = task;
    int i = 0;
    while (i < job->n_items - 1 && c >= item_chunks(job, i)) c -= item_chunks(job, i++);
    int64_t rows = job->items[i].w->rows, r0 = c * job->chunk_rows, r1 = r0 + job->chunk_rows;
    matmul_rows(job, &job->items[i], r0, r1 < rows ? r1 : rows);
}

static void run_matmul_job(lf_context *ctx, matmul_job *job) {
    int nt = lf_threadpool_size(ctx->pool);
    int64_t total = 0, largest = 0;
    for (int i = 0; i < job->n_items; i++) {
        total += job->items[i].w->rows;
        if (job->items[i].w->rows > largest) largest = job->items[i].w->rows;
    }
    if (nt == 1) job->chunk_rows = largest; /* one call per weight */
    else if (job->n_batch == 1) job->chunk_rows = DECODE_CHUNK_ROWS;
    else {
        int64_t per = (total + (int64_t)PROMPT_CHUNKS_PER_THREAD * nt - 1) / ((int64_t)PROMPT_CHUNKS_PER_THREAD * nt);
        job->chunk_rows = (per + CHUNK_ALIGN_ROWS - 1) / CHUNK_ALIGN_ROWS * CHUNK_ALIGN_ROWS;
        if (job->n_batch <= FEW_ACTIVATIONS && job->chunk_rows < DECODE_CHUNK_ROWS) job->chunk_rows = DECODE_CHUNK_ROWS;
    }
    int64_t tasks = 0;
    for (int i = 0; i < job->n_items; i++) tasks += item_chunks(job, i);
    lf_threadpool_run(ctx->pool, (int)tasks, matmul_task, job);
}

/* Converts n rows of x (cols floats each) for weight type t into act, and, when resid is
 * non-NULL, the rounding residual of each row into resid. */
static void convert_activations(lf_context *ctx, lf_type t, const float *x, int n, int64_t cols, void *act,
                                void *resid) {
    for (int b = 0; b < n; b++) {
        const float *row = x + (size_t)b * cols;
        void *q = (char *)act + (size_t)b * ctx->act_row_bytes;
        lf_quantize_act(t, row, q, cols);
        if (!resid) continue;
        lf_dequantize_row(lf_act_type(t), q, ctx->act_float, cols);
        for (int64_t i = 0; i < cols; i++) ctx->act_float[i] = row[i] - ctx->act_float[i];
        lf_quantize_act(t, ctx->act_float, (char *)resid + (size_t)b * ctx->act_row_bytes, cols);
    }
}

/* y_i = W_i · x for up to LF_MAX_ACT_SLOTS weights sharing the input x (n rows of
 * cols floats), converting x once per distinct activation type. */
static void run_matmuls(lf_context *ctx, const float *x, int n, const lf_weight *const *ws, float *const *ys,
                        int count) {
    matmul_job job = {.n_items = count, .n_batch = n, .precise = ctx->precise_activations,
                      .act_stride = ctx->act_row_bytes};
    lf_type slot_type[LF_MAX_ACT_SLOTS];
    int n_slots = 0;
    for (int i = 0; i < count; i++) {
        lf_type at = lf_act_type(ws[i]->type);
        bool with_resid = ctx->precise_activations && at != LF_TYPE_F32;
        int s = 0;
        while (s < n_slots && slot_type[s] != at) s++;
        if (s == n_slots) {
            slot_type[n_slots++] = at;
            convert_activations(ctx, ws[i]->type, x, n, ws[i]->cols, ctx->act[s], with_resid ? ctx->act_resid[s] : NULL);
        }
        job.items[i] = (matmul_item){ws[i], ctx->act[s], with_resid ? ctx->act_resid[s] : NULL, ys[i]};
    }
    run_matmul_job(ctx, &job);
}

/* Rotates adjacent pairs (2i, 2i+1) of the first rope_dim values of each head. */
static void rope(const lf_context *ctx, float *vec, int n_heads, int pos) {
    const lf_model_config *c = &ctx->model->cfg;
    for (int i = 0; i < c->rope_dim / 2; i++) {
        float angle = (float)pos * ctx->rope_freqs[i];
        float cs = cosf(angle), sn = sinf(angle);
        for (int h = 0; h < n_heads; h++) {
            float *p = vec + (size_t)h * c->head_dim + 2 * i;
            float a = p[0], b = p[1];
            p[0] = a * cs - b * sn;
            p[1] = a * sn + b * cs;
        }
    }
}

static void observe(lf_context *ctx, int l, lf_act_input input, const float *x, int n) {
    if (ctx->act_stats) lf_act_stats_add(ctx->act_stats, l, input, x, n);
}

/* RoPE at each row's own position, and the rows' keys and values into their own
 * context's cache at layer l. */
static void store_keys_values(lf_context *lead, const lf_forward_part *parts, int n_parts, int l) {
    const lf_model_config *c = &lead->model->cfg;
    int hd = c->head_dim, q_dim = c->n_heads * hd, kv_dim = c->n_kv_heads * hd;
    const lf_attn_kernels *kern = lf_attn_kernels_current();
    for (int p = 0, r = 0; p < n_parts; r += parts[p++].n) {
        lf_context *ctx = parts[p].ctx;
        size_t layer_rows = (size_t)l * ctx->n_ctx * c->n_kv_heads;
        char *kl = (char *)ctx->k_cache + layer_rows * ctx->k_row_bytes;
        char *vl = (char *)ctx->v_cache + layer_rows * ctx->v_row_bytes;
        for (int t = 0; t < parts[p].n; t++) {
            int pos = ctx->pos + t;
            size_t row_q = (size_t)(r + t) * q_dim, row_kv = (size_t)(r + t) * kv_dim;
            rope(lead, lead->q + row_q, c->n_heads, pos);
            rope(lead, lead->k + row_kv, c->n_kv_heads, pos);
            for (int h = 0; h < c->n_kv_heads; h++) {
                size_t row = (size_t)h * ctx->n_ctx + pos, src = row_kv + (size_t)h * hd;
                lf_attn_store_row(kern, ctx->k_row_type, kl + row * ctx->k_row_bytes, lead->k + src, hd);
                lf_attn_store_row(kern, ctx->v_row_type, vl + row * ctx->v_row_bytes, lead->v + src, hd);
            }
        }
    }
}

static void attention_block(lf_context *lead, const lf_forward_part *parts, int n_parts, int l, int n) {
    const lf_model_config *c = &lead->model->cfg;
    const lf_layer_weights *L = &lead->model->layers[l];
    int dim = c->dim, q_dim = c->n_heads * c->head_dim;
    for (int t = 0; t < n; t++)
        lf_rmsnorm_f32(lead->xb + (size_t)t * dim, lead->x + (size_t)t * dim, L->attn_norm, dim, c->norm_eps);
    observe(lead, l, LF_ACT_ATTN_IN, lead->xb, n);
    const lf_weight *ws[] = {&L->wq, &L->wk, &L->wv};
    float *ys[] = {lead->q, lead->k, lead->v};
    run_matmuls(lead, lead->xb, n, ws, ys, 3);
    store_keys_values(lead, parts, n_parts, l);
    /* each part's rows attend to their own context, on the lead's threads and scratch */
    lf_attention_args args[LF_MAX_BATCH]; /* a part has a token at least */
    for (int p = 0, r = 0; p < n_parts; r += parts[p++].n) {
        const lf_context *ctx = parts[p].ctx;
        size_t layer_rows = (size_t)l * ctx->n_ctx * c->n_kv_heads;
        args[p] = (lf_attention_args){.q = lead->q + (size_t)r * q_dim, .q_stride = (size_t)q_dim,
                                      .k = (const char *)ctx->k_cache + layer_rows * ctx->k_row_bytes,
                                      .v = (const char *)ctx->v_cache + layer_rows * ctx->v_row_bytes,
                                      .k_type = ctx->k_row_type, .v_type = ctx->v_row_type,
                                      .k_stride = ctx->k_row_bytes, .v_stride = ctx->v_row_bytes,
                                      .k_head_stride = (size_t)ctx->n_ctx * ctx->k_row_bytes,
                                      .v_head_stride = (size_t)ctx->n_ctx * ctx->v_row_bytes,
                                      .out = lead->att + (size_t)r * q_dim, .out_stride = (size_t)q_dim,
                                      .n = parts[p].n, .pos0 = ctx->pos, .n_heads = c->n_heads,
                                      .n_kv_heads = c->n_kv_heads, .head_dim = c->head_dim};
    }
    lf_attention_parts(lead->pool, lead->attn, args, n_parts);
    observe(lead, l, LF_ACT_ATTN_OUT, lead->att, n);
    const lf_weight *wo[] = {&L->wo};
    float *out[] = {lead->xb};
    run_matmuls(lead, lead->att, n, wo, out, 1);
    for (size_t i = 0; i < (size_t)n * dim; i++) lead->x[i] += lead->xb[i];
}

static void ffn_block(lf_context *ctx, int l, int n) {
    const lf_model_config *c = &ctx->model->cfg;
    const lf_layer_weights *L = &ctx->model->layers[l];
    int dim = c->dim, hidden = c->hidden_dim;
    for (int t = 0; t < n; t++)
        lf_rmsnorm_f32(ctx->xb + (size_t)t * dim, ctx->x + (size_t)t * dim, L->ffn_norm, dim, c->norm_eps);
    observe(ctx, l, LF_ACT_FFN_IN, ctx->xb, n);
    const lf_weight *ws[] = {&L->ffn_gate, &L->ffn_up};
    float *ys[] = {ctx->ffn_gate, ctx->ffn_up};
    run_matmuls(ctx, ctx->xb, n, ws, ys, 2);
    lf_swiglu_f32(ctx->ffn_gate, ctx->ffn_up, (int64_t)n * hidden);
    observe(ctx, l, LF_ACT_FFN_DOWN, ctx->ffn_gate, n);
    const lf_weight *down[] = {&L->ffn_down};
    float *out[] = {ctx->xb};
    run_matmuls(ctx, ctx->ffn_gate, n, down, out, 1);
    for (size_t i = 0; i < (size_t)n * dim; i++) ctx->x[i] += ctx->xb[i];
}

/* The logits of each part's rows [logits_from, n), appended to its context's logits:
 * one product over all of them, written in place when the lead is the only part, else
 * through the lead's step_logits. */
static void output_logits(lf_context *lead, const lf_forward_part *parts, int n_parts) {
    const lf_model *m = lead->model;
    int dim = m->cfg.dim, vocab = m->cfg.vocab_size, count = 0;
    for (int p = 0, r = 0; p < n_parts; r += parts[p++].n)
        for (int t = parts[p].logits_from; t < parts[p].n; t++, count++)
            lf_rmsnorm_f32(lead->xb + (size_t)count * dim, lead->x + (size_t)(r + t) * dim, m->output_norm, dim,
                           m->cfg.norm_eps);
    if (!count) return;
    bool in_place = n_parts == 1 && parts[0].ctx == lead;
    const lf_weight *ws[] = {&m->output};
    float *ys[] = {in_place ? lead->logits + (size_t)lead->n_logits * vocab : lead->step_logits};
    run_matmuls(lead, lead->xb, count, ws, ys, 1);
    const float *row = lead->step_logits;
    for (int p = 0; p < n_parts; p++) {
        lf_context *ctx = parts[p].ctx;
        int k = parts[p].n - parts[p].logits_from;
        if (k <= 0) continue;
        if (!in_place) {
            memcpy(ctx->logits + (size_t)ctx->n_logits * vocab, row, (size_t)k * vocab * sizeof *row);
            row += (size_t)k * vocab;
        }
        ctx->n_logits += k;
    }
}

/* Makes the lead's step_logits hold n rows. */
static int reserve_step_logits(lf_context *lead, int n, lf_error *err) {
    if (n <= lead->step_logits_cap) return LF_OK;
    float *p = realloc(lead->step_logits, (size_t)n * lead->model->cfg.vocab_size * sizeof *p);
    if (!p) return lf_fail(err, LF_ERR_NOMEM, "out of memory for the logits of %d tokens", n);
    lead->step_logits = p;
    lead->step_logits_cap = n;
    return LF_OK;
}

int lf_forward_parts(lf_context *lead, const lf_forward_part *parts, int n_parts, lf_error *err) {
    const lf_model *m = lead->model;
    int n = 0, n_out = 0;
    for (int p = 0; p < n_parts; p++) {
        const lf_forward_part *part = &parts[p];
        if (part->n < 1 || part->ctx->pos + part->n > part->ctx->n_ctx || part->logits_from < 0)
            return lf_fail(err, LF_ERR_ARG, "forward step of %d tokens at position %d does not fit", part->n,
                           part->ctx->pos);
        n += part->n;
        n_out += part->logits_from < part->n ? part->n - part->logits_from : 0;
    }
    if (n_parts < 1 || n > LF_MAX_BATCH)
        return lf_fail(err, LF_ERR_ARG, "forward step of %d tokens in %d parts: 1 to %d tokens", n, n_parts,
                       LF_MAX_BATCH);
    int rc = n_parts == 1 && parts[0].ctx == lead ? LF_OK : reserve_step_logits(lead, n_out, err);
    if (rc) return rc;
    int dim = m->cfg.dim;
    for (int p = 0, r = 0; p < n_parts; r += parts[p++].n)
        for (int t = 0; t < parts[p].n; t++) {
            int32_t id = parts[p].tokens[t];
            lf_dequantize_row(m->tok_embd.type, (const char *)m->tok_embd.data + (size_t)id * m->tok_embd.row_bytes,
                              lead->x + (size_t)(r + t) * dim, dim);
        }
    for (int l = 0; l < m->cfg.n_layers; l++) {
        attention_block(lead, parts, n_parts, l, n);
        ffn_block(lead, l, n);
    }
    output_logits(lead, parts, n_parts);
    for (int p = 0; p < n_parts; p++) parts[p].ctx->pos += parts[p].n;
    return LF_OK;
}

int lf_forward_batch(lf_context *ctx, const int32_t *tokens, int n, int logits_from, lf_error *err) {
    lf_forward_part part = {ctx, tokens, n, logits_from};
    return lf_forward_parts(ctx, &part, 1, err);
}
