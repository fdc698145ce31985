/* Prompt processing for float weights (F16, BF16, F32) on AVX2 as a cache-blocked GEMM.
 *
 * A tile of four weight rows x KC columns is converted to f32 once (8 KiB, stays in L1)
 * and then meets every activation of the batch, three at a time: the micro-kernel holds
 * 4 x 3 accumulators of eight columns each, so every 8-column step loads three activation
 * vectors and four weight vectors for twelve FMAs, and no weight is converted again for
 * another activation. The activations of one K chunk (KC floats of every activation,
 * 512 KiB for 256 activations) stay in L2 across the row tiles. Products are sums of
 * float products in a different order than the scalar reference, nothing else. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/avx2_internal.h"

#include "kernels/gemm_float_internal.h"
#include "kernels/micro_x86_internal.h"

enum { TILE_ROWS = 4, TILE_ACTS = 3, KC = 512 };

/* Columns [c0, c0 + kc) of rows [r, r + nr) as f32 in tile[j*KC ...]; rows past nr are
 * zero. kc is a multiple of 8 (gemm_float_run refuses other column counts). */
static LF_AVX2 void convert_tile(lf_type type, const char *w, size_t row_bytes, int64_t r, int nr, int64_t c0,
                                 int64_t kc, void *tile_out) {
    float *tile = tile_out;
    for (int j = 0; j < TILE_ROWS; j++) {
        float *dst = tile + (size_t)j * KC;
        if (j >= nr) {
            memset(dst, 0, (size_t)kc * sizeof(float));
            continue;
        }
        const char *row = w + (size_t)(r + j) * row_bytes;
        for (int64_t c = 0; c < kc; c += 8) {
            __m256 v;
            if (type == LF_TYPE_F16) {
                v = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + (size_t)(c0 + c) * 2)));
            } else if (type == LF_TYPE_BF16) {
                __m256i u = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(row + (size_t)(c0 + c) * 2)));
                v = _mm256_castsi256_ps(_mm256_slli_epi32(u, 16));
            } else {
                v = _mm256_loadu_ps((const float *)(row + (size_t)(c0 + c) * 4));
            }
            _mm256_store_ps(dst + c, v);
        }
    }
}

/* acc[r][a] += tile row r . activation a over kc columns; out[a*TILE_ROWS + r]. */
#define ROW_STEP(r, acc0, acc1, acc2)                                    \
    do {                                                                 \
        __m256 wv = _mm256_load_ps(tile + (r) * KC + c);                 \
        acc0 = _mm256_fmadd_ps(wv, x0, acc0);                            \
        acc1 = _mm256_fmadd_ps(wv, x1, acc1);                            \
        acc2 = _mm256_fmadd_ps(wv, x2, acc2);                            \
    } while (0)

static LF_AVX2 void tile_kernel(const void *tile_in, const void *const *x, int64_t kc, int nr, int n_acts, bool add,
                                float *y, size_t y_stride) {
    const float *tile = tile_in;
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
    __m256 a20 = a00, a21 = a00, a22 = a00, a30 = a00, a31 = a00, a32 = a00;
    const float *p0 = x[0], *p1 = x[1], *p2 = x[2];
    for (int64_t c = 0; c < kc; c += 8) {
        __m256 x0 = _mm256_loadu_ps(p0 + c), x1 = _mm256_loadu_ps(p1 + c), x2 = _mm256_loadu_ps(p2 + c);
        ROW_STEP(0, a00, a01, a02);
        ROW_STEP(1, a10, a11, a12);
        ROW_STEP(2, a20, a21, a22);
        ROW_STEP(3, a30, a31, a32);
    }
    /* per activation the four row sums, reduced together: hadd pairs, then halves */
    __m256 h[TILE_ACTS] = {
        _mm256_hadd_ps(_mm256_hadd_ps(a00, a10), _mm256_hadd_ps(a20, a30)),
        _mm256_hadd_ps(_mm256_hadd_ps(a01, a11), _mm256_hadd_ps(a21, a31)),
        _mm256_hadd_ps(_mm256_hadd_ps(a02, a12), _mm256_hadd_ps(a22, a32)),
    };
    float out[TILE_ACTS * TILE_ROWS];
    for (int a = 0; a < TILE_ACTS; a++)
        _mm_storeu_ps(out + a * TILE_ROWS,
                      _mm_add_ps(_mm256_castps256_ps128(h[a]), _mm256_extractf128_ps(h[a], 1)));
    gemm_float_store(out, TILE_ROWS, nr, n_acts, add, y, y_stride);
}
#undef ROW_STEP

/* One K chunk per span (act_chunks 1): the activations are read in place, 2 MiB at batch
 * 256 for a span of 2048 columns, which measured 10% slower than one chunk. */
const gemm_float_kernels avx2_gemm_float = {convert_tile, NULL, tile_kernel, TILE_ROWS, TILE_ACTS, KC, 1, 4, 8};
#endif
