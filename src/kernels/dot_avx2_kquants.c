/* AVX2 dot products for the K-quants against Q8_K activations. Quants are unpacked to
 * unsigned bytes (offsets and mins are folded in afterwards through the activation
 * block sums), multiplied by maddubs, and the per-group scales are applied by madd. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/avx2_internal.h"
#include "kernels/blocks_internal.h"
#include "kernels/unpack_avx2_internal.h"

/* Q2_K: 2-bit u, weight = d*(sc&15)*u - dmin*(sc>>4). */
static LF_AVX2 float dot_q2_K(const void *w, const void *xq, int64_t n) {
    const block_q2_K *b = w;
    const block_q8_K *x = xq;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    for (int64_t i = 0; i < n / QK_K; i++) {
        __m256i mn, sc = q2_K_scales16(&b[i], &mn);
        __m256i sum = _mm256_setzero_si256();
        _Pragma("GCC unroll 2") for (int half = 0; half < 2; half++) {
            __m256i bits = load256(b[i].qs + 32 * half);
            _Pragma("GCC unroll 4") for (int plane = 0; plane < 4; plane++) {
                __m256i p = _mm256_maddubs_epi16(q2_K_slice(bits, plane), load256(x[i].qs + 128 * half + 32 * plane));
                sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p, k16_slice_scales(sc, 4 * half + plane)));
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
    for (int64_t i = 0; i < n / QK_K; i++) {
        __m256i sc = q3_K_scales16(&b[i]);
        __m256i hmask = load256(b[i].hmask);
        __m256i sum = _mm256_setzero_si256();
        _Pragma("GCC unroll 2") for (int half = 0; half < 2; half++) {
            __m256i bits = load256(b[i].qs + 32 * half);
            _Pragma("GCC unroll 4") for (int plane = 0; plane < 4; plane++) {
                __m256i p = _mm256_maddubs_epi16(q3_K_slice(bits, hmask, half, plane),
                                                 load256(x[i].qs + 128 * half + 32 * plane));
                sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p, k16_slice_scales(sc, 4 * half + plane)));
            }
        }
        int32_t isum = hsum_i32x8(sum) - 4 * scaled_bsums16(sc, x[i].bsums);
        total += x[i].d * f16(b[i].d) * (float)isum;
    }
    return total;
}

static LF_AVX2 __m256i scale16(int s) { return _mm256_set1_epi16((int16_t)s); }

/* One Q4_K/Q5_K chunk c unpacked into lo (group 2c) and hi (group 2c+1), against x. */
static inline LF_AVX2 __m256i k_chunk(__m256i sum, __m256i lo, __m256i hi, const uint8_t sc[8], int c,
                                      const block_q8_K *x) {
    __m256i plo = _mm256_maddubs_epi16(lo, load256(x->qs + 64 * c));
    __m256i phi = _mm256_maddubs_epi16(hi, load256(x->qs + 64 * c + 32));
    sum = _mm256_add_epi32(sum, _mm256_madd_epi16(plo, scale16(sc[2 * c])));
    return _mm256_add_epi32(sum, _mm256_madd_epi16(phi, scale16(sc[2 * c + 1])));
}

/* The float result of one Q4_K/Q5_K super-block from its integer sum. */
static inline LF_AVX2 __m256 k_minmax_block(__m256 acc, float *mins, float d, float dmin, const uint8_t mn[8],
                                            const block_q8_K *x, __m256i sum) {
    float dx = x->d;
    acc = _mm256_fmadd_ps(_mm256_set1_ps(dx * d), _mm256_cvtepi32_ps(sum), acc);
    *mins += dx * dmin * (float)mins_times_bsums(k_mins16(mn), x->bsums);
    return acc;
}

static LF_AVX2 float dot_q4_K(const void *w, const void *xq, int64_t n) {
    const block_q4_K *b = w;
    const block_q8_K *x = xq;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    for (int64_t i = 0; i < n / QK_K; i++) {
        uint8_t sc[8], mn[8];
        k_scales_mins(b[i].scales, sc, mn);
        __m256i sum = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) { /* 64 weights: groups 2c (low nibbles), 2c+1 (high) */
            __m256i lo, hi;
            q4_K_chunk(load256(b[i].qs + 32 * c), &lo, &hi);
            sum = k_chunk(sum, lo, hi, sc, c, &x[i]);
        }
        acc = k_minmax_block(acc, &mins, f16(b[i].d), f16(b[i].dmin), mn, &x[i], sum);
    }
    return hsum_f32x8(acc) - mins;
}

static LF_AVX2 float dot_q5_K(const void *w, const void *xq, int64_t n) {
    const block_q5_K *b = w;
    const block_q8_K *x = xq;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    for (int64_t i = 0; i < n / QK_K; i++) {
        uint8_t sc[8], mn[8];
        k_scales_mins(b[i].scales, sc, mn);
        __m256i hbits = load256(b[i].qh);
        __m256i sum = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            __m256i lo, hi;
            q5_K_chunk(load256(b[i].qs + 32 * c), hbits, c, &lo, &hi);
            sum = k_chunk(sum, lo, hi, sc, c, &x[i]);
        }
        acc = k_minmax_block(acc, &mins, f16(b[i].d), f16(b[i].dmin), mn, &x[i], sum);
    }
    return hsum_f32x8(acc) - mins;
}

/* Q6_K: u = low4 | high2<<4 in 0..63, weight = d*scale*(u-32) (see q6_K_half). */
static LF_AVX2 float dot_q6_K(const void *w, const void *xq, int64_t n) {
    const block_q6_K *b = w;
    const block_q8_K *x = xq;
    float total = 0.0f;
    for (int64_t i = 0; i < n / QK_K; i++) {
        __m256i sc = q6_K_scales16(&b[i]);
        __m256i sum = _mm256_setzero_si256();
        _Pragma("GCC unroll 2") for (int half = 0; half < 2; half++) {
            __m256i u[4];
            q6_K_half(&b[i], half, u);
            _Pragma("GCC unroll 4") for (int k = 0; k < 4; k++) {
                __m256i p = _mm256_maddubs_epi16(u[k], load256(x[i].qs + 128 * half + 32 * k));
                sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p, k16_slice_scales(sc, 4 * half + k)));
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
