/* The blocking loop shared by the float-weight prompt GEMMs (gemm_avx2_float.c,
 * gemm_avx512_float.c): for every K chunk of KC columns and every tile of four weight
 * rows, the tile is converted to f32 once and met by the whole batch, tile_acts
 * activations per micro-kernel call. Each SIMD level supplies the conversion and the
 * micro-kernel. */
#ifndef LF_KERNELS_GEMM_FLOAT_INTERNAL_H
#define LF_KERNELS_GEMM_FLOAT_INTERNAL_H

#include "kernels/kernels_internal.h"

#include <stdlib.h>

enum { GEMM_FLOAT_ROWS = 4, GEMM_FLOAT_KC = 512, GEMM_FLOAT_MAX_ACTS = 4 };

typedef struct gemm_float_kernels {
    /* columns [c0, c0 + kc) of rows [r, r + nr) as f32 at tile + j * GEMM_FLOAT_KC */
    void (*convert_tile)(lf_type type, const char *w, size_t row_bytes, int64_t r, int nr, int64_t c0, int64_t kc,
                         float *tile);
    /* out[a * GEMM_FLOAT_ROWS + j] = tile row j . x[a] over kc columns */
    void (*tile_kernel)(const float *tile, const float *const *x, int64_t kc, float *out);
    int tile_acts;   /* activations per micro-kernel call */
    int col_multiple; /* n_cols must be a multiple of this */
} gemm_float_kernels;

static inline bool gemm_float_run(const gemm_float_kernels *k, lf_type type, const void *w, size_t row_bytes,
                                  int64_t n_cols, int64_t r0, int64_t r1, const void *xq, const void *xr,
                                  size_t stride, int n_batch, float *y, size_t y_stride) {
    if (xr || n_cols % k->col_multiple != 0) return false; /* float activations have no residual */
    float *tile = aligned_alloc(64, GEMM_FLOAT_ROWS * GEMM_FLOAT_KC * sizeof(float));
    if (!tile) return false;
    for (int64_t c0 = 0; c0 < n_cols; c0 += GEMM_FLOAT_KC) {
        int64_t kc = n_cols - c0 < GEMM_FLOAT_KC ? n_cols - c0 : GEMM_FLOAT_KC;
        for (int64_t r = r0; r < r1; r += GEMM_FLOAT_ROWS) {
            int nr = r1 - r < GEMM_FLOAT_ROWS ? (int)(r1 - r) : GEMM_FLOAT_ROWS;
            k->convert_tile(type, w, row_bytes, r, nr, c0, kc, tile);
            for (int b = 0; b < n_batch; b += k->tile_acts) {
                const float *x[GEMM_FLOAT_MAX_ACTS];
                for (int a = 0; a < k->tile_acts; a++) /* past the batch: repeat the first (result dropped) */
                    x[a] = (const float *)((const char *)xq + (size_t)(b + a < n_batch ? b + a : b) * stride) + c0;
                float out[GEMM_FLOAT_MAX_ACTS * GEMM_FLOAT_ROWS];
                k->tile_kernel(tile, x, kc, out);
                for (int a = 0; a < k->tile_acts && b + a < n_batch; a++) {
                    float *dst = y + (size_t)(b + a) * y_stride + r;
                    const float *o = out + a * GEMM_FLOAT_ROWS;
                    for (int j = 0; j < nr; j++) dst[j] = c0 > 0 ? dst[j] + o[j] : o[j];
                }
            }
        }
    }
    free(tile);
    return true;
}

#endif
