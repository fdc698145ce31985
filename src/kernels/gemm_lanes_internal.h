/* Building blocks of the integer prompt GEMMs (gemm_avx2_legacy.c, gemm_avx512_legacy.c):
 * where a lane's activation blocks come from, the 8x8 transpose of 4-byte runs that
 * puts eight lanes side by side, and the way results go back to rows of y. A "lane" is
 * one int8 activation vector of the batch (or, in the activation + residual product,
 * an activation or its residual). */
#ifndef LF_KERNELS_GEMM_LANES_INTERNAL_H
#define LF_KERNELS_GEMM_LANES_INTERNAL_H

#include "kernels/avx2_internal.h"

/* The 32 activation bytes and the scale of 32-element block i of an activation row of
 * type act: Q8_0 or Q8_1 blocks, or the eight 32-byte groups of each Q8_K super-block. */
static inline LF_AVX2 const int8_t *gemm_act_block(const char *row, lf_type act, int64_t i, float *d) {
    if (act == LF_TYPE_Q8_K) {
        const block_q8_K *x = (const block_q8_K *)row + i / 8;
        *d = x->d;
        return x->qs + 32 * (i % 8);
    }
    if (act == LF_TYPE_Q8_1) {
        const block_q8_1 *x = (const block_q8_1 *)row + i;
        *d = x->d;
        return x->qs;
    }
    const block_q8_0 *x = (const block_q8_0 *)row + i;
    *d = f16(x->d);
    return x->qs;
}

/* Block i of eight lanes (NULL: a zero padding lane) as runs: runs[k] holds elements
 * 4k..4k+3 of lanes 0..7 side by side, so one broadcast 4-byte weight run multiplies all
 * eight lanes and int32 slot l of the product is lane l. scale[l] is lane l's scale;
 * the return value holds the eight lanes' sums of their 32 bytes. */
static inline LF_AVX2 __m256 gemm_transpose_runs(const char *const src[8], lf_type act, int64_t i,
                                                 __m256i runs[8], float scale[8]) {
    __m256i v[8], t[8], u[8];
    for (int l = 0; l < 8; l++) {
        scale[l] = 0.0f;
        v[l] = src[l] ? load256(gemm_act_block(src[l], act, i, &scale[l])) : _mm256_setzero_si256();
    }
    for (int l = 0; l < 8; l += 2) {
        t[l] = _mm256_unpacklo_epi32(v[l], v[l + 1]);
        t[l + 1] = _mm256_unpackhi_epi32(v[l], v[l + 1]);
    }
    for (int h = 0; h < 8; h += 4) { /* lanes h..h+3: runs (0|4), (1|5), (2|6), (3|7) */
        u[h] = _mm256_unpacklo_epi64(t[h], t[h + 2]);
        u[h + 1] = _mm256_unpackhi_epi64(t[h], t[h + 2]);
        u[h + 2] = _mm256_unpacklo_epi64(t[h + 1], t[h + 3]);
        u[h + 3] = _mm256_unpackhi_epi64(t[h + 1], t[h + 3]);
    }
    const __m256i ones8 = _mm256_set1_epi8(1);
    __m256i sums = _mm256_setzero_si256();
    for (int k = 0; k < 4; k++) {
        runs[k] = _mm256_permute2x128_si256(u[k], u[k + 4], 0x20);
        runs[k + 4] = _mm256_permute2x128_si256(u[k], u[k + 4], 0x31);
        /* per-slot byte sums: |sum of 32 bytes| <= 4096 stays in int16 pairs */
        sums = _mm256_add_epi16(sums, _mm256_add_epi16(_mm256_maddubs_epi16(ones8, runs[k]),
                                                       _mm256_maddubs_epi16(ones8, runs[k + 4])));
    }
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(sums, _mm256_set1_epi16(1)));
}

/* Lane l of an AVX2 call (eight lanes a group): activation l, or in the residual product
 * activation l/2 (even l) and its residual (odd l). NULL past the end (padding lanes are
 * zero). */
static inline const char *gemm_lane_src_pairs(const void *xq, const void *xr, size_t stride, int n_lanes, int l) {
    if (l >= n_lanes) return NULL;
    if (!xr) return (const char *)xq + (size_t)l * stride;
    return (const char *)(l & 1 ? xr : xq) + (size_t)(l >> 1) * stride;
}

/* Lane l of group g of sixteen (AVX-512): activation 16g + l, or in the residual product
 * activation 8g + l (l < 8) and the residual of activation 8g + l - 8 (l >= 8). NULL
 * past the batch. */
static inline const char *gemm_lane_src_halves(const void *xq, const void *xr, size_t stride, int n_batch, int g,
                                               int l) {
    int a = xr ? 8 * g + (l & 7) : 16 * g + l;
    if (a >= n_batch) return NULL;
    return (const char *)(xr && l >= 8 ? xr : xq) + (size_t)a * stride;
}

static inline LF_AVX2 __m256i gemm_bcast4(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

/* Four rows of eight lane results (slot l of acc[r] = row r, lane l) as eight vectors of
 * four rows, one per lane. */
static inline LF_AVX2 void gemm_rows_by_lane(const __m256 acc[4], __m128 v[8]) {
    __m256 t0 = _mm256_unpacklo_ps(acc[0], acc[1]), t1 = _mm256_unpackhi_ps(acc[0], acc[1]);
    __m256 t2 = _mm256_unpacklo_ps(acc[2], acc[3]), t3 = _mm256_unpackhi_ps(acc[2], acc[3]);
    /* rows 0..3 of lanes (0|4), (1|5), (2|6), (3|7) */
    const __m256 by_lane[4] = {
        _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2)),
        _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2))};
    for (int l = 0; l < 4; l++) {
        v[l] = _mm256_castps256_ps128(by_lane[l]);
        v[l + 4] = _mm256_extractf128_ps(by_lane[l], 1);
    }
}

/* Writes (first K chunk) or adds the nr <= 4 leading rows of v to dst. */
static inline LF_AVX2 void gemm_put_rows(float *dst, __m128 v, int nr, bool add) {
    if (nr == 4) {
        _mm_storeu_ps(dst, add ? _mm_add_ps(v, _mm_loadu_ps(dst)) : v);
        return;
    }
    float tmp[4];
    _mm_storeu_ps(tmp, v);
    for (int j = 0; j < nr; j++) dst[j] = add ? dst[j] + tmp[j] : tmp[j];
}

/* Eight lane results of four rows (as in gemm_rows_by_lane) to activations first..first+7
 * of y (those below n_batch). */
static inline LF_AVX2 void gemm_store_lanes(const __m256 acc[4], int first, int n_batch, int nr, bool add, float *y,
                                            size_t y_stride) {
    __m128 v[8];
    gemm_rows_by_lane(acc, v);
    for (int j = 0; j < 8 && first + j < n_batch; j++) gemm_put_rows(y + (size_t)(first + j) * y_stride, v[j], nr, add);
}

/* Lane results of a tile (slot l of acc[r] = row r, lane l) to y: lanes are activations
 * 8g..8g+7, or in the residual product activations 4g..4g+3 as the sums of lane pairs. */
static inline LF_AVX2 void gemm_store_tile_pairs(const __m256 acc[4], bool resid, int g, int n_batch, int nr,
                                                 bool add, float *y, size_t y_stride) {
    if (!resid) {
        gemm_store_lanes(acc, 8 * g, n_batch, nr, add, y, y_stride);
        return;
    }
    __m128 v[8];
    gemm_rows_by_lane(acc, v);
    for (int j = 0; j < 4 && 4 * g + j < n_batch; j++)
        gemm_put_rows(y + (size_t)(4 * g + j) * y_stride, _mm_add_ps(v[2 * j], v[2 * j + 1]), nr, add);
}

#endif
