/* Matrix-vector / matrix-matrix products over a range of weight rows, and the float
 * helpers, routed to the current kernel set's table: its gemv for one activation (or
 * each of a batch below the type's gemm_min_batch), its gemm for a batch, or
 * gemm_precise for a batch of the precise product (with the residual, or float weights'
 * activations unrounded). */
#include "kernels/kernels_internal.h"

enum { GEMV_BLOCK_ROWS = 64 };

static void matmul(lf_type type, const void *w, size_t w_row_bytes, int64_t n_cols, int64_t r0, int64_t r1,
                   const void *xq, const void *xr, bool precise, size_t xq_stride, int n_batch, float *y,
                   size_t y_stride) {
    const lf_kernel_table *t = lf_kernels_table();
    if (n_batch == 1)
        t->gemv[type](type, w, w_row_bytes, n_cols, r0, r1, xq, xr, y);
    else if (n_batch < t->gemm_min_batch[type])
        for (int64_t q = r0; q < r1; q += GEMV_BLOCK_ROWS)
            for (int b = 0; b < n_batch; b++) {
                size_t off = (size_t)b * xq_stride;
                t->gemv[type](type, w, w_row_bytes, n_cols, q, q + GEMV_BLOCK_ROWS < r1 ? q + GEMV_BLOCK_ROWS : r1,
                              (const char *)xq + off, xr ? (const char *)xr + off : NULL, y + (size_t)b * y_stride);
            }
    else
        (precise ? t->gemm_precise : t->gemm)[type](type, w, w_row_bytes, n_cols, r0, r1, xq, xr, xq_stride, n_batch,
                                                    y, y_stride);
}

void lf_matmul_rows(lf_type type, const void *w, size_t w_row_bytes, int64_t n_cols, int64_t r0, int64_t r1,
                    const void *xq, size_t xq_stride, int n_batch, float *y, size_t y_stride) {
    matmul(type, w, w_row_bytes, n_cols, r0, r1, xq, NULL, false, xq_stride, n_batch, y, y_stride);
}

void lf_matmul_rows_residual(lf_type type, const void *w, size_t w_row_bytes, int64_t n_cols, int64_t r0,
                             int64_t r1, const void *xq, const void *xr, size_t xq_stride, int n_batch, float *y,
                             size_t y_stride) {
    matmul(type, w, w_row_bytes, n_cols, r0, r1, xq, xr, true, xq_stride, n_batch, y, y_stride);
}

size_t lf_repacked_bytes(lf_type type, int64_t rows, int64_t cols) {
    if ((unsigned)type >= LF_TYPE_COUNT || rows <= 0 || cols <= 0 || rows % 16 || cols % 32) return 0;
    const lf_kernel_table *t = lf_kernels_table();
    if (!t->repack[type] || !t->gemm_repacked[type]) return 0;
    return (size_t)(rows / 16) * (size_t)(cols / 32) * t->repacked_block_bytes[type];
}

void lf_repack_rows(lf_type type, const void *w, size_t w_row_bytes, int64_t rows, int64_t cols, void *out) {
    lf_kernels_table()->repack[type](type, w, w_row_bytes, rows, cols, out);
}

size_t lf_repacked_acts_bytes(int64_t n_cols, int n_batch, bool resid) {
    const lf_kernel_table *t = lf_kernels_table();
    return t->repacked_acts_bytes ? t->repacked_acts_bytes(n_cols, n_batch, resid) : 0;
}

void lf_repacked_pack_row(lf_type type, int64_t n_cols, int n_batch, bool resid, int b, const void *xq_row,
                          const void *xr_row, void *packed) {
    lf_kernels_table()->repacked_pack_row(type, n_cols, n_batch, resid, b, xq_row, xr_row, packed);
}

bool lf_matmul_repacked(lf_type type, const void *wr, int64_t n_cols, int64_t r0, int64_t r1, const void *packed,
                        int n_batch, bool resid, float *y, size_t y_stride) {
    const lf_kernel_table *t = lf_kernels_table();
    if (!t->gemm_repacked[type] || r0 % 16 || r1 % 16) return false;
    return t->gemm_repacked[type](type, wr, n_cols, r0, r1, packed, n_batch, resid, y, y_stride);
}

float lf_dot_f32(const float *a, const float *b, int64_t n) { return lf_kernels_table()->dot_f32(a, b, n); }

void lf_axpy_f32(float *y, float a, const float *x, int64_t n) { lf_kernels_table()->axpy_f32(y, a, x, n); }
