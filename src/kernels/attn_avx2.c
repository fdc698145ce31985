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

/* Scores of two query rows against four keys at a time: 8 accumulators, each q and k
 * vector loaded once per two (or four) FMAs. */
static ATTN_AVX2 void qk_avx2(const float *q, int rows, const float *k, int np, int hd, float *s, int s_stride) {
    int hd8 = hd & ~7;
    int r = 0;
    for (; r + 2 <= rows; r += 2) {
        const float *q0 = q + (size_t)r * hd, *q1 = q0 + hd;
        float *s0 = s + (size_t)r * s_stride, *s1 = s0 + s_stride;
        int j = 0;
        for (; j + 4 <= np; j += 4) {
            const float *k0 = k + (size_t)j * hd, *k1 = k0 + hd, *k2 = k1 + hd, *k3 = k2 + hd;
            __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00,
                   a13 = a00;
            for (int d = 0; d < hd8; d += 8) {
                __m256 x0 = _mm256_loadu_ps(q0 + d), x1 = _mm256_loadu_ps(q1 + d), y;
                y = _mm256_loadu_ps(k0 + d);
                a00 = _mm256_fmadd_ps(x0, y, a00);
                a10 = _mm256_fmadd_ps(x1, y, a10);
                y = _mm256_loadu_ps(k1 + d);
                a01 = _mm256_fmadd_ps(x0, y, a01);
                a11 = _mm256_fmadd_ps(x1, y, a11);
                y = _mm256_loadu_ps(k2 + d);
                a02 = _mm256_fmadd_ps(x0, y, a02);
                a12 = _mm256_fmadd_ps(x1, y, a12);
                y = _mm256_loadu_ps(k3 + d);
                a03 = _mm256_fmadd_ps(x0, y, a03);
                a13 = _mm256_fmadd_ps(x1, y, a13);
            }
            __m128 r0 = hsum4(a00, a01, a02, a03), r1 = hsum4(a10, a11, a12, a13);
            float t0[4], t1[4];
            _mm_storeu_ps(t0, r0);
            _mm_storeu_ps(t1, r1);
            for (int d = hd8; d < hd; d++)
                for (int u = 0; u < 4; u++) {
                    t0[u] += q0[d] * k[(size_t)(j + u) * hd + d];
                    t1[u] += q1[d] * k[(size_t)(j + u) * hd + d];
                }
            for (int u = 0; u < 4; u++) {
                s0[j + u] = t0[u];
                s1[j + u] = t1[u];
            }
        }
        for (; j < np; j++) {
            const float *kj = k + (size_t)j * hd;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0;
            for (int d = 0; d < hd8; d += 8) {
                __m256 y = _mm256_loadu_ps(kj + d);
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q0 + d), y, a0);
                a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q1 + d), y, a1);
            }
            __m128 t = hsum4(a0, a1, a0, a1);
            float t2[4];
            _mm_storeu_ps(t2, t);
            for (int d = hd8; d < hd; d++) {
                t2[0] += q0[d] * kj[d];
                t2[1] += q1[d] * kj[d];
            }
            s0[j] = t2[0];
            s1[j] = t2[1];
        }
    }
    for (; r < rows; r++) {
        const float *q0 = q + (size_t)r * hd;
        float *s0 = s + (size_t)r * s_stride;
        int j = 0;
        for (; j + 4 <= np; j += 4) {
            const float *k0 = k + (size_t)j * hd, *k1 = k0 + hd, *k2 = k1 + hd, *k3 = k2 + hd;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0; d < hd8; d += 8) {
                __m256 x0 = _mm256_loadu_ps(q0 + d);
                a0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(k0 + d), a0);
                a1 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(k1 + d), a1);
                a2 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(k2 + d), a2);
                a3 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(k3 + d), a3);
            }
            float t0[4];
            _mm_storeu_ps(t0, hsum4(a0, a1, a2, a3));
            for (int d = hd8; d < hd; d++)
                for (int u = 0; u < 4; u++) t0[u] += q0[d] * k[(size_t)(j + u) * hd + d];
            for (int u = 0; u < 4; u++) s0[j + u] = t0[u];
        }
        for (; j < np; j++) {
            const float *kj = k + (size_t)j * hd;
            __m256 a0 = _mm256_setzero_ps();
            for (int d = 0; d < hd8; d += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q0 + d), _mm256_loadu_ps(kj + d), a0);
            float t2[4];
            _mm_storeu_ps(t2, hsum4(a0, a0, a0, a0));
            for (int d = hd8; d < hd; d++) t2[0] += q0[d] * kj[d];
            s[(size_t)r * s_stride + j] = t2[0];
        }
    }
}

/* o_r = o_r * c_r + sum_j p_rj v_j, 64 output columns at a time in 8 accumulators. */
static ATTN_AVX2 void pv_avx2(float *o, const float *c, int rows, const float *p, int p_stride, const float *v,
                              int np, int hd) {
    for (int r = 0; r < rows; r++) {
        float *orow = o + (size_t)r * hd;
        const float *prow = p + (size_t)r * p_stride;
        __m256 cr = _mm256_set1_ps(c[r]);
        int d = 0;
        for (; d + 64 <= hd; d += 64) {
            float *od = orow + d;
            __m256 a0 = _mm256_mul_ps(_mm256_loadu_ps(od), cr), a1 = _mm256_mul_ps(_mm256_loadu_ps(od + 8), cr),
                   a2 = _mm256_mul_ps(_mm256_loadu_ps(od + 16), cr), a3 = _mm256_mul_ps(_mm256_loadu_ps(od + 24), cr),
                   a4 = _mm256_mul_ps(_mm256_loadu_ps(od + 32), cr), a5 = _mm256_mul_ps(_mm256_loadu_ps(od + 40), cr),
                   a6 = _mm256_mul_ps(_mm256_loadu_ps(od + 48), cr), a7 = _mm256_mul_ps(_mm256_loadu_ps(od + 56), cr);
            for (int j = 0; j < np; j++) {
                __m256 w = _mm256_broadcast_ss(prow + j);
                const float *vj = v + (size_t)j * hd + d;
                a0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(vj), a0);
                a1 = _mm256_fmadd_ps(w, _mm256_loadu_ps(vj + 8), a1);
                a2 = _mm256_fmadd_ps(w, _mm256_loadu_ps(vj + 16), a2);
                a3 = _mm256_fmadd_ps(w, _mm256_loadu_ps(vj + 24), a3);
                a4 = _mm256_fmadd_ps(w, _mm256_loadu_ps(vj + 32), a4);
                a5 = _mm256_fmadd_ps(w, _mm256_loadu_ps(vj + 40), a5);
                a6 = _mm256_fmadd_ps(w, _mm256_loadu_ps(vj + 48), a6);
                a7 = _mm256_fmadd_ps(w, _mm256_loadu_ps(vj + 56), a7);
            }
            _mm256_storeu_ps(od, a0);
            _mm256_storeu_ps(od + 8, a1);
            _mm256_storeu_ps(od + 16, a2);
            _mm256_storeu_ps(od + 24, a3);
            _mm256_storeu_ps(od + 32, a4);
            _mm256_storeu_ps(od + 40, a5);
            _mm256_storeu_ps(od + 48, a6);
            _mm256_storeu_ps(od + 56, a7);
        }
        for (; d + 8 <= hd; d += 8) {
            __m256 acc = _mm256_mul_ps(_mm256_loadu_ps(orow + d), cr);
            for (int j = 0; j < np; j++)
                acc = _mm256_fmadd_ps(_mm256_broadcast_ss(prow + j), _mm256_loadu_ps(v + (size_t)j * hd + d), acc);
            _mm256_storeu_ps(orow + d, acc);
        }
        for (; d < hd; d++) {
            float acc = orow[d] * c[r];
            for (int j = 0; j < np; j++) acc += prow[j] * v[(size_t)j * hd + d];
            orow[d] = acc;
        }
    }
}

static const lf_attn_kernels avx2_kernels = {"avx2",           f32_to_f16_avx2, f16_to_f32_avx2, f32_to_q8_0_avx2,
                                             q8_0_to_f32_avx2, qk_avx2,         pv_avx2};

const lf_attn_kernels *lf_attn_kernels_avx2(void) { return &avx2_kernels; }

#else
const lf_attn_kernels *lf_attn_kernels_avx2(void) { return NULL; }
#endif
