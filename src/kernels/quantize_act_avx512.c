/* AVX-512 activation quantization of Q8_0 and Q8_1 (a 32-value block in two vectors),
 * bit-identical to the scalar reference in quantize_act.c, as the AVX2 variants are: the
 * same absmax (NaNs skipped), the same scalar scale arithmetic, NaN products to 0, the
 * clamp to [-127, 127] in float, rounding to nearest-even by the CPU's conversion. Half
 * the AVX2 code's vector operations per block; a batched decode step of SmolLM2 spent 4 %
 * of its time here. Q8_K stays AVX2. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/avx2_internal.h"
#include "kernels/blocks_internal.h"
#include "kernels/kernels_internal.h"
#include "kernels/quantize_act_internal.h"

#include <immintrin.h>

#define LF_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")))

/* The largest |x| of 32 values; maxps returns its second operand, the running maximum,
 * where an element is NaN, so NaNs are skipped like the scalar code skips them. */
static inline LF_AVX512 float absmax32(const float *x) {
    __m512 m = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(x)), _mm512_setzero_ps());
    m = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(x + 16)), m);
    return hmax_f32x8(_mm256_max_ps(_mm512_castps512_ps256(m),
                                    _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(m), 1))));
}

/* Sixteen quants of x * id as int32. */
static inline LF_AVX512 __m512i quant16(__m512 x, __m512 id) {
    __m512 v = _mm512_mul_ps(x, id);
    v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, v, _CMP_ORD_Q), v); /* NaN -> 0 */
    v = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(-127.0f)), _mm512_set1_ps(127.0f));
    return _mm512_cvtps_epi32(v);
}

/* Quantizes 32 floats into qs; returns the sum of the quants. */
static inline LF_AVX512 int quant32(const float *x, float id, int8_t *qs) {
    __m512 vid = _mm512_set1_ps(id);
    __m512i q0 = quant16(_mm512_loadu_ps(x), vid), q1 = quant16(_mm512_loadu_ps(x + 16), vid);
    _mm_storeu_si128((__m128i *)qs, _mm512_cvtepi32_epi8(q0));
    _mm_storeu_si128((__m128i *)(qs + 16), _mm512_cvtepi32_epi8(q1));
    return _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
}

static LF_AVX512 void quantize_q8_0(const float *x, void *yv, int64_t nb) {
    block_q8_0 *y = yv;
    for (int64_t i = 0; i < nb; i++, x += QK) {
        /* F16C rounds to nearest-even like lf_f32_to_f16 (amax is never NaN) */
        uint16_t dh = (uint16_t)_cvtss_sh(absmax32(x) / 127.0f, _MM_FROUND_TO_NEAREST_INT);
        y[i].d = dh;
        quant32(x, act_inverse_scale(_cvtsh_ss(dh)), y[i].qs);
    }
}

static LF_AVX512 void quantize_q8_1(const float *x, void *yv, int64_t nb) {
    block_q8_1 *y = yv;
    for (int64_t i = 0; i < nb; i++, x += QK) {
        float d = absmax32(x) / 127.0f;
        int sum = quant32(x, act_inverse_scale(d), y[i].qs);
        y[i].d = d;
        y[i].s = d * (float)sum;
    }
}

void lf_kernels_fill_avx512_act(lf_kernel_table *t) {
    t->quantize_act[LF_TYPE_Q8_0] = quantize_q8_0;
    t->quantize_act[LF_TYPE_Q8_1] = quantize_q8_1;
}
#endif
