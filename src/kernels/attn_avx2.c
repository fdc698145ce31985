/* AVX2 + FMA + F16C variants of the attention tile kernels (scalar references in
 * attn_scalar.c). Each function carries its own target attribute, so the library stays
 * baseline x86-64; the avx2 kernel set (set_avx2.c), which requires AVX2, FMA and F16C,
 * installs them. Conversions round to nearest even, like lf_f32_to_f16, and give the
 * same bits. */
#include "kernels/attention_kernels.h"
#include "kernels/blocks_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define ATTN_AVX2 __attribute__((target("avx2,fma,f16c")))

static ATTN_AVX2 void f32_to_f16_avx2(uint16_t *dst, const float *src, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) dst[i] = lf_f32_to_f16(src[i]);
}

static ATTN_AVX2 void f16_to_f32_avx2(float *dst, const uint16_t *src, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    for (; i < n; i++) dst[i] = lf_f16_to_f32(src[i]);
}

/* Q8_0 blocks: the same d, 1/d and rounding (to nearest even, the MXCSR default) as the
 * scalar reference, so the same bits. */
static ATTN_AVX2 void f32_to_q8_0_avx2(void *dst, const float *src, int64_t n) {
    block_q8_0 *b = dst;
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    for (int64_t i = 0; i < n / 32; i++, src += 32) {
        __m256 x[4], m = _mm256_setzero_ps();
        for (int u = 0; u < 4; u++) {
            x[u] = _mm256_loadu_ps(src + 8 * u);
            m = _mm256_max_ps(m, _mm256_and_ps(x[u], abs_mask));
        }
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        float d = _mm_cvtss_f32(m4) / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = (uint16_t)_mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(d), _MM_FROUND_TO_NEAREST_INT), 0);
        __m256 vid = _mm256_set1_ps(id);
        __m256i q0 = _mm256_cvtps_epi32(_mm256_mul_ps(x[0], vid)), q1 = _mm256_cvtps_epi32(_mm256_mul_ps(x[1], vid));
        __m256i q2 = _mm256_cvtps_epi32(_mm256_mul_ps(x[2], vid)), q3 = _mm256_cvtps_epi32(_mm256_mul_ps(x[3], vid));
        /* packs interleave the 128-bit lanes; the permute puts the 32 bytes back in order */
        __m256i q = _mm256_packs_epi16(_mm256_packs_epi32(q0, q1), _mm256_packs_epi32(q2, q3));
        q = _mm256_permutevar8x32_epi32(q, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)b[i].qs, q);
    }
}

static ATTN_AVX2 void q8_0_to_f32_avx2(float *dst, const void *src, int64_t n) {
    const block_q8_0 *b = src;
    for (int64_t i = 0; i < n / 32; i++, dst += 32) {
        __m256 d = _mm256_set1_ps(lf_f16_to_f32(b[i].d));
        for (int u = 0; u < 4; u++) {
            __m256i q = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(b[i].qs + 8 * u)));
            _mm256_storeu_ps(dst + 8 * u, _mm256_mul_ps(d, _mm256_cvtepi32_ps(q)));
        }
    }
}

/* The four sums of a0..a3, in order. */
static inline ATTN_AVX2 __m128 hsum4(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
    __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    return _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
}

/* Element d of a K or V row of F32 or F16 values. */
static inline float row_value(const void *row, int d, bool half) {
    return half ? lf_f16_to_f32(((const uint16_t *)row)[d]) : ((const float *)row)[d];
}

/* Eight values of a row from d, converted when half. */
static inline ATTN_AVX2 __m256 row8(const void *row, int d, bool half) {
    return half ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)row + d)))
                : _mm256_loadu_ps((const float *)row + d);
}

/* Scores of two query rows against four keys at a time: 8 accumulators, each q and k
 * vector loaded once per two FMAs; F16 keys convert as they load (no f32 copy of the
 * tile, and the loads of the next keys overlap the arithmetic). Missing rows or keys
 * repeat the last one and are not stored. */
static inline __attribute__((always_inline)) ATTN_AVX2 void qk_rows(const float *q, int rows, const char *k,
                                                                  bool half, int np, int hd, float *s,
                                                                  int s_stride) {
    size_t row_bytes = (size_t)hd * (half ? 2 : 4);
    int hd8 = hd & ~7;
    for (int r = 0; r < rows; r += 2) {
        const float *q0 = q + (size_t)r * hd, *q1 = r + 1 < rows ? q0 + hd : q0;
        for (int j = 0; j < np; j += 4) {
            const char *kj[4];
            for (int u = 0; u < 4; u++) kj[u] = k + (size_t)(j + u < np ? j + u : np - 1) * row_bytes;
            __m256 a[2][4];
            for (int u = 0; u < 4; u++) a[0][u] = a[1][u] = _mm256_setzero_ps();
            for (int d = 0; d < hd8; d += 8) {
                __m256 x0 = _mm256_loadu_ps(q0 + d), x1 = _mm256_loadu_ps(q1 + d);
#pragma GCC unroll 4
                for (int u = 0; u < 4; u++) {
                    __m256 y = row8(kj[u], d, half);
                    a[0][u] = _mm256_fmadd_ps(x0, y, a[0][u]);
                    a[1][u] = _mm256_fmadd_ps(x1, y, a[1][u]);
                }
            }
            float t[2][4];
            _mm_storeu_ps(t[0], hsum4(a[0][0], a[0][1], a[0][2], a[0][3]));
            _mm_storeu_ps(t[1], hsum4(a[1][0], a[1][1], a[1][2], a[1][3]));
            for (int d = hd8; d < hd; d++)
                for (int u = 0; u < 4; u++) {
                    float y = row_value(kj[u], d, half);
                    t[0][u] += q0[d] * y;
                    t[1][u] += q1[d] * y;
                }
            int nk = np - j < 4 ? np - j : 4;
            for (int i = 0; i < 2 && r + i < rows; i++)
                for (int u = 0; u < nk; u++) s[(size_t)(r + i) * s_stride + j + u] = t[i][u];
        }
    }
}

static ATTN_AVX2 void qk_avx2(const float *q, int rows, const void *k, lf_type k_type, int np, int hd, float *s,
                              int s_stride) {
    if (k_type == LF_TYPE_F16) qk_rows(q, rows, k, true, np, hd, s, s_stride);
    else qk_rows(q, rows, k, false, np, hd, s, s_stride);
}

/* o_r = o_r * c_r + sum_j p_rj v_j, two rows and 32 output columns at a time in 8
 * accumulators: each V vector is loaded (and converted, for F16) once for both rows.
 * A missing second row repeats the first (same inputs, same stores). */
static inline __attribute__((always_inline)) ATTN_AVX2 void pv_rows(float *o, const float *c, int rows,
                                                                  const float *p, int p_stride, const char *v,
                                                                  bool half, int np, int hd) {
    size_t row_bytes = (size_t)hd * (half ? 2 : 4);
    int hd8 = hd & ~7;
    for (int r = 0; r < rows; r += 2) {
        int r1 = r + 1 < rows ? r + 1 : r;
        float *o0 = o + (size_t)r * hd, *o1 = o + (size_t)r1 * hd;
        const float *p0 = p + (size_t)r * p_stride, *p1 = p + (size_t)r1 * p_stride;
        __m256 c0 = _mm256_set1_ps(c[r]), c1 = _mm256_set1_ps(c[r1]);
        for (int d = 0; d < hd8; d += 32) {
            int nv = (hd8 - d) / 8 < 4 ? (hd8 - d) / 8 : 4;
            __m256 a[2][4];
            for (int u = 0; u < 4; u++) {
                int du = d + 8 * (u < nv ? u : 0);
                a[0][u] = _mm256_mul_ps(_mm256_loadu_ps(o0 + du), c0);
                a[1][u] = _mm256_mul_ps(_mm256_loadu_ps(o1 + du), c1);
            }
            for (int j = 0; j < np; j++) {
                const char *vj = v + (size_t)j * row_bytes;
                __m256 w0 = _mm256_broadcast_ss(p0 + j), w1 = _mm256_broadcast_ss(p1 + j);
#pragma GCC unroll 4
                for (int u = 0; u < 4; u++) {
                    __m256 y = row8(vj, d + 8 * (u < nv ? u : 0), half);
                    a[0][u] = _mm256_fmadd_ps(w0, y, a[0][u]);
                    a[1][u] = _mm256_fmadd_ps(w1, y, a[1][u]);
                }
            }
            for (int u = 0; u < nv; u++) {
                _mm256_storeu_ps(o0 + d + 8 * u, a[0][u]);
                _mm256_storeu_ps(o1 + d + 8 * u, a[1][u]);
            }
        }
        for (int d = hd8; d < hd; d++) {
            float a0 = o0[d] * c[r], a1 = o1[d] * c[r1];
            for (int j = 0; j < np; j++) {
                float y = row_value(v + (size_t)j * row_bytes, d, half);
                a0 += p0[j] * y;
                a1 += p1[j] * y;
            }
            o0[d] = a0;
            o1[d] = a1;
        }
    }
}

static ATTN_AVX2 void pv_avx2(float *o, const float *c, int rows, const float *p, int p_stride, const void *v,
                              lf_type v_type, int np, int hd) {
    if (v_type == LF_TYPE_F16) pv_rows(o, c, rows, p, p_stride, v, true, np, hd);
    else pv_rows(o, c, rows, p, p_stride, v, false, np, hd);
}

static const lf_attn_kernels avx2_kernels = {"avx2",           f32_to_f16_avx2, f16_to_f32_avx2, f32_to_q8_0_avx2,
                                             q8_0_to_f32_avx2, qk_avx2,         pv_avx2, lf_attn_softmax_rows};

const lf_attn_kernels *lf_attn_kernels_avx2(void) { return &avx2_kernels; }

#else
const lf_attn_kernels *lf_attn_kernels_avx2(void) { return NULL; }
#endif
