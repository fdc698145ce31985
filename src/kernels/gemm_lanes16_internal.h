/* Building blocks of the AVX-512 VNNI int8 prompt GEMMs (gemm_avx512_legacy.c,
 * gemm_avx512_kquants.c): groups of sixteen lanes (gemm_lane_src_halves) met by tiles of
 * eight weight rows, each row's int32 products in one __m512 (slot l = lane l). */
#ifndef LF_KERNELS_GEMM_LANES16_INTERNAL_H
#define LF_KERNELS_GEMM_LANES16_INTERNAL_H

#include "kernels/gemm_lanes_internal.h"

#define LF_AVX512_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")))

static inline LF_AVX512_VNNI __m512i gemm_bcast4_512(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm512_set1_epi32(v);
}

/* Sixteen lane results of a tile to y, four rows at a time: two groups of eight
 * activations, or (residual) eight activations as the sums of the two halves. */
static inline LF_AVX512_VNNI void gemm_store_tile16(const __m512 acc[8], bool resid, int g, int n_batch, int nr,
                                                    bool add, float *y, size_t y_stride) {
    for (int q = 0; q < 8 && q < nr; q += 4) {
        __m256 lo[4], hi[4];
        for (int r = 0; r < 4; r++) {
            lo[r] = _mm512_castps512_ps256(acc[q + r]);
            hi[r] = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc[q + r]), 1));
            if (resid) lo[r] = _mm256_add_ps(lo[r], hi[r]);
        }
        int rows = nr - q < 4 ? nr - q : 4;
        if (resid) {
            gemm_store_lanes(lo, 8 * g, n_batch, rows, add, y + q, y_stride);
            continue;
        }
        gemm_store_lanes(lo, 16 * g, n_batch, rows, add, y + q, y_stride);
        gemm_store_lanes(hi, 16 * g + 8, n_batch, rows, add, y + q, y_stride);
    }
}

#endif
