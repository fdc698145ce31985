/* The blocking loop shared by the float-weight prompt GEMMs (gemm_avx2_float.c,
 * gemm_avx512_float.c: f32 FMA; gemm_avx512_bf16.c: bf16 dot products): for every span of
 * act_chunks K chunks of kc columns, every tile of tile_rows weight rows and every chunk
 * of the span, the tile's chunk is converted once (to f32, or copied as bf16) and met by
 * the whole batch, tile_acts activations per micro-kernel call. A kernel that multiplies
 * in another type or layout than the f32 rows converts the batch's activations of the
 * span once (convert_acts) before the tiles meet them. Each SIMD level supplies the
 * conversions and the micro-kernel. */
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
    int act_chunks;           /* K chunks of activations packed at a time (gemm_float_run) */
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

/* The next tile's weights, fetched into L2 a few lines per micro-kernel call while the
 * batch meets this tile; read all at once, its rows (each a page apart) would each wait
 * for memory. */
typedef struct gemm_float_prefetch {
    const char *row; /* the next tile's row being fetched, at the tile's first column */
    size_t row_bytes, row_lines, line, rows_left;
} gemm_float_prefetch;

static inline void gemm_float_prefetch_lines(gemm_float_prefetch *p, size_t n) {
    for (; n > 0 && p->rows_left > 0; n--) {
        __builtin_prefetch(p->row + p->line * 64, 0, 2);
        if (++p->line == p->row_lines) p->line = 0, p->row += p->row_bytes, p->rows_left--;
    }
}

/* Activation chunks are packed act_chunks K chunks at a time (when the kernel packs them)
 * and every row tile meets those chunks in turn: the tile's rows, each on its own page,
 * are walked once per act_chunks chunks instead of once per chunk (a TLB miss per row and
 * visit, a costly walk in a virtual machine), while the packed activations still stay in
 * L2. */
static inline bool gemm_float_run(const gemm_float_kernels *k, lf_type type, const void *w, size_t row_bytes,
                                  int64_t n_cols, int64_t r0, int64_t r1, const void *xq, const void *xr,
                                  size_t stride, int n_batch, float *y, size_t y_stride) {
    if (xr || n_cols % k->col_multiple != 0) return false; /* float activations have no residual */
    size_t chunk = (size_t)k->kc_max * (size_t)k->elem_bytes; /* bytes of one activation's K chunk */
    size_t groups = ((size_t)n_batch + (size_t)k->tile_acts - 1) / (size_t)k->tile_acts;
    size_t act_chunk_bytes = groups * (size_t)k->tile_acts * chunk; /* the batch's packed K chunk */
    int64_t span = (int64_t)k->kc_max * k->act_chunks;               /* columns packed at a time */
    char *tile = aligned_alloc(64, (size_t)k->tile_rows * chunk);
    char *acts = k->convert_acts ? aligned_alloc(64, act_chunk_bytes * (size_t)k->act_chunks) : NULL;
    if (!tile || (k->convert_acts && !acts)) {
        free(tile);
        free(acts);
        return false;
    }
    size_t elem = (size_t)lf_type_get(type)->block_bytes;
    for (int64_t s0 = 0; s0 < n_cols; s0 += span) {
        int64_t s1 = n_cols - s0 < span ? n_cols : s0 + span;
        if (acts)
            for (int64_t c0 = s0; c0 < s1; c0 += k->kc_max)
                k->convert_acts(xq, stride, n_batch, c0, s1 - c0 < k->kc_max ? s1 - c0 : k->kc_max,
                                acts + (size_t)((c0 - s0) / k->kc_max) * act_chunk_bytes);
        for (int64_t r = r0; r < r1; r += k->tile_rows) {
            int nr = r1 - r < k->tile_rows ? (int)(r1 - r) : k->tile_rows;
            for (int64_t c0 = s0; c0 < s1; c0 += k->kc_max) {
                int64_t kc = s1 - c0 < k->kc_max ? s1 - c0 : k->kc_max;
                k->convert_tile(type, w, row_bytes, r, nr, c0, kc, tile);
                /* the next tile: these rows' next chunk, else the next rows' first chunk */
                int64_t nc0 = c0 + kc < s1 ? c0 + kc : s0, nrow = c0 + kc < s1 ? r : r + nr;
                int64_t nkc = s1 - nc0 < k->kc_max ? s1 - nc0 : k->kc_max;
                int64_t next_rows = r1 - nrow < k->tile_rows ? r1 - nrow : k->tile_rows; /* <= 0 after the last */
                gemm_float_prefetch pf = {(const char *)w + (size_t)nrow * row_bytes + (size_t)nc0 * elem, row_bytes,
                                          ((size_t)nkc * elem + 63) / 64, 0, next_rows > 0 ? (size_t)next_rows : 0};
                size_t per_call = (pf.row_lines * pf.rows_left * (size_t)k->tile_acts + (size_t)n_batch - 1) /
                                  (size_t)n_batch;
                const char *packed = acts ? acts + (size_t)((c0 - s0) / k->kc_max) * act_chunk_bytes : NULL;
                for (int b = 0; b < n_batch; b += k->tile_acts) {
                    gemm_float_prefetch_lines(&pf, per_call);
                    const void *x[GEMM_FLOAT_MAX_ACTS];
                    for (int a = 0; a < k->tile_acts; a++) { /* past the batch: repeat the first (result dropped) */
                        int src = b + a < n_batch ? b + a : b;
                        x[a] = packed ? (const void *)(packed + (size_t)src * chunk)
                                      : (const void *)((const float *)((const char *)xq + (size_t)src * stride) + c0);
                    }
                    int n_acts = n_batch - b < k->tile_acts ? n_batch - b : k->tile_acts;
                    k->tile_kernel(tile, x, kc, nr, n_acts, c0 > 0, y + (size_t)b * y_stride + r, y_stride);
                }
            }
        }
    }
    free(tile);
    free(acts);
    return true;
}

#endif
