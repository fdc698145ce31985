/* Prompt processing for BF16 weights with AVX512_BF16 (the avx512-bf16 set): vdpbf16ps
 * multiplies 32 bf16 weights by 32 bf16 activations and adds the pairwise sums to sixteen
 * f32 accumulators, twice the products of an f32 FMA per instruction. The activations are
 * rounded to bf16 (round to nearest even; the instruction treats denormal inputs as zero)
 * once per K chunk for the whole batch, as llama.cpp does for BF16 weights; products and
 * sums stay in f32. --precise-activations keeps the f32 FMA GEMM (gemm_avx512_float.c) for
 * BF16 weights, through the table's gemm_precise entry.
 *
 * Blocking (gemm_float_run): a tile of eight weight rows x KC columns is copied once
 * (16 KiB, in L1) and meets the batch three activations at a time; the bf16 activations
 * of the K chunk (2 KiB each) stay in L2. The micro-kernel holds 8 x 3 accumulators: per
 * 32 columns three activation loads and eight weight loads feed 24 vdpbf16ps, so each
 * activation byte read from L2 serves eight rows. Row sums are reduced once per K chunk. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/avx2_internal.h"

#include "kernels/gemm_float_internal.h"
#include "kernels/micro_x86_internal.h"

#define LF_AVX512BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16,avx2,fma,f16c")))

enum { TILE_ROWS = 8, TILE_ACTS = 3, KC = 1024, STEP = 32 };

/* Mask of the first n (< 32) of 32 elements; all of them for n >= 32. */
static inline __mmask32 first32(int64_t n) { return n >= 32 ? (__mmask32)0xFFFFFFFFu : (__mmask32)((1u << n) - 1); }

/* Columns [c0, c0 + kc) of rows [r, r + nr) at tile[j*KC ...], zero up to the next multiple
 * of 32; rows past nr are zero. */
static LF_AVX512BF16 void convert_tile(lf_type type, const char *w, size_t row_bytes, int64_t r, int nr, int64_t c0,
                                       int64_t kc, void *tile_out) {
    (void)type;
    uint16_t *tile = tile_out;
    for (int j = 0; j < TILE_ROWS; j++) {
        uint16_t *dst = tile + (size_t)j * KC;
        const char *row = w + (size_t)(r + j) * row_bytes + (size_t)c0 * 2;
        for (int64_t c = 0; c < kc; c += STEP)
            _mm512_store_si512(dst + c, j < nr ? _mm512_maskz_loadu_epi16(first32(kc - c), row + c * 2)
                                               : _mm512_setzero_si512());
    }
}

/* Columns [c0, c0 + kc) of n f32 activations as bf16 at buf + b*KC, zero up to the next
 * multiple of 32. */
static LF_AVX512BF16 void convert_acts(const char *x, size_t stride, int n, int64_t c0, int64_t kc, void *buf) {
    for (int b = 0; b < n; b++) {
        const float *src = (const float *)(x + (size_t)b * stride) + c0;
        uint16_t *dst = (uint16_t *)buf + (size_t)b * KC;
        for (int64_t c = 0; c < kc; c += STEP) {
            __mmask32 m = first32(kc - c);
            __m512 lo = _mm512_maskz_loadu_ps((__mmask16)m, src + c);
            __m512 hi = _mm512_maskz_loadu_ps((__mmask16)(m >> 16), src + c + 16);
            _mm512_store_si512(dst + c, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
        }
    }
}

/* The eight row sums of eight accumulators (one per row), as one __m256. */
static inline LF_AVX512BF16 __m256 row_sums8(const __m512 a[8]) {
    /* pairs of rows interleaved, then quads: each 128-bit lane holds partial sums of four rows */
    __m512 s01 = _mm512_add_ps(_mm512_unpacklo_ps(a[0], a[1]), _mm512_unpackhi_ps(a[0], a[1]));
    __m512 s23 = _mm512_add_ps(_mm512_unpacklo_ps(a[2], a[3]), _mm512_unpackhi_ps(a[2], a[3]));
    __m512 s45 = _mm512_add_ps(_mm512_unpacklo_ps(a[4], a[5]), _mm512_unpackhi_ps(a[4], a[5]));
    __m512 s67 = _mm512_add_ps(_mm512_unpacklo_ps(a[6], a[7]), _mm512_unpackhi_ps(a[6], a[7]));
    __m512 q0 = _mm512_add_ps(_mm512_shuffle_ps(s01, s23, 0x44), _mm512_shuffle_ps(s01, s23, 0xEE)); /* rows 0-3 */
    __m512 q1 = _mm512_add_ps(_mm512_shuffle_ps(s45, s67, 0x44), _mm512_shuffle_ps(s45, s67, 0xEE)); /* rows 4-7 */
    /* lanes 0,1 of q0 and q1, plus lanes 2,3: [q0 L0+L2, q0 L1+L3, q1 L0+L2, q1 L1+L3] */
    __m512 h = _mm512_add_ps(_mm512_shuffle_f32x4(q0, q1, 0x44), _mm512_shuffle_f32x4(q0, q1, 0xEE));
    h = _mm512_add_ps(h, _mm512_shuffle_f32x4(h, h, 0xB1)); /* lanes [0+1, 0+1, 2+3, 2+3] */
    return _mm512_castps512_ps256(_mm512_shuffle_f32x4(h, h, 0x08)); /* lanes 0 and 2 */
}

/* out[a*TILE_ROWS + j] = tile row j . activation a over kc columns (zero-padded to 32). */
static LF_AVX512BF16 void tile_kernel(const void *tile_in, const void *const *x, int64_t kc, int nr, int n_acts,
                                      bool add, float *y, size_t y_stride) {
    const uint16_t *tile = tile_in, *x0 = x[0], *x1 = x[1], *x2 = x[2];
    __m512 acc[TILE_ROWS][TILE_ACTS];
#pragma GCC unroll 8
    for (int j = 0; j < TILE_ROWS; j++)
#pragma GCC unroll 4
        for (int a = 0; a < TILE_ACTS; a++) acc[j][a] = _mm512_setzero_ps();
    for (int64_t c = 0; c < kc; c += STEP) {
        __m512bh v0 = (__m512bh)_mm512_load_si512(x0 + c), v1 = (__m512bh)_mm512_load_si512(x1 + c);
        __m512bh v2 = (__m512bh)_mm512_load_si512(x2 + c);
#pragma GCC unroll 8
        for (int j = 0; j < TILE_ROWS; j++) {
            __m512bh wv = (__m512bh)_mm512_load_si512(tile + (size_t)j * KC + c);
            acc[j][0] = _mm512_dpbf16_ps(acc[j][0], wv, v0);
            acc[j][1] = _mm512_dpbf16_ps(acc[j][1], wv, v1);
            acc[j][2] = _mm512_dpbf16_ps(acc[j][2], wv, v2);
        }
    }
    float out[TILE_ACTS * TILE_ROWS];
#pragma GCC unroll 4
    for (int a = 0; a < TILE_ACTS; a++) {
        __m512 rows[TILE_ROWS];
#pragma GCC unroll 8
        for (int j = 0; j < TILE_ROWS; j++) rows[j] = acc[j][a];
        _mm256_storeu_ps(out + a * TILE_ROWS, row_sums8(rows));
    }
    gemm_float_store(out, TILE_ROWS, nr, n_acts, add, y, y_stride);
}

const gemm_float_kernels avx512_gemm_bf16 = {convert_tile, convert_acts, tile_kernel, TILE_ROWS, TILE_ACTS, KC, 1, 2, 2};
#endif
