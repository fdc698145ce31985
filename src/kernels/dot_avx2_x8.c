/* AVX2 kernels taking two weight rows against four activations at once (batched prompt
 * processing) for the signed legacy types Q4_0 and Q8_0: eight products per step. Each
 * weight block is unpacked (and its |q| formed) once for four activations, as in the x4
 * kernels, and each activation block is loaded once for two rows, which halves the
 * activation traffic. A one-row, eight-activation kernel measured no faster than x4
 * (with a 4-row tile the weights stay in L1 while the activations stream from L2), so
 * the reuse that pays is of the activations. Two rows x four activations (eight
 * accumulators, two unpacked blocks and their |q|) is what fits the sixteen ymm
 * registers (the residual variant, with two more activation loads per step, spills a
 * few accumulators to L1 under gcc); the activations are written out as separate
 * variables so the compilers keep the rest in registers. The fp16 scales of the four
 * activation blocks convert in one instruction and multiply both weight scales as
 * vectors; each product's scale is then one in-lane broadcast (vpermilps), instead of a
 * conversion, a scalar multiply and a broadcast per product. Plain and fused
 * activation + residual variants. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/avx2_internal.h"
#include "kernels/blocks_internal.h"
#include "kernels/unpack_avx2_internal.h"

/* The fp16 scales of four activation blocks, as floats in both 128-bit halves. */
static inline LF_AVX2 __m256 x8_dx(uint16_t d0, uint16_t d1, uint16_t d2, uint16_t d3) {
    __m128i h = _mm_cvtsi32_si128((int)((uint32_t)d0 | (uint32_t)d1 << 16));
    h = _mm_insert_epi16(_mm_insert_epi16(h, d2, 2), d3, 3);
    __m128 f = _mm_cvtph_ps(h);
    return _mm256_insertf128_ps(_mm256_castps128_ps256(f), f, 1);
}

/* Row pair (q0, q1) against one activation block x: acc0 += s0*(q0.x), acc1 += s1*(q1.x),
 * with s0, s1 the combined weight x activation scales already broadcast. */
static inline LF_AVX2 void x8_step(__m256i abs0, __m256i q0, __m256i abs1, __m256i q1, __m256 s0, __m256 s1,
                                   const block_q8_0 *x, __m256 *acc0, __m256 *acc1) {
    __m256i xv = load256(x->qs);
    __m256 p0 = _mm256_cvtepi32_ps(dot_u8_i8(abs0, _mm256_sign_epi8(xv, q0)));
    __m256 p1 = _mm256_cvtepi32_ps(dot_u8_i8(abs1, _mm256_sign_epi8(xv, q1)));
    *acc0 = _mm256_fmadd_ps(s0, p0, *acc0);
    *acc1 = _mm256_fmadd_ps(s1, p1, *acc1);
}

/* One row (q) against an activation block xq and its residual block xr:
 * acc += sq*(q.xq) + sr*(q.xr), two FMAs into the accumulator. */
static inline LF_AVX2 void x8_step2(__m256i abs_q, __m256i q, __m256 sq, __m256 sr, const block_q8_0 *xq,
                                    const block_q8_0 *xr, __m256 *acc) {
    __m256 pq = _mm256_cvtepi32_ps(dot_u8_i8(abs_q, _mm256_sign_epi8(load256(xq->qs), q)));
    __m256 pr = _mm256_cvtepi32_ps(dot_u8_i8(abs_q, _mm256_sign_epi8(load256(xr->qs), q)));
    *acc = _mm256_fmadd_ps(sq, pq, *acc);
    *acc = _mm256_fmadd_ps(sr, pr, *acc);
}

/* Lane j of each 128-bit half broadcast to all eight (vpermilps with an immediate). */
#define X8_LANE(v, j) _mm256_permute_ps(v, (j) * 0x55)

#define X8_POINTERS(p, base)                                                                       \
    const block_q8_0 *p##0 = x4_at(base, stride, 0), *p##1 = x4_at(base, stride, 1);              \
    const block_q8_0 *p##2 = x4_at(base, stride, 2), *p##3 = x4_at(base, stride, 3)

/* out[r*4 + j]: row r of the pair, activation j. */
#define X8_RESULTS                                                                                 \
    out[0] = hsum_f32x8(a00);                                                                      \
    out[1] = hsum_f32x8(a01);                                                                      \
    out[2] = hsum_f32x8(a02);                                                                      \
    out[3] = hsum_f32x8(a03);                                                                      \
    out[4] = hsum_f32x8(a10);                                                                      \
    out[5] = hsum_f32x8(a11);                                                                      \
    out[6] = hsum_f32x8(a12);                                                                      \
    out[7] = hsum_f32x8(a13)

#define X8_ACCS                                                                                    \
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a03 = a00;                             \
    __m256 a10 = a00, a11 = a00, a12 = a00, a13 = a00

#define SIGNED_X8(name, block_t, QUANTS)                                                                 \
    static LF_AVX2 void name(const void *w, size_t row_bytes, const void *xq, size_t stride, int64_t n, \
                             float out[8]) {                                                             \
        const block_t *w0 = w, *w1 = (const block_t *)((const char *)w + row_bytes);                    \
        X8_POINTERS(x, xq);                                                                              \
        X8_ACCS;                                                                                         \
        for (int64_t i = 0; i < n / QK; i++) {                                                           \
            __m256i q0 = QUANTS(w0), q1 = QUANTS(w1);                                                    \
            __m256i abs0 = _mm256_sign_epi8(q0, q0), abs1 = _mm256_sign_epi8(q1, q1);                    \
            __m256 dx = x8_dx(x0[i].d, x1[i].d, x2[i].d, x3[i].d);                                       \
            __m256 s0 = _mm256_mul_ps(dx, _mm256_set1_ps(f16(w0[i].d)));                                 \
            __m256 s1 = _mm256_mul_ps(dx, _mm256_set1_ps(f16(w1[i].d)));                                 \
            x8_step(abs0, q0, abs1, q1, X8_LANE(s0, 0), X8_LANE(s1, 0), &x0[i], &a00, &a10);             \
            x8_step(abs0, q0, abs1, q1, X8_LANE(s0, 1), X8_LANE(s1, 1), &x1[i], &a01, &a11);             \
            x8_step(abs0, q0, abs1, q1, X8_LANE(s0, 2), X8_LANE(s1, 2), &x2[i], &a02, &a12);             \
            x8_step(abs0, q0, abs1, q1, X8_LANE(s0, 3), X8_LANE(s1, 3), &x3[i], &a03, &a13);             \
        }                                                                                                \
        X8_RESULTS;                                                                                      \
    }

#define SIGNED2_X8(name, block_t, QUANTS)                                                                \
    static LF_AVX2 void name(const void *w, size_t row_bytes, const void *xq, const void *xr, size_t stride, \
                             int64_t n, float out[8]) {                                                  \
        const block_t *w0 = w, *w1 = (const block_t *)((const char *)w + row_bytes);                    \
        X8_POINTERS(q, xq);                                                                              \
        X8_POINTERS(r, xr);                                                                              \
        X8_ACCS;                                                                                         \
        for (int64_t i = 0; i < n / QK; i++) {                                                           \
            __m256i wq0 = QUANTS(w0), wq1 = QUANTS(w1);                                                  \
            __m256i abs0 = _mm256_sign_epi8(wq0, wq0), abs1 = _mm256_sign_epi8(wq1, wq1);                \
            __m256 dw0 = _mm256_set1_ps(f16(w0[i].d)), dw1 = _mm256_set1_ps(f16(w1[i].d));               \
            __m256 dq = x8_dx(q0[i].d, q1[i].d, q2[i].d, q3[i].d);                                       \
            __m256 dr = x8_dx(r0[i].d, r1[i].d, r2[i].d, r3[i].d);                                       \
            __m256 sq0 = _mm256_mul_ps(dq, dw0), sr0 = _mm256_mul_ps(dr, dw0);                           \
            __m256 sq1 = _mm256_mul_ps(dq, dw1), sr1 = _mm256_mul_ps(dr, dw1);                           \
            x8_step2(abs0, wq0, X8_LANE(sq0, 0), X8_LANE(sr0, 0), &q0[i], &r0[i], &a00);                 \
            x8_step2(abs1, wq1, X8_LANE(sq1, 0), X8_LANE(sr1, 0), &q0[i], &r0[i], &a10);                 \
            x8_step2(abs0, wq0, X8_LANE(sq0, 1), X8_LANE(sr0, 1), &q1[i], &r1[i], &a01);                 \
            x8_step2(abs1, wq1, X8_LANE(sq1, 1), X8_LANE(sr1, 1), &q1[i], &r1[i], &a11);                 \
            x8_step2(abs0, wq0, X8_LANE(sq0, 2), X8_LANE(sr0, 2), &q2[i], &r2[i], &a02);                 \
            x8_step2(abs1, wq1, X8_LANE(sq1, 2), X8_LANE(sr1, 2), &q2[i], &r2[i], &a12);                 \
            x8_step2(abs0, wq0, X8_LANE(sq0, 3), X8_LANE(sr0, 3), &q3[i], &r3[i], &a03);                 \
            x8_step2(abs1, wq1, X8_LANE(sq1, 3), X8_LANE(sr1, 3), &q3[i], &r3[i], &a13);                 \
        }                                                                                                \
        X8_RESULTS;                                                                                      \
    }

#define Q4_0_Q(wp) q4_0_quants(&(wp)[i])
#define Q8_0_Q(wp) load256((wp)[i].qs)
SIGNED_X8(dot_x8_q4_0, block_q4_0, Q4_0_Q)
SIGNED_X8(dot_x8_q8_0, block_q8_0, Q8_0_Q)
SIGNED2_X8(dot2_x8_q4_0, block_q4_0, Q4_0_Q)
SIGNED2_X8(dot2_x8_q8_0, block_q8_0, Q8_0_Q)
#undef Q4_0_Q
#undef Q8_0_Q
#undef SIGNED_X8
#undef SIGNED2_X8
#undef X8_POINTERS
#undef X8_RESULTS
#undef X8_ACCS
#undef X8_LANE

void lf_kernels_fill_avx2_x8(lf_kernel_table *t) {
    t->dot_x8[LF_TYPE_Q4_0] = dot_x8_q4_0;
    t->dot_x8[LF_TYPE_Q8_0] = dot_x8_q8_0;
    t->dot2_x8[LF_TYPE_Q4_0] = dot2_x8_q4_0;
    t->dot2_x8[LF_TYPE_Q8_0] = dot2_x8_q8_0;
}
#endif
