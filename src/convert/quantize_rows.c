#include "convert/quantize_rows.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "convert/quant_types.h"
#include "core/error.h"

struct quantize_rows_scratch {
    int n_threads;
    unsigned char **src;
    float **f32;
};

quantize_rows_scratch *quantize_rows_scratch_new(int n_threads, int64_t max_cols, size_t max_row_bytes) {
    quantize_rows_scratch *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->n_threads = n_threads;
    s->src = calloc((size_t)n_threads, sizeof *s->src);
    s->f32 = calloc((size_t)n_threads, sizeof *s->f32);
    bool ok = s->src && s->f32;
    for (int t = 0; ok && t < n_threads; t++) {
        s->src[t] = malloc(max_row_bytes ? max_row_bytes : 1);
        s->f32[t] = malloc((size_t)(max_cols > 0 ? max_cols : 1) * sizeof(float));
        ok = s->src[t] && s->f32[t];
    }
    if (!ok) {
        quantize_rows_scratch_free(s);
        return NULL;
    }
    return s;
}

void quantize_rows_scratch_free(quantize_rows_scratch *s) {
    if (!s) return;
    for (int t = 0; t < s->n_threads; t++) {
        if (s->src) free(s->src[t]);
        if (s->f32) free(s->f32[t]);
    }
    free(s->src);
    free(s->f32);
    free(s);
}

typedef enum bad_kind { BAD_NONE, BAD_NONFINITE, BAD_OVERFLOW } bad_kind;

typedef struct job {
    const lf_model *m;
    int index;
    lf_type from, to;
    const float *importance; /* ne[0] values per expert, or NULL */
    int64_t cols, rows_per_expert, row0, n, rows_per_task;
    size_t to_row_bytes;
    unsigned char *out;
    quantize_rows_scratch *s;
    atomic_llong bad; /* the first refused row * 4 + its bad_kind (INT64_MAX: none) */
} job;

static bool all_finite(const float *x, int64_t n) {
    for (int64_t k = 0; k < n; k++)
        if (!isfinite(x[k])) return false;
    return true;
}

/* The largest magnitude of x, or inf when a value is not finite. */
static float max_abs(const float *x, int64_t n) {
    float m = 0;
    for (int64_t k = 0; k < n; k++) {
        if (!isfinite(x[k])) return INFINITY;
        m = fabsf(x[k]) > m ? fabsf(x[k]) : m;
    }
    return m;
}

/* Below this no block type can overflow: F16 holds 65504, and every block scale or
 * minimum is a fraction of the block's range (Q8_0 amax/127, Q4_1 (max-min)/15, the
 * K-quants' super-block scales over sub-block scales, ...). */
#define NO_OVERFLOW_BELOW 60000.0f

static void note_bad(job *j, int64_t row, bad_kind kind) {
    long long code = (long long)row * 4 + kind, seen = atomic_load(&j->bad);
    while (code < seen && !atomic_compare_exchange_weak(&j->bad, &seen, code)) {}
}

static bad_kind convert_row(job *j, int64_t row, unsigned char *dst, int thread) {
    unsigned char *src = j->s->src[thread];
    float *f = j->s->f32[thread];
    lf_model_tensor_read_rows(j->m, j->index, row, 1, src);
    if (j->from == j->to) {
        memcpy(dst, src, j->to_row_bytes);
        if (!quant_type_is_float(j->from)) return BAD_NONE;
        lf_dequantize_row(j->from, src, f, j->cols);
        return all_finite(f, j->cols) ? BAD_NONE : BAD_NONFINITE;
    }
    lf_dequantize_row(j->from, src, f, j->cols);
    float amax = max_abs(f, j->cols);
    const float *imp = j->importance ? j->importance + row / j->rows_per_expert * j->cols : NULL;
    if (isinf(amax) || !lf_quantize_row_weighted(j->to, f, j->cols, imp, dst)) return BAD_NONFINITE;
    if (j->to == LF_TYPE_F32 || amax < NO_OVERFLOW_BELOW) return BAD_NONE;
    /* an fp16 scale (or an F16 value) that overflowed decodes to inf or nan */
    lf_dequantize_row(j->to, dst, f, j->cols);
    return all_finite(f, j->cols) ? BAD_NONE : BAD_OVERFLOW;
}

static void run_task(void *arg, int task, int thread) {
    job *j = arg;
    int64_t first = (int64_t)task * j->rows_per_task;
    int64_t last = first + j->rows_per_task < j->n ? first + j->rows_per_task : j->n;
    for (int64_t r = first; r < last; r++) {
        bad_kind k = convert_row(j, j->row0 + r, j->out + (size_t)r * j->to_row_bytes, thread);
        if (k != BAD_NONE) {
            note_bad(j, j->row0 + r, k);
            return;
        }
    }
}

int quantize_rows(const lf_model *m, int i, lf_type to, const float *importance, int64_t row0, int64_t n, void *out,
                  lf_threadpool *pool, quantize_rows_scratch *s, lf_error *err) {
    const lf_tensor_view *v = &m->tensors[i];
    uint64_t to_row_bytes = 0;
    lf_type_row_bytes(to, (uint64_t)v->ne[0], &to_row_bytes);
    job j = {.m = m, .index = i, .from = (lf_type)v->type, .to = to, .importance = importance, .cols = v->ne[0],
             .rows_per_expert = v->ne[1] > 0 ? v->ne[1] : 1, .row0 = row0, .n = n,
             .to_row_bytes = (size_t)to_row_bytes, .out = out, .s = s};
    atomic_init(&j.bad, INT64_MAX);
    int threads = lf_threadpool_size(pool);
    /* many small tasks per thread, so a thread slowed by another process does not hold
     * the rest up at the end of the slab */
    j.rows_per_task = (n + 16 * threads - 1) / (16 * threads);
    if (j.rows_per_task < 1) j.rows_per_task = 1;
    lf_threadpool_run(pool, (int)((n + j.rows_per_task - 1) / j.rows_per_task), run_task, &j);
    long long code = atomic_load(&j.bad), bad = code / 4;
    if (code == INT64_MAX) return LF_OK;
    if (code % 4 == BAD_OVERFLOW)
        return lf_fail(err, LF_ERR_FORMAT,
                       "%s: row %lld has values too large for %s (a block scale overflows fp16); refusing to "
                       "write infinities", v->name, bad, lf_type_get(to)->name);
    return lf_fail(err, LF_ERR_FORMAT, "%s: row %lld holds a non-finite value (inf or nan)", v->name, bad);
}
