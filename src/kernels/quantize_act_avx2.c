/* AVX2 activation quantization (Q8_0, Q8_1, Q8_K), bit-identical to the scalar
 * reference in quantize_act.c: the same absmax (NaNs skipped), the same scalar scale
 * arithmetic, NaN products to 0, the clamp to [-127, 127] in float, and rounding to
 * nearest-even by the CPU's float-to-int conversion (the scalar code rounds the same way
 * under the default rounding mode). */
#include "kernels/avx2_internal.h"
#include "kernels/quantize_act_internal.h"


/* Running max of |v| into acc. The accumulator is the second operand of maxps, which
 * returns it when |v| is NaN: NaN elements are skipped like the scalar code skips them. */
static inline LF_AVX2 __m256 max_abs(__m256 acc, __m256 v) {
    return _mm256_max_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), v), acc);
}

/* Eight quants of x * id as int32. */
static inline LF_AVX2 __m256i quant8(__m256 x, __m256 id) {
    __m256 v = _mm256_mul_ps(x, id);
    v = _mm256_and_ps(v, _mm256_cmp_ps(v, v, _CMP_ORD_Q)); /* NaN -> 0 */
    v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
    return _mm256_cvtps_epi32(v);
}

/* 32 int32 quants (four vectors in element order) packed to 32 int8 in element order.
 * The two packs interleave 4-element pieces across the 128-bit lanes; the dword
 * permutation puts them back. */
static inline LF_AVX2 __m256i pack32(__m256i q0, __m256i q1, __m256i q2, __m256i q3) {
    __m256i b = _mm256_packs_epi16(_mm256_packs_epi32(q0, q1), _mm256_packs_epi32(q2, q3));
    return _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* Quantizes 32 floats; stores the int8 quants and returns their int32 vectors. */
static inline LF_AVX2 void quant32(const float *x, float id, int8_t *qs, __m256i q[4]) {
    __m256 vid = _mm256_set1_ps(id);
    for (int k = 0; k < 4; k++) q[k] = quant8(_mm256_loadu_ps(x + 8 * k), vid);
    _mm256_storeu_si256((__m256i *)qs, pack32(q[0], q[1], q[2], q[3]));
}

static inline LF_AVX2 float absmax32(const float *x) {
    __m256 m = _mm256_setzero_ps();
    for (int k = 0; k < 4; k++) m = max_abs(m, _mm256_loadu_ps(x + 8 * k));
    return hmax_f32x8(m);
}

static LF_AVX2 void quantize_q8_0(const float *x, void *yv, int64_t nb) {
    block_q8_0 *y = yv;
    for (int64_t i = 0; i < nb; i++, x += QK) {
        /* F16C rounds to nearest-even like lf_f32_to_f16 (amax is never NaN) */
        uint16_t dh = (uint16_t)_cvtss_sh(absmax32(x) / 127.0f, _MM_FROUND_TO_NEAREST_INT);
        y[i].d = dh;
        __m256i q[4];
        quant32(x, act_inverse_scale(_cvtsh_ss(dh)), y[i].qs, q);
    }
}

static LF_AVX2 void quantize_q8_1(const float *x, void *yv, int64_t nb) {
    block_q8_1 *y = yv;
    for (int64_t i = 0; i < nb; i++, x += QK) {
        float d = absmax32(x) / 127.0f;
        __m256i q[4];
        quant32(x, act_inverse_scale(d), y[i].qs, q);
        int sum = hsum_i32x8(_mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3])));
        y[i].d = d;
        y[i].s = d * (float)sum;
    }
}

/* Sums of eight int32 vectors s[0..7], one per lane in order. */
static inline LF_AVX2 __m256i hsum8_i32x8(const __m256i s[8]) {
    __m256i a = _mm256_hadd_epi32(_mm256_hadd_epi32(s[0], s[1]), _mm256_hadd_epi32(s[2], s[3]));
    __m256i b = _mm256_hadd_epi32(_mm256_hadd_epi32(s[4], s[5]), _mm256_hadd_epi32(s[6], s[7]));
    /* a: lane 0 = partial sums of s0..s3 over elements 0-3, lane 1 over elements 4-7 */
    return _mm256_add_epi32(_mm256_permute2x128_si256(a, b, 0x20), _mm256_permute2x128_si256(a, b, 0x31));
}

static LF_AVX2 void quantize_q8_K(const float *x, void *yv, int64_t nb) {
    block_q8_K *y = yv;
    for (int64_t i = 0; i < nb; i++, x += QK_K) {
        __m256 m0 = _mm256_setzero_ps(), m1 = m0, m2 = m0, m3 = m0;
        for (int k = 0; k < QK_K; k += 32) {
            m0 = max_abs(m0, _mm256_loadu_ps(x + k));
            m1 = max_abs(m1, _mm256_loadu_ps(x + k + 8));
            m2 = max_abs(m2, _mm256_loadu_ps(x + k + 16));
            m3 = max_abs(m3, _mm256_loadu_ps(x + k + 24));
        }
        float d = hmax_f32x8(_mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3))) / 127.0f;
        float id = act_inverse_scale(d);
        y[i].d = d;
        __m256i gsum[16]; /* per group of 16: eight partial sums */
        for (int k = 0; k < QK_K / 32; k++) {
            __m256i q[4];
            quant32(x + 32 * k, id, y[i].qs + 32 * k, q);
            gsum[2 * k] = _mm256_add_epi32(q[0], q[1]);
            gsum[2 * k + 1] = _mm256_add_epi32(q[2], q[3]);
        }
        /* |bsum| <= 16 * 127: the saturating pack is exact */
        __m256i bs = _mm256_packs_epi32(hsum8_i32x8(gsum), hsum8_i32x8(gsum + 8));
        bs = _mm256_permute4x64_epi64(bs, _MM_SHUFFLE(3, 1, 2, 0));
        _mm256_storeu_si256((__m256i *)y[i].bsums, bs);
    }
}

void lf_kernels_fill_avx2_act(lf_kernel_table *t) {
    t->quantize_act[LF_TYPE_Q8_0] = quantize_q8_0;
    t->quantize_act[LF_TYPE_Q8_1] = quantize_q8_1;
    t->quantize_act[LF_TYPE_Q8_K] = quantize_q8_K;
}
