/* Prompt processing for float weights (F16, BF16, F32) with AVX-512 as f32 FMAs: an
 * outer-product GEMM. Per span of ACT_CHUNKS K chunks of KC columns (gemm_float_run):
 *
 * - the batch's activations are packed once in groups of twelve, column-major inside a
 *   group (x[k][0..11], 12 KiB per group and chunk; 2 MiB for a span of 256 activations,
 *   which L2 holds well enough: a span as long as the usual K of 2048 columns took a tenth
 *   off the time of one chunk per span, as each weight row's page is walked once, not
 *   eight times);
 * - per chunk, a tile of 32 weight rows is converted to f32 once, column-major (w[k][0..31], 32 KiB,
 *   in L1), by 16 x 16 transposes;
 * - the micro-kernel holds 32 rows x 12 activations in 24 accumulators: per column two
 *   weight loads and twelve broadcast activations feed 24 FMAs, and its results are whole
 *   vectors of 16 consecutive rows of one activation, added to y as they are (no
 *   horizontal sums). Each activation group streams from L2 at 48 bytes per 24 FMAs.
 *
 * Products are sums of the same float products as the scalar reference, in another
 * order. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/avx2_internal.h"

#include "kernels/gemm_float_internal.h"
#include "kernels/micro_x86_internal.h"

#define LF_AVX512F __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")))

enum { TILE_ROWS = 32, TILE_ACTS = 12, KC = 256, ACT_CHUNKS = 8, NV = TILE_ROWS / 16 };

static inline __mmask16 first16(int64_t n) {
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

/* v[i][j] becomes v[j][i]: 2 x 2 blocks of elements, of pairs, of 128-bit lanes, of
 * 256-bit halves swap in turn. All shuffles take immediates (no index registers), which
 * keeps the sixteen rows in registers. */
static inline LF_AVX512F void transpose16(__m512 v[16]) {
    __m512 t[16];
#pragma GCC unroll 8
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(v[i], v[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(v[i], v[i + 1]);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 16; i += 4) {
        v[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        v[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
        v[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        v[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
#pragma GCC unroll 2
    for (int h = 0; h < 16; h += 8)
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++) {
            t[h + i] = _mm512_shuffle_f32x4(v[h + i], v[h + i + 4], 0x88);
            t[h + i + 4] = _mm512_shuffle_f32x4(v[h + i], v[h + i + 4], 0xDD);
        }
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
        v[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        v[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
    }
}

/* Sixteen f32 weights of a row from column c (masked: m). */
static inline LF_AVX512F __m512 load_row16(lf_type type, const char *row, int64_t c, __mmask16 m) {
    if (type == LF_TYPE_F32) return _mm512_maskz_loadu_ps(m, row + (size_t)c * 4);
    __m256i h = _mm256_maskz_loadu_epi16(m, row + (size_t)c * 2);
    if (type == LF_TYPE_F16) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

/* Columns [c0, c0 + kc) of rows [r, r + nr) as f32 at tile[k*TILE_ROWS + j]; rows past nr
 * are zero (columns past kc, up to the next 16, too). type is a constant in each caller
 * below, so the loads hold no branch on it. */
static inline __attribute__((always_inline)) LF_AVX512F void convert_tile_as(lf_type type, const char *w,
                                                                             size_t row_bytes, int64_t r, int nr,
                                                                             int64_t c0, int64_t kc, float *tile) {
    for (int h = 0; h < TILE_ROWS; h += 16) {
        int rows = nr - h < 16 ? nr - h : 16;
        for (int64_t c = 0; c < kc; c += 16) {
            __m512 v[16];
            __mmask16 m = first16(kc - c);
            const char *row = w + (size_t)(r + h) * row_bytes;
            if (rows == 16) {
#pragma GCC unroll 16
                for (int j = 0; j < 16; j++) v[j] = load_row16(type, row + (size_t)j * row_bytes, c0 + c, m);
            } else {
                for (int j = 0; j < 16; j++)
                    v[j] = j < rows ? load_row16(type, row + (size_t)j * row_bytes, c0 + c, m) : _mm512_setzero_ps();
            }
            transpose16(v);
            for (int i = 0; i < 16; i++) _mm512_store_ps(tile + (size_t)(c + i) * TILE_ROWS + h, v[i]);
        }
    }
}

static LF_AVX512F void convert_tile(lf_type type, const char *w, size_t row_bytes, int64_t r, int nr, int64_t c0,
                                    int64_t kc, void *tile) {
    if (type == LF_TYPE_F16) convert_tile_as(LF_TYPE_F16, w, row_bytes, r, nr, c0, kc, tile);
    else if (type == LF_TYPE_BF16) convert_tile_as(LF_TYPE_BF16, w, row_bytes, r, nr, c0, kc, tile);
    else convert_tile_as(LF_TYPE_F32, w, row_bytes, r, nr, c0, kc, tile);
}

/* Columns [c0, c0 + kc) of the n activations in groups of TILE_ACTS at
 * buf + g*TILE_ACTS*KC, column-major inside a group; activations past n are zero. */
static LF_AVX512F void convert_acts(const char *x, size_t stride, int n, int64_t c0, int64_t kc, void *buf) {
    for (int g = 0; g < n; g += TILE_ACTS) {
        float *dst = (float *)buf + (size_t)g * KC;
        for (int64_t c = 0; c < kc; c += 16) {
            __m512 v[16];
            __mmask16 m = first16(kc - c);
            for (int a = 0; a < 16; a++)
                v[a] = a < TILE_ACTS && g + a < n
                           ? _mm512_maskz_loadu_ps(m, (const float *)(x + (size_t)(g + a) * stride) + c0 + c)
                           : _mm512_setzero_ps();
            transpose16(v);
            for (int i = 0; i < 16 && c + i < kc; i++)
                _mm512_mask_storeu_ps(dst + (size_t)(c + i) * TILE_ACTS, (__mmask16)((1u << TILE_ACTS) - 1), v[i]);
        }
    }
}

/* y[a*y_stride + j] (+)= tile row j . activation a of the group at x[0], for the first
 * acts activations of the group (a constant after inlining). Every loop over activations
 * has the constant bound TILE_ACTS and is fully unrolled, so the accumulators stay
 * registers: clang keeps an array indexed by any other bound in memory, stored at every
 * step of the loop over k. */
static inline __attribute__((always_inline)) LF_AVX512F void tile_acts(const float *w, const float *p, int64_t kc,
                                                                       int nr, int n_acts, bool add, float *y,
                                                                       size_t y_stride, const int acts) {
    if (add) /* the partial sums of the previous K chunk are far (y is rows x batch): fetch them early */
        for (int a = 0; a < n_acts; a++) {
            for (int v = 0; v < NV; v++) _mm_prefetch((const char *)(y + (size_t)a * y_stride + 16 * v), _MM_HINT_T0);
        }
    __m512 acc[TILE_ACTS][NV];
#pragma GCC unroll 16
    for (int a = 0; a < TILE_ACTS; a++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) acc[a][v] = _mm512_setzero_ps();
    for (int64_t k = 0; k < kc; k++, w += TILE_ROWS, p += TILE_ACTS) {
        __m512 wv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) wv[v] = _mm512_load_ps(w + 16 * v);
#pragma GCC unroll 16
        for (int a = 0; a < TILE_ACTS; a++) {
            if (a >= acts) break;
            __m512 xa = _mm512_set1_ps(p[a]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++) acc[a][v] = _mm512_fmadd_ps(wv[v], xa, acc[a][v]);
        }
    }
#pragma GCC unroll 16
    for (int a = 0; a < TILE_ACTS; a++) {
        if (a >= acts || a >= n_acts) break;
        float *d = y + (size_t)a * y_stride;
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) {
            __mmask16 m = first16(nr - 16 * v);
            __m512 sum = add ? _mm512_add_ps(acc[a][v], _mm512_maskz_loadu_ps(m, d + 16 * v)) : acc[a][v];
            _mm512_mask_storeu_ps(d + 16 * v, m, sum);
        }
    }
}

/* A group short of TILE_ACTS (the batch's last) takes the kernel for the next multiple of
 * four activations, not the full one (256 = 21 x 12 + 4: a full last call would be 3% of
 * the work spent on padding). */
static LF_AVX512F void tile_kernel(const void *tile, const void *const *x, int64_t kc, int nr, int n_acts, bool add,
                                   float *y, size_t y_stride) {
    if (n_acts > 8) tile_acts(tile, x[0], kc, nr, n_acts, add, y, y_stride, TILE_ACTS);
    else if (n_acts > 4) tile_acts(tile, x[0], kc, nr, n_acts, add, y, y_stride, 8);
    else tile_acts(tile, x[0], kc, nr, n_acts, add, y, y_stride, 4);
}

const gemm_float_kernels avx512_gemm_float = {convert_tile, convert_acts, tile_kernel, TILE_ROWS, TILE_ACTS, KC, ACT_CHUNKS, 4, 1};
#endif
