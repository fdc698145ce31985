/* Prompt processing for the K-quants (Q2_K ... Q6_K) with AVX-512 VNNI: tiles of
 * eight rows met by groups of 32 lanes (two halves of sixteen, one vpdpbusd per 4-byte
 * weight run and half), with weights in the form of gemm_kquants_internal.h.
 *
 * Q2_K and Q3_K scales are small enough to multiply into the weight bytes when the tile
 * is unpacked: Q2_K's v = sc * u <= 45, Q3_K's v = sc * (u - 4) + 124 in [0, 252]. The
 * int32 chain of a row then runs through a whole super-block with no float work, the
 * 124 offset taken out exactly by starting it at -124 * (the lane's block sums); Q2_K's
 * minima add up beside it in one vpdpwssd per block and row (mn pair . group sum pair).
 * Each costs one conversion and one or two FMAs per row and super-block instead of one
 * per 16-weight group, and both lane halves run together: sixteen independent chains,
 * each broadcast weight run feeding two products.
 *
 * Q6_K's (int8) and Q4_K's and Q5_K's (6-bit) scales do not fit a byte with the quants:
 * each group gets its own int32 chain (four vpdpbusd for Q6_K's 16 weights, eight for
 * the 32 of Q4_K and Q5_K), converted to float and scaled by d * sc_g in one FMA. Q6_K's
 * zero point is exact in the chain: it starts at -32 * B_g, the lane's group sum (shared
 * by the eight rows); Q4_K's and Q5_K's minimum is one FMA per block against the lane's
 * block sum. Their float sums need registers beside the chains, so the two halves run
 * one after the other.
 *
 * The lane scale of a Q8_K super-block multiplies once per super-block: the rows' sums
 * of its blocks collect in sb[] and fold into the accumulators at each super-block end
 * (the tile records where in a super-block its first block lies, as K chunks need not
 * start at one). Integer products are exact; only the order and grouping of the float
 * additions differ from the scalar reference. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/gemm_kquants_internal.h"
#include "kernels/micro_x86_internal.h"
#include "kernels/gemm_lanes16_internal.h"

enum {
    LANES = 32, /* two halves of sixteen, each one __m512 of int32 per row */
    TILE_ROWS = 8,
    KC_BLOCKS = 64,
};

typedef KQ_LANE_BLOCK(LANES) lane_block;
_Static_assert(sizeof(lane_block) == 1280, "lane block is twenty cache lines");

typedef struct weight_tile {
    _Alignas(64) uint8_t q[KC_BLOCKS][TILE_ROWS][32];
    float s[KC_BLOCKS][TILE_ROWS][2]; /* d * sc of the block's two groups; Q2_K, Q3_K: d */
    float m[KC_BLOCKS][TILE_ROWS][2]; /* -dm * mn of the two groups; Q2_K: -dm */
    int32_t mn[KC_BLOCKS][TILE_ROWS]; /* Q2_K: the pair (mn_2s, mn_2s+1), int16 each */
    int phase;                        /* the first block's index within its super-block */
} weight_tile;

/* The offset that keeps Q3_K's scaled bytes sc * (u - 4) unsigned. */
enum { Q3_K_BIAS = 124 };

static LF_AVX512_VNNI void pack_group(lf_type type, const void *xq, const void *xr, size_t stride, int n_batch,
                                      int g, int64_t nb, void *out) {
    (void)type;
    const char *src[LANES];
    for (int l = 0; l < LANES; l++) src[l] = gemm_lane_src_halves(xq, xr, stride, n_batch, 2 * g + l / 16, l % 16);
    lane_block *x = out;
    for (int64_t i = 0; i < nb; i++)
        for (int e = 0; e < 4; e++) /* lanes 8e..8e+7 */
            kq_pack_lanes8(src + 8 * e, i, x[i].q[0][8 * e], sizeof x[i].q[0], x[i].d + 8 * e, x[i].bsums + 8 * e);
}

/* Slice s of a super-block (groups 2s, 2s+1) with its quants times their group scales
 * (sc16: the 16 scales, int16), plus off16 (per group, int16): Q2_K's and Q3_K's bytes. */
static inline LF_AVX512_VNNI __m256i premultiply(__m256i u, __m512i sc16, __m512i off16, int s) {
    __m512i idx = _mm512_set1_epi16((short)(2 * s));
    idx = _mm512_mask_add_epi16(idx, 0xFFFF0000u, idx, _mm512_set1_epi16(1)); /* 2s x16, 2s+1 x16 */
    __m512i v = _mm512_mullo_epi16(_mm512_cvtepu8_epi16(u), _mm512_permutexvar_epi16(idx, sc16));
    return _mm512_cvtepi16_epi8(_mm512_add_epi16(v, _mm512_permutexvar_epi16(idx, off16)));
}

/* Blocks [b0, b0 + nb) of one row (NULL: a padding row, all zero) into column j of the
 * tile, one super-block unpacked at a time. */
static LF_AVX512_VNNI void pack_row(lf_type type, const char *row, int64_t b0, int64_t nb, weight_tile *t, int j) {
    bool scaled = type == LF_TYPE_Q2_K || type == LF_TYPE_Q3_K;
    if (!row) {
        for (int64_t i = 0; i < nb; i++) {
            memset(t->q[i][j], 0, sizeof t->q[i][j]);
            t->s[i][j][0] = t->s[i][j][1] = t->m[i][j][0] = t->m[i][j][1] = 0.0f;
            t->mn[i][j] = 0;
        }
        return;
    }
    kq_superblock sb;
    for (int64_t i = 0; i < nb;) {
        int s0 = (int)((b0 + i) % 8), n = 8 - s0 < nb - i ? 8 - s0 : (int)(nb - i);
        kq_unpack(type, row, (b0 + i) / 8, &sb);
        __m512i sc16 = _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)sb.sc));
        __m512i mn16 = _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)sb.mn));
        /* Q3_K: v = sc * u - mn + bias with mn = 4 sc; Q2_K: v = sc * u */
        __m512i off16 = type == LF_TYPE_Q3_K ? _mm512_sub_epi16(_mm512_set1_epi16(Q3_K_BIAS), mn16) : _mm512_setzero_si512();
        /* the coefficients stay in registers: a pair read back from a vector spilled to
         * memory would wait for the store to retire */
        __m512i ds = _mm512_castps_si512(_mm512_mul_ps(_mm512_set1_ps(sb.d), _mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(_mm512_castsi512_si256(sc16)))));
        __m512i dms = _mm512_castps_si512(_mm512_mul_ps(_mm512_set1_ps(-sb.dm), _mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(_mm512_castsi512_si256(mn16)))));
        for (int s = s0; s < s0 + n; s++, i++) {
            __m512i pair = _mm512_set1_epi64(s); /* groups 2s, 2s+1: 64-bit element s */
            if (scaled) {
                _mm256_store_si256((__m256i *)t->q[i][j], premultiply(sb.u[s], sc16, off16, s));
                t->s[i][j][0] = sb.d;
                t->m[i][j][0] = -sb.dm;
                if (type == LF_TYPE_Q2_K) /* only Q2_K's min pass reads the pair */
                    t->mn[i][j] = _mm_cvtsi128_si32(_mm256_castsi256_si128(
                        _mm256_permutevar8x32_epi32(_mm512_castsi512_si256(mn16), _mm256_set1_epi32(s))));
            } else {
                _mm256_store_si256((__m256i *)t->q[i][j], sb.u[s]);
                _mm_storel_epi64((__m128i *)t->s[i][j], _mm512_castsi512_si128(_mm512_permutexvar_epi64(pair, ds)));
                _mm_storel_epi64((__m128i *)t->m[i][j], _mm512_castsi512_si128(_mm512_permutexvar_epi64(pair, dms)));
            }
        }
    }
}

/* Unpacks rows [r, r + nr) x blocks [b0, b0 + nb) into the tile; rows past nr get zero
 * scales (their products are computed and dropped). */
static LF_AVX512_VNNI void pack_tile(lf_type type, const char *w, size_t row_bytes, int64_t r, int nr, int64_t b0,
                                     int64_t nb, void *tile) {
    weight_tile *t = tile;
    t->phase = (int)(b0 % 8);
    for (int j = 0; j < TILE_ROWS; j++) pack_row(type, j < nr ? w + (size_t)(r + j) * row_bytes : NULL, b0, nb, t, j);
}

enum kq_mode {
    ZERO_POINT, /* Q6_K: chains start at -zero * B_g */
    MIN_32,     /* Q5_K, Q4_K: one chain and one min a block */
    SCALED,     /* Q3_K: one chain a super-block, starting at -Q3_K_BIAS * B */
    SCALED_MIN, /* Q2_K: one chain and one min chain a super-block */
};

/* Runs k0..k0+n-1 of block i of lane half h against the eight rows, on top of s[]. */
static inline __attribute__((always_inline)) LF_AVX512_VNNI void chains(const weight_tile *t, const lane_block *x,
                                                                        int64_t i, int h, int k0, int n,
                                                                        __m512i s[TILE_ROWS]) {
#pragma GCC unroll 8
    for (int k = k0; k < k0 + n; k++) {
        __m512i xv = _mm512_load_si512((const void *)x[i].q[k][16 * h]);
#pragma GCC unroll 8
        for (int r = 0; r < TILE_ROWS; r++)
            s[r] = _mm512_dpbusd_epi32(s[r], gemm_bcast4_512(t->q[i][r] + 4 * k), xv);
    }
}

/* Block i of both lane halves against the eight rows: s[8h + r] = half h, row r. Each
 * broadcast weight run feeds two products, and sixteen independent chains keep both
 * vpdpbusd ports busy. */
static inline __attribute__((always_inline)) LF_AVX512_VNNI void chains2(const weight_tile *t, const lane_block *x,
                                                                         int64_t i, __m512i s[2 * TILE_ROWS]) {
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++) {
        __m512i x0 = _mm512_load_si512((const void *)x[i].q[k][0]), x1 = _mm512_load_si512((const void *)x[i].q[k][16]);
#pragma GCC unroll 8
        for (int r = 0; r < TILE_ROWS; r++) {
            __m512i w = gemm_bcast4_512(t->q[i][r] + 4 * k);
            s[r] = _mm512_dpbusd_epi32(s[r], w, x0);
            s[TILE_ROWS + r] = _mm512_dpbusd_epi32(s[TILE_ROWS + r], w, x1);
        }
    }
}

/* The pair (lo, hi) as the int16 multipliers of vpmaddwd: the lane's two group sums
 * weighted lo * B_2s + hi * B_2s+1. */
static inline LF_AVX512_VNNI __m512i weighted_bsums(__m512i bsums, int lo, int hi) {
    return _mm512_madd_epi16(bsums, _mm512_set1_epi32((int)((uint32_t)(uint16_t)lo | (uint32_t)(uint16_t)hi << 16)));
}

/* Q6_K, Q5_K and Q4_K: TILE_ROWS rows x lane half h over nb blocks; slot l of acc[r] = lane
 * 16h + l of row r. Inlined with a constant mode, so the loops unroll into registers. */
static inline __attribute__((always_inline)) LF_AVX512_VNNI void tile_groups(const weight_tile *t,
                                                                             const lane_block *x, enum kq_mode mode,
                                                                             int h, int64_t nb,
                                                                             __m512 acc[TILE_ROWS]) {
#pragma GCC unroll 8
    for (int r = 0; r < TILE_ROWS; r++) acc[r] = _mm512_setzero_ps();
    for (int64_t i = 0; i < nb;) {
        int64_t end = i + 8 - (t->phase + i) % 8; /* the end of this super-block */
        if (end > nb) end = nb;
        __m512 sb[TILE_ROWS];
        __m512i s[TILE_ROWS];
#pragma GCC unroll 8
        for (int r = 0; r < TILE_ROWS; r++) sb[r] = _mm512_setzero_ps();
        for (; i < end; i++) {
            __m512i bsums = _mm512_load_si512((const void *)(x[i].bsums + 16 * h));
            if (mode == MIN_32) {
                __m512 sum = _mm512_cvtepi32_ps(weighted_bsums(bsums, 1, 1));
#pragma GCC unroll 8
                for (int r = 0; r < TILE_ROWS; r++) s[r] = _mm512_setzero_si512();
                chains(t, x, i, h, 0, 8, s);
#pragma GCC unroll 8
                for (int r = 0; r < TILE_ROWS; r++) {
                    sb[r] = _mm512_fmadd_ps(_mm512_set1_ps(t->s[i][r][0]), _mm512_cvtepi32_ps(s[r]), sb[r]);
                    sb[r] = _mm512_fmadd_ps(_mm512_set1_ps(t->m[i][r][0]), sum, sb[r]);
                }
                continue;
            }
#pragma GCC unroll 2
            for (int g = 0; g < 2; g++) { /* ZERO_POINT: the chain of group 2i + g */
                const int zero = kq_zero_point(LF_TYPE_Q6_K);
                __m512i start = weighted_bsums(bsums, g ? 0 : -zero, g ? -zero : 0);
#pragma GCC unroll 8
                for (int r = 0; r < TILE_ROWS; r++) s[r] = start;
                chains(t, x, i, h, 4 * g, 4, s);
#pragma GCC unroll 8
                for (int r = 0; r < TILE_ROWS; r++)
                    sb[r] = _mm512_fmadd_ps(_mm512_set1_ps(t->s[i][r][g]), _mm512_cvtepi32_ps(s[r]), sb[r]);
            }
        }
        __m512 d = _mm512_load_ps(x[end - 1].d + 16 * h);
#pragma GCC unroll 8
        for (int r = 0; r < TILE_ROWS; r++) acc[r] = _mm512_fmadd_ps(sb[r], d, acc[r]);
    }
}

/* acc[h][r] += (the int32 sums s[8h + r] of a super-block) * coef[r] * (the lanes' scales). */
static inline __attribute__((always_inline)) LF_AVX512_VNNI void fold(const __m512i s[2 * TILE_ROWS],
                                                                      const float coef[TILE_ROWS][2], const float *d,
                                                                      __m512 acc[2][TILE_ROWS]) {
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++) {
        __m512 dx = _mm512_load_ps(d + 16 * h);
#pragma GCC unroll 8
        for (int r = 0; r < TILE_ROWS; r++)
            acc[h][r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s[TILE_ROWS * h + r]),
                                        _mm512_mul_ps(_mm512_set1_ps(coef[r][0]), dx), acc[h][r]);
    }
}

/* Q3_K and Q2_K: TILE_ROWS rows x both lane halves over nb blocks, one chain per row,
 * half and super-block; Q2_K's minima run as a second pass over the super-block's
 * group sums. */
static inline __attribute__((always_inline)) LF_AVX512_VNNI void tile_scaled(const weight_tile *t, const lane_block *x,
                                                                             bool has_min, int64_t nb,
                                                                             __m512 acc[2][TILE_ROWS]) {
    for (int h = 0; h < 2; h++)
        for (int r = 0; r < TILE_ROWS; r++) acc[h][r] = _mm512_setzero_ps();
    for (int64_t i = 0, end; i < nb; i = end) {
        end = i + 8 - (t->phase + i) % 8; /* the end of this super-block */
        if (end > nb) end = nb;
        __m512i start[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()}, s[2 * TILE_ROWS];
        for (int64_t j = i; j < end && !has_min; j++)
            for (int h = 0; h < 2; h++)
                start[h] = _mm512_add_epi32(start[h], weighted_bsums(_mm512_load_si512((const void *)(x[j].bsums + 16 * h)),
                                                                     -Q3_K_BIAS, -Q3_K_BIAS));
#pragma GCC unroll 16
        for (int q = 0; q < 2 * TILE_ROWS; q++) s[q] = start[q / TILE_ROWS];
        for (int64_t j = i; j < end; j++) chains2(t, x, j, s);
        fold(s, t->s[i], x[end - 1].d, acc);
        if (!has_min) continue;
#pragma GCC unroll 16
        for (int q = 0; q < 2 * TILE_ROWS; q++) s[q] = _mm512_setzero_si512();
        for (int64_t j = i; j < end; j++) {
            __m512i b0 = _mm512_load_si512((const void *)x[j].bsums), b1 = _mm512_load_si512((const void *)(x[j].bsums + 16));
#pragma GCC unroll 8
            for (int r = 0; r < TILE_ROWS; r++) {
                __m512i mn = _mm512_set1_epi32(t->mn[j][r]);
                s[r] = _mm512_dpwssd_epi32(s[r], b0, mn);
                s[TILE_ROWS + r] = _mm512_dpwssd_epi32(s[TILE_ROWS + r], b1, mn);
            }
        }
        fold(s, t->m[i], x[end - 1].d, acc);
    }
}

static LF_AVX512_VNNI void tile_q6_K(const weight_tile *t, const lane_block *x, int h, int64_t nb,
                                     __m512 acc[TILE_ROWS]) {
    tile_groups(t, x, ZERO_POINT, h, nb, acc);
}

static LF_AVX512_VNNI void tile_min_32(const weight_tile *t, const lane_block *x, int h, int64_t nb,
                                       __m512 acc[TILE_ROWS]) {
    tile_groups(t, x, MIN_32, h, nb, acc);
}

static LF_AVX512_VNNI void tile_q3_K(const weight_tile *t, const lane_block *x, int64_t nb, __m512 acc[2][TILE_ROWS]) {
    tile_scaled(t, x, false, nb, acc);
}

static LF_AVX512_VNNI void tile_q2_K(const weight_tile *t, const lane_block *x, int64_t nb, __m512 acc[2][TILE_ROWS]) {
    tile_scaled(t, x, true, nb, acc);
}

static LF_AVX512_VNNI void run_tile(lf_type type, const void *tile, const void *x, int64_t kb, bool resid, int g,
                                    int n_batch, int nr, bool add, float *y, size_t y_stride) {
    __m512 acc[2][TILE_ROWS];
    if (type == LF_TYPE_Q3_K) tile_q3_K(tile, x, kb, acc);
    else if (type == LF_TYPE_Q2_K) tile_q2_K(tile, x, kb, acc);
    else
        for (int h = 0; h < 2; h++)
            if (type == LF_TYPE_Q6_K) tile_q6_K(tile, x, h, kb, acc[h]);
            else tile_min_32(tile, x, h, kb, acc[h]); /* Q5_K, Q4_K */
    for (int h = 0; h < 2; h++) gemm_store_tile16(acc[h], resid, 2 * g + h, n_batch, nr, add, y, y_stride);
}

const gemm_int8_kernels avx512_gemm_kquants = {sizeof(lane_block), sizeof(weight_tile), LANES, TILE_ROWS, KC_BLOCKS,
                                          pack_group, pack_tile, run_tile};
#endif
