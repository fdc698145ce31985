/* AVX2 fused activation + residual dot products for the legacy 32-weight block types:
 * each weight block is loaded and unpacked once and multiplied (maddubs + madd) with the
 * matching block of the activation xq and of its rounding residual xr. The two integer
 * block sums carry their own activation scales, so they are kept in two float
 * accumulators (two independent FMA chains) and added at the end:
 *   sum_i d_w,i * (d_q,i * dot(w_i, q_i) + d_r,i * dot(w_i, r_i)).
 * Also the four-activation (x4) variants for batched prompt processing. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/avx2_internal.h"
#include "kernels/micro_x86_internal.h"
#include "kernels/blocks_internal.h"
#include "kernels/unpack_avx2_internal.h"

/* ---------------------------------------------------------------- one activation */

/* Signed weights q (Q4_0, Q5_0, Q8_0, IQ4_NL): |q| once, q's sign moved onto both activations. */
/* The three fp16 scales (weight, activation, residual) convert in one instruction:
 * lanes (dw*dq, dw*dr) come from one multiply. */
static inline LF_AVX2 __m128 signed2_scales(uint16_t dw, const block_q8_0 *xq, const block_q8_0 *xr) {
    __m128i h = _mm_cvtsi32_si128((int)((uint32_t)xq->d | (uint32_t)xr->d << 16));
    __m128 s = _mm_cvtph_ps(_mm_insert_epi16(h, dw, 2)); /* dq, dr, dw, 0 */
    return _mm_mul_ps(s, _mm_shuffle_ps(s, s, _MM_SHUFFLE(2, 2, 2, 2)));
}

static inline LF_AVX2 void signed2_step(__m256i q, uint16_t dw, const block_q8_0 *xq, const block_q8_0 *xr,
                                        __m256 *acc_q, __m256 *acc_r) {
    __m256i abs_q = _mm256_sign_epi8(q, q);
    __m256 pq = _mm256_cvtepi32_ps(dot_u8_i8(abs_q, _mm256_sign_epi8(load256(xq->qs), q)));
    __m256 pr = _mm256_cvtepi32_ps(dot_u8_i8(abs_q, _mm256_sign_epi8(load256(xr->qs), q)));
    __m128 s = signed2_scales(dw, xq, xr);
    *acc_q = _mm256_fmadd_ps(_mm256_broadcastss_ps(s), pq, *acc_q);
    *acc_r = _mm256_fmadd_ps(_mm256_broadcastss_ps(_mm_movehdup_ps(s)), pr, *acc_r);
}

/* Signed-weight types: QUANTS(block) unpacks a block's signed quants (Q8_0's are its bytes). */
#define SIGNED_DOT2(NAME, BLOCK, QUANTS)                                                                     \
    LF_AVX2 float NAME(const void *w, const void *xq, const void *xr, int64_t n) {                           \
        const BLOCK *b = w;                                                                                  \
        const block_q8_0 *q = xq, *r = xr;                                                                   \
        __m256 acc_q = _mm256_setzero_ps(), acc_r = _mm256_setzero_ps();                                     \
        for (int64_t i = 0; i < n / QK; i++) signed2_step(QUANTS(&b[i]), b[i].d, &q[i], &r[i], &acc_q, &acc_r); \
        return hsum_f32x8(_mm256_add_ps(acc_q, acc_r));                                                      \
    }
#define Q8_0_BYTES(b) load256((b)->qs)
SIGNED_DOT2(avx2_dot2_q4_0, block_q4_0, q4_0_quants)
SIGNED_DOT2(avx2_dot2_q5_0, block_q5_0, q5_0_quants)
SIGNED_DOT2(avx2_dot2_q8_0, block_q8_0, Q8_0_BYTES)
SIGNED_DOT2(avx2_dot2_iq4_nl, block_iq4_nl, iq4_nl_quants)
#undef Q8_0_BYTES
#undef SIGNED_DOT2

/* Unsigned weights u with a minimum (Q4_1, Q5_1) against Q8_1 blocks: lane 0 of
 * (d, m) * (xd, xs) is the block scale, lane 1 the min term, which accumulates in mins. */
static inline LF_AVX2 void unsigned2_step(__m256i u, __m128 dm, const block_q8_1 *xq, const block_q8_1 *xr,
                                          __m256 *acc_q, __m256 *acc_r, __m128 *mins) {
    __m256 pq = _mm256_cvtepi32_ps(dot_u8_i8(u, load256(xq->qs)));
    __m256 pr = _mm256_cvtepi32_ps(dot_u8_i8(u, load256(xr->qs)));
    __m128 sq = _mm_mul_ps(dm, q8_1_ds(xq)), sr = _mm_mul_ps(dm, q8_1_ds(xr));
    *acc_q = _mm256_fmadd_ps(_mm256_broadcastss_ps(sq), pq, *acc_q);
    *acc_r = _mm256_fmadd_ps(_mm256_broadcastss_ps(sr), pr, *acc_r);
    *mins = _mm_add_ps(*mins, _mm_add_ps(sq, sr));
}

LF_AVX2 float avx2_dot2_q4_1(const void *w, const void *xq, const void *xr, int64_t n) {
    const block_q4_1 *b = w;
    const block_q8_1 *q = xq, *r = xr;
    __m256 acc_q = _mm256_setzero_ps(), acc_r = _mm256_setzero_ps();
    __m128 mins = _mm_setzero_ps();
    __m256 acc_q1 = _mm256_setzero_ps(), acc_r1 = _mm256_setzero_ps();
    __m128 mins1 = _mm_setzero_ps();
    int64_t nb = n / QK, i = 0;
    for (; i + 1 < nb; i += 2) {
        unsigned2_step(legacy_nibbles(b[i].qs), q4_1_dm(&b[i]), &q[i], &r[i], &acc_q, &acc_r, &mins);
        unsigned2_step(legacy_nibbles(b[i + 1].qs), q4_1_dm(&b[i + 1]), &q[i + 1], &r[i + 1], &acc_q1, &acc_r1, &mins1);
    }
    for (; i < nb; i++)
        unsigned2_step(legacy_nibbles(b[i].qs), q4_1_dm(&b[i]), &q[i], &r[i], &acc_q, &acc_r, &mins);
    return unsigned_result(_mm256_add_ps(_mm256_add_ps(acc_q, acc_q1), _mm256_add_ps(acc_r, acc_r1)),
                           _mm_add_ps(mins, mins1));
}

LF_AVX2 float avx2_dot2_q5_1(const void *w, const void *xq, const void *xr, int64_t n) {
    const block_q5_1 *b = w;
    const block_q8_1 *q = xq, *r = xr;
    __m256 acc_q = _mm256_setzero_ps(), acc_r = _mm256_setzero_ps();
    __m128 mins = _mm_setzero_ps();
    for (int64_t i = 0; i < n / QK; i++)
        unsigned2_step(q5_1_quants(&b[i]), q5_1_dm(&b[i]), &q[i], &r[i], &acc_q, &acc_r, &mins);
    return unsigned_result(_mm256_add_ps(acc_q, acc_r), mins);
}

/* ------------------------------------------------------------ four activations */

/* Four activations and four residuals: eight integer dots per weight block. The two
 * products of one activation are combined in float before the accumulator (one add on
 * the loop-carried chain), so four accumulators (plus four min vectors) stay in
 * registers. Written out per activation for the same reason as dot_avx2_x4.c. */
static inline LF_AVX2 void signed2_x_step(__m256i abs_q, __m256i q, float dw, const block_q8_0 *xq,
                                          const block_q8_0 *xr, __m256 *acc) {
    __m256 pq = _mm256_cvtepi32_ps(dot_u8_i8(abs_q, _mm256_sign_epi8(load256(xq->qs), q)));
    __m256 pr = _mm256_cvtepi32_ps(dot_u8_i8(abs_q, _mm256_sign_epi8(load256(xr->qs), q)));
    __m256 s = _mm256_fmadd_ps(_mm256_set1_ps(f16(xr->d)), pr, _mm256_mul_ps(_mm256_set1_ps(f16(xq->d)), pq));
    *acc = _mm256_fmadd_ps(_mm256_set1_ps(dw), s, *acc);
}

#define SIGNED2_X4(name, block_t, QUANTS)                                                             \
    LF_AVX2 void name(const void *w, const void *xq, const void *xr, size_t stride, int64_t n, \
                             float out[4]) {                                                          \
        const block_t *b = w;                                                                         \
        const block_q8_0 *q0 = x4_at(xq, stride, 0), *q1 = x4_at(xq, stride, 1);                      \
        const block_q8_0 *q2 = x4_at(xq, stride, 2), *q3 = x4_at(xq, stride, 3);                      \
        const block_q8_0 *r0 = x4_at(xr, stride, 0), *r1 = x4_at(xr, stride, 1);                      \
        const block_q8_0 *r2 = x4_at(xr, stride, 2), *r3 = x4_at(xr, stride, 3);                      \
        __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;                     \
        for (int64_t i = 0; i < n / QK; i++) {                                                        \
            __m256i q = QUANTS;                                                                       \
            __m256i abs_q = _mm256_sign_epi8(q, q);                                                   \
            float dw = f16(b[i].d);                                                                   \
            signed2_x_step(abs_q, q, dw, &q0[i], &r0[i], &acc0);                                      \
            signed2_x_step(abs_q, q, dw, &q1[i], &r1[i], &acc1);                                      \
            signed2_x_step(abs_q, q, dw, &q2[i], &r2[i], &acc2);                                      \
            signed2_x_step(abs_q, q, dw, &q3[i], &r3[i], &acc3);                                      \
        }                                                                                             \
        out[0] = hsum_f32x8(acc0);                                                                    \
        out[1] = hsum_f32x8(acc1);                                                                    \
        out[2] = hsum_f32x8(acc2);                                                                    \
        out[3] = hsum_f32x8(acc3);                                                                    \
    }

SIGNED2_X4(avx2_dot2_x4_q5_0, block_q5_0, q5_0_quants(&b[i]))
#undef SIGNED2_X4

/* d * (dq * u·q + dr * u·r) with the activation scales broadcast straight from memory and
 * the weight scale d broadcast once per block for all four; lane 1 of
 * (d, m) * (dq + dr, sq + sr) is the min term. */
static inline LF_AVX2 void unsigned2_x_step(__m256i u, __m256 d, __m128 dm, const block_q8_1 *xq,
                                            const block_q8_1 *xr, __m256 *acc, __m128 *mins) {
    __m256 pq = _mm256_cvtepi32_ps(dot_u8_i8(u, load256(xq->qs)));
    __m256 pr = _mm256_cvtepi32_ps(dot_u8_i8(u, load256(xr->qs)));
    __m256 t = _mm256_fmadd_ps(pr, _mm256_broadcast_ss(&xr->d), _mm256_mul_ps(pq, _mm256_broadcast_ss(&xq->d)));
    *acc = _mm256_fmadd_ps(d, t, *acc);
    *mins = _mm_fmadd_ps(dm, _mm_add_ps(q8_1_ds(xq), q8_1_ds(xr)), *mins);
}

#define UNSIGNED2_X4(name, block_t, QUANTS, DM)                                                       \
    LF_AVX2 void name(const void *w, const void *xq, const void *xr, size_t stride, int64_t n, \
                             float out[4]) {                                                          \
        const block_t *b = w;                                                                         \
        const block_q8_1 *q0 = x4_at(xq, stride, 0), *q1 = x4_at(xq, stride, 1);                      \
        const block_q8_1 *q2 = x4_at(xq, stride, 2), *q3 = x4_at(xq, stride, 3);                      \
        const block_q8_1 *r0 = x4_at(xr, stride, 0), *r1 = x4_at(xr, stride, 1);                      \
        const block_q8_1 *r2 = x4_at(xr, stride, 2), *r3 = x4_at(xr, stride, 3);                      \
        __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;                     \
        __m128 mins0 = _mm_setzero_ps(), mins1 = mins0, mins2 = mins0, mins3 = mins0;                 \
        for (int64_t i = 0; i < n / QK; i++) {                                                        \
            __m256i u = QUANTS;                                                                       \
            __m128 dm = DM;                                                                           \
            __m256 d = _mm256_broadcastss_ps(dm);                                                     \
            unsigned2_x_step(u, d, dm, &q0[i], &r0[i], &acc0, &mins0);                                \
            unsigned2_x_step(u, d, dm, &q1[i], &r1[i], &acc1, &mins1);                                \
            unsigned2_x_step(u, d, dm, &q2[i], &r2[i], &acc2, &mins2);                                \
            unsigned2_x_step(u, d, dm, &q3[i], &r3[i], &acc3, &mins3);                                \
        }                                                                                             \
        out[0] = unsigned_result(acc0, mins0);                                                        \
        out[1] = unsigned_result(acc1, mins1);                                                        \
        out[2] = unsigned_result(acc2, mins2);                                                        \
        out[3] = unsigned_result(acc3, mins3);                                                        \
    }

UNSIGNED2_X4(avx2_dot2_x4_q4_1, block_q4_1, legacy_nibbles(b[i].qs), q4_1_dm(&b[i]))
UNSIGNED2_X4(avx2_dot2_x4_q5_1, block_q5_1, q5_1_quants(&b[i]), q5_1_dm(&b[i]))
#undef UNSIGNED2_X4

#endif
