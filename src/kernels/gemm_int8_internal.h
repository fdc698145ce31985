/* The blocking loop shared by the int8 prompt GEMMs of the legacy and K-quant types
 * (gemm_avx2_legacy.c, gemm_avx512_legacy.c): the activations of the batch are packed
 * once per call into lane groups; then for every K chunk (as many blocks as keep the
 * chunk's lane groups within LANE_PANEL_BYTES of L2) and every tile of weight rows, the
 * tile is unpacked once and met by every lane group. Each SIMD level supplies the lane
 * and tile layouts and the micro-kernel. */
#ifndef LF_KERNELS_GEMM_INT8_INTERNAL_H
#define LF_KERNELS_GEMM_INT8_INTERNAL_H

#include "kernels/kernels_internal.h"

#include <stdlib.h>

/* Bytes of lane blocks one K chunk may take: they stay in L2 (1 MiB per core here)
 * beside the weight tile and the outputs. */
#ifndef LANE_PANEL_BYTES
#define LANE_PANEL_BYTES (768 * 1024)
#endif

typedef struct gemm_int8_kernels {
    size_t lane_block_bytes; /* one 32-element block of one lane group */
    size_t tile_bytes;
    int lanes;               /* lanes per group: activations, or half activations and half residuals */
    int tile_rows, max_kc;   /* weight rows per tile; most blocks a tile holds */
    /* lane group g of the batch, blocks 0 .. nb, into out */
    void (*pack_group)(lf_type type, const void *xq, const void *xr, size_t stride, int n_batch, int g, int64_t nb,
                       void *out);
    /* rows [r, r + nr) x blocks [b0, b0 + nb) of the weights into tile */
    void (*pack_tile)(lf_type type, const char *w, size_t row_bytes, int64_t r, int nr, int64_t b0, int64_t nb,
                      void *tile);
    /* the tile against kb blocks of lane group g (x), written (or with add, added) to y */
    void (*run_tile)(lf_type type, const void *tile, const void *x, int64_t kb, bool resid, int g, int n_batch, int nr,
                     bool add, float *y, size_t y_stride);
} gemm_int8_kernels;

static inline bool gemm_int8_run(const gemm_int8_kernels *k, lf_type type, const void *w, size_t row_bytes,
                                 int64_t n_cols, int64_t r0, int64_t r1, const void *xq, const void *xr, size_t stride,
                                 int n_batch, float *y, size_t y_stride) {
    int64_t nb = n_cols / 32;
    int per_group = xr ? k->lanes / 2 : k->lanes, groups = (n_batch + per_group - 1) / per_group;
    size_t group_bytes = (size_t)nb * k->lane_block_bytes;
    char *lanes = aligned_alloc(64, (size_t)groups * group_bytes);
    void *tile = aligned_alloc(64, k->tile_bytes);
    if (!lanes || !tile) {
        free(lanes);
        free(tile);
        return false;
    }
    for (int g = 0; g < groups; g++) k->pack_group(type, xq, xr, stride, n_batch, g, nb, lanes + (size_t)g * group_bytes);
    int64_t kc = LANE_PANEL_BYTES / ((int64_t)groups * (int64_t)k->lane_block_bytes);
    kc = kc < 4 ? 4 : kc > k->max_kc ? k->max_kc : kc;
    for (int64_t b0 = 0; b0 < nb; b0 += kc) {
        int64_t kb = nb - b0 < kc ? nb - b0 : kc;
        for (int64_t r = r0; r < r1; r += k->tile_rows) {
            int nr = r1 - r < k->tile_rows ? (int)(r1 - r) : k->tile_rows;
            k->pack_tile(type, w, row_bytes, r, nr, b0, kb, tile);
            /* The next tile's rows towards L1 while this tile meets the lane groups: they
             * are short runs far apart, which the hardware prefetchers do not follow, and
             * the unpack would wait on each. Inline here, as GCC drops the calls of a
             * function that only prefetches. */
            for (int64_t q = r + k->tile_rows; q < r + 2 * k->tile_rows && q < r1; q++)
                for (size_t o = (size_t)b0 * row_bytes / (size_t)nb & ~(size_t)63;
                     o < (size_t)(b0 + kb) * row_bytes / (size_t)nb; o += 64)
                    __builtin_prefetch((const char *)w + (size_t)q * row_bytes + o, 0, 3);
            for (int g = 0; g < groups; g++)
                k->run_tile(type, tile, lanes + (size_t)g * group_bytes + (size_t)b0 * k->lane_block_bytes, kb,
                            xr != NULL, g, n_batch, nr, b0 > 0, y + r, y_stride);
        }
    }
    free(lanes);
    free(tile);
    return true;
}

#endif
