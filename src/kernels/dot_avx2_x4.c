/* AVX2 kernels taking one weight row against four activations at once (batched prompt
 * processing): each weight block is loaded and unpacked once and multiplied with the
 * matching block of all four activations, so the unpacking cost and the weight traffic
 * are shared four ways. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/avx2_internal.h"
#include "kernels/blocks_internal.h"

static inline LF_AVX2 const void *activation(const void *xq, size_t stride, int j) {
    return (const char *)xq + (size_t)j * stride;
}

/* The four activations are written out as separate variables (not arrays indexed in a
 * loop) so that the compilers keep all accumulators in registers. */

/* One Q4_1 block (nibbles q, scales dm) against one Q8_1 block. */
static inline LF_AVX2 void q4_1_step(__m256i q, __m128 dm, const block_q8_1 *x, __m256 *acc, __m128 *mins) {
    __m256 p = _mm256_cvtepi32_ps(dot_u8_i8(q, load256(x->qs)));
    __m128 scales = _mm_mul_ps(dm, q8_1_ds(x)); /* d*xd, m*xs */
    *acc = _mm256_fmadd_ps(_mm256_broadcastss_ps(scales), p, *acc);
    *mins = _mm_add_ps(*mins, scales);
}

static inline LF_AVX2 float q4_1_result(__m256 acc, __m128 mins) {
    return hsum_f32x8(acc) + _mm_cvtss_f32(_mm_movehdup_ps(mins));
}

static LF_AVX2 void dot_x4_q4_1(const void *w, const void *xq, size_t stride, int64_t n, float out[4]) {
    const block_q4_1 *b = w;
    const block_q8_1 *x0 = activation(xq, stride, 0), *x1 = activation(xq, stride, 1);
    const block_q8_1 *x2 = activation(xq, stride, 2), *x3 = activation(xq, stride, 3);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    __m128 mins0 = _mm_setzero_ps(), mins1 = mins0, mins2 = mins0, mins3 = mins0;
    for (int64_t i = 0; i < n / QK; i++) {
        __m256i q = legacy_nibbles(b[i].qs);
        __m128 dm = q4_1_dm(&b[i]);
        q4_1_step(q, dm, &x0[i], &acc0, &mins0);
        q4_1_step(q, dm, &x1[i], &acc1, &mins1);
        q4_1_step(q, dm, &x2[i], &acc2, &mins2);
        q4_1_step(q, dm, &x3[i], &acc3, &mins3);
    }
    out[0] = q4_1_result(acc0, mins0);
    out[1] = q4_1_result(acc1, mins1);
    out[2] = q4_1_result(acc2, mins2);
    out[3] = q4_1_result(acc3, mins3);
}

/* Q4_0 and Q8_0 weights are signed: |q| is computed once per block, and q's sign is
 * moved onto each activation. */
static inline LF_AVX2 void signed_step(__m256i abs_q, __m256i q, float dw, const block_q8_0 *x, __m256 *acc) {
    __m256 p = _mm256_cvtepi32_ps(dot_u8_i8(abs_q, _mm256_sign_epi8(load256(x->qs), q)));
    *acc = _mm256_fmadd_ps(_mm256_set1_ps(dw * f16(x->d)), p, *acc);
}

static LF_AVX2 void dot_x4_q4_0(const void *w, const void *xq, size_t stride, int64_t n, float out[4]) {
    const block_q4_0 *b = w;
    const block_q8_0 *x0 = activation(xq, stride, 0), *x1 = activation(xq, stride, 1);
    const block_q8_0 *x2 = activation(xq, stride, 2), *x3 = activation(xq, stride, 3);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    for (int64_t i = 0; i < n / QK; i++) {
        __m256i q = _mm256_sub_epi8(legacy_nibbles(b[i].qs), _mm256_set1_epi8(8));
        __m256i abs_q = _mm256_sign_epi8(q, q);
        float dw = f16(b[i].d);
        signed_step(abs_q, q, dw, &x0[i], &acc0);
        signed_step(abs_q, q, dw, &x1[i], &acc1);
        signed_step(abs_q, q, dw, &x2[i], &acc2);
        signed_step(abs_q, q, dw, &x3[i], &acc3);
    }
    out[0] = hsum_f32x8(acc0);
    out[1] = hsum_f32x8(acc1);
    out[2] = hsum_f32x8(acc2);
    out[3] = hsum_f32x8(acc3);
}

static LF_AVX2 void dot_x4_q8_0(const void *w, const void *xq, size_t stride, int64_t n, float out[4]) {
    const block_q8_0 *b = w;
    const block_q8_0 *x0 = activation(xq, stride, 0), *x1 = activation(xq, stride, 1);
    const block_q8_0 *x2 = activation(xq, stride, 2), *x3 = activation(xq, stride, 3);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    for (int64_t i = 0; i < n / QK; i++) {
        __m256i q = load256(b[i].qs);
        __m256i abs_q = _mm256_sign_epi8(q, q);
        float dw = f16(b[i].d);
        signed_step(abs_q, q, dw, &x0[i], &acc0);
        signed_step(abs_q, q, dw, &x1[i], &acc1);
        signed_step(abs_q, q, dw, &x2[i], &acc2);
        signed_step(abs_q, q, dw, &x3[i], &acc3);
    }
    out[0] = hsum_f32x8(acc0);
    out[1] = hsum_f32x8(acc1);
    out[2] = hsum_f32x8(acc2);
    out[3] = hsum_f32x8(acc3);
}

void lf_kernels_fill_avx2_x4(lf_kernel_table *t) {
    t->dot_x4[LF_TYPE_Q4_0] = dot_x4_q4_0;
    t->dot_x4[LF_TYPE_Q4_1] = dot_x4_q4_1;
    t->dot_x4[LF_TYPE_Q8_0] = dot_x4_q8_0;
}
#endif
