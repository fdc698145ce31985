/* AVX2 fused activation + residual dot products for the K-quants against two Q8_K
 * vectors (the activation xq and its rounding residual xr). Each 256-weight super-block
 * is unpacked once to unsigned bytes; every 32-byte slice is multiplied (maddubs) with
 * both activations and scaled per group (madd), into two int32 sums. Offsets and mins
 * are folded in through each activation's block sums, as in dot_avx2_kquants.c; the two
 * integer results get their own activation scale:
 *   sum_i d_q,i * S(w_i, q_i) + d_r,i * S(w_i, r_i). */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/avx2_internal.h"
#include "kernels/blocks_internal.h"

#include <string.h>

/* Scale vector for a 32-byte slice: lanes 0-7 (16 bytes) scale0, lanes 8-15 scale1. */
static inline LF_AVX2 __m256i two_scales(int16_t scale0, int16_t scale1) {
    return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_set1_epi16(scale0)), _mm_set1_epi16(scale1), 1);
}

/* sum_q += scaled u·q, sum_r += scaled u·r for one 32-byte slice at byte offset off. */
static inline LF_AVX2 void slice2(__m256i u, __m256i scales, const block_q8_K *xq, const block_q8_K *xr, int off,
                                  __m256i *sum_q, __m256i *sum_r) {
    __m256i pq = _mm256_madd_epi16(_mm256_maddubs_epi16(u, load256(xq->qs + off)), scales);
    __m256i pr = _mm256_madd_epi16(_mm256_maddubs_epi16(u, load256(xr->qs + off)), scales);
    *sum_q = _mm256_add_epi32(*sum_q, pq);
    *sum_r = _mm256_add_epi32(*sum_r, pr);
}

/* sum over the 16 groups of scale[g] * bsums[g] (both int16-range). */
static inline LF_AVX2 int32_t scaled_bsums16(__m256i scales, const int16_t bsums[16]) {
    return hsum_i32x8(_mm256_madd_epi16(scales, _mm256_loadu_si256((const __m256i *)bsums)));
}

/* Q2_K: 2-bit u, weight = d*(sc&15)*u - dmin*(sc>>4). */
static LF_AVX2 float dot2_q2_K(const void *w, const void *xq, const void *xr, int64_t n) {
    const block_q2_K *b = w;
    const block_q8_K *q = xq, *r = xr;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    const __m256i three = _mm256_set1_epi8(3);
    for (int64_t i = 0; i < n / QK_K; i++) {
        int16_t sc[16], mn[16];
        for (int g = 0; g < 16; g++) {
            sc[g] = b[i].scales[g] & 0x0F;
            mn[g] = b[i].scales[g] >> 4;
        }
        __m256i sum_q = _mm256_setzero_si256(), sum_r = _mm256_setzero_si256();
        for (int half = 0; half < 2; half++) {
            __m256i bits = load256(b[i].qs + 32 * half);
            for (int plane = 0; plane < 4; plane++) {
                __m256i u = _mm256_and_si256(_mm256_srli_epi16(bits, 2 * plane), three);
                int g = half * 8 + plane * 2;
                slice2(u, two_scales(sc[g], sc[g + 1]), &q[i], &r[i], 16 * g, &sum_q, &sum_r);
            }
        }
        float d = f16(b[i].d), dmin = f16(b[i].dmin);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(q[i].d * d), _mm256_cvtepi32_ps(sum_q), acc);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(r[i].d * d), _mm256_cvtepi32_ps(sum_r), acc);
        __m256i m = _mm256_loadu_si256((const __m256i *)mn);
        mins += dmin * (q[i].d * (float)scaled_bsums16(m, q[i].bsums) + r[i].d * (float)scaled_bsums16(m, r[i].bsums));
    }
    return hsum_f32x8(acc) - mins;
}

/* Q3_K: u = low2 | hbit<<2 in 0..7, weight = d*scale*(u-4). */
static LF_AVX2 float dot2_q3_K(const void *w, const void *xq, const void *xr, int64_t n) {
    const block_q3_K *b = w;
    const block_q8_K *q = xq, *r = xr;
    float total = 0.0f;
    const __m256i three = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1);
    for (int64_t i = 0; i < n / QK_K; i++) {
        int16_t sc[16];
        for (int g = 0; g < 16; g++) sc[g] = (int16_t)q3_k_scale(b[i].scales, g);
        __m256i hmask = load256(b[i].hmask);
        __m256i sum_q = _mm256_setzero_si256(), sum_r = _mm256_setzero_si256();
        for (int half = 0; half < 2; half++) {
            __m256i bits = load256(b[i].qs + 32 * half);
            for (int plane = 0; plane < 4; plane++) {
                int slot = half * 4 + plane; /* bit of hmask, 32-weight slice */
                __m256i high = _mm256_and_si256(_mm256_srli_epi16(hmask, slot), one);
                __m256i u = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 2 * plane), three),
                                            _mm256_slli_epi16(high, 2));
                int g = 2 * slot;
                slice2(u, two_scales(sc[g], sc[g + 1]), &q[i], &r[i], 16 * g, &sum_q, &sum_r);
            }
        }
        __m256i s = _mm256_loadu_si256((const __m256i *)sc);
        int32_t isum_q = hsum_i32x8(sum_q) - 4 * scaled_bsums16(s, q[i].bsums);
        int32_t isum_r = hsum_i32x8(sum_r) - 4 * scaled_bsums16(s, r[i].bsums);
        total += f16(b[i].d) * (q[i].d * (float)isum_q + r[i].d * (float)isum_r);
    }
    return total;
}

/* The eight six-bit scales and mins of a Q4_K/Q5_K block, unpacked with word operations:
 * bytes 0-3 hold scales 0-3 (+ top bits of 4-7), 4-7 mins 0-3 (+ top bits), 8-11 the
 * low nibbles of scales and mins 4-7. */
static inline void k_scales_mins(const uint8_t packed[12], uint8_t sc[8], uint8_t mn[8]) {
    uint32_t w0, w1, w2;
    memcpy(&w0, packed, 4);
    memcpy(&w1, packed + 4, 4);
    memcpy(&w2, packed + 8, 4);
    uint32_t s_lo = w0 & 0x3F3F3F3F, m_lo = w1 & 0x3F3F3F3F;
    uint32_t s_hi = (w2 & 0x0F0F0F0F) | ((w0 & 0xC0C0C0C0) >> 2);
    uint32_t m_hi = ((w2 >> 4) & 0x0F0F0F0F) | ((w1 & 0xC0C0C0C0) >> 2);
    memcpy(sc, &s_lo, 4);
    memcpy(sc + 4, &s_hi, 4);
    memcpy(mn, &m_lo, 4);
    memcpy(mn + 4, &m_hi, 4);
}

/* sum over the 8 groups of 32 of mins[g] * (bsums[2g] + bsums[2g+1]). */
static inline LF_AVX2 int32_t mins_times_bsums(__m128i mins16, const int16_t bsums[16]) {
    __m128i pairs = _mm_hadd_epi16(_mm_loadu_si128((const __m128i *)bsums),
                                   _mm_loadu_si128((const __m128i *)(bsums + 8)));
    __m128i prod = _mm_madd_epi16(mins16, pairs);
    prod = _mm_add_epi32(prod, _mm_unpackhi_epi64(prod, prod));
    prod = _mm_add_epi32(prod, _mm_shuffle_epi32(prod, 1));
    return _mm_cvtsi128_si32(prod);
}

/* Shared by Q4_K and Q5_K once the 64 weights of chunk c are unpacked into lo (group 2c)
 * and hi (group 2c+1). */
static inline LF_AVX2 void chunk2(__m256i lo, __m256i hi, const uint8_t sc[8], int c, const block_q8_K *xq,
                                  const block_q8_K *xr, __m256i *sum_q, __m256i *sum_r) {
    slice2(lo, _mm256_set1_epi16(sc[2 * c]), xq, xr, 64 * c, sum_q, sum_r);
    slice2(hi, _mm256_set1_epi16(sc[2 * c + 1]), xq, xr, 64 * c + 32, sum_q, sum_r);
}

/* The float result of one Q4_K/Q5_K super-block from its two integer sums. */
static inline LF_AVX2 __m256 k_minmax_block2(__m256 acc, float *mins, float d, float dmin, const uint8_t mn[8],
                                            const block_q8_K *xq, const block_q8_K *xr, __m256i sum_q,
                                            __m256i sum_r) {
    __m128i m16 = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)mn));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(xq->d * d), _mm256_cvtepi32_ps(sum_q), acc);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(xr->d * d), _mm256_cvtepi32_ps(sum_r), acc);
    *mins += dmin * (xq->d * (float)mins_times_bsums(m16, xq->bsums) + xr->d * (float)mins_times_bsums(m16, xr->bsums));
    return acc;
}

static LF_AVX2 float dot2_q4_K(const void *w, const void *xq, const void *xr, int64_t n) {
    const block_q4_K *b = w;
    const block_q8_K *q = xq, *r = xr;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    for (int64_t i = 0; i < n / QK_K; i++) {
        uint8_t sc[8], mn[8];
        k_scales_mins(b[i].scales, sc, mn);
        __m256i sum_q = _mm256_setzero_si256(), sum_r = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) { /* 64 weights: groups 2c (low nibbles), 2c+1 (high) */
            __m256i bits = load256(b[i].qs + 32 * c);
            __m256i lo = _mm256_and_si256(bits, low4);
            __m256i hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), low4);
            chunk2(lo, hi, sc, c, &q[i], &r[i], &sum_q, &sum_r);
        }
        acc = k_minmax_block2(acc, &mins, f16(b[i].d), f16(b[i].dmin), mn, &q[i], &r[i], sum_q, sum_r);
    }
    return hsum_f32x8(acc) - mins;
}

static LF_AVX2 float dot2_q5_K(const void *w, const void *xq, const void *xr, int64_t n) {
    const block_q5_K *b = w;
    const block_q8_K *q = xq, *r = xr;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    const __m256i low4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
    for (int64_t i = 0; i < n / QK_K; i++) {
        uint8_t sc[8], mn[8];
        k_scales_mins(b[i].scales, sc, mn);
        __m256i hbits = load256(b[i].qh);
        __m256i sum_q = _mm256_setzero_si256(), sum_r = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            __m256i bits = load256(b[i].qs + 32 * c);
            __m256i hlo = _mm256_and_si256(_mm256_srli_epi16(hbits, 2 * c), one);
            __m256i hhi = _mm256_and_si256(_mm256_srli_epi16(hbits, 2 * c + 1), one);
            __m256i lo = _mm256_or_si256(_mm256_and_si256(bits, low4), _mm256_slli_epi16(hlo, 4));
            __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 4), low4),
                                         _mm256_slli_epi16(hhi, 4));
            chunk2(lo, hi, sc, c, &q[i], &r[i], &sum_q, &sum_r);
        }
        acc = k_minmax_block2(acc, &mins, f16(b[i].d), f16(b[i].dmin), mn, &q[i], &r[i], sum_q, sum_r);
    }
    return hsum_f32x8(acc) - mins;
}

/* Q6_K: u = low4 | high2<<4 in 0..63, weight = d*scale*(u-32). Per 128-weight half,
 * ql bytes 0-31 / 32-63 give slices 0,1 (low nibbles) and 2,3 (high nibbles); qh byte l
 * gives the high bits of slice k at bits 2k..2k+1. */
static LF_AVX2 float dot2_q6_K(const void *w, const void *xq, const void *xr, int64_t n) {
    const block_q6_K *b = w;
    const block_q8_K *q = xq, *r = xr;
    float total = 0.0f;
    const __m256i low4 = _mm256_set1_epi8(0x0F), two = _mm256_set1_epi8(0x30);
    for (int64_t i = 0; i < n / QK_K; i++) {
        int16_t sc[16];
        for (int g = 0; g < 16; g++) sc[g] = b[i].scales[g];
        __m256i sum_q = _mm256_setzero_si256(), sum_r = _mm256_setzero_si256();
        for (int half = 0; half < 2; half++) {
            __m256i ql0 = load256(b[i].ql + 64 * half), ql1 = load256(b[i].ql + 64 * half + 32);
            __m256i qh = load256(b[i].qh + 32 * half);
            __m256i u[4] = {
                _mm256_or_si256(_mm256_and_si256(ql0, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), two)),
                _mm256_or_si256(_mm256_and_si256(ql1, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), two)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4), _mm256_and_si256(qh, two)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                                _mm256_and_si256(_mm256_srli_epi16(qh, 2), two)),
            };
            for (int k = 0; k < 4; k++) {
                int g = half * 8 + 2 * k;
                slice2(u[k], two_scales(sc[g], sc[g + 1]), &q[i], &r[i], 16 * g, &sum_q, &sum_r);
            }
        }
        __m256i s = _mm256_loadu_si256((const __m256i *)sc);
        int32_t isum_q = hsum_i32x8(sum_q) - 32 * scaled_bsums16(s, q[i].bsums);
        int32_t isum_r = hsum_i32x8(sum_r) - 32 * scaled_bsums16(s, r[i].bsums);
        total += f16(b[i].d) * (q[i].d * (float)isum_q + r[i].d * (float)isum_r);
    }
    return total;
}

void lf_kernels_fill_avx2_dot2_kquants(lf_kernel_table *t) {
    t->dot2[LF_TYPE_Q2_K] = dot2_q2_K;
    t->dot2[LF_TYPE_Q3_K] = dot2_q3_K;
    t->dot2[LF_TYPE_Q4_K] = dot2_q4_K;
    t->dot2[LF_TYPE_Q5_K] = dot2_q5_K;
    t->dot2[LF_TYPE_Q6_K] = dot2_q6_K;
}
#endif
