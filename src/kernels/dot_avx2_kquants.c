/* AVX2 dot products for the K-quants against Q8_K activations. Quants are unpacked to
 * unsigned bytes (offsets and mins are folded in afterwards through the activation
 * block sums), multiplied by maddubs, and the per-group scales are applied by madd. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/avx2_internal.h"
#include "kernels/blocks_internal.h"

#include <string.h>

/* sum over the 16 groups of scale[g] * bsums[g] (both int16-range). */
static LF_AVX2 int32_t scaled_bsums16(const int16_t scales[16], const int16_t bsums[16]) {
    __m256i s = _mm256_loadu_si256((const __m256i *)scales);
    __m256i b = _mm256_loadu_si256((const __m256i *)bsums);
    return hsum_i32x8(_mm256_madd_epi16(s, b));
}

/* Q2_K: 2-bit u, weight = d*(sc&15)*u - dmin*(sc>>4). */
static LF_AVX2 float dot_q2_K(const void *w, const void *xq, int64_t n) {
    const block_q2_K *b = w;
    const block_q8_K *x = xq;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    const __m256i three = _mm256_set1_epi8(3);
    for (int64_t i = 0; i < n / QK_K; i++) {
        int16_t sc[16], mn[16];
        for (int g = 0; g < 16; g++) {
            sc[g] = b[i].scales[g] & 0x0F;
            mn[g] = b[i].scales[g] >> 4;
        }
        __m256i sum = _mm256_setzero_si256();
        for (int half = 0; half < 2; half++) {
            __m256i bits = load256(b[i].qs + 32 * half);
            for (int plane = 0; plane < 4; plane++) {
                __m256i u = _mm256_and_si256(_mm256_srli_epi16(bits, 2 * plane), three);
                int g = half * 8 + plane * 2;
                sum = _mm256_add_epi32(sum, dot_u8_i8_2scales(u, load256(x[i].qs + 16 * g), sc[g], sc[g + 1]));
            }
        }
        float dx = x[i].d;
        acc = _mm256_fmadd_ps(_mm256_set1_ps(dx * f16(b[i].d)), _mm256_cvtepi32_ps(sum), acc);
        mins += dx * f16(b[i].dmin) * (float)scaled_bsums16(mn, x[i].bsums);
    }
    return hsum_f32x8(acc) - mins;
}

/* Q3_K: u = low2 | hbit<<2 in 0..7, weight = d*scale*(u-4). */
static LF_AVX2 float dot_q3_K(const void *w, const void *xq, int64_t n) {
    const block_q3_K *b = w;
    const block_q8_K *x = xq;
    float total = 0.0f;
    const __m256i three = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1);
    for (int64_t i = 0; i < n / QK_K; i++) {
        int16_t sc[16];
        for (int g = 0; g < 16; g++) sc[g] = (int16_t)q3_k_scale(b[i].scales, g);
        __m256i hmask = load256(b[i].hmask);
        __m256i sum = _mm256_setzero_si256();
        for (int half = 0; half < 2; half++) {
            __m256i bits = load256(b[i].qs + 32 * half);
            for (int plane = 0; plane < 4; plane++) {
                int slot = half * 4 + plane; /* bit of hmask, 32-weight slice */
                __m256i high = _mm256_and_si256(_mm256_srli_epi16(hmask, slot), one);
                __m256i u = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 2 * plane), three),
                                            _mm256_slli_epi16(high, 2));
                int g = 2 * slot;
                sum = _mm256_add_epi32(sum, dot_u8_i8_2scales(u, load256(x[i].qs + 16 * g), sc[g], sc[g + 1]));
            }
        }
        int32_t isum = hsum_i32x8(sum) - 4 * scaled_bsums16(sc, x[i].bsums);
        total += x[i].d * f16(b[i].d) * (float)isum;
    }
    return total;
}

/* The eight six-bit scales and mins of a Q4_K/Q5_K block, unpacked with word operations:
 * bytes 0-3 hold scales 0-3 (+ top bits of 4-7), 4-7 mins 0-3 (+ top bits), 8-11 the
 * low nibbles of scales and mins 4-7. */
static void k_scales_mins(const uint8_t packed[12], uint8_t sc[8], uint8_t mn[8]) {
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
static LF_AVX2 int32_t mins_times_bsums(const uint8_t mn[8], const int16_t bsums[16]) {
    __m128i pairs = _mm_hadd_epi16(_mm_loadu_si128((const __m128i *)bsums),
                                   _mm_loadu_si128((const __m128i *)(bsums + 8)));
    __m128i mins = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)mn));
    __m128i prod = _mm_madd_epi16(mins, pairs);
    prod = _mm_add_epi32(prod, _mm_unpackhi_epi64(prod, prod));
    prod = _mm_add_epi32(prod, _mm_shuffle_epi32(prod, 1));
    return _mm_cvtsi128_si32(prod);
}

static LF_AVX2 __m256i scale16(int s) { return _mm256_set1_epi16((int16_t)s); }

static LF_AVX2 float dot_q4_K(const void *w, const void *xq, int64_t n) {
    const block_q4_K *b = w;
    const block_q8_K *x = xq;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    for (int64_t i = 0; i < n / QK_K; i++) {
        uint8_t sc[8], mn[8];
        k_scales_mins(b[i].scales, sc, mn);
        __m256i sum = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) { /* 64 weights: groups 2c (low nibbles), 2c+1 (high) */
            __m256i bits = load256(b[i].qs + 32 * c);
            __m256i lo = _mm256_and_si256(bits, low4);
            __m256i hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), low4);
            __m256i plo = _mm256_maddubs_epi16(lo, load256(x[i].qs + 64 * c));
            __m256i phi = _mm256_maddubs_epi16(hi, load256(x[i].qs + 64 * c + 32));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(plo, scale16(sc[2 * c])));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(phi, scale16(sc[2 * c + 1])));
        }
        float dx = x[i].d;
        acc = _mm256_fmadd_ps(_mm256_set1_ps(dx * f16(b[i].d)), _mm256_cvtepi32_ps(sum), acc);
        mins += dx * f16(b[i].dmin) * (float)mins_times_bsums(mn, x[i].bsums);
    }
    return hsum_f32x8(acc) - mins;
}

static LF_AVX2 float dot_q5_K(const void *w, const void *xq, int64_t n) {
    const block_q5_K *b = w;
    const block_q8_K *x = xq;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    const __m256i low4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
    for (int64_t i = 0; i < n / QK_K; i++) {
        uint8_t sc[8], mn[8];
        k_scales_mins(b[i].scales, sc, mn);
        __m256i hbits = load256(b[i].qh);
        __m256i sum = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            __m256i bits = load256(b[i].qs + 32 * c);
            __m256i hlo = _mm256_and_si256(_mm256_srli_epi16(hbits, 2 * c), one);
            __m256i hhi = _mm256_and_si256(_mm256_srli_epi16(hbits, 2 * c + 1), one);
            __m256i lo = _mm256_or_si256(_mm256_and_si256(bits, low4), _mm256_slli_epi16(hlo, 4));
            __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 4), low4),
                                         _mm256_slli_epi16(hhi, 4));
            __m256i plo = _mm256_maddubs_epi16(lo, load256(x[i].qs + 64 * c));
            __m256i phi = _mm256_maddubs_epi16(hi, load256(x[i].qs + 64 * c + 32));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(plo, scale16(sc[2 * c])));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(phi, scale16(sc[2 * c + 1])));
        }
        float dx = x[i].d;
        acc = _mm256_fmadd_ps(_mm256_set1_ps(dx * f16(b[i].d)), _mm256_cvtepi32_ps(sum), acc);
        mins += dx * f16(b[i].dmin) * (float)mins_times_bsums(mn, x[i].bsums);
    }
    return hsum_f32x8(acc) - mins;
}

/* Q6_K: u = low4 | high2<<4 in 0..63, weight = d*scale*(u-32). Per 128-weight half,
 * ql bytes 0-31 / 32-63 give slices 0,1 (low nibbles) and 2,3 (high nibbles); qh byte l
 * gives the high bits of slice k at bits 2k..2k+1. */
static LF_AVX2 float dot_q6_K(const void *w, const void *xq, int64_t n) {
    const block_q6_K *b = w;
    const block_q8_K *x = xq;
    float total = 0.0f;
    const __m256i low4 = _mm256_set1_epi8(0x0F), two = _mm256_set1_epi8(0x30);
    for (int64_t i = 0; i < n / QK_K; i++) {
        int16_t sc[16];
        for (int g = 0; g < 16; g++) sc[g] = b[i].scales[g];
        __m256i sum = _mm256_setzero_si256();
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
                sum = _mm256_add_epi32(sum, dot_u8_i8_2scales(u[k], load256(x[i].qs + 16 * g), sc[g], sc[g + 1]));
            }
        }
        int32_t isum = hsum_i32x8(sum) - 32 * scaled_bsums16(sc, x[i].bsums);
        total += x[i].d * f16(b[i].d) * (float)isum;
    }
    return total;
}

void lf_kernels_fill_avx2_kquants(lf_kernel_table *t) {
    t->dot[LF_TYPE_Q2_K] = dot_q2_K;
    t->dot[LF_TYPE_Q3_K] = dot_q3_K;
    t->dot[LF_TYPE_Q4_K] = dot_q4_K;
    t->dot[LF_TYPE_Q5_K] = dot_q5_K;
    t->dot[LF_TYPE_Q6_K] = dot_q6_K;
}
#endif
