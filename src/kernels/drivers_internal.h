/* The generic drivers every kernel set's gemv and gemm entries are built from, and the
 * micro-kernels they drive. A set provides, per weight type, an lf_micro_kernels of the
 * block-unpack micro-kernels it has (all optional); a driver runs what is there and
 * covers the rest with the table's one-row dot, so a fallback is never per-type code:
 *   lf_gemv_run   one activation: a whole-range decode kernel, else row groups
 *   lf_batch_run  a batch: tiles of rows against groups of four activations
 *   gemm_int8_run, gemm_float_run (gemm_*_internal.h): cache-blocked GEMMs, wired in
 *                 with LF_GEMM_ENTRY, which falls back to lf_batch_run. */
#ifndef LF_KERNELS_DRIVERS_INTERNAL_H
#define LF_KERNELS_DRIVERS_INTERNAL_H

#include "kernels/kernels_internal.h"

/* One weight row against an activation xq and its rounding residual xr (same layout):
 * dot(w, xq) + dot(w, xr), with each weight block unpacked once for both. */
typedef float (*lf_dot2_fn)(const void *w, const void *xq, const void *xr, int64_t n);

/* One weight row against four activations (xq_stride bytes apart): the row is unpacked
 * once per block and reused. */
typedef void (*lf_dot_x4_fn)(const void *w, const void *xq, size_t xq_stride, int64_t n, float out[4]);
/* The same with four residuals, at the same offsets from xr as the activations from xq. */
typedef void (*lf_dot2_x4_fn)(const void *w, const void *xq, const void *xr, size_t xq_stride, int64_t n,
                              float out[4]);

/* LF_ROW_GROUP weight rows, row_bytes apart, against one activation (and its residual):
 * the activation block is loaded once for all rows, whose accumulators form independent
 * chains. out[r] is row r's product. */
enum { LF_ROW_GROUP = 4 };
typedef void (*lf_dot_rows_fn)(const void *w, size_t row_bytes, const void *xq, int64_t n, float out[LF_ROW_GROUP]);
typedef void (*lf_dot2_rows_fn)(const void *w, size_t row_bytes, const void *xq, const void *xr, int64_t n,
                                float out[LF_ROW_GROUP]);

/* A whole row range [r0, r1) against xq (and xr), for kernels that first expand the
 * activation once per call into the form every row group reuses. Returns false (having
 * written nothing) when it cannot run, e.g. without memory for the expansion. */
typedef bool (*lf_decode_fn)(const void *w, size_t row_bytes, int64_t n, int64_t r0, int64_t r1, const void *xq,
                             float *y);
typedef bool (*lf_decode2_fn)(const void *w, size_t row_bytes, int64_t n, int64_t r0, int64_t r1, const void *xq,
                              const void *xr, float *y);

/* The micro-kernels of one weight type in one set; NULL = not provided. */
typedef struct lf_micro_kernels {
    lf_dot2_fn dot2;         /* one row with residual; NULL: dot + dot */
    lf_decode_fn decode;     /* tried first for one activation */
    lf_decode2_fn decode2;
    lf_dot_rows_fn rows;     /* else row groups; NULL: one dot per row */
    lf_dot2_rows_fn rows2;
    lf_dot_x4_fn x4;         /* batches: four activations per call; NULL: one dot each */
    lf_dot2_x4_fn x4_2;
} lf_micro_kernels;

/* Rows per batch tile: a tile of weight rows stays in L1/L2 while it meets every
 * activation of the batch, so a batch of n costs one pass over the weights, not n. */
enum { LF_BATCH_TILE_ROWS = 4 };

static inline float lf_row_dot(const lf_micro_kernels *k, lf_dot_fn dot, const void *row, const void *xq,
                               const void *xr, int64_t n) {
    if (!xr) return dot(row, xq, n);
    return k->dot2 ? k->dot2(row, xq, xr, n) : dot(row, xq, n) + dot(row, xr, n);
}

static inline void lf_gemv_run(const lf_micro_kernels *k, lf_type type, const void *w, size_t rb, int64_t n,
                               int64_t r0, int64_t r1, const void *xq, const void *xr, float *y) {
    if (xr ? k->decode2 && k->decode2(w, rb, n, r0, r1, xq, xr, y) : k->decode && k->decode(w, rb, n, r0, r1, xq, y))
        return;
    lf_dot_fn dot = lf_kernels_table()->dot[type];
    const char *wb = w;
    int64_t r = r0;
    if (xr ? k->rows2 != NULL : k->rows != NULL)
        for (; r + LF_ROW_GROUP <= r1; r += LF_ROW_GROUP) {
            if (xr)
                k->rows2(wb + (size_t)r * rb, rb, xq, xr, n, y + r);
            else
                k->rows(wb + (size_t)r * rb, rb, xq, n, y + r);
        }
    for (; r < r1; r++) y[r] = lf_row_dot(k, dot, wb + (size_t)r * rb, xq, xr, n);
}

static inline void lf_batch_run(const lf_micro_kernels *k, lf_type type, const void *w, size_t rb, int64_t n,
                                int64_t r0, int64_t r1, const void *xq, const void *xr, size_t stride, int n_batch,
                                float *y, size_t y_stride) {
    lf_dot_fn dot = lf_kernels_table()->dot[type];
    bool x4 = xr ? k->x4_2 != NULL : k->x4 != NULL;
    const char *wb = w, *qb = xq, *rb_ = xr;
    for (int64_t t0 = r0; t0 < r1; t0 += LF_BATCH_TILE_ROWS) {
        int64_t t1 = t0 + LF_BATCH_TILE_ROWS < r1 ? t0 + LF_BATCH_TILE_ROWS : r1;
        int b = 0;
        for (; x4 && b + 4 <= n_batch; b += 4) {
            size_t off = (size_t)b * stride;
            for (int64_t r = t0; r < t1; r++) {
                float out[4];
                if (xr)
                    k->x4_2(wb + (size_t)r * rb, qb + off, rb_ + off, stride, n, out);
                else
                    k->x4(wb + (size_t)r * rb, qb + off, stride, n, out);
                for (int j = 0; j < 4; j++) y[(size_t)(b + j) * y_stride + (size_t)r] = out[j];
            }
        }
        for (; b < n_batch; b++) {
            size_t off = (size_t)b * stride;
            float *yb = y + (size_t)b * y_stride;
            for (int64_t r = t0; r < t1; r++)
                yb[r] = lf_row_dot(k, dot, wb + (size_t)r * rb, qb + off, xr ? rb_ + off : NULL, n);
        }
    }
}

/* Entries of a set's table: `name` runs a driver over the micro-kernels `micro` (and the
 * blocked GEMM's `kernels`, falling back to lf_batch_run when it cannot run). */
#define LF_GEMV_ENTRY(name, micro)                                                                            \
    static void name(lf_type type, const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq, \
                     const void *xr, float *y) {                                                             \
        lf_gemv_run(&(micro), type, w, rb, n, r0, r1, xq, xr, y);                                            \
    }
#define LF_BATCH_ENTRY(name, micro)                                                                           \
    static void name(lf_type type, const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq, \
                     const void *xr, size_t stride, int n_batch, float *y, size_t y_stride) {                \
        lf_batch_run(&(micro), type, w, rb, n, r0, r1, xq, xr, stride, n_batch, y, y_stride);                \
    }
#define LF_GEMM_ENTRY(name, driver, kernels, micro)                                                           \
    static void name(lf_type type, const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq, \
                     const void *xr, size_t stride, int n_batch, float *y, size_t y_stride) {                \
        if (!driver(&(kernels), type, w, rb, n, r0, r1, xq, xr, stride, n_batch, y, y_stride))               \
            lf_batch_run(&(micro), type, w, rb, n, r0, r1, xq, xr, stride, n_batch, y, y_stride);            \
    }

/* Every type's gemv and gemm to these (a set's generic entries; it then overrides the
 * types it has more for). */
enum { LF_GEMM_MIN_BATCH = 7 };
static inline void lf_table_set_drivers(lf_kernel_table *t, lf_gemv_fn gemv, lf_gemm_fn gemm) {
    for (int i = 0; i < LF_TYPE_COUNT; i++) {
        t->gemv[i] = gemv;
        t->gemm[i] = t->gemm_precise[i] = gemm;
        t->gemm_min_batch[i] = LF_GEMM_MIN_BATCH;
    }
}

#endif
