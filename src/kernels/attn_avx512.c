/* AVX-512 (F, BW, VL) variants of the attention tile kernels (scalar references in
 * attn_scalar.c): 16 lanes, and masked loads for the tail of a row, so every head size
 * runs without a scalar remainder. The avx512 kernel set (set_avx512.c) installs them;
 * F16C comes with the AVX2 its set requires. Conversions give the scalar bits. */
#include "kernels/attention_kernels.h"
#include "kernels/blocks_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <math.h>

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

/* The sixteen sums of a[i]'s lanes, sum i in lane i: pairs fold within 128-bit lanes
 * (unpack ps, then pd), then 128-bit lanes fold across (shuffle_f32x4 twice): 15 adds
 * and 30 shuffles for sixteen scores, where sixteen separate reductions take ~8
 * instructions each. */
static inline ATTN_AVX512 __m512 sum16(const __m512 a[16]) {
    __m512 t[8], u[4], w[2];
#pragma GCC unroll 16
    for (int i = 0; i < 8; i++)
        t[i] = _mm512_add_ps(_mm512_unpacklo_ps(a[2 * i], a[2 * i + 1]), _mm512_unpackhi_ps(a[2 * i], a[2 * i + 1]));
#pragma GCC unroll 16
    for (int i = 0; i < 4; i++) {
        __m512d x = _mm512_castps_pd(t[2 * i]), y = _mm512_castps_pd(t[2 * i + 1]);
        u[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(x, y)), _mm512_castpd_ps(_mm512_unpackhi_pd(x, y)));
    }
#pragma GCC unroll 16
    for (int i = 0; i < 2; i++)
        w[i] = _mm512_add_ps(_mm512_shuffle_f32x4(u[2 * i], u[2 * i + 1], 0x88),
                             _mm512_shuffle_f32x4(u[2 * i], u[2 * i + 1], 0xDD));
    return _mm512_add_ps(_mm512_shuffle_f32x4(w[0], w[1], 0x88), _mm512_shuffle_f32x4(w[0], w[1], 0xDD));
}

/* Sixteen values of a K or V row from d (lanes of m), converted when half. */
static inline ATTN_AVX512 __m512 row16(const void *row, int d, __mmask16 m, bool half) {
    return half ? _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, (const uint16_t *)row + d))
                : _mm512_maskz_loadu_ps(m, (const float *)row + d);
}

/* Scores of RG query rows against KG keys at a time (RG * KG <= 16): each q and k vector
 * is loaded once per RG or KG FMAs and the dot products reduce together (sum16, the
 * unused accumulators zero). A GQA group's heads are the decode case: four rows by four
 * keys, or for a group of three (SmolLM2) three by five, where four rows would compute a
 * copy of one. F16 keys convert as they load (no f32 copy of the tile, and the loads of
 * the next keys overlap the arithmetic). Missing rows or keys repeat the last one and are
 * not stored. The unroll pragmas keep the accumulator arrays in registers. */
static inline __attribute__((always_inline)) ATTN_AVX512 void qk_rows(const float *q, int rows, const char *k,
                                                                    bool half, int np, int hd, float *s,
                                                                    int s_stride, const int RG, const int KG) {
    size_t row_bytes = (size_t)hd * (half ? 2 : 4);
    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int r = 0; r < rows; r += RG) {
        const float *qr[4];
        for (int i = 0; i < RG; i++) qr[i] = q + (size_t)(r + i < rows ? r + i : rows - 1) * hd;
        for (int j = 0; j < np; j += KG) {
            const char *kj[5];
            for (int u = 0; u < KG; u++) kj[u] = k + (size_t)(j + u < np ? j + u : np - 1) * row_bytes;
            __m512 acc[16];
#pragma GCC unroll 16
            for (int i = 0; i < 16; i++) acc[i] = _mm512_setzero_ps();
#pragma GCC unroll 8
            for (int d = 0; d < hd; d += 16) {
                __mmask16 m = lanes(hd - d);
                __m512 y[5];
#pragma GCC unroll 5
                for (int u = 0; u < KG; u++) y[u] = row16(kj[u], d, m, half);
#pragma GCC unroll 4
                for (int i = 0; i < RG; i++) {
                    __m512 x = _mm512_maskz_loadu_ps(m, qr[i] + d);
#pragma GCC unroll 5
                    for (int u = 0; u < KG; u++) acc[KG * i + u] = _mm512_fmadd_ps(x, y[u], acc[KG * i + u]);
                }
            }
            /* lane KG * i + u: row r + i against key j + u */
            __m512 sums = sum16(acc);
            __mmask16 keys = (__mmask16)((1u << (np - j < KG ? np - j : KG)) - 1);
#pragma GCC unroll 4
            for (int i = 0; i < RG; i++)
                if (r + i < rows)
                    _mm512_mask_storeu_ps(s + (size_t)(r + i) * s_stride + j, keys,
                                          _mm512_permutexvar_ps(_mm512_add_epi32(iota, _mm512_set1_epi32(KG * i)), sums));
        }
    }
}

/* The common head sizes get their own copies, the loop over a row unrolled with
 * constant masks; row counts that are multiples of three but not of four (GQA groups of
 * three) the three-row blocking. */
static ATTN_AVX512 void qk_avx512(const float *q, int rows, const void *k, lf_type k_type, int np, int hd,
                                  float *s, int s_stride) {
    bool half = k_type == LF_TYPE_F16;
    if (rows % 3 == 0 && rows % 4) {
        if (hd == 64 && half) qk_rows(q, rows, k, true, np, 64, s, s_stride, 3, 5);
        else if (half) qk_rows(q, rows, k, true, np, hd, s, s_stride, 3, 5);
        else qk_rows(q, rows, k, false, np, hd, s, s_stride, 3, 5);
    } else if (hd == 64 && half) qk_rows(q, rows, k, true, np, 64, s, s_stride, 4, 4);
    else if (hd == 128 && half) qk_rows(q, rows, k, true, np, 128, s, s_stride, 4, 4);
    else if (half) qk_rows(q, rows, k, true, np, hd, s, s_stride, 4, 4);
    else if (hd == 64) qk_rows(q, rows, k, false, np, 64, s, s_stride, 4, 4);
    else if (hd == 128) qk_rows(q, rows, k, false, np, 128, s, s_stride, 4, 4);
    else qk_rows(q, rows, k, false, np, hd, s, s_stride, 4, 4);
}

/* o_r = o_r * c_r + sum_j p_rj v_j for RG (three or four) rows, 64 columns at a time:
 * each V vector is loaded (and converted, for F16) once for the rows. Missing rows repeat
 * the last one (same inputs, same stores). */
static inline __attribute__((always_inline)) ATTN_AVX512 void pv_rows(float *o, const float *c, int rows,
                                                                    const float *p, int p_stride, const char *v,
                                                                    bool half, int np, int hd, const int RG) {
    size_t row_bytes = (size_t)hd * (half ? 2 : 4);
    for (int r = 0; r < rows; r += RG) {
        int ri[4];
        for (int i = 0; i < RG; i++) ri[i] = r + i < rows ? r + i : rows - 1;
#pragma GCC unroll 2
        for (int d = 0; d < hd; d += 64) {
            __mmask16 m[4];
            __m512 a[4][4];
#pragma GCC unroll 4
            for (int u = 0; u < 4; u++) m[u] = lanes(hd - d - 16 * u);
#pragma GCC unroll 4
            for (int i = 0; i < RG; i++)
#pragma GCC unroll 4
                for (int u = 0; u < 4; u++)
                    a[i][u] = _mm512_mul_ps(_mm512_maskz_loadu_ps(m[u], o + (size_t)ri[i] * hd + d + 16 * u),
                                            _mm512_set1_ps(c[ri[i]]));
            for (int j = 0; j < np; j++) {
                const char *vj = v + (size_t)j * row_bytes;
                __m512 y[4];
#pragma GCC unroll 4
                for (int u = 0; u < 4; u++) y[u] = row16(vj, d + 16 * u, m[u], half);
#pragma GCC unroll 4
                for (int i = 0; i < RG; i++) {
                    __m512 w = _mm512_set1_ps(p[(size_t)ri[i] * p_stride + j]);
#pragma GCC unroll 4
                    for (int u = 0; u < 4; u++) a[i][u] = _mm512_fmadd_ps(w, y[u], a[i][u]);
                }
            }
#pragma GCC unroll 4
            for (int i = 0; i < RG; i++)
#pragma GCC unroll 4
                for (int u = 0; u < 4; u++) _mm512_mask_storeu_ps(o + (size_t)ri[i] * hd + d + 16 * u, m[u], a[i][u]);
        }
    }
}

static ATTN_AVX512 void pv_avx512(float *o, const float *c, int rows, const float *p, int p_stride, const void *v,
                                  lf_type v_type, int np, int hd) {
    bool half = v_type == LF_TYPE_F16;
    if (rows % 3 == 0 && rows % 4) {
        if (hd == 64 && half) pv_rows(o, c, rows, p, p_stride, v, true, np, 64, 3);
        else if (half) pv_rows(o, c, rows, p, p_stride, v, true, np, hd, 3);
        else pv_rows(o, c, rows, p, p_stride, v, false, np, hd, 3);
    } else if (hd == 64 && half) pv_rows(o, c, rows, p, p_stride, v, true, np, 64, 4);
    else if (hd == 128 && half) pv_rows(o, c, rows, p, p_stride, v, true, np, 128, 4);
    else if (half) pv_rows(o, c, rows, p, p_stride, v, true, np, hd, 4);
    else if (hd == 64) pv_rows(o, c, rows, p, p_stride, v, false, np, 64, 4);
    else if (hd == 128) pv_rows(o, c, rows, p, p_stride, v, false, np, 128, 4);
    else pv_rows(o, c, rows, p, p_stride, v, false, np, hd, 4);
}

/* exp of sixteen floats by the algorithm of exp8 (float_ops_avx2.c), lane for lane the
 * same bits: the same clamps, range reduction and polynomial; vscalefps multiplies by 2^n
 * with the one rounding exp8 gets from its two half scalings. */
static inline ATTN_AVX512 __m512 exp16(__m512 x) {
    x = _mm512_min_ps(_mm512_set1_ps(88.75f), x);
    x = _mm512_max_ps(_mm512_set1_ps(-110.0f), x);
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440054690583e-4f), r);
    __m512 p = _mm512_set1_ps(1.0f / 5040.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

/* lf_attn_softmax_rows in sixteen lanes without a call per row: the same exponentials
 * (exp16) and double sums, added in another order. */
static ATTN_AVX512 void softmax_avx512(float *s, int s_stride, int rows, int np, const int *valid, float *mx,
                                       float *l, float *corr) {
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    for (int r = 0; r < rows; r++) {
        float *row = s + (size_t)r * s_stride;
        int nv = valid[r] < np ? valid[r] : np;
        if (nv <= 0) {
            for (int j = 0; j < np; j += 16) _mm512_mask_storeu_ps(row + j, lanes(np - j), _mm512_setzero_ps());
            corr[r] = 1.0f;
            continue;
        }
        /* the accumulator is maxps's second operand: NaN scores are skipped, as in exp8's softmax */
        __m512 vm = _mm512_set1_ps(mx[r]);
        for (int j = 0; j < nv; j += 16) vm = _mm512_max_ps(_mm512_mask_loadu_ps(ninf, lanes(nv - j), row + j), vm);
        float m = _mm512_reduce_max_ps(vm);
        __m512 vmax = _mm512_set1_ps(m == -INFINITY ? 0.0f : m); /* all -inf: exp(-inf) = 0 everywhere */
        __m512d s0 = _mm512_setzero_pd(), s1 = s0;
        for (int j = 0; j < np; j += 16) {
            __mmask16 mv = lanes(nv - j);
            __m512 e = _mm512_maskz_mov_ps(mv, exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(mv, row + j), vmax)));
            _mm512_mask_storeu_ps(row + j, lanes(np - j), e);
            s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
            s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(e), 1))));
        }
        corr[r] = m == mx[r] ? 1.0f : expf(mx[r] - m);
        l[r] = l[r] * corr[r] + (float)_mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
        mx[r] = m;
    }
}

static const lf_attn_kernels avx512_kernels = {"avx512",           f32_to_f16_avx512, f16_to_f32_avx512,
                                               f32_to_q8_0_avx512, q8_0_to_f32_avx512, qk_avx512,
                                               pv_avx512,         softmax_avx512};

const lf_attn_kernels *lf_attn_kernels_avx512(void) { return &avx512_kernels; }

#else
const lf_attn_kernels *lf_attn_kernels_avx512(void) { return NULL; }
#endif
