/* The activation + residual product y = W·xq + W·xr over a range of weight rows, routed
 * to the current SIMD level's fused kernels (dot2, dot2_x4): each weight block is loaded
 * and unpacked once for both activation vectors. Tiled like lf_matmul_rows. */
#include "kernels/kernels_internal.h"

enum { ROWS_PER_TILE = 4 };

void lf_matmul_rows_residual(lf_type type, const void *w, size_t w_row_bytes, int64_t n_cols, int64_t r0,
                             int64_t r1, const void *xq, const void *xr, size_t xq_stride, int n_batch, float *y,
                             size_t y_stride) {
    const lf_kernel_table *k = lf_kernels_table();
    lf_dot_fn dot = k->dot[type];
    lf_dot2_fn dot2 = k->dot2[type];
    lf_dot2_x4_fn dot2_x4 = dot2 ? k->dot2_x4[type] : NULL;
    const char *wb = w, *qb = xq, *rb = xr;
    if (n_batch == 1 && k->decode2[type] && k->decode2[type](w, w_row_bytes, n_cols, r0, r1, xq, xr, y)) return;
    if (n_batch == 1 && k->dot2_rows[type]) { /* decode: row groups share the activations */
        lf_dot2_rows_fn dot2_rows = k->dot2_rows[type];
        int64_t r = r0;
        for (; r + LF_ROW_GROUP <= r1; r += LF_ROW_GROUP)
            dot2_rows(wb + (size_t)r * w_row_bytes, w_row_bytes, xq, xr, n_cols, y + r);
        for (; r < r1; r++) {
            const void *row = wb + (size_t)r * w_row_bytes;
            y[r] = dot2 ? dot2(row, xq, xr, n_cols) : dot(row, xq, n_cols) + dot(row, xr, n_cols);
        }
        return;
    }
    lf_gemm_fn gemm = n_batch > 1 ? k->gemm[type] : NULL; /* one activation: the decode kernels */
    if (gemm && gemm(w, w_row_bytes, n_cols, r0, r1, xq, xr, xq_stride, n_batch, y, y_stride)) return;
    for (int64_t t0 = r0; t0 < r1; t0 += ROWS_PER_TILE) {
        int64_t t1 = t0 + ROWS_PER_TILE < r1 ? t0 + ROWS_PER_TILE : r1;
        int b = 0;
        if (dot2_x4) {
            for (; b + 4 <= n_batch; b += 4) {
                size_t off = (size_t)b * xq_stride;
                for (int64_t r = t0; r < t1; r++) {
                    float out[4];
                    dot2_x4(wb + (size_t)r * w_row_bytes, qb + off, rb + off, xq_stride, n_cols, out);
                    for (int j = 0; j < 4; j++) y[(size_t)(b + j) * y_stride + (size_t)r] = out[j];
                }
            }
        }
        for (; b < n_batch; b++) {
            const void *q = qb + (size_t)b * xq_stride, *res = rb + (size_t)b * xq_stride;
            float *yb = y + (size_t)b * y_stride;
            for (int64_t r = t0; r < t1; r++) {
                const void *row = wb + (size_t)r * w_row_bytes;
                yb[r] = dot2 ? dot2(row, q, res, n_cols) : dot(row, q, n_cols) + dot(row, res, n_cols);
            }
        }
    }
}
