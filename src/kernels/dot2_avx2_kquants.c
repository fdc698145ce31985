/* AVX2 fused activation + residual dot products for the K-quants against two Q8_K
 * vectors (the activation xq and its rounding residual xr). Each 256-weight super-block
 * is unpacked once to unsigned bytes; every 32-byte slice is multiplied (maddubs) with
 * both activations and scaled per group (madd), into two int32 sums. Offsets and mins
 * are folded in through each activation's block sums, as in dot_avx2_kquants.c; the two
 * integer results get their own activation scale:
 *   sum_i d_q,i * S(w_i, q_i) + d_r,i * S(w_i, r_i). */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/avx2_internal.h"
#include "kernels/micro_x86_internal.h"
#include "kernels/blocks_internal.h"
#include "kernels/unpack_avx2_internal.h"

/* sum_q += scaled u·q, sum_r += scaled u·r for one 32-byte slice at byte offset off. */
static inline LF_AVX2 void slice2(__m256i u, __m256i scales, const block_q8_K *xq, const block_q8_K *xr, int off,
                                  __m256i *sum_q, __m256i *sum_r) {
    __m256i pq = _mm256_madd_epi16(_mm256_maddubs_epi16(u, load256(xq->qs + off)), scales);
    __m256i pr = _mm256_madd_epi16(_mm256_maddubs_epi16(u, load256(xr->qs + off)), scales);
    *sum_q = _mm256_add_epi32(*sum_q, pq);
    *sum_r = _mm256_add_epi32(*sum_r, pr);
}

/* Q2_K: 2-bit u, weight = d*(sc&15)*u - dmin*(sc>>4). */
LF_AVX2 float avx2_dot2_q2_K(const void *w, const void *xq, const void *xr, int64_t n) {
    const block_q2_K *b = w;
    const block_q8_K *q = xq, *r = xr;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    for (int64_t i = 0; i < n / QK_K; i++) {
        __m256i m, sc = q2_K_scales16(&b[i], &m);
        __m256i sum_q = _mm256_setzero_si256(), sum_r = _mm256_setzero_si256();
        _Pragma("GCC unroll 2") for (int half = 0; half < 2; half++) {
            __m256i bits = load256(b[i].qs + 32 * half);
            _Pragma("GCC unroll 4") for (int plane = 0; plane < 4; plane++)
                slice2(q2_K_slice(bits, plane), k16_slice_scales(sc, 4 * half + plane), &q[i], &r[i],
                       128 * half + 32 * plane, &sum_q, &sum_r);
        }
        float d = f16(b[i].d), dmin = f16(b[i].dmin);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(q[i].d * d), _mm256_cvtepi32_ps(sum_q), acc);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(r[i].d * d), _mm256_cvtepi32_ps(sum_r), acc);
        mins += dmin * (q[i].d * (float)scaled_bsums16(m, q[i].bsums) + r[i].d * (float)scaled_bsums16(m, r[i].bsums));
    }
    return hsum_f32x8(acc) - mins;
}

/* Q3_K: u = low2 | hbit<<2 in 0..7, weight = d*scale*(u-4). */
LF_AVX2 float avx2_dot2_q3_K(const void *w, const void *xq, const void *xr, int64_t n) {
    const block_q3_K *b = w;
    const block_q8_K *q = xq, *r = xr;
    float total = 0.0f;
    for (int64_t i = 0; i < n / QK_K; i++) {
        __m256i s = q3_K_scales16(&b[i]);
        __m256i hmask = load256(b[i].hmask);
        __m256i sum_q = _mm256_setzero_si256(), sum_r = _mm256_setzero_si256();
        _Pragma("GCC unroll 2") for (int half = 0; half < 2; half++) {
            __m256i bits = load256(b[i].qs + 32 * half);
            _Pragma("GCC unroll 4") for (int plane = 0; plane < 4; plane++)
                slice2(q3_K_slice(bits, hmask, half, plane), k16_slice_scales(s, 4 * half + plane), &q[i], &r[i],
                       128 * half + 32 * plane, &sum_q, &sum_r);
        }
        int32_t isum_q = hsum_i32x8(sum_q) - 4 * scaled_bsums16(s, q[i].bsums);
        int32_t isum_r = hsum_i32x8(sum_r) - 4 * scaled_bsums16(s, r[i].bsums);
        total += f16(b[i].d) * (q[i].d * (float)isum_q + r[i].d * (float)isum_r);
    }
    return total;
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
    __m128i m16 = k_mins16(mn);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(xq->d * d), _mm256_cvtepi32_ps(sum_q), acc);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(xr->d * d), _mm256_cvtepi32_ps(sum_r), acc);
    *mins += dmin * (xq->d * (float)mins_times_bsums(m16, xq->bsums) + xr->d * (float)mins_times_bsums(m16, xr->bsums));
    return acc;
}

LF_AVX2 float avx2_dot2_q4_K(const void *w, const void *xq, const void *xr, int64_t n) {
    const block_q4_K *b = w;
    const block_q8_K *q = xq, *r = xr;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    for (int64_t i = 0; i < n / QK_K; i++) {
        uint8_t sc[8], mn[8];
        k_scales_mins(b[i].scales, sc, mn);
        __m256i sum_q = _mm256_setzero_si256(), sum_r = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) { /* 64 weights: groups 2c (low nibbles), 2c+1 (high) */
            __m256i lo, hi;
            q4_K_chunk(load256(b[i].qs + 32 * c), &lo, &hi);
            chunk2(lo, hi, sc, c, &q[i], &r[i], &sum_q, &sum_r);
        }
        acc = k_minmax_block2(acc, &mins, f16(b[i].d), f16(b[i].dmin), mn, &q[i], &r[i], sum_q, sum_r);
    }
    return hsum_f32x8(acc) - mins;
}

LF_AVX2 float avx2_dot2_q5_K(const void *w, const void *xq, const void *xr, int64_t n) {
    const block_q5_K *b = w;
    const block_q8_K *q = xq, *r = xr;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    for (int64_t i = 0; i < n / QK_K; i++) {
        uint8_t sc[8], mn[8];
        k_scales_mins(b[i].scales, sc, mn);
        __m256i hbits = load256(b[i].qh);
        __m256i sum_q = _mm256_setzero_si256(), sum_r = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            __m256i lo, hi;
            q5_K_chunk(load256(b[i].qs + 32 * c), hbits, c, &lo, &hi);
            chunk2(lo, hi, sc, c, &q[i], &r[i], &sum_q, &sum_r);
        }
        acc = k_minmax_block2(acc, &mins, f16(b[i].d), f16(b[i].dmin), mn, &q[i], &r[i], sum_q, sum_r);
    }
    return hsum_f32x8(acc) - mins;
}

/* Q6_K: u = low4 | high2<<4 in 0..63, weight = d*scale*(u-32) (see q6_K_half). */
LF_AVX2 float avx2_dot2_q6_K(const void *w, const void *xq, const void *xr, int64_t n) {
    const block_q6_K *b = w;
    const block_q8_K *q = xq, *r = xr;
    float total = 0.0f;
    for (int64_t i = 0; i < n / QK_K; i++) {
        __m256i s = q6_K_scales16(&b[i]);
        __m256i sum_q = _mm256_setzero_si256(), sum_r = _mm256_setzero_si256();
        _Pragma("GCC unroll 2") for (int half = 0; half < 2; half++) {
            __m256i u[4];
            q6_K_half(&b[i], half, u);
            _Pragma("GCC unroll 4") for (int k = 0; k < 4; k++)
                slice2(u[k], k16_slice_scales(s, 4 * half + k), &q[i], &r[i], 128 * half + 32 * k, &sum_q, &sum_r);
        }
        int32_t isum_q = hsum_i32x8(sum_q) - 32 * scaled_bsums16(s, q[i].bsums);
        int32_t isum_r = hsum_i32x8(sum_r) - 32 * scaled_bsums16(s, r[i].bsums);
        total += f16(b[i].d) * (q[i].d * (float)isum_q + r[i].d * (float)isum_r);
    }
    return total;
}

#endif
