/* AVX-512 (F, BW, VL, VNNI) variants of the hottest dot products. The quant kernels are
 * the AVX2 ones with maddubs+madd replaced by one VNNI dpbusd (no 16-bit intermediate);
 * the float kernels use 16-wide registers. Everything else falls back to AVX2. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/avx2_internal.h"
#include "kernels/blocks_internal.h"
#include "kernels/kernels_internal.h"

#include <immintrin.h>

/* A superset of LF_AVX2, so the AVX2 building blocks inline here. */
#define LF_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")))

static inline LF_AVX512 __m256i nibbles(const uint8_t qs[16]) {
    __m128i b = _mm_loadu_si128((const __m128i *)qs);
    __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(b), _mm_srli_epi16(b, 4), 1);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

/* Eight int32 sums of four signed-byte products (sign moved onto b, |a| unsigned). */
static inline LF_AVX512 __m256i dot_i8(__m256i a, __m256i b) {
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
}

/* Signed weights q (Q4_0, Q8_0) with scale dw against one Q8_0 block. */
static inline LF_AVX512 __m256 signed_step(__m256i q, uint16_t dw, const block_q8_0 *x, __m256 acc) {
    __m256 p = _mm256_cvtepi32_ps(dot_i8(q, load256(x->qs)));
    return _mm256_fmadd_ps(_mm256_set1_ps(f16(dw) * f16(x->d)), p, acc);
}

static LF_AVX512 float dot_q4_0(const void *w, const void *xq, int64_t n) {
    const block_q4_0 *b = w;
    const block_q8_0 *x = xq;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK; i++)
        acc = signed_step(_mm256_sub_epi8(nibbles(b[i].qs), _mm256_set1_epi8(8)), b[i].d, &x[i], acc);
    return hsum_f32x8(acc);
}

static LF_AVX512 float dot_q4_1(const void *w, const void *xq, int64_t n) {
    const block_q4_1 *b = w;
    const block_q8_1 *x = xq;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    for (int64_t i = 0; i < n / QK; i++) {
        __m256i s = _mm256_dpbusd_epi32(_mm256_setzero_si256(), nibbles(b[i].qs), load256(x[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(f16(b[i].d) * x[i].d), _mm256_cvtepi32_ps(s), acc);
        mins += f16(b[i].m) * x[i].s;
    }
    return hsum_f32x8(acc) + mins;
}

static LF_AVX512 float dot_q8_0(const void *w, const void *xq, int64_t n) {
    const block_q8_0 *b = w;
    const block_q8_0 *x = xq;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK; i++) acc = signed_step(load256(b[i].qs), b[i].d, &x[i], acc);
    return hsum_f32x8(acc);
}

static LF_AVX512 float dot_f16(const void *w, const void *xq, int64_t n) {
    const uint16_t *a = w;
    const float *x = xq;
    __m512 acc = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 wa = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(a + i)));
        acc = _mm512_fmadd_ps(wa, _mm512_loadu_ps(x + i), acc);
    }
    float sum = _mm512_reduce_add_ps(acc);
    for (; i < n; i++) sum += f16(a[i]) * x[i];
    return sum;
}

static LF_AVX512 float dot_f32(const float *a, const float *b, int64_t n) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
    }
    float sum = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}

static LF_AVX512 float dot_f32_weights(const void *w, const void *xq, int64_t n) { return dot_f32(w, xq, n); }

void lf_kernels_fill_avx512_dot(lf_kernel_table *t) {
    t->dot[LF_TYPE_F32] = dot_f32_weights;
    t->dot[LF_TYPE_F16] = dot_f16;
    t->dot[LF_TYPE_Q4_0] = dot_q4_0;
    t->dot[LF_TYPE_Q4_1] = dot_q4_1;
    t->dot[LF_TYPE_Q8_0] = dot_q8_0;
    t->dot_f32 = dot_f32;
}
#endif
