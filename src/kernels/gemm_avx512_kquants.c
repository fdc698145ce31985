/* Prompt processing for Q2_K, Q3_K, Q5_K and Q6_K weights with AVX-512 VNNI: the lanes
 * and tiles of gemm_avx512_legacy.c (sixteen lanes, eight rows, one vpdpbusd per 4-byte
 * weight run), with weights in the form of gemm_kquants_internal.h.
 *
 * A 32-element block holds two 16-weight groups with their own scales, so each half
 * gets its own int32 chain (four vpdpbusd), converted to float and scaled by d * sc_g
 * in one FMA. Q6_K's and Q3_K's zero point is exact in the chain: it starts at
 * -zero * B_g, the lane's group sum (shared by the eight rows). Q5_K's two halves share
 * a scale and a minimum, so the whole block is one chain plus a min FMA against the
 * lane's block sum; Q2_K pays a min FMA per half. The lane scale of a Q8_K super-block
 * multiplies once per super-block: the rows' sums of its blocks collect in sb[] and
 * fold into the accumulators at each super-block end (the tile records where in a
 * super-block its first block lies, as K chunks need not start at one).
 *
 * Integer products are exact; only the order and grouping of the float additions
 * differ from the scalar reference. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/gemm_kquants_internal.h"
#include "kernels/micro_x86_internal.h"
#include "kernels/gemm_lanes16_internal.h"

enum {
    LANES = 16,
    TILE_ROWS = 8,
    KC_BLOCKS = 64,
};

typedef KQ_LANE_BLOCK(LANES) lane_block;
_Static_assert(sizeof(lane_block) == 640, "lane block is ten cache lines");

typedef struct weight_tile {
    _Alignas(64) uint8_t q[KC_BLOCKS][TILE_ROWS][32];
    float s[KC_BLOCKS][TILE_ROWS][2]; /* d * sc of the block's two groups */
    float m[KC_BLOCKS][TILE_ROWS][2]; /* -dm * mn of the two groups */
    int phase;                        /* the first block's index within its super-block */
} weight_tile;

static LF_AVX512_VNNI void pack_group(lf_type type, const void *xq, const void *xr, size_t stride, int n_batch,
                                      int g, int64_t nb, void *out) {
    (void)type;
    const char *src[LANES];
    for (int l = 0; l < LANES; l++) src[l] = gemm_lane_src_halves(xq, xr, stride, n_batch, g, l);
    lane_block *x = out;
    for (int64_t i = 0; i < nb; i++)
        for (int h = 0; h < 2; h++) /* lanes 8h..8h+7 */
            kq_pack_lanes8(src + 8 * h, i, x[i].q[0][8 * h], sizeof x[i].q[0], x[i].d + 8 * h, x[i].bsums + 8 * h);
}

/* Unpacks rows [r, r + nr) x blocks [b0, b0 + nb) into the tile; rows past nr get zero
 * scales (their products are computed and dropped). */
static LF_AVX512_VNNI void pack_tile(lf_type type, const char *w, size_t row_bytes, int64_t r, int nr, int64_t b0,
                                     int64_t nb, void *tile) {
    weight_tile *t = tile;
    t->phase = (int)(b0 % 8);
    kq_coeffs c[KC_BLOCKS];
    for (int j = 0; j < TILE_ROWS; j++) {
        const char *row = j < nr ? w + (size_t)(r + j) * row_bytes : NULL;
        kq_unpack_blocks(type, row, b0, nb, t->q[0][j], sizeof t->q[0], c, 1);
        for (int64_t i = 0; i < nb; i++)
            for (int h = 0; h < 2; h++) {
                t->s[i][j][h] = c[i].d * (float)c[i].sc[h];
                t->m[i][j][h] = c[i].dm * (float)c[i].neg_mn[h];
            }
    }
}

enum kq_mode {
    ZERO_POINT, /* Q6_K, Q3_K: chains start at -zero * B_g */
    MIN_32,     /* Q5_K: one chain and one min a block */
    MIN_16,     /* Q2_K: a chain and a min a group */
};

/* Runs k0..k0+n-1 of block i of the lane group against the eight rows, on top of s[]. */
static inline __attribute__((always_inline)) LF_AVX512_VNNI void chains(const weight_tile *t, const lane_block *x,
                                                                        int64_t i, int k0, int n,
                                                                        __m512i s[TILE_ROWS]) {
#pragma GCC unroll 8
    for (int k = k0; k < k0 + n; k++) {
        __m512i xv = _mm512_load_si512((const void *)x[i].q[k]);
#pragma GCC unroll 8
        for (int r = 0; r < TILE_ROWS; r++)
            s[r] = _mm512_dpbusd_epi32(s[r], gemm_bcast4_512(t->q[i][r] + 4 * k), xv);
    }
}

/* The pair (lo, hi) as the int16 multipliers of vpmaddwd: the lane's two group sums
 * weighted lo * B_2s + hi * B_2s+1. */
static inline LF_AVX512_VNNI __m512i weighted_bsums(__m512i bsums, int lo, int hi) {
    return _mm512_madd_epi16(bsums, _mm512_set1_epi32((int)((uint32_t)(uint16_t)lo | (uint32_t)(uint16_t)hi << 16)));
}

/* TILE_ROWS rows x one lane group over nb blocks; slot l of acc[r] = lane l of row r.
 * Inlined with a constant mode, so the loops unroll into registers. */
static inline __attribute__((always_inline)) LF_AVX512_VNNI void tile_rows(const weight_tile *t, const lane_block *x,
                                                                           enum kq_mode mode, int zero, int64_t nb,
                                                                           __m512 acc[TILE_ROWS]) {
#pragma GCC unroll 8
    for (int r = 0; r < TILE_ROWS; r++) acc[r] = _mm512_setzero_ps();
    for (int64_t i = 0; i < nb;) {
        int64_t end = i + 8 - (t->phase + i) % 8; /* the end of this super-block */
        if (end > nb) end = nb;
        __m512 sb[TILE_ROWS];
#pragma GCC unroll 8
        for (int r = 0; r < TILE_ROWS; r++) sb[r] = _mm512_setzero_ps();
        for (; i < end; i++) {
            __m512i bsums = _mm512_load_si512((const void *)x[i].bsums), s[TILE_ROWS];
            if (mode == MIN_32) {
                __m512 sum = _mm512_cvtepi32_ps(weighted_bsums(bsums, 1, 1));
#pragma GCC unroll 8
                for (int r = 0; r < TILE_ROWS; r++) s[r] = _mm512_setzero_si512();
                chains(t, x, i, 0, 8, s);
#pragma GCC unroll 8
                for (int r = 0; r < TILE_ROWS; r++) {
                    sb[r] = _mm512_fmadd_ps(_mm512_set1_ps(t->s[i][r][0]), _mm512_cvtepi32_ps(s[r]), sb[r]);
                    sb[r] = _mm512_fmadd_ps(_mm512_set1_ps(t->m[i][r][0]), sum, sb[r]);
                }
                continue;
            }
#pragma GCC unroll 2
            for (int h = 0; h < 2; h++) {
                __m512i start = mode == ZERO_POINT ? weighted_bsums(bsums, h ? 0 : -zero, h ? -zero : 0)
                                                   : _mm512_setzero_si512();
#pragma GCC unroll 8
                for (int r = 0; r < TILE_ROWS; r++) s[r] = start;
                chains(t, x, i, 4 * h, 4, s);
                __m512 group_sum = _mm512_setzero_ps();
                if (mode == MIN_16) group_sum = _mm512_cvtepi32_ps(weighted_bsums(bsums, !h, h));
#pragma GCC unroll 8
                for (int r = 0; r < TILE_ROWS; r++) {
                    sb[r] = _mm512_fmadd_ps(_mm512_set1_ps(t->s[i][r][h]), _mm512_cvtepi32_ps(s[r]), sb[r]);
                    if (mode == MIN_16) sb[r] = _mm512_fmadd_ps(_mm512_set1_ps(t->m[i][r][h]), group_sum, sb[r]);
                }
            }
        }
        __m512 d = _mm512_load_ps(x[end - 1].d);
#pragma GCC unroll 8
        for (int r = 0; r < TILE_ROWS; r++) acc[r] = _mm512_fmadd_ps(sb[r], d, acc[r]);
    }
}

static LF_AVX512_VNNI void tile_zero_point(const weight_tile *t, const lane_block *x, int zero, int64_t nb,
                                           __m512 acc[TILE_ROWS]) {
    tile_rows(t, x, ZERO_POINT, zero, nb, acc);
}

static LF_AVX512_VNNI void tile_min_32(const weight_tile *t, const lane_block *x, int64_t nb, __m512 acc[TILE_ROWS]) {
    tile_rows(t, x, MIN_32, 0, nb, acc);
}

static LF_AVX512_VNNI void tile_min_16(const weight_tile *t, const lane_block *x, int64_t nb, __m512 acc[TILE_ROWS]) {
    tile_rows(t, x, MIN_16, 0, nb, acc);
}

static LF_AVX512_VNNI void run_tile(lf_type type, const void *tile, const void *x, int64_t kb, bool resid, int g,
                                    int n_batch, int nr, bool add, float *y, size_t y_stride) {
    __m512 acc[TILE_ROWS];
    int zero = kq_zero_point(type);
    if (zero) tile_zero_point(tile, x, zero, kb, acc);
    else if (type == LF_TYPE_Q5_K) tile_min_32(tile, x, kb, acc);
    else tile_min_16(tile, x, kb, acc);
    gemm_store_tile16(acc, resid, g, n_batch, nr, add, y, y_stride);
}

const gemm_int8_kernels avx512_gemm_kquants = {sizeof(lane_block), sizeof(weight_tile), LANES, TILE_ROWS, KC_BLOCKS,
                                          pack_group, pack_tile, run_tile};
#endif
