/* AVX-512 (F, BW, VL) variants of the attention tile kernels (scalar references in
 * attn_scalar.c): 16 lanes, and masked loads for the tail of a row, so every head size
 * runs without a scalar remainder. The avx512 kernel set (set_avx512.c) installs them;
 * F16C comes with the AVX2 its set requires. Conversions give the scalar bits. */
#include "kernels/attention_kernels.h"
#include "kernels/blocks_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define ATTN_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")))

/* Lanes [0, n) of 16, n clamped to [0, 16]. */
static inline __mmask16 lanes(int64_t n) {
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? 0 : (__mmask16)((1u << n) - 1);
}

static ATTN_AVX512 void f32_to_f16_avx512(uint16_t *dst, const float *src, int64_t n) {
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = lanes(n - i);
        __m256i h = _mm512_cvtps_ph(_mm512_maskz_loadu_ps(m, src + i), _MM_FROUND_TO_NEAREST_INT);
        _mm256_mask_storeu_epi16(dst + i, m, h);
    }
}

static ATTN_AVX512 void f16_to_f32_avx512(float *dst, const uint16_t *src, int64_t n) {
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = lanes(n - i);
        _mm512_mask_storeu_ps(dst + i, m, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, src + i)));
    }
}

static ATTN_AVX512 void f32_to_q8_0_avx512(void *dst, const float *src, int64_t n) {
    block_q8_0 *b = dst;
    for (int64_t i = 0; i < n / 32; i++, src += 32) {
        __m512 x0 = _mm512_loadu_ps(src), x1 = _mm512_loadu_ps(src + 16);
        float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1)));
        float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = (uint16_t)_mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(d), _MM_FROUND_TO_NEAREST_INT), 0);
        __m512 vid = _mm512_set1_ps(id);
        _mm_storeu_si128((__m128i *)b[i].qs, _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(x0, vid))));
        _mm_storeu_si128((__m128i *)(b[i].qs + 16), _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(x1, vid))));
    }
}

static ATTN_AVX512 void q8_0_to_f32_avx512(float *dst, const void *src, int64_t n) {
    const block_q8_0 *b = src;
    for (int64_t i = 0; i < n / 32; i++, dst += 32) {
        __m512 d = _mm512_set1_ps(lf_f16_to_f32(b[i].d));
        __m512i q0 = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)b[i].qs));
        __m512i q1 = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(b[i].qs + 16)));
        _mm512_storeu_ps(dst, _mm512_mul_ps(d, _mm512_cvtepi32_ps(q0)));
        _mm512_storeu_ps(dst + 16, _mm512_mul_ps(d, _mm512_cvtepi32_ps(q1)));
    }
}

/* Scores of up to two query rows against up to four keys: each q and k vector is loaded
 * once per two (or four) FMAs. */
static ATTN_AVX512 void qk_block(const float *q0, const float *q1, const float *k, int nk, int hd, float *s0,
                                 float *s1) {
    __m512 a[2][4];
    for (int u = 0; u < 4; u++) a[0][u] = a[1][u] = _mm512_setzero_ps();
    for (int d = 0; d < hd; d += 16) {
        __mmask16 m = lanes(hd - d);
        __m512 x0 = _mm512_maskz_loadu_ps(m, q0 + d), x1 = q1 ? _mm512_maskz_loadu_ps(m, q1 + d) : x0;
        for (int u = 0; u < nk; u++) {
            __m512 y = _mm512_maskz_loadu_ps(m, k + (size_t)u * hd + d);
            a[0][u] = _mm512_fmadd_ps(x0, y, a[0][u]);
            a[1][u] = _mm512_fmadd_ps(x1, y, a[1][u]);
        }
    }
    for (int u = 0; u < nk; u++) {
        s0[u] = _mm512_reduce_add_ps(a[0][u]);
        if (s1) s1[u] = _mm512_reduce_add_ps(a[1][u]);
    }
}

static ATTN_AVX512 void qk_avx512(const float *q, int rows, const float *k, int np, int hd, float *s, int s_stride) {
    for (int r = 0; r < rows; r += 2) {
        const float *q0 = q + (size_t)r * hd, *q1 = r + 1 < rows ? q0 + hd : NULL;
        float *s0 = s + (size_t)r * s_stride, *s1 = q1 ? s0 + s_stride : NULL;
        for (int j = 0; j < np; j += 4)
            qk_block(q0, q1, k + (size_t)j * hd, np - j < 4 ? np - j : 4, hd, s0 + j, s1 ? s1 + j : NULL);
    }
}

/* o_r = o_r * c_r + sum_j p_rj v_j for two rows (or one), 64 columns at a time: each V
 * vector is loaded once for both rows. */
static ATTN_AVX512 void pv_pair(float *o0, float *o1, float c0, float c1, const float *p0, const float *p1,
                                const float *v, int np, int hd) {
    for (int d = 0; d < hd; d += 64) {
        __mmask16 m[4];
        __m512 a[4], b[4];
        for (int u = 0; u < 4; u++) {
            m[u] = lanes(hd - d - 16 * u);
            a[u] = _mm512_mul_ps(_mm512_maskz_loadu_ps(m[u], o0 + d + 16 * u), _mm512_set1_ps(c0));
            b[u] = o1 ? _mm512_mul_ps(_mm512_maskz_loadu_ps(m[u], o1 + d + 16 * u), _mm512_set1_ps(c1)) : a[u];
        }
        for (int j = 0; j < np; j++) {
            const float *vj = v + (size_t)j * hd + d;
            __m512 w0 = _mm512_set1_ps(p0[j]), w1 = _mm512_set1_ps(p1 ? p1[j] : 0.0f);
            for (int u = 0; u < 4; u++) {
                __m512 y = _mm512_maskz_loadu_ps(m[u], vj + 16 * u);
                a[u] = _mm512_fmadd_ps(w0, y, a[u]);
                b[u] = _mm512_fmadd_ps(w1, y, b[u]);
            }
        }
        for (int u = 0; u < 4; u++) {
            _mm512_mask_storeu_ps(o0 + d + 16 * u, m[u], a[u]);
            if (o1) _mm512_mask_storeu_ps(o1 + d + 16 * u, m[u], b[u]);
        }
    }
}

static ATTN_AVX512 void pv_avx512(float *o, const float *c, int rows, const float *p, int p_stride, const float *v,
                                  int np, int hd) {
    for (int r = 0; r < rows; r += 2) {
        bool two = r + 1 < rows;
        float *o0 = o + (size_t)r * hd;
        const float *p0 = p + (size_t)r * p_stride;
        pv_pair(o0, two ? o0 + hd : NULL, c[r], two ? c[r + 1] : 0.0f, p0, two ? p0 + p_stride : NULL, v, np, hd);
    }
}

static const lf_attn_kernels avx512_kernels = {"avx512",           f32_to_f16_avx512, f16_to_f32_avx512,
                                               f32_to_q8_0_avx512, q8_0_to_f32_avx512, qk_avx512,
                                               pv_avx512};

const lf_attn_kernels *lf_attn_kernels_avx512(void) { return &avx512_kernels; }

#else
const lf_attn_kernels *lf_attn_kernels_avx512(void) { return NULL; }
#endif
