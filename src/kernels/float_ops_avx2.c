/* AVX2 + FMA variants of RMSNorm, SwiGLU and softmax, with a vector exp of our own:
 * range reduction x = n ln2 + r (|r| <= ln2/2, ln2 split in two so n*ln2_hi is exact),
 * exp(r) by its degree-7 Taylor polynomial (truncation error < 6e-9 relative) in Horner
 * form with FMA, and the 2^n scaling done in two halves so that results down to the
 * subnormal range stay right. Relative error is about 1 ulp for results >= FLT_MIN;
 * inputs above ~88.73 give +inf, below ~-103.9 (and -inf) give 0, NaN stays NaN.
 * Tails (n not a multiple of 8) use masked loads and stores, so every element goes
 * through the same arithmetic. */
#include "kernels/avx2_internal.h"

#include <math.h>

static inline LF_AVX2 __m256 exp8(__m256 x) {
    /* clamp (NaN passes through: minps/maxps return the second operand then) */
    x = _mm256_min_ps(_mm256_set1_ps(88.75f), x);
    x = _mm256_max_ps(_mm256_set1_ps(-110.0f), x);
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    /* ln2 = 0.693359375 - 2.12194440054690583e-4; the first part has 10 significant bits */
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440054690583e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    /* 2^n = 2^n1 * 2^n2 with n1 = floor(n/2): both halves are normal floats for
     * n in [-159, 128], and only the last multiplication can round (into subnormals) */
    __m256i ni = _mm256_cvtps_epi32(n);
    __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
    __m256i bias = _mm256_set1_epi32(127);
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

/* Lanes [0, rem) all ones, for the masked loads and stores of a tail (rem < 8). */
static inline LF_AVX2 __m256i tail_mask(int64_t rem) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)rem), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline LF_AVX2 double hsum_f64x4(__m256d v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

/* acc += the eight floats of v, widened to double. */
static inline LF_AVX2 __m256d add_wide(__m256d acc, __m256 v) {
    acc = _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    return _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

/* The sum of the squares of x[i] (+ add[i] when add is not NULL, the sums then stored
 * to sum[i]). Squares of floats are exact in double, so this differs from the scalar
 * loop only in the order of the (double) additions. */
static inline LF_AVX2 double squares(float *sum, const float *x, const float *add, int64_t n) {
    __m256d a0 = _mm256_setzero_pd(), a1 = a0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        if (add) {
            v = _mm256_add_ps(v, _mm256_loadu_ps(add + i));
            _mm256_storeu_ps(sum + i, v);
        }
        __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v)), hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
        a0 = _mm256_fmadd_pd(lo, lo, a0);
        a1 = _mm256_fmadd_pd(hi, hi, a1);
    }
    double ss = hsum_f64x4(_mm256_add_pd(a0, a1));
    for (; i < n; i++) {
        float v = add ? (sum[i] = x[i] + add[i]) : x[i];
        ss += (double)v * v;
    }
    return ss;
}

/* out = x * w / sqrt(ss / n + eps). */
static inline LF_AVX2 void scale_by_norm(float *out, const float *x, const float *w, int64_t n, double ss, float eps) {
    float scale = 1.0f / sqrtf((float)(ss / (double)n) + eps);
    __m256 vs = _mm256_set1_ps(scale);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), vs), _mm256_loadu_ps(w + i)));
    for (; i < n; i++) out[i] = x[i] * scale * w[i];
}

static LF_AVX2 void rmsnorm_f32(float *out, const float *x, const float *w, int64_t n, float eps) {
    scale_by_norm(out, x, w, n, squares(NULL, x, NULL, n), eps);
}

static LF_AVX2 void add_rmsnorm_f32(float *out, float *x, const float *add, const float *w, int64_t n, float eps) {
    scale_by_norm(out, x, w, n, squares(x, x, add, n), eps);
}

static inline LF_AVX2 __m256 swiglu8(__m256 g, __m256 u) {
    __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), g));
    return _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), u);
}

static LF_AVX2 void swiglu_f32(float *gate, const float *up, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(gate + i, swiglu8(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i)));
    if (i < n) {
        __m256i m = tail_mask(n - i);
        _mm256_maskstore_ps(gate + i, m, swiglu8(_mm256_maskload_ps(gate + i, m), _mm256_maskload_ps(up + i, m)));
    }
}

static LF_AVX2 float softmax_f32(float *x, int64_t n, float *running_max) {
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    /* max, skipping NaNs like the scalar comparison does (the accumulator is maxps's
     * second operand, returned when the other is NaN) */
    __m256 m0 = _mm256_set1_ps(*running_max), m1 = ninf;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        m0 = _mm256_max_ps(_mm256_loadu_ps(x + i), m0);
        m1 = _mm256_max_ps(_mm256_loadu_ps(x + i + 8), m1);
    }
    for (; i + 8 <= n; i += 8) m0 = _mm256_max_ps(_mm256_loadu_ps(x + i), m0);
    __m256i tm = tail_mask(n - i);
    if (i < n) m0 = _mm256_max_ps(_mm256_blendv_ps(ninf, _mm256_maskload_ps(x + i, tm), _mm256_castsi256_ps(tm)), m0);
    m0 = _mm256_max_ps(m0, m1);
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m0), _mm256_extractf128_ps(m0, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    float max = _mm_cvtss_f32(_mm_max_ss(h, _mm_movehdup_ps(h)));
    *running_max = max;
    if (max == -INFINITY) max = 0.0f; /* all -inf (or empty): exp(-inf) = 0 everywhere */
    __m256 vmax = _mm256_set1_ps(max);
    __m256d s0 = _mm256_setzero_pd(), s1 = s0;
    for (i = 0; i + 16 <= n; i += 16) {
        __m256 e0 = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmax));
        __m256 e1 = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), vmax));
        _mm256_storeu_ps(x + i, e0);
        _mm256_storeu_ps(x + i + 8, e1);
        s0 = add_wide(s0, e0);
        s1 = add_wide(s1, e1);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmax));
        _mm256_storeu_ps(x + i, e);
        s0 = add_wide(s0, e);
    }
    if (i < n) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_maskload_ps(x + i, tm), vmax));
        e = _mm256_and_ps(e, _mm256_castsi256_ps(tm)); /* lanes past the end add nothing */
        _mm256_maskstore_ps(x + i, tm, e);
        s1 = add_wide(s1, e);
    }
    return (float)hsum_f64x4(_mm256_add_pd(s0, s1));
}

/* Two passes: the largest value (maxps returns its second operand, the running maximum,
 * when an element is NaN, so NaNs are skipped), then the first place it is at. A
 * vocabulary's logits stay in L2 between them; one pass with indices is a serial chain
 * of compares, eight times the time. */
static LF_AVX2 int64_t argmax_f32(const float *x, int64_t n) {
    __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        m0 = _mm256_max_ps(_mm256_loadu_ps(x + i), m0);
        m1 = _mm256_max_ps(_mm256_loadu_ps(x + i + 8), m1);
    }
    float top = hmax_f32x8(_mm256_max_ps(m0, m1));
    for (; i < n; i++)
        if (x[i] > top) top = x[i];
    if (top == -INFINITY) return -1;
    const __m256 t = _mm256_set1_ps(top);
    for (i = 0; i + 8 <= n; i += 8) {
        int hit = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), t, _CMP_EQ_OQ));
        if (hit) return i + __builtin_ctz((unsigned)hit);
    }
    for (; i < n; i++)
        if (x[i] == top) return i;
    return -1; /* not reached: top is one of the values */
}

void lf_kernels_fill_avx2_float(lf_kernel_table *t) {
    t->rmsnorm_f32 = rmsnorm_f32;
    t->add_rmsnorm_f32 = add_rmsnorm_f32;
    t->swiglu_f32 = swiglu_f32;
    t->softmax_f32 = softmax_f32;
    t->argmax_f32 = argmax_f32;
}
