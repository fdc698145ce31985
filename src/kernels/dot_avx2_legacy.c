/* AVX2 dot products for the legacy 32-weight block types and the float types. Quants
 * are multiplied as bytes (maddubs) and summed to int32 inside a block; one float FMA
 * per block applies the two scales. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/avx2_internal.h"
#include "kernels/blocks_internal.h"
#include "kernels/unpack_avx2_internal.h"

/* Signed weights q (Q4_0, Q5_0, Q8_0, IQ4_NL) with scale dw against one Q8_0 block. */
static inline LF_AVX2 __m256 signed_step(__m256i q, uint16_t dw, const block_q8_0 *x, __m256 acc) {
    __m256 p = _mm256_cvtepi32_ps(dot_i8_i8(q, load256(x->qs)));
    return _mm256_fmadd_ps(_mm256_set1_ps(f16(dw) * f16(x->d)), p, acc);
}

/* Signed-weight types (Q4_0, Q5_0, IQ4_NL): QUANTS(block) unpacks a block's signed quants. */
#define SIGNED_DOT(NAME, BLOCK, QUANTS)                                                            \
    static LF_AVX2 float NAME(const void *w, const void *xq, int64_t n) {                          \
        const BLOCK *b = w;                                                                        \
        const block_q8_0 *x = xq;                                                                  \
        __m256 acc = _mm256_setzero_ps();                                                          \
        for (int64_t i = 0; i < n / QK; i++) acc = signed_step(QUANTS(&b[i]), b[i].d, &x[i], acc); \
        return hsum_f32x8(acc);                                                                    \
    }
SIGNED_DOT(dot_q4_0, block_q4_0, q4_0_quants)
SIGNED_DOT(dot_q5_0, block_q5_0, q5_0_quants)
SIGNED_DOT(dot_iq4_nl, block_iq4_nl, iq4_nl_quants)
#undef SIGNED_DOT

/* Two blocks per iteration with separate accumulators (the loop is otherwise bound by
 * the FMA latency). d and m convert together; lane 0 of d,m * xd,xs is the block scale
 * and lane 1 the min term, which accumulates in a vector too. */
static LF_AVX2 float dot_q4_1(const void *w, const void *xq, int64_t n) {
    const block_q4_1 *b = w;
    const block_q8_1 *x = xq;
    int64_t nb = n / QK, i = 0;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m128 mins = _mm_setzero_ps();
    for (; i + 1 < nb; i += 2) {
        __m256 p0 = _mm256_cvtepi32_ps(dot_u8_i8(legacy_nibbles(b[i].qs), load256(x[i].qs)));
        __m256 p1 = _mm256_cvtepi32_ps(dot_u8_i8(legacy_nibbles(b[i + 1].qs), load256(x[i + 1].qs)));
        __m128 s0 = _mm_mul_ps(q4_1_dm(&b[i]), q8_1_ds(&x[i]));
        __m128 s1 = _mm_mul_ps(q4_1_dm(&b[i + 1]), q8_1_ds(&x[i + 1]));
        acc0 = _mm256_fmadd_ps(_mm256_broadcastss_ps(s0), p0, acc0);
        acc1 = _mm256_fmadd_ps(_mm256_broadcastss_ps(s1), p1, acc1);
        mins = _mm_add_ps(mins, _mm_add_ps(s0, s1));
    }
    for (; i < nb; i++) unsigned_step(legacy_nibbles(b[i].qs), q4_1_dm(&b[i]), &x[i], &acc0, &mins);
    return unsigned_result(_mm256_add_ps(acc0, acc1), mins);
}

static LF_AVX2 float dot_q5_1(const void *w, const void *xq, int64_t n) {
    const block_q5_1 *b = w;
    const block_q8_1 *x = xq;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    for (int64_t i = 0; i < n / QK; i++) {
        __m256 p = _mm256_cvtepi32_ps(dot_u8_i8(q5_1_quants(&b[i]), load256(x[i].qs)));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(f16(b[i].d) * x[i].d), p, acc);
        mins += f16(b[i].m) * x[i].s;
    }
    return hsum_f32x8(acc) + mins;
}

static LF_AVX2 float dot_q8_0(const void *w, const void *xq, int64_t n) {
    const block_q8_0 *b = w;
    const block_q8_0 *x = xq;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK; i++) acc = signed_step(load256(b[i].qs), b[i].d, &x[i], acc);
    return hsum_f32x8(acc);
}

static LF_AVX2 __m256 load_f16x8(const uint16_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

static LF_AVX2 __m256 load_bf16x8(const uint16_t *p) {
    __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

static LF_AVX2 float dot_f16(const void *w, const void *xq, int64_t n) {
    const uint16_t *a = w;
    const float *x = xq;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(load_f16x8(a + i), _mm256_loadu_ps(x + i), acc0);
        acc1 = _mm256_fmadd_ps(load_f16x8(a + i + 8), _mm256_loadu_ps(x + i + 8), acc1);
    }
    float sum = hsum_f32x8(_mm256_add_ps(acc0, acc1));
    for (; i < n; i++) sum += f16(a[i]) * x[i];
    return sum;
}

static LF_AVX2 float dot_bf16(const void *w, const void *xq, int64_t n) {
    const uint16_t *a = w;
    const float *x = xq;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(load_bf16x8(a + i), _mm256_loadu_ps(x + i), acc0);
        acc1 = _mm256_fmadd_ps(load_bf16x8(a + i + 8), _mm256_loadu_ps(x + i + 8), acc1);
    }
    float sum = hsum_f32x8(_mm256_add_ps(acc0, acc1));
    for (; i < n; i++) sum += lf_bf16_to_f32(a[i]) * x[i];
    return sum;
}

static LF_AVX2 float dot_f32(const float *a, const float *b, int64_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
        acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), acc2);
        acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), acc3);
    }
    for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    float sum = hsum_f32x8(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}

static LF_AVX2 float dot_f32_weights(const void *w, const void *xq, int64_t n) { return dot_f32(w, xq, n); }

static LF_AVX2 void axpy_f32(float *y, float a, const float *x, int64_t n) {
    __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += a * x[i];
}

void lf_kernels_fill_avx2_dot(lf_kernel_table *t) {
    t->dot[LF_TYPE_F32] = dot_f32_weights;
    t->dot[LF_TYPE_F16] = dot_f16;
    t->dot[LF_TYPE_BF16] = dot_bf16;
    t->dot[LF_TYPE_Q4_0] = dot_q4_0;
    t->dot[LF_TYPE_Q4_1] = dot_q4_1;
    t->dot[LF_TYPE_Q5_0] = dot_q5_0;
    t->dot[LF_TYPE_Q5_1] = dot_q5_1;
    t->dot[LF_TYPE_Q8_0] = dot_q8_0;
    t->dot[LF_TYPE_IQ4_NL] = dot_iq4_nl;
    t->dot_f32 = dot_f32;
    t->axpy_f32 = axpy_f32;
    lf_kernels_fill_avx2_kquants(t);
}
#endif
