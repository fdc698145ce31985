/* Helpers of the AVX2 row-group (decode) kernels, dot_avx2_rows.c and dot2_avx2_rows.c:
 * scales of four rows converted together, the final four-way horizontal sum, and the
 * K-quant scale vectors broadcast by byte shuffles. */
#ifndef LF_KERNELS_ROWS_AVX2_INTERNAL_H
#define LF_KERNELS_ROWS_AVX2_INTERNAL_H

#include "kernels/avx2_internal.h"
#include "kernels/blocks_internal.h"

#include <string.h>

static inline uint32_t load_u32(const void *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Software prefetch of the next row group: a group reads four short row streams (a few
 * KiB each), too short for the hardware prefetcher to train on, so each step prefetches
 * the bytes of the row four rows down (the next group's) at the same column. Prefetches
 * past the matrix are harmless (they never fault). */
static inline LF_AVX2 void prefetch_next_group(const void *p, size_t row_bytes) {
    _mm_prefetch((const char *)p + 4 * row_bytes, _MM_HINT_T1);
}

/* The same for a whole K-quant super-block of size bytes (every line it touches). */
static inline LF_AVX2 void prefetch_k_block(const void *p, size_t size, size_t row_bytes) {
    const char *next = (const char *)p + 4 * row_bytes;
    for (size_t off = 0; off < size; off += 64) _mm_prefetch(next + off, _MM_HINT_T1);
    _mm_prefetch(next + size - 1, _MM_HINT_T1);
}

/* The fp16 scales of four rows' blocks, times mul, in lanes 0-3 and again in 4-7. */
static inline LF_AVX2 __m256 scales4(uint16_t d0, uint16_t d1, uint16_t d2, uint16_t d3, __m128 mul) {
    uint64_t h = (uint64_t)d0 | (uint64_t)d1 << 16 | (uint64_t)d2 << 32 | (uint64_t)d3 << 48;
    __m128 s = _mm_mul_ps(_mm_cvtph_ps(_mm_set_epi64x(0, (long long)h)), mul);
    return _mm256_set_m128(s, s);
}

/* Two consecutive legacy blocks, in the lanes of a block pair: lanes 0-3 (the low 128
 * bits) are block i, lanes 4-7 block i+1. */

/* The fp16 scales of four rows' blocks i (lanes 0-3) and i+1 (lanes 4-7). */
static inline LF_AVX2 __m256 scales4x2(const uint16_t *const d[8]) {
    uint64_t h0 = (uint64_t)*d[0] | (uint64_t)*d[1] << 16 | (uint64_t)*d[2] << 32 | (uint64_t)*d[3] << 48;
    uint64_t h1 = (uint64_t)*d[4] | (uint64_t)*d[5] << 16 | (uint64_t)*d[6] << 32 | (uint64_t)*d[7] << 48;
    return _mm256_cvtph_ps(_mm_set_epi64x((long long)h1, (long long)h0));
}

/* Two fp16 values a (lanes 0-3) and b (lanes 4-7). */
static inline LF_AVX2 __m256 f16_pair(uint16_t a, uint16_t b) {
    __m128 v = _mm_cvtph_ps(_mm_cvtsi32_si128((int)((uint32_t)a | (uint32_t)b << 16)));
    return _mm256_set_m128(_mm_permute_ps(v, 0x55), _mm_permute_ps(v, 0x00));
}

/* The nibbles of two consecutive 16-byte quant arrays (18 or 20 bytes apart, the blocks'
 * stride): lo = the low nibbles (elements 0-15 of each block), hi = the high (16-31). */
static inline LF_AVX2 __m256i nibbles_pair(const uint8_t *qs0, const uint8_t *qs1, __m256i *hi) {
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)qs0)),
                                        _mm_loadu_si128((const __m128i *)qs1), 1);
    *hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
    return _mm256_and_si256(v, low4);
}

/* Activation bytes of a block pair in the same layout: lo = elements 0-15 of blocks i and
 * i+1, hi = elements 16-31. */
static inline LF_AVX2 __m256i act_pair(const int8_t *x0, const int8_t *x1, __m256i *hi) {
    __m256i a = load256(x0), b = load256(x1);
    *hi = _mm256_permute2x128_si256(a, b, 0x31);
    return _mm256_permute2x128_si256(a, b, 0x20);
}

/* Eight int32 sums of u·x over a block pair (lanes 0-3 block i, 4-7 block i+1): the two
 * halves' 16-bit pair sums (each <= 2*15*127) are added before one madd. */
static inline LF_AVX2 __m256i dot_pair(__m256i ulo, __m256i uhi, __m256i xlo, __m256i xhi) {
    __m256i s16 = _mm256_add_epi16(_mm256_maddubs_epi16(ulo, xlo), _mm256_maddubs_epi16(uhi, xhi));
    return _mm256_madd_epi16(s16, _mm256_set1_epi16(1));
}

/* Row k's scale of scales4 in all eight lanes (k a constant). */
#define lane4(s, k) _mm256_permute_ps((s), (k) * 0x55)

/* The fp16 pairs (d, m) of four rows' blocks: lanes 2k, 2k+1 = row k's d, m. */
static inline LF_AVX2 __m256 pairs4(const uint16_t *p0, const uint16_t *p1, const uint16_t *p2, const uint16_t *p3) {
    return _mm256_cvtph_ps(_mm_setr_epi32((int)load_u32(p0), (int)load_u32(p1), (int)load_u32(p2), (int)load_u32(p3)));
}

/* (d, s) of a Q8_1 activation block in every pair of lanes. */
static inline LF_AVX2 __m256 q8_1_ds4(const block_q8_1 *x) {
    return _mm256_castpd_ps(_mm256_broadcast_sd((const double *)(const void *)&x->d));
}

/* Lane 2k of s (row k's scale of pairs4 products) in all eight lanes (k a constant). */
#define pair_lane(s, k) _mm256_permutevar8x32_ps((s), _mm256_set1_epi32(2 * (k)))

/* out[k] += lane 2k+1 of v (row k's min terms). */
static inline LF_AVX2 void add_odd_lanes(__m256 v, float out[4]) {
    float t[8];
    _mm256_storeu_ps(t, v);
    for (int k = 0; k < 4; k++) out[k] += t[2 * k + 1];
}

/* out[k] = horizontal sum of vector k. */
static inline LF_AVX2 void hsum4(__m256 a, __m256 b, __m256 c, __m256 d, float out[4]) {
    __m256 abcd = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1)));
}

/* The eight Q4_K/Q5_K group scales as int16, in both 128-bit lanes. */
static inline LF_AVX2 __m256i k_scales16(const uint8_t sc[8]) {
    return _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)sc)));
}

/* Scale g of k_scales16 in all sixteen int16 lanes (g a constant after inlining). */
static inline LF_AVX2 __m256i k_group_scale(__m256i scales, int g) {
    return _mm256_shuffle_epi8(scales, _mm256_set1_epi16((short)(0x0100 + 0x0202 * g)));
}

/* The eight mins as int16, each twice: lanes 2g, 2g+1 meet bsums 2g, 2g+1 (the two
 * 16-sums of group g of 32). */
static inline LF_AVX2 __m256i k_mins16x2(const uint8_t mn[8]) {
    __m128i m = _mm_loadl_epi64((const __m128i *)mn);
    return _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(m, m));
}

/* Q6_K: the eight int16 scales of half h (groups 8h..8h+7) in both lanes, from the 16
 * scales widened to int16 (sc16). */
static inline LF_AVX2 __m256i q6_K_half_scales(__m256i sc16, int half) {
    return half ? _mm256_permute2x128_si256(sc16, sc16, 0x11) : _mm256_permute2x128_si256(sc16, sc16, 0x00);
}

/* Slice k of a half: its low 16 bytes take group 2k's scale, its high 16 group 2k+1's. */
static inline LF_AVX2 __m256i q6_K_slice_scale(__m256i half_scales, int k) {
    __m128i lo = _mm_set1_epi16((short)(0x0100 + 0x0404 * k)), hi = _mm_set1_epi16((short)(0x0302 + 0x0404 * k));
    return _mm256_shuffle_epi8(half_scales, _mm256_set_m128i(hi, lo));
}

#endif
