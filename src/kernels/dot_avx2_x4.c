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

static LF_AVX2 void dot_x4_q4_1(const void *w, const void *xq, size_t stride, int64_t n, float out[4]) {
    const block_q4_1 *b = w;
    const block_q8_1 *x[4];
    for (int j = 0; j < 4; j++) x[j] = activation(xq, stride, j);
    __m256 acc[4];
    __m128 mins[4]; /* lane 1 accumulates m * s */
    for (int j = 0; j < 4; j++) {
        acc[j] = _mm256_setzero_ps();
        mins[j] = _mm_setzero_ps();
    }
    for (int64_t i = 0; i < n / QK; i++) {
        __m256i q = legacy_nibbles(b[i].qs);
        __m128 dm = q4_1_dm(&b[i]);
        for (int j = 0; j < 4; j++) {
            __m256 p = _mm256_cvtepi32_ps(dot_u8_i8(q, load256(x[j][i].qs)));
            __m128 scales = _mm_mul_ps(dm, q8_1_ds(&x[j][i])); /* d*xd, m*xs */
            acc[j] = _mm256_fmadd_ps(_mm256_broadcastss_ps(scales), p, acc[j]);
            mins[j] = _mm_add_ps(mins[j], scales);
        }
    }
    for (int j = 0; j < 4; j++) out[j] = hsum_f32x8(acc[j]) + _mm_cvtss_f32(_mm_movehdup_ps(mins[j]));
}

/* Q4_0 and Q8_0 weights are signed: |q| is computed once, its sign moved onto each
 * activation. */
static inline LF_AVX2 void signed_block_x4(__m256i q, float dw, const block_q8_0 *const x[4], int64_t i,
                                           __m256 acc[4]) {
    __m256i aq = _mm256_sign_epi8(q, q);
    for (int j = 0; j < 4; j++) {
        __m256i sx = _mm256_sign_epi8(load256(x[j][i].qs), q);
        __m256 p = _mm256_cvtepi32_ps(dot_u8_i8(aq, sx));
        acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(dw * f16(x[j][i].d)), p, acc[j]);
    }
}

static LF_AVX2 void dot_x4_q4_0(const void *w, const void *xq, size_t stride, int64_t n, float out[4]) {
    const block_q4_0 *b = w;
    const block_q8_0 *x[4];
    __m256 acc[4];
    for (int j = 0; j < 4; j++) {
        x[j] = activation(xq, stride, j);
        acc[j] = _mm256_setzero_ps();
    }
    for (int64_t i = 0; i < n / QK; i++)
        signed_block_x4(_mm256_sub_epi8(legacy_nibbles(b[i].qs), _mm256_set1_epi8(8)), f16(b[i].d), x, i, acc);
    for (int j = 0; j < 4; j++) out[j] = hsum_f32x8(acc[j]);
}

static LF_AVX2 void dot_x4_q8_0(const void *w, const void *xq, size_t stride, int64_t n, float out[4]) {
    const block_q8_0 *b = w;
    const block_q8_0 *x[4];
    __m256 acc[4];
    for (int j = 0; j < 4; j++) {
        x[j] = activation(xq, stride, j);
        acc[j] = _mm256_setzero_ps();
    }
    for (int64_t i = 0; i < n / QK; i++) signed_block_x4(load256(b[i].qs), f16(b[i].d), x, i, acc);
    for (int j = 0; j < 4; j++) out[j] = hsum_f32x8(acc[j]);
}

void lf_kernels_fill_avx2_x4(lf_kernel_table *t) {
    t->dot_x4[LF_TYPE_Q4_0] = dot_x4_q4_0;
    t->dot_x4[LF_TYPE_Q4_1] = dot_x4_q4_1;
    t->dot_x4[LF_TYPE_Q8_0] = dot_x4_q8_0;
}
#endif
