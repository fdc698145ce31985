/* The blocking loop shared by the float-weight prompt GEMMs (gemm_avx2_float.c,
 * gemm_avx512_float.c: f32 FMA; gemm_avx512_bf16.c: bf16 dot products): for every K chunk
 * of kc columns and every tile of tile_rows weight rows, the tile is converted once (to
 * f32, or copied as bf16) and met by the whole batch, tile_acts activations per
 * micro-kernel call. A kernel that multiplies in another type than f32 converts the
 * batch's activations of the K chunk once (convert_acts) before the tiles meet them.
 * Each SIMD level supplies the conversions and the micro-kernel. */
#ifndef LF_KERNELS_GEMM_FLOAT_INTERNAL_H
#define LF_KERNELS_GEMM_FLOAT_INTERNAL_H

#include "kernels/kernels_internal.h"

#include <stdlib.h>

typedef struct gemm_float_kernels {
    /* columns [c0, c0 + kc) of rows [r, r + nr) in the micro-kernel's layout (kc_max
     * columns of tile_rows rows), zero-padded as it needs; rows past nr are zero */
    void (*convert_tile)(lf_type type, const char *w, size_t row_bytes, int64_t r, int nr, int64_t c0, int64_t kc,
                         void *tile);
    /* NULL: the micro-kernel reads the f32 activations in place. Else columns [c0, c0 + kc)
     * of n activations (stride bytes apart) converted or packed: activation b's group of
     * tile_acts starts at buf + b * kc_max * elem_bytes (the layout inside is the kernel's);
     * the last group is padded */
    void (*convert_acts)(const char *x, size_t stride, int n, int64_t c0, int64_t kc, void *buf);
    /* y[a * y_stride + j] = (or, with add, +=) tile row j . activation a over kc columns, for
     * j < nr, a < n_acts; x[a] as the driver passes them (the group's start for packed ones) */
    void (*tile_kernel)(const void *tile, const void *const *x, int64_t kc, int nr, int n_acts, bool add, float *y,
                        size_t y_stride);
    int tile_rows, tile_acts; /* tile_acts at most GEMM_FLOAT_MAX_ACTS */
    int kc_max;               /* columns per K chunk */
    int elem_bytes;           /* of the tile and the converted activations */
    int col_multiple;         /* n_cols must be a multiple of this */
} gemm_float_kernels;

enum { GEMM_FLOAT_MAX_ACTS = 16 };

/* A dot-form micro-kernel's results out[a * tile_rows + j] to y (tile_kernel's contract). */
static inline void gemm_float_store(const float *out, int tile_rows, int nr, int n_acts, bool add, float *y,
                                    size_t y_stride) {
    for (int a = 0; a < n_acts; a++) {
        float *d = y + (size_t)a * y_stride;
        for (int j = 0; j < nr; j++) d[j] = (add ? d[j] : 0.0f) + out[a * tile_rows + j];
    }
}

/* Prefetches (into L2) line i of the tile at rows [r, ...), columns from c0 (row_lines
 * lines per row): the next tile's weights arrive while the batch meets this one, a few
 * lines per micro-kernel call; read all at once, its rows (each a page apart) would each
 * wait for memory. */
static inline void gemm_float_prefetch_line(const char *w, size_t row_bytes, int64_t r, int64_t c0, size_t elem,
                                            size_t row_lines, size_t i) {
    __builtin_prefetch(w + (size_t)(r + (int64_t)(i / row_lines)) * row_bytes + (size_t)c0 * elem + i % row_lines * 64,
                       0, 2);
}

static inline bool gemm_float_run(const gemm_float_kernels *k, lf_type type, const void *w, size_t row_bytes,
                                  int64_t n_cols, int64_t r0, int64_t r1, const void *xq, const void *xr,
                                  size_t stride, int n_batch, float *y, size_t y_stride) {
    if (xr || n_cols % k->col_multiple != 0) return false; /* float activations have no residual */
    size_t chunk = (size_t)k->kc_max * (size_t)k->elem_bytes; /* bytes of one activation's K chunk */
    size_t groups = ((size_t)n_batch + (size_t)k->tile_acts - 1) / (size_t)k->tile_acts;
    char *tile = aligned_alloc(64, (size_t)k->tile_rows * chunk);
    char *acts = k->convert_acts ? aligned_alloc(64, groups * (size_t)k->tile_acts * chunk) : NULL;
    if (!tile || (k->convert_acts && !acts)) {
        free(tile);
        free(acts);
        return false;
    }
    for (int64_t c0 = 0; c0 < n_cols; c0 += k->kc_max) {
        int64_t kc = n_cols - c0 < k->kc_max ? n_cols - c0 : k->kc_max;
        if (acts) k->convert_acts(xq, stride, n_batch, c0, kc, acts);
        for (int64_t r = r0; r < r1; r += k->tile_rows) {
            int nr = r1 - r < k->tile_rows ? (int)(r1 - r) : k->tile_rows;
            k->convert_tile(type, w, row_bytes, r, nr, c0, kc, tile);
            int64_t next_rows = r1 - (r + nr) < k->tile_rows ? r1 - (r + nr) : k->tile_rows; /* 0 after the last */
            size_t elem = (size_t)lf_type_get(type)->block_bytes, row_lines = ((size_t)kc * elem + 63) / 64;
            size_t lines = row_lines * (size_t)next_rows;
            size_t per_call = (lines * (size_t)k->tile_acts + (size_t)n_batch - 1) / (size_t)n_batch, next = 0;
            for (int b = 0; b < n_batch; b += k->tile_acts) {
                for (size_t end = next + per_call; next < end && next < lines; next++)
                    gemm_float_prefetch_line(w, row_bytes, r + k->tile_rows, c0, elem, row_lines, next);
                const void *x[GEMM_FLOAT_MAX_ACTS];
                for (int a = 0; a < k->tile_acts; a++) { /* past the batch: repeat the first (result dropped) */
                    int src = b + a < n_batch ? b + a : b;
                    x[a] = acts ? (const void *)(acts + (size_t)src * chunk)
                                : (const void *)((const float *)((const char *)xq + (size_t)src * stride) + c0);
                }
                int n_acts = n_batch - b < k->tile_acts ? n_batch - b : k->tile_acts;
                k->tile_kernel(tile, x, kc, nr, n_acts, c0 > 0, y + (size_t)b * y_stride + r, y_stride);
            }
        }
    }
    free(tile);
    free(acts);
    return true;
}

#endif
