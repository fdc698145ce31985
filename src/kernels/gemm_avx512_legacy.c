/* Prompt processing for Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 weights with AVX-512 VNNI (Q4_K
 * takes gemm_avx512_kquants.c, set_avx512.c): the GEMM of gemm_avx2_legacy.c with
 * sixteen lanes per group and one vpdpbusd per 4-byte weight run (64 multiply-adds into
 * int32, no 16-bit intermediate, no widening).
 *
 * vpdpbusd multiplies unsigned by signed bytes, so every weight is unpacked as an
 * unsigned byte u: Q4_0/Q5_0 nibbles (and fifth bits) are u = w + 8 / w + 16, Q8_0 bytes
 * are stored as u = w + 128, and Q4_1/Q5_1 quants are unsigned with a minimum. Row r
 * of block i then contributes
 *     d_w * (d_x * sum(u * x) - zero * d_x * sum(x))     (Q4_0, Q5_0, Q8_0: zero 8, 16, 128)
 *     d_w * d_x * sum(u * x) + m_w * d_x * sum(x)        (Q4_1, Q5_1: m)
 * The zero-point term is the same for every row, so it joins the lane scale in one FMA
 * per lane block; a minimum costs a second FMA per row.
 *
 * Lanes of a group: sixteen activations, or in the activation + residual product eight
 * activations (lanes 0..7) and their eight residuals (lanes 8..15), whose halves add up
 * before the store. A weight tile (eight rows x up to KC_BLOCKS blocks) is unpacked once
 * and meets every lane group; the lane groups of one K chunk stay in L2.
 *
 * Every block product is exact in integers and scaled in float as in the scalar
 * reference; only the order of the float additions differs (and the offset term is a
 * separate float product). */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/gemm_int8_internal.h"
#include "kernels/micro_x86_internal.h"
#include "kernels/gemm_lanes16_internal.h"
#include "kernels/gemm_legacy_internal.h"

enum {
    LANES = 16,
    TILE_ROWS = 8,
    KC_BLOCKS = 64,
};

/* One block of a lane group: q[k][lane] = elements 4k..4k+3 of that lane. */
typedef struct lane_block {
    int8_t q[8][LANES][4];
    float d[LANES];
    float dsum[LANES]; /* d * (sum of the lane's 32 bytes) */
} lane_block;
_Static_assert(sizeof(lane_block) == 640, "lane block is ten cache lines");

/* Up to TILE_ROWS rows x KC_BLOCKS blocks of unsigned weight bytes with their scale d
 * and, for types with a minimum, its coefficient m. */
typedef struct weight_tile {
    _Alignas(64) uint8_t q[KC_BLOCKS][TILE_ROWS][32];
    float d[KC_BLOCKS][TILE_ROWS];
    float m[KC_BLOCKS][TILE_ROWS];
} weight_tile;

static LF_AVX512_VNNI void pack_lanes(const char *const src[LANES], lf_type act, int64_t nb, lane_block *out) {
    for (int64_t i = 0; i < nb; i++) {
        for (int h = 0; h < 2; h++) { /* lanes 8h..8h+7 */
            __m256i runs[8];
            __m256 sums = gemm_transpose_runs(src + 8 * h, act, i, runs, out[i].d + 8 * h);
            for (int k = 0; k < 8; k++) _mm256_store_si256((__m256i *)out[i].q[k][8 * h], runs[k]);
            _mm256_store_ps(out[i].dsum + 8 * h, _mm256_mul_ps(_mm256_load_ps(out[i].d + 8 * h), sums));
        }
    }
}

/* TILE_ROWS rows x one lane group over nb blocks; slot l of acc[r] = lane l of row r.
 * Run by run, one activation vector meets the eight rows' broadcast weight runs, so the
 * eight int32 chains of a block are independent and every activation byte read from L2
 * feeds eight rows. Inlined with a constant has_min, so the loops unroll into registers. */
static inline __attribute__((always_inline)) LF_AVX512_VNNI void tile_rows(const weight_tile *t, const lane_block *x,
                                                                           bool has_min, float zero, int64_t nb,
                                                                           __m512 acc[TILE_ROWS]) {
#pragma GCC unroll 8
    for (int r = 0; r < TILE_ROWS; r++) acc[r] = _mm512_setzero_ps();
    for (int64_t i = 0; i < nb; i++) {
        __m512i s[TILE_ROWS];
#pragma GCC unroll 8
        for (int r = 0; r < TILE_ROWS; r++) s[r] = _mm512_setzero_si512();
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++) {
            __m512i xv = _mm512_load_si512((const void *)x[i].q[k]);
#pragma GCC unroll 8
            for (int r = 0; r < TILE_ROWS; r++)
                s[r] = _mm512_dpbusd_epi32(s[r], gemm_bcast4_512(t->q[i][r] + 4 * k), xv);
        }
        __m512 d = _mm512_load_ps(x[i].d), dsum = _mm512_load_ps(x[i].dsum);
        __m512 off = _mm512_mul_ps(dsum, _mm512_set1_ps(-zero));
#pragma GCC unroll 8
        for (int r = 0; r < TILE_ROWS; r++) {
            __m512 sf = _mm512_cvtepi32_ps(s[r]);
            if (has_min) {
                acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(t->d[i][r]), _mm512_mul_ps(sf, d), acc[r]);
                acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(t->m[i][r]), dsum, acc[r]);
            } else {
                acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(t->d[i][r]), _mm512_fmadd_ps(sf, d, off), acc[r]);
            }
        }
    }
}

static LF_AVX512_VNNI void tile_zero_point(const weight_tile *t, const lane_block *x, float zero, int64_t nb,
                                           __m512 acc[TILE_ROWS]) {
    tile_rows(t, x, false, zero, nb, acc);
}

static LF_AVX512_VNNI void tile_min(const weight_tile *t, const lane_block *x, int64_t nb, __m512 acc[TILE_ROWS]) {
    tile_rows(t, x, true, 0.0f, nb, acc);
}

/* Unpacks rows [r, r + nr) x blocks [b0, b0 + nb) into the tile; rows past nr get zero
 * scales (their products are computed and dropped). */
static LF_AVX512_VNNI void pack_tile(lf_type type, const char *w, size_t row_bytes, int64_t r, int nr, int64_t b0,
                                     int64_t nb, void *tile) {
    weight_tile *t = tile;
    for (int j = 0; j < TILE_ROWS; j++) {
        if (j >= nr) {
            for (int64_t i = 0; i < nb; i++) {
                memset(t->q[i][j], 0, 32);
                t->d[i][j] = t->m[i][j] = 0.0f;
            }
            continue;
        }
        const char *row = w + (size_t)(r + j) * row_bytes;
        for (int64_t i = 0; i < nb; i++)
            _mm256_store_si256((__m256i *)t->q[i][j], gemm_unsigned_block(type, row, b0 + i, &t->d[i][j], &t->m[i][j]));
    }
}

static LF_AVX512_VNNI void pack_group(lf_type type, const void *xq, const void *xr, size_t stride, int n_batch,
                                      int g, int64_t nb, void *out) {
    const char *src[LANES];
    for (int l = 0; l < LANES; l++) src[l] = gemm_lane_src_halves(xq, xr, stride, n_batch, g, l);
    pack_lanes(src, lf_act_type(type), nb, out);
}

static LF_AVX512_VNNI void run_tile(lf_type type, const void *tile, const void *x, int64_t kb, bool resid, int g,
                                    int n_batch, int nr, bool add, float *y, size_t y_stride) {
    __m512 acc[TILE_ROWS];
    float zero = gemm_zero_point(type);
    if (zero > 0.0f) tile_zero_point(tile, x, zero, kb, acc);
    else tile_min(tile, x, kb, acc);
    gemm_store_tile16(acc, resid, g, n_batch, nr, add, y, y_stride);
}

const gemm_int8_kernels avx512_gemm_int8 = {sizeof(lane_block), sizeof(weight_tile), LANES, TILE_ROWS, KC_BLOCKS,
                                          pack_group, pack_tile, run_tile};
#endif
