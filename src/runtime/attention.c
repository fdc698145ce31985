/* Causal attention over the KV cache: task planning, the online-softmax tile loop and the
 * merge of position ranges. See attention.h. */
#include "runtime/attention.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/huge_alloc.h"

/* ---------------------------------------------------------------- workspace */

struct lf_attention_ws {
    int n_threads, n_heads, n_kv_heads, hd, max_tokens;
    int group, block_tokens, rows_max; /* query heads per KV head; tokens per task; their product */
    size_t thread_floats;              /* scratch of one thread */
    float *thread_scratch;
    int slot_cap;                      /* partial results the merge can hold */
    size_t slot_floats;
    float *partial;
};

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

/* Decode attention at depth reads every KV head's positions each token: on 4 KiB pages
 * a TLB miss every 32 f16 rows of 64 values. The cost of huge pages: memory is committed
 * 2 MiB at a time, per (layer, KV head) run of positions at most. */
void *lf_attn_kv_alloc(size_t n) { return lf_huge_alloc(n); }

lf_attention_ws *lf_attention_ws_create(int n_threads, int n_heads, int n_kv_heads, int head_dim, int max_tokens) {
    if (n_threads < 1 || n_kv_heads < 1 || n_heads % n_kv_heads || head_dim < 1 || max_tokens < 1) return NULL;
    lf_attention_ws *ws = calloc(1, sizeof *ws);
    if (!ws) return NULL;
    *ws = (lf_attention_ws){.n_threads = n_threads, .n_heads = n_heads, .n_kv_heads = n_kv_heads, .hd = head_dim,
                            .max_tokens = max_tokens, .group = n_heads / n_kv_heads};
    ws->block_tokens = LF_ATTN_ROWS / ws->group > 1 ? LF_ATTN_ROWS / ws->group : 1;
    ws->rows_max = ws->block_tokens * ws->group;
    size_t R = (size_t)ws->rows_max, hd = (size_t)head_dim, T = LF_ATTN_TILE;
    /* q, o: R x hd; k, v tiles: T x hd; scores: R x T; max, sum, correction, valid positions: R */
    ws->thread_floats = 2 * round16(R * hd) + 2 * round16(T * hd) + round16(R * T) + 4 * round16(R);
    /* position ranges are used only when there are fewer than 2 tasks per thread, with
     * at most ~4 tasks per thread after the split (see plan_splits) */
    ws->slot_cap = 6 * n_threads + 16;
    ws->slot_floats = round16(R * (hd + 2));
    bool ok = posix_memalign((void **)&ws->thread_scratch, 64, (size_t)n_threads * ws->thread_floats * sizeof(float)) == 0;
    if (ok && posix_memalign((void **)&ws->partial, 64, (size_t)ws->slot_cap * ws->slot_floats * sizeof(float)) != 0) {
        ws->partial = NULL;
        ok = false;
    }
    if (!ok) {
        lf_attention_ws_free(ws);
        return NULL;
    }
    return ws;
}

void lf_attention_ws_free(lf_attention_ws *ws) {
    if (!ws) return;
    free(ws->thread_scratch);
    free(ws->partial);
    free(ws);
}

/* -------------------------------------------------------------- attention */

typedef struct attn_job {
    const lf_attention_args *a;
    lf_attention_ws *ws;
    const lf_attn_kernels *kern;
    int n_blocks, splits;
    float scale;
    int merge_rows; /* (token, head) rows per merge task */
} attn_job;

/* Position range [*ps, *pe) of split s among splits for the token block ending at t1;
 * split boundaries fall on tile boundaries. */
static void split_range(const attn_job *job, int t1, int s, int *ps, int *pe) {
    int n_vis = job->a->pos0 + t1;
    int tiles = (n_vis + LF_ATTN_TILE - 1) / LF_ATTN_TILE;
    int per = (tiles + job->splits - 1) / job->splits;
    int b = s * per * LF_ATTN_TILE, e = b + per * LF_ATTN_TILE;
    *ps = b < n_vis ? b : n_vis;
    *pe = e < n_vis ? e : n_vis;
}

/* Asks for n rows (row bytes, stride apart) ahead of their use: at the start of a tile
 * the next tile's K and V, which the hardware prefetcher alone leaves the core waiting
 * for (5-10 % of decode attention at depth 4096, measured on a shared machine). */
static void prefetch_rows(const char *p, size_t stride, size_t row, int n) {
    if (stride == row) row *= (size_t)n, n = 1;
    for (int j = 0; j < n; j++)
        for (size_t b = 0; b < row; b += 64) __builtin_prefetch(p + (size_t)j * stride + b);
}

static void run_task(const attn_job *job, float *scratch, int tb, int kvh, int s, float *slot) {
    const lf_attention_args *a = job->a;
    const lf_attention_ws *ws = job->ws;
    const lf_attn_kernels *kern = job->kern;
    int G = ws->group, hd = ws->hd, T = LF_ATTN_TILE;
    int t0 = tb * ws->block_tokens, t1 = t0 + ws->block_tokens < a->n ? t0 + ws->block_tokens : a->n;
    int R = (t1 - t0) * G;
    size_t Rm = (size_t)ws->rows_max;
    float *qs = scratch, *o = qs + round16(Rm * hd), *kt = o + round16(Rm * hd), *vt = kt + round16((size_t)T * hd);
    float *sc = vt + round16((size_t)T * hd), *mx = sc + round16(Rm * T), *sum = mx + round16(Rm),
          *corr = sum + round16(Rm);
    int *valid = (int *)(corr + round16(Rm));
    for (int r = 0; r < R; r++) {
        const float *src = a->q + (size_t)(t0 + r / G) * a->q_stride + (size_t)(kvh * G + r % G) * hd;
        for (int d = 0; d < hd; d++) qs[(size_t)r * hd + d] = src[d] * job->scale;
        mx[r] = -INFINITY;
        sum[r] = 0.0f;
    }
    memset(o, 0, (size_t)R * hd * sizeof *o);
    int ps, pe;
    split_range(job, t1, s, &ps, &pe);
    size_t k_head = a->k_head_stride ? a->k_head_stride : lf_attn_kv_row_bytes(a->k_type, hd);
    size_t v_head = a->v_head_stride ? a->v_head_stride : lf_attn_kv_row_bytes(a->v_type, hd);
    const char *kh = (const char *)a->k + (size_t)kvh * k_head, *vh = (const char *)a->v + (size_t)kvh * v_head;
    size_t k_row = lf_attn_kv_row_bytes(a->k_type, hd), v_row = lf_attn_kv_row_bytes(a->v_type, hd);
    for (int p = ps; p < pe; p += T) {
        int np = pe - p < T ? pe - p : T;
        if (pe - p > T) {
            int nn = pe - p - T < T ? pe - p - T : T;
            prefetch_rows(kh + (size_t)(p + T) * a->k_stride, a->k_stride, k_row, nn);
            prefetch_rows(vh + (size_t)(p + T) * a->v_stride, a->v_stride, v_row, nn);
        }
        lf_type kp_type, vp_type;
        const void *kp = lf_attn_load_rows(kern, a->k_type, kt, kh + (size_t)p * a->k_stride, a->k_stride, np, hd,
                                           &kp_type);
        kern->qk(qs, R, kp, kp_type, np, hd, sc, T);
        for (int r = 0; r < R; r++) valid[r] = a->pos0 + t0 + r / G - p + 1; /* causal: positions this token sees */
        kern->softmax(sc, T, R, np, valid, mx, sum, corr);
        const void *vp = lf_attn_load_rows(kern, a->v_type, vt, vh + (size_t)p * a->v_stride, a->v_stride, np, hd,
                                           &vp_type);
        kern->pv(o, corr, R, sc, T, vp, vp_type, np, hd);
    }
    if (slot) { /* partial: unnormalized output, then max and sum of every row */
        memcpy(slot, o, (size_t)R * hd * sizeof *o);
        memcpy(slot + Rm * hd, mx, (size_t)R * sizeof *mx);
        memcpy(slot + Rm * hd + Rm, sum, (size_t)R * sizeof *sum);
        return;
    }
    for (int r = 0; r < R; r++) {
        float *dst = a->out + (size_t)(t0 + r / G) * a->out_stride + (size_t)(kvh * G + r % G) * hd;
        float inv = sum[r] > 0.0f ? 1.0f / sum[r] : 0.0f;
        for (int d = 0; d < hd; d++) dst[d] = o[(size_t)r * hd + d] * inv;
    }
}

static int task_slot(const attn_job *job, int tb, int kvh, int s) {
    return ((job->n_blocks - 1 - tb) * job->ws->n_kv_heads + kvh) * job->splits + s;
}

/* Task i: the pool hands tasks out in order, so the last token blocks (most positions) go first. */
static void attention_task(void *arg, int i, int thread_index) {
    const attn_job *job = arg;
    float *scratch = job->ws->thread_scratch + (size_t)thread_index * job->ws->thread_floats;
    int per_block = job->ws->n_kv_heads * job->splits;
    int tb = job->n_blocks - 1 - i / per_block, kvh = i % per_block / job->splits, s = i % job->splits;
    float *slot = job->splits > 1 ? job->ws->partial + (size_t)task_slot(job, tb, kvh, s) * job->ws->slot_floats : NULL;
    run_task(job, scratch, tb, kvh, s, slot);
}

/* Combines the position ranges of the (token, head) rows of merge task i: out =
 * sum_s o_s e^(m_s - M) / sum_s l_s e^(m_s - M) with M the largest m_s. */
static void merge_task(void *arg, int task, int thread_index) {
    (void)thread_index;
    const attn_job *job = arg;
    const lf_attention_args *a = job->a;
    const lf_attention_ws *ws = job->ws;
    int G = ws->group, hd = ws->hd, total = a->n * a->n_heads;
    size_t Rm = (size_t)ws->rows_max;
    int end = (task + 1) * job->merge_rows < total ? (task + 1) * job->merge_rows : total;
    for (int i = task * job->merge_rows; i < end; i++) {
        int t = i / a->n_heads, h = i % a->n_heads, tb = t / ws->block_tokens, kvh = h / G;
        int r = (t - tb * ws->block_tokens) * G + h % G;
        float m = -INFINITY;
        for (int s = 0; s < job->splits; s++) {
            const float *slot = ws->partial + (size_t)task_slot(job, tb, kvh, s) * ws->slot_floats;
            if (slot[Rm * hd + Rm + r] > 0.0f && slot[Rm * hd + r] > m) m = slot[Rm * hd + r];
        }
        float *dst = a->out + (size_t)t * a->out_stride + (size_t)h * hd;
        memset(dst, 0, (size_t)hd * sizeof *dst);
        float l = 0.0f;
        for (int s = 0; s < job->splits; s++) {
            const float *slot = ws->partial + (size_t)task_slot(job, tb, kvh, s) * ws->slot_floats;
            float ls = slot[Rm * hd + Rm + r];
            if (!(ls > 0.0f)) continue; /* a range the token does not see */
            float w = expf(slot[Rm * hd + r] - m);
            l += ls * w;
            for (int d = 0; d < hd; d++) dst[d] += w * slot[(size_t)r * hd + d];
        }
        float inv = l > 0.0f ? 1.0f / l : 0.0f;
        for (int d = 0; d < hd; d++) dst[d] *= inv;
    }
}

static void run_tasks(lf_threadpool *pool, int n, lf_task_fn fn, void *arg) {
    if (pool) lf_threadpool_run(pool, n, fn, arg);
    else
        for (int i = 0; i < n; i++) fn(arg, i, 0);
}

/* Position ranges per (token block, KV head): 1 when those tasks already give every
 * thread two; otherwise enough for about four tasks per thread, each range of at least
 * LF_ATTN_MIN_SPLIT positions. */
static int plan_splits(const lf_attention_ws *ws, const lf_attention_args *a, int n_blocks, int nt) {
    int base = n_blocks * ws->n_kv_heads, s = a->splits;
    if (s <= 0) {
        if (nt <= 1 || base >= 2 * nt) return 1;
        s = (4 * nt + base - 1) / base;
        int by_len = (a->pos0 + a->n) / LF_ATTN_MIN_SPLIT;
        if (s > by_len) s = by_len;
    }
    while (s > 1 && (size_t)base * s > (size_t)ws->slot_cap) s--;
    return s < 1 ? 1 : s;
}

void lf_attention(lf_threadpool *pool, lf_attention_ws *ws, const lf_attention_args *a) {
    if (a->n < 1 || a->n > ws->max_tokens) return;
    int n_blocks = (a->n + ws->block_tokens - 1) / ws->block_tokens;
    int nt = pool ? lf_threadpool_size(pool) : 1;
    /* per-thread scratch exists for ws->n_threads threads: a larger pool is not used */
    if (nt > ws->n_threads) pool = NULL, nt = 1;
    attn_job job = {.a = a, .ws = ws, .kern = lf_attn_kernels_current(), .n_blocks = n_blocks,
                    .scale = 1.0f / sqrtf((float)ws->hd)};
    job.splits = plan_splits(ws, a, n_blocks, nt);
    run_tasks(pool, n_blocks * ws->n_kv_heads * job.splits, attention_task, &job);
    if (job.splits == 1) return;
    int rows = a->n * a->n_heads;
    job.merge_rows = (rows + 4 * nt - 1) / (4 * nt); /* each row is merged alone: any split gives the same bits */
    run_tasks(pool, (rows + job.merge_rows - 1) / job.merge_rows, merge_task, &job);
}

/* Parts run together: part p's tasks are [first[p], first[p + 1]). */
#define PARTS_PER_RUN 64
typedef struct parts_job {
    attn_job jobs[PARTS_PER_RUN];
    int first[PARTS_PER_RUN + 1];
} parts_job;

static void parts_task(void *arg, int i, int thread_index) {
    const parts_job *pj = arg;
    int p = 0;
    while (i >= pj->first[p + 1]) p++;
    attention_task((void *)&pj->jobs[p], i - pj->first[p], thread_index);
}

/* before's tasks alone, on the pool when there is one. */
static void run_before(lf_threadpool *pool, const lf_pool_part *before) {
    if (before) run_tasks(pool, before->n_tasks, before->fn, before->arg);
}

void lf_attention_parts(lf_threadpool *pool, lf_attention_ws *ws, const lf_attention_args *parts, int n_parts,
                        const lf_pool_part *before) {
    lf_threadpool *given = pool;
    int nt = pool ? lf_threadpool_size(pool) : 1;
    if (nt > ws->n_threads) pool = NULL, nt = 1;
    for (int p0 = 0; p0 < n_parts; p0 += PARTS_PER_RUN) {
        int n = n_parts - p0 < PARTS_PER_RUN ? n_parts - p0 : PARTS_PER_RUN;
        parts_job pj;
        pj.first[0] = 0;
        for (int p = 0; p < n; p++) {
            const lf_attention_args *a = &parts[p0 + p];
            int n_blocks = a->n < 1 || a->n > ws->max_tokens ? 0 : (a->n + ws->block_tokens - 1) / ws->block_tokens;
            pj.jobs[p] = (attn_job){.a = a, .ws = ws, .kern = lf_attn_kernels_current(), .n_blocks = n_blocks,
                                    .splits = 1, .scale = 1.0f / sqrtf((float)ws->hd)};
            pj.first[p + 1] = pj.first[p] + n_blocks * ws->n_kv_heads;
        }
        /* too few (token block, KV head) tasks for the threads: each part alone, its
         * positions split */
        if (n == 1 || pj.first[n] < 2 * nt) {
            if (p0 == 0) run_before(given, before);
            for (int p = 0; p < n; p++) lf_attention(pool, ws, &parts[p0 + p]);
            continue;
        }
        if (p0 == 0 && before && pool)
            lf_threadpool_run2(pool, before->n_tasks, before->fn, before->arg, pj.first[n], parts_task, &pj);
        else {
            if (p0 == 0) run_before(given, before);
            run_tasks(pool, pj.first[n], parts_task, &pj);
        }
    }
    if (n_parts < 1) run_before(given, before);
}
