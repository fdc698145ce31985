/* Prompt processing for float weights (F16, BF16, F32) with AVX-512: the cache-blocked
 * GEMM of gemm_avx2_float.c on sixteen-column registers and a 4 x 4 micro-kernel (four
 * weight rows x four activations: four weight and four activation loads feed sixteen
 * FMAs). A tile of four rows x KC columns is converted to f32 once (8 KiB, in L1) and
 * meets every activation of the batch; the activations of one K chunk stay in L2. A
 * column count that is not a multiple of 16 ends with a masked step (the tile is
 * zero-padded). Products are sums of the same float products as the scalar reference,
 * in another order. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/avx2_internal.h"

#include "kernels/gemm_float_internal.h"
#include "kernels/micro_x86_internal.h"

#define LF_AVX512F __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")))

enum { TILE_ROWS = GEMM_FLOAT_ROWS, TILE_ACTS = 4, KC = GEMM_FLOAT_KC };

/* Columns [c0, c0 + kc) of rows [r, r + nr) as f32 in tile[j*KC ...], zero up to the
 * next multiple of 16; rows past nr are zero. */
static LF_AVX512F void convert_tile(lf_type type, const char *w, size_t row_bytes, int64_t r, int nr, int64_t c0,
                                    int64_t kc, float *tile) {
    for (int j = 0; j < TILE_ROWS; j++) {
        float *dst = tile + (size_t)j * KC;
        if (j >= nr) {
            memset(dst, 0, KC * sizeof(float));
            continue;
        }
        const char *row = w + (size_t)(r + j) * row_bytes;
        for (int64_t c = 0; c < kc; c += 16) {
            __mmask16 m = kc - c >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (kc - c)) - 1);
            __m512 v;
            if (type == LF_TYPE_F32) {
                v = _mm512_maskz_loadu_ps(m, row + (size_t)(c0 + c) * 4);
            } else {
                __m256i h = _mm256_maskz_loadu_epi16(m, row + (size_t)(c0 + c) * 2);
                v = type == LF_TYPE_F16 ? _mm512_cvtph_ps(h)
                                        : _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
            }
            _mm512_store_ps(dst + c, v);
        }
    }
}

/* The four row sums of one activation from its four row accumulators. */
static inline LF_AVX512F __m128 row_sums(__m512 r0, __m512 r1, __m512 r2, __m512 r3) {
#define HALVES(z) _mm256_add_ps(_mm512_castps512_ps256(z), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(z), 1)))
    __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(HALVES(r0), HALVES(r1)), _mm256_hadd_ps(HALVES(r2), HALVES(r3)));
#undef HALVES
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

#define ACT_STEP(x, a0, a1, a2, a3)            \
    do {                                        \
        a0 = _mm512_fmadd_ps(w0, x, a0);        \
        a1 = _mm512_fmadd_ps(w1, x, a1);        \
        a2 = _mm512_fmadd_ps(w2, x, a2);        \
        a3 = _mm512_fmadd_ps(w3, x, a3);        \
    } while (0)
#define STEP(c, LOAD_X)                                                                                   \
    do {                                                                                                  \
        __m512 w0 = _mm512_load_ps(tile + (c)), w1 = _mm512_load_ps(tile + KC + (c));                    \
        __m512 w2 = _mm512_load_ps(tile + 2 * KC + (c)), w3 = _mm512_load_ps(tile + 3 * KC + (c));       \
        __m512 x0 = LOAD_X(p0 + (c)), x1 = LOAD_X(p1 + (c)), x2 = LOAD_X(p2 + (c)), x3 = LOAD_X(p3 + (c)); \
        ACT_STEP(x0, a00, a10, a20, a30);                                                                 \
        ACT_STEP(x1, a01, a11, a21, a31);                                                                 \
        ACT_STEP(x2, a02, a12, a22, a32);                                                                 \
        ACT_STEP(x3, a03, a13, a23, a33);                                                                 \
    } while (0)
#define LOAD_FULL(p) _mm512_loadu_ps(p)
#define LOAD_TAIL(p) _mm512_maskz_loadu_ps(tail, p)

/* out[a*TILE_ROWS + r] = tile row r . activation a over kc columns (aRA = row R, act A). */
static LF_AVX512F void tile_kernel(const float *tile, const float *const x[TILE_ACTS], int64_t kc,
                                   float out[TILE_ACTS * TILE_ROWS]) {
    __m512 a00 = _mm512_setzero_ps(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    __m512 a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    const float *p0 = x[0], *p1 = x[1], *p2 = x[2], *p3 = x[3];
    int64_t c = 0;
    for (; c + 16 <= kc; c += 16) STEP(c, LOAD_FULL);
    if (c < kc) {
        __mmask16 tail = (__mmask16)((1u << (kc - c)) - 1);
        STEP(c, LOAD_TAIL);
    }
    _mm_storeu_ps(out, row_sums(a00, a10, a20, a30));
    _mm_storeu_ps(out + TILE_ROWS, row_sums(a01, a11, a21, a31));
    _mm_storeu_ps(out + 2 * TILE_ROWS, row_sums(a02, a12, a22, a32));
    _mm_storeu_ps(out + 3 * TILE_ROWS, row_sums(a03, a13, a23, a33));
}
#undef LOAD_TAIL
#undef LOAD_FULL
#undef STEP
#undef ACT_STEP

const gemm_float_kernels avx512_gemm_float = {convert_tile, tile_kernel, TILE_ACTS, 1};
#endif
