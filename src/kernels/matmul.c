/* Matrix-vector / matrix-matrix products over a range of weight rows, and the float
 * helpers, routed to the current SIMD level's kernels: decode kernels for one activation,
 * the level's GEMM for batches where it has one, else per-row kernels over row tiles. */
#include "kernels/kernels_internal.h"

/* Rows per tile: a tile of weight rows stays in L1/L2 while it meets every activation
 * of the batch, so a batch of n costs one pass over the weights, not n. */
enum { ROWS_PER_TILE = 4 };

void lf_matmul_rows(lf_type type, const void *w, size_t w_row_bytes, int64_t n_cols,
                    int64_t r0, int64_t r1, const void *xq, size_t xq_stride, int n_batch,
                    float *y, size_t y_stride) {
    const lf_kernel_table *k = lf_kernels_table();
    lf_dot_fn dot = k->dot[type];
    lf_dot_x4_fn dot_x4 = k->dot_x4[type];
    const char *wb = w, *xb = xq;
    if (n_batch == 1 && k->decode[type] && k->decode[type](w, w_row_bytes, n_cols, r0, r1, xq, y)) return;
    if (n_batch == 1 && k->dot_rows[type]) { /* decode: row groups share the activation */
        lf_dot_rows_fn dot_rows = k->dot_rows[type];
        int64_t r = r0;
        for (; r + LF_ROW_GROUP <= r1; r += LF_ROW_GROUP)
            dot_rows(wb + (size_t)r * w_row_bytes, w_row_bytes, xq, n_cols, y + r);
        for (; r < r1; r++) y[r] = dot(wb + (size_t)r * w_row_bytes, xq, n_cols);
        return;
    }
    lf_gemm_fn gemm = n_batch > 1 ? k->gemm[type] : NULL; /* one activation: the decode kernels */
    if (gemm && gemm(w, w_row_bytes, n_cols, r0, r1, xq, NULL, xq_stride, n_batch, y, y_stride)) return;
    for (int64_t t0 = r0; t0 < r1; t0 += ROWS_PER_TILE) {
        int64_t t1 = t0 + ROWS_PER_TILE < r1 ? t0 + ROWS_PER_TILE : r1;
        int b = 0;
        if (dot_x4) {
            for (; b + 4 <= n_batch; b += 4) {
                const void *x = xb + (size_t)b * xq_stride;
                for (int64_t r = t0; r < t1; r++) {
                    float out[4];
                    dot_x4(wb + (size_t)r * w_row_bytes, x, xq_stride, n_cols, out);
                    for (int j = 0; j < 4; j++) y[(size_t)(b + j) * y_stride + (size_t)r] = out[j];
                }
            }
        }
        for (; b < n_batch; b++) {
            const void *x = xb + (size_t)b * xq_stride;
            float *yb = y + (size_t)b * y_stride;
            for (int64_t r = t0; r < t1; r++) yb[r] = dot(wb + (size_t)r * w_row_bytes, x, n_cols);
        }
    }
}

float lf_dot_f32(const float *a, const float *b, int64_t n) { return lf_kernels_table()->dot_f32(a, b, n); }

void lf_axpy_f32(float *y, float a, const float *x, int64_t n) { lf_kernels_table()->axpy_f32(y, a, x, n); }
