/* The Llama forward pass over a batch of tokens: embedding → n_layers × (RMSNorm,
 * attention with RoPE and GQA over the KV cache, residual, RMSNorm, SwiGLU, residual) →
 * final norm → logits. Matrix products, attention and the work on each row run on the
 * thread pool. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "runtime/context.h"

typedef struct matmul_item {
    const lf_weight *w;
    const void *act;    /* n_batch activation rows, act_stride bytes apart */
    const void *resid;  /* their residuals in the same layout, or NULL */
    const void *packed; /* both packed for w->repacked (lf_repacked_pack_row), or NULL */
    float *y;           /* n_batch × w->rows */
    /* NULL, or n_batch rows that y's rows are also copied into, each range of them by
     * the task that made it, while it is in that thread's cache (the logits of a
     * multi-context step: a serial copy after the product kept the other threads idle) */
    float *const *copy_to;
} matmul_item;

typedef struct matmul_job {
    matmul_item items[LF_MAX_ACT_SLOTS];
    int n_items, n_batch;
    bool precise; /* --precise-activations: the precise product, also for float weights */
    size_t act_stride;
    int64_t chunk_rows; /* rows per task; tasks run through the items in order */
    int split;          /* instead (> 0): this many tasks, each an equal run of the items' rows */
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

/* Repacked weights: the activations are packed once for the step, and a call costs
 * nothing more, so each thread takes an equal run of the job's rows in one task (ends on
 * the 16-row groups of the layout, so results do not depend on the thread count). Chunks
 * left a thread idle at the end of each product (576 rows in 256-row chunks: 320 against
 * 256) and cost two shared atomic operations each. */
#define REPACKED_ALIGN_ROWS 16

static void product_rows(const matmul_job *job, const matmul_item *it, int64_t r0, int64_t r1) {
    const lf_weight *w = it->w;
    int n = job->n_batch;
    if (it->packed && lf_matmul_repacked(w->type, w->repacked, w->cols, r0, r1, it->packed, n, it->resid != NULL, it->y,
                                         (size_t)w->rows))
        return;
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

static void matmul_rows(const matmul_job *job, const matmul_item *it, int64_t r0, int64_t r1) {
    product_rows(job, it, r0, r1);
    for (int b = 0; it->copy_to && b < job->n_batch; b++)
        memcpy(it->copy_to[b] + r0, it->y + (size_t)b * (size_t)it->w->rows + r0, (size_t)(r1 - r0) * sizeof(float));
}

static int64_t item_chunks(const matmul_job *job, int i) {
    return (job->items[i].w->rows + job->chunk_rows - 1) / job->chunk_rows;
}

/* Rows [lo, hi) of the items' rows taken in order. */
static void matmul_run(const matmul_job *job, int64_t lo, int64_t hi) {
    for (int i = 0; i < job->n_items && lo < hi; i++) {
        int64_t rows = job->items[i].w->rows;
        if (lo < rows) matmul_rows(job, &job->items[i], lo, hi < rows ? hi : rows);
        lo = lo > rows ? lo - rows : 0;
        hi -= rows;
    }
}

static void matmul_task(void *arg, int task, int thread_index) {
    (void)thread_index;
    const matmul_job *job = arg;
    if (job->split) {
        int64_t total = 0;
        for (int i = 0; i < job->n_items; i++) total += job->items[i].w->rows;
        int64_t groups = total / REPACKED_ALIGN_ROWS;
        matmul_run(job, groups * task / job->split * REPACKED_ALIGN_ROWS,
                   groups * (task + 1) / job->split * REPACKED_ALIGN_ROWS);
        return;
    }
    int64_t c = task;
    int i = 0;
    while (i < job->n_items - 1 && c >= item_chunks(job, i)) c -= item_chunks(job, i++);
    int64_t rows = job->items[i].w->rows, r0 = c * job->chunk_rows, r1 = r0 + job->chunk_rows;
    matmul_rows(job, &job->items[i], r0, r1 < rows ? r1 : rows);
}

/* Sizes the job's tasks; returns how many there are. */
static int plan_matmul_job(lf_context *ctx, matmul_job *job) {
    int nt = lf_threadpool_size(ctx->pool);
    int64_t total = 0, largest = 0;
    for (int i = 0; i < job->n_items; i++) {
        total += job->items[i].w->rows;
        if (job->items[i].w->rows > largest) largest = job->items[i].w->rows;
    }
    bool repacked = true;
    for (int i = 0; i < job->n_items; i++) repacked &= job->items[i].packed != NULL;
    if (repacked && nt > 1) {
        job->split = nt;
        return nt;
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
    return (int)tasks;
}

/* Work on each row of a step (norms, residuals, the SwiGLU, RoPE, the activations'
 * conversion) on the pool when there are several rows (on the calling thread alone it
 * was a tenth of a prompt's time, the other threads waiting): a run of rows per task,
 * one per thread. Rows cost the same, and a row's work (a norm of 576 values) can be
 * shorter than handing out a task, two atomic operations on lines every thread shares. */
typedef void (*row_fn)(lf_context *ctx, const void *arg, int row, int thread);

typedef struct rows_job {
    lf_context *ctx;
    row_fn fn;
    const void *arg;
    int n, n_tasks;
} rows_job;

static void rows_task(void *arg, int task, int thread_index) {
    const rows_job *job = arg;
    int r0 = (int)((int64_t)job->n * task / job->n_tasks), r1 = (int)((int64_t)job->n * (task + 1) / job->n_tasks);
    for (int r = r0; r < r1; r++) job->fn(job->ctx, job->arg, r, thread_index);
}

static rows_job plan_rows(lf_context *ctx, int n, row_fn fn, const void *arg) {
    int nt = lf_threadpool_size(ctx->pool);
    return (rows_job){ctx, fn, arg, n, n < nt ? n : nt};
}

static void run_rows(lf_context *ctx, int n, row_fn fn, const void *arg) {
    rows_job job = plan_rows(ctx, n, fn, arg);
    if (job.n_tasks == 1) rows_task(&job, 0, 0);
    else lf_threadpool_run(ctx->pool, job.n_tasks, rows_task, &job);
}

/* The input rows of up to LF_MAX_ACT_SLOTS products: each row made by prep (NULL: it
 * is ready), then converted once per distinct activation type (slot), with the rounding
 * residual where resid[s] is set. */
typedef struct convert_job {
    const float *x; /* rows of cols floats */
    int64_t cols;
    row_fn prep;
    const void *prep_arg;
    int n_slots, n_rows;
    lf_type weight_type[LF_MAX_ACT_SLOTS]; /* a weight type of the slot's activation type */
    void *act[LF_MAX_ACT_SLOTS], *resid[LF_MAX_ACT_SLOTS];
    void *packed[LF_MAX_ACT_SLOTS]; /* the slot's rows packed for repacked weights, or NULL */
} convert_job;

static void convert_row(lf_context *ctx, const void *arg, int b, int thread) {
    const convert_job *j = arg;
    if (j->prep) j->prep(ctx, j->prep_arg, b, thread);
    const float *row = j->x + (size_t)b * j->cols;
    float *back = ctx->act_float + (size_t)thread * ctx->act_float_cols;
    for (int s = 0; s < j->n_slots; s++) {
        lf_type t = j->weight_type[s];
        void *q = (char *)j->act[s] + (size_t)b * ctx->act_row_bytes;
        lf_quantize_act(t, row, q, j->cols);
        void *r = j->resid[s] ? (char *)j->resid[s] + (size_t)b * ctx->act_row_bytes : NULL;
        if (r) {
            lf_dequantize_row(lf_act_type(t), q, back, j->cols);
            for (int64_t i = 0; i < j->cols; i++) back[i] = row[i] - back[i];
            lf_quantize_act(t, back, r, j->cols);
        }
        if (j->packed[s]) lf_repacked_pack_row(t, j->cols, j->n_rows, r != NULL, b, q, r, j->packed[s]);
    }
}

/* The activations an imatrix run records (act_stats), or none. */
typedef struct observed {
    int layer;
    lf_act_input input;
} observed;

/* y_i = W_i · x for up to LF_MAX_ACT_SLOTS weights sharing the input x (n rows of
 * cols floats, each made by prep first when it is not NULL), converting x once per
 * distinct activation type. */
static void run_matmuls(lf_context *ctx, const float *x, int n, const lf_weight *const *ws, float *const *ys,
                        int count, row_fn prep, const void *prep_arg, const observed *obs, float *const *copy_to) {
    matmul_job job = {.n_items = count, .n_batch = n, .precise = ctx->precise_activations,
                      .act_stride = ctx->act_row_bytes};
    convert_job conv = {.x = x, .cols = ws[0]->cols, .prep = prep, .prep_arg = prep_arg, .n_rows = n};
    size_t packed_bytes = lf_repacked_acts_bytes(ws[0]->cols, n, ctx->precise_activations);
    int slot[LF_MAX_ACT_SLOTS];
    for (int i = 0; i < count; i++) {
        lf_type at = lf_act_type(ws[i]->type);
        bool with_resid = ctx->precise_activations && at != LF_TYPE_F32;
        int s = 0;
        while (s < conv.n_slots && lf_act_type(conv.weight_type[s]) != at) s++;
        if (s == conv.n_slots) {
            conv.weight_type[s] = ws[i]->type;
            conv.act[s] = ctx->act[s];
            conv.resid[s] = with_resid ? ctx->act_resid[s] : NULL;
            conv.n_slots++;
        }
        /* a few rows for repacked weights: packed once as they are converted, not per chunk */
        if (ws[i]->repacked && packed_bytes && packed_bytes <= ctx->act_packed_bytes)
            conv.packed[s] = ctx->act_packed[s];
        job.items[i] = (matmul_item){ws[i], ctx->act[s], with_resid ? ctx->act_resid[s] : NULL, NULL, ys[i], copy_to};
        slot[i] = s;
    }
    for (int i = 0; i < count; i++)
        if (ws[i]->repacked) job.items[i].packed = conv.packed[slot[i]];
    /* the conversion, then the products, in one hand-over to the pool */
    rows_job rows = plan_rows(ctx, n, convert_row, &conv);
    lf_threadpool_run2(ctx->pool, rows.n_tasks, rows_task, &rows, plan_matmul_job(ctx, &job), matmul_task, &job);
    /* x is not among the products' outputs */
    if (obs && ctx->act_stats) lf_act_stats_add(ctx->act_stats, obs->layer, obs->input, x, n);
}

/* The cosines (cs[0 .. rope_dim/2)) and sines (after them) of position pos's angles. */
static void rope_angles(const lf_context *ctx, int pos, float *cs) {
    int half = ctx->model->cfg.rope_dim / 2;
    for (int i = 0; i < half; i++) {
        float angle = (float)pos * ctx->rope_freqs[i];
        cs[i] = cosf(angle);
        cs[half + i] = sinf(angle);
    }
}

/* Rotates adjacent pairs (2i, 2i+1) of the first rope_dim values of each head by the
 * angles of cs (rope_angles). */
static void rope(const lf_context *ctx, float *vec, int n_heads, const float *cs) {
    const lf_model_config *c = &ctx->model->cfg;
    int half = c->rope_dim / 2;
    for (int h = 0; h < n_heads; h++) {
        float *p = vec + (size_t)h * c->head_dim;
        for (int i = 0; i < half; i++) {
            float a = p[2 * i], b = p[2 * i + 1];
            p[2 * i] = a * cs[i] - b * cs[half + i];
            p[2 * i + 1] = a * cs[half + i] + b * cs[i];
        }
    }
}

/* The parts of a step and the layer that rows are stored at. */
typedef struct step_layer {
    const lf_forward_part *parts;
    int n_parts, layer;
} step_layer;

/* RoPE at row r's own position, and its key and value into its own context's cache at
 * the layer. */
static void store_key_value(lf_context *lead, const void *arg, int r, int thread) {
    (void)thread;
    const step_layer *sl = arg;
    int p = 0, t = r;
    while (t >= sl->parts[p].n) t -= sl->parts[p++].n;
    const lf_model_config *c = &lead->model->cfg;
    int hd = c->head_dim, q_dim = c->n_heads * hd, kv_dim = c->n_kv_heads * hd;
    lf_context *ctx = sl->parts[p].ctx;
    size_t layer_rows = (size_t)sl->layer * ctx->n_ctx * c->n_kv_heads;
    char *kl = (char *)ctx->k_cache + layer_rows * ctx->k_row_bytes;
    char *vl = (char *)ctx->v_cache + layer_rows * ctx->v_row_bytes;
    const lf_attn_kernels *kern = lf_attn_kernels_current();
    int pos = ctx->pos + t;
    size_t row_q = (size_t)r * q_dim, row_kv = (size_t)r * kv_dim;
    float *cs = lead->rope_rot + (size_t)r * c->rope_dim;
    if (sl->layer == 0) rope_angles(lead, pos, cs); /* the same angles at every layer */
    rope(lead, lead->q + row_q, c->n_heads, cs);
    rope(lead, lead->k + row_kv, c->n_kv_heads, cs);
    for (int h = 0; h < c->n_kv_heads; h++) {
        size_t row = (size_t)h * ctx->n_ctx + pos, src = row_kv + (size_t)h * hd;
        lf_attn_store_row(kern, ctx->k_row_type, kl + row * ctx->k_row_bytes, lead->k + src, hd);
        lf_attn_store_row(kern, ctx->v_row_type, vl + row * ctx->v_row_bytes, lead->v + src, hd);
    }
}

/* A block's input row: the residual stream x plus the last block's output (in xb; not
 * before the first block), then normed into xb. */
typedef struct norm_input {
    const float *norm;
    bool add_output;
} norm_input;

static void add_output(lf_context *ctx, int t) {
    int dim = ctx->model->cfg.dim;
    float *x = ctx->x + (size_t)t * dim;
    const float *out = ctx->xb + (size_t)t * dim;
    for (int i = 0; i < dim; i++) x[i] += out[i];
}

static void norm_row(lf_context *ctx, const void *arg, int t, int thread) {
    (void)thread;
    const norm_input *in = arg;
    int dim = ctx->model->cfg.dim;
    float *x = ctx->x + (size_t)t * dim, *xb = ctx->xb + (size_t)t * dim;
    if (in->add_output) lf_add_rmsnorm_f32(xb, x, xb, in->norm, dim, ctx->model->cfg.norm_eps);
    else lf_rmsnorm_f32(xb, x, in->norm, dim, ctx->model->cfg.norm_eps);
}

static void add_output_row(lf_context *ctx, const void *arg, int t, int thread) {
    (void)arg, (void)thread;
    add_output(ctx, t);
}

/* Layer l's attention; its output, in xb, is added to x by the FFN's input rows. */
static void attention_block(lf_context *lead, const lf_forward_part *parts, int n_parts, int l, int n) {
    const lf_model_config *c = &lead->model->cfg;
    const lf_layer_weights *L = &lead->model->layers[l];
    int q_dim = c->n_heads * c->head_dim;
    const lf_weight *ws[] = {&L->wq, &L->wk, &L->wv};
    float *ys[] = {lead->q, lead->k, lead->v};
    norm_input in = {L->attn_norm, l > 0};
    run_matmuls(lead, lead->xb, n, ws, ys, 3, norm_row, &in, &(observed){l, LF_ACT_ATTN_IN}, NULL);
    /* RoPE and the KV store, then the attention that reads them, in one hand-over */
    step_layer at = {parts, n_parts, l};
    rows_job stores = plan_rows(lead, n, store_key_value, &at);
    lf_pool_part before = {stores.n_tasks, rows_task, &stores};
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
    lf_attention_parts(lead->pool, lead->attn, args, n_parts, &before);
    const lf_weight *wo[] = {&L->wo};
    float *out[] = {lead->xb};
    run_matmuls(lead, lead->att, n, wo, out, 1, NULL, NULL, &(observed){l, LF_ACT_ATTN_OUT}, NULL);
}

static void swiglu_row(lf_context *ctx, const void *arg, int t, int thread) {
    (void)arg, (void)thread;
    int hidden = ctx->model->cfg.hidden_dim;
    lf_swiglu_f32(ctx->ffn_gate + (size_t)t * hidden, ctx->ffn_up + (size_t)t * hidden, hidden);
}

/* Layer l's FFN; its output, in xb, is added to x by the next block's input rows. */
static void ffn_block(lf_context *ctx, int l, int n) {
    const lf_layer_weights *L = &ctx->model->layers[l];
    const lf_weight *ws[] = {&L->ffn_gate, &L->ffn_up};
    float *ys[] = {ctx->ffn_gate, ctx->ffn_up};
    norm_input in = {L->ffn_norm, true};
    run_matmuls(ctx, ctx->xb, n, ws, ys, 2, norm_row, &in, &(observed){l, LF_ACT_FFN_IN}, NULL);
    const lf_weight *down[] = {&L->ffn_down};
    float *out[] = {ctx->xb};
    run_matmuls(ctx, ctx->ffn_gate, n, down, out, 1, swiglu_row, NULL, &(observed){l, LF_ACT_FFN_DOWN}, NULL);
}

/* The logits of each part's rows [logits_from, n), appended to its context's logits:
 * one product over all of them, written in place when the lead is the only part, else
 * into the lead's step_logits and copied to the parts by the product's tasks. */
static void output_norm_row(lf_context *ctx, const void *arg, int k, int thread) {
    (void)thread;
    const int *rows = arg; /* row k of xb is row rows[k] of x */
    int dim = ctx->model->cfg.dim;
    lf_rmsnorm_f32(ctx->xb + (size_t)k * dim, ctx->x + (size_t)rows[k] * dim, ctx->model->output_norm, dim,
                   ctx->model->cfg.norm_eps);
}

static void output_logits(lf_context *lead, const lf_forward_part *parts, int n_parts) {
    const lf_model *m = lead->model;
    int vocab = m->cfg.vocab_size, count = 0, rows[LF_MAX_BATCH];
    float *dest[LF_MAX_BATCH];
    for (int p = 0, r = 0; p < n_parts; r += parts[p++].n) {
        lf_context *ctx = parts[p].ctx;
        for (int t = parts[p].logits_from; t < parts[p].n; t++) {
            dest[count] = ctx->logits + (size_t)(ctx->n_logits + t - parts[p].logits_from) * vocab;
            rows[count++] = r + t;
        }
    }
    if (!count) return;
    bool in_place = n_parts == 1 && parts[0].ctx == lead;
    const lf_weight *ws[] = {&m->output};
    float *ys[] = {in_place ? dest[0] : lead->step_logits};
    run_matmuls(lead, lead->xb, count, ws, ys, 1, output_norm_row, rows, NULL, in_place ? NULL : dest);
    for (int p = 0; p < n_parts; p++)
        if (parts[p].n > parts[p].logits_from) parts[p].ctx->n_logits += parts[p].n - parts[p].logits_from;
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
    run_rows(lead, n, add_output_row, NULL); /* x: the final residual stream (embeddings read it) */
    output_logits(lead, parts, n_parts);
    for (int p = 0; p < n_parts; p++) parts[p].ctx->pos += parts[p].n;
    return LF_OK;
}

int lf_forward_batch(lf_context *ctx, const int32_t *tokens, int n, int logits_from, lf_error *err) {
    lf_forward_part part = {ctx, tokens, n, logits_from};
    return lf_forward_parts(ctx, &part, 1, err);
}
