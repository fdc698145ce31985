/* Prompt processing for Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and Q4_K weights on AVX2 as a
 * cache-blocked GEMM (a Q4_K super-block is eight 32-weight groups with their own scale
 * and min, each handled like a Q4_1 block; Q8_K activations split the same way).
 *
 * The activations of the batch are repacked once per call into groups of eight "lanes"
 * (eight int8 activation vectors, or in the activation + residual product four
 * activations and their four residuals) in which run k of every block holds elements
 * 4k..4k+3 of the eight lanes side by side. A weight tile (four rows x up to KC_BLOCKS
 * blocks) is unpacked once into plain bytes and then meets every lane group of the
 * batch: four weight bytes broadcast to all eight lanes multiply 32 activation bytes in
 * one vpmaddubsw, so the eight products of a block need no horizontal reductions (int32
 * slot l is lane l), and for Q4_0 the eight runs of a block add up in 16 bits before one
 * widening vpmaddwd (unsigned nibbles times int8 stay below 2^15; the -8 offset of Q4_0
 * comes back through the lane sums, precomputed per lane block; Q5_0's and Q5_1's
 * five-bit quants, unsigned as on AVX-512, widen per four runs). The block scales then
 * cost two FMAs per row for eight lanes. The weight tile stays in L1 and the lane groups
 * of one K chunk in L2, so each weight is read from memory once per call and each
 * activation from L2 once per four rows. Eight lanes measured 5-8% faster than four
 * (8-byte runs), and plain byte loads of pre-broadcast weights slower than broadcasts.
 *
 * Every block product is exact in integers and scaled in float as in the scalar
 * reference; only the order of the float additions differs. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/gemm_int8_internal.h"
#include "kernels/micro_x86_internal.h"
#include "kernels/gemm_lanes_internal.h"
#include "kernels/gemm_legacy_internal.h"

enum {
    LANES = 8,       /* activation vectors per packed group */
    TILE_ROWS = 4,   /* weight rows per micro-kernel call */
    KC_BLOCKS = 64,  /* most blocks per K chunk */
};

/* One block of a lane group: q[k][lane] = elements 4k..4k+3 of that lane, so after
 * vpmaddubsw and vpmaddwd int32 slot l holds lane l's sum. */
typedef struct lane_block {
    int8_t q[8][LANES][4];
    float d[LANES];   /* lane scales */
    float dsum[LANES]; /* d * (sum of the lane's q): the offset and min terms */
} lane_block;
_Static_assert(sizeof(lane_block) == 320, "lane block is five cache lines");

/* Up to TILE_ROWS rows x KC_BLOCKS blocks of weights as plain bytes: unsigned quants
 * (gemm_unsigned_block) in q; signed ones (Q8_0, IQ4_NL: too large for 16-bit pair sums
 * as unsigned) in q and their magnitudes in a. */
typedef struct weight_tile {
    _Alignas(32) uint8_t q[KC_BLOCKS][TILE_ROWS][32];
    _Alignas(32) uint8_t a[KC_BLOCKS][TILE_ROWS][32];
    float d[KC_BLOCKS][TILE_ROWS];
    float m[KC_BLOCKS][TILE_ROWS]; /* the minimum's coefficient (Q4_1, Q5_1, Q4_K) */
} weight_tile;

/* Packs nb blocks of eight lanes into out[0..nb): an 8x8 transpose of 4-byte runs per
 * block, the lane scales and the scaled lane sums. */
static LF_AVX2 void pack_lanes(const char *const src[LANES], lf_type act, int64_t nb, lane_block *out) {
    for (int64_t i = 0; i < nb; i++) {
        __m256i runs[8];
        __m256 sums = gemm_transpose_runs(src, act, i, runs, out[i].d);
        for (int k = 0; k < 8; k++) _mm256_store_si256((__m256i *)out[i].q[k], runs[k]);
        _mm256_store_ps(out[i].dsum, _mm256_mul_ps(_mm256_load_ps(out[i].d), sums));
    }
}

/* Row r of the tile against one lane block (runs x0..x7) at tile block i, as int32 per
 * lane: nibbles (u <= 15) add up over the eight runs in int16 (8 x 2 x 15 x 127 < 2^15),
 * five-bit quants (u <= 31) over four runs. */
#define U_RUN(k) _mm256_maddubs_epi16(gemm_bcast4(wq + 4 * (k)), x##k)
#define U4_SUM _mm256_madd_epi16(_mm256_add_epi16(_mm256_add_epi16(U_RUN(0), U_RUN(1)),                   \
                                                  _mm256_add_epi16(U_RUN(2), U_RUN(3))),                  \
                                 ones)
#define U4_SUM_HI _mm256_madd_epi16(_mm256_add_epi16(_mm256_add_epi16(U_RUN(4), U_RUN(5)),                \
                                                     _mm256_add_epi16(U_RUN(6), U_RUN(7))),               \
                                    ones)
#define NIBBLE_SUM                                                                                       \
    _mm256_madd_epi16(_mm256_add_epi16(_mm256_add_epi16(_mm256_add_epi16(U_RUN(0), U_RUN(1)),            \
                                                        _mm256_add_epi16(U_RUN(2), U_RUN(3))),           \
                                       _mm256_add_epi16(_mm256_add_epi16(U_RUN(4), U_RUN(5)),            \
                                                        _mm256_add_epi16(U_RUN(6), U_RUN(7)))),          \
                      ones)
#define FIVE_BIT_SUM _mm256_add_epi32(U4_SUM, U4_SUM_HI)

/* Zero-point types (Q4_0, Q5_0): the offset term -zero * d_x * sum(x) through the lane
 * sums (off, the same for every row). */
#define ZERO_ROW(acc, r, SUM)                                                                            \
    do {                                                                                                 \
        const uint8_t *wq = t->q[i][r];                                                                  \
        __m256 p = _mm256_fmadd_ps(_mm256_cvtepi32_ps(SUM), d, off);                                     \
        acc = _mm256_fmadd_ps(_mm256_set1_ps(t->d[i][r]), p, acc);                                       \
    } while (0)

/* Types with a minimum (Q4_1, Q5_1, and a Q4_K group of 32 nibbles with its own scale
 * and min): the min term through the lane sums, a second FMA. */
#define MIN_ROW(acc, r, SUM)                                                                             \
    do {                                                                                                 \
        const uint8_t *wq = t->q[i][r];                                                                  \
        __m256 p = _mm256_mul_ps(_mm256_cvtepi32_ps(SUM), d);                                            \
        acc = _mm256_fmadd_ps(_mm256_set1_ps(t->d[i][r]), p, acc);                                       \
        acc = _mm256_fmadd_ps(_mm256_set1_ps(t->m[i][r]), dsum, acc);                                    \
    } while (0)

/* Q8_0 and IQ4_NL: signed weights, so each run's sign moves onto the activation (|w| x +-x); the
 * products widen to int32 per run. */
#define Q8_0_RUN(k) \
    _mm256_madd_epi16(_mm256_maddubs_epi16(gemm_bcast4(wa + 4 * (k)), _mm256_sign_epi8(x##k, gemm_bcast4(wq + 4 * (k)))), ones)
#define Q8_0_ROW(acc, r, SUM)                                                                            \
    do {                                                                                                 \
        const uint8_t *wq = t->q[i][r], *wa = t->a[i][r];                                                \
        __m256i s = _mm256_add_epi32(_mm256_add_epi32(Q8_0_RUN(0), Q8_0_RUN(1)),                         \
                                     _mm256_add_epi32(Q8_0_RUN(2), Q8_0_RUN(3)));                        \
        s = _mm256_add_epi32(s, _mm256_add_epi32(_mm256_add_epi32(Q8_0_RUN(4), Q8_0_RUN(5)),             \
                                                 _mm256_add_epi32(Q8_0_RUN(6), Q8_0_RUN(7))));           \
        __m256 p = _mm256_mul_ps(_mm256_cvtepi32_ps(s), d);                                              \
        acc = _mm256_fmadd_ps(_mm256_set1_ps(t->d[i][r]), p, acc);                                       \
    } while (0)

#define LOAD_RUN(k) __m256i x##k = _mm256_load_si256((const __m256i *)x[i].q[k])

/* TILE_ROWS rows x one lane group over nb blocks; slot l of acc[r] = lane l. */
#define TILE_KERNEL(name, ROW, SUM, ZERO)                                                                \
    static LF_AVX2 void name(const weight_tile *t, const lane_block *x, int64_t nb, __m256 acc[TILE_ROWS]) { \
        const __m256i ones = _mm256_set1_epi16(1);                                                       \
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;                                      \
        for (int64_t i = 0; i < nb; i++) {                                                               \
            LOAD_RUN(0); LOAD_RUN(1); LOAD_RUN(2); LOAD_RUN(3);                                          \
            LOAD_RUN(4); LOAD_RUN(5); LOAD_RUN(6); LOAD_RUN(7);                                          \
            __m256 d = _mm256_load_ps(x[i].d), dsum = _mm256_load_ps(x[i].dsum);                         \
            __m256 off = _mm256_mul_ps(dsum, _mm256_set1_ps(-(ZERO)));                                   \
            (void)off;                                                                                   \
            ROW(a0, 0, SUM);                                                                             \
            ROW(a1, 1, SUM);                                                                             \
            ROW(a2, 2, SUM);                                                                             \
            ROW(a3, 3, SUM);                                                                             \
        }                                                                                                \
        acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;                                              \
    }
TILE_KERNEL(tile_q4_0, ZERO_ROW, NIBBLE_SUM, 8.0f)
TILE_KERNEL(tile_q5_0, ZERO_ROW, FIVE_BIT_SUM, 16.0f)
TILE_KERNEL(tile_nibble_min, MIN_ROW, NIBBLE_SUM, 0.0f)
TILE_KERNEL(tile_five_bit_min, MIN_ROW, FIVE_BIT_SUM, 0.0f)
TILE_KERNEL(tile_q8_0, Q8_0_ROW, 0, 0.0f)
#undef TILE_KERNEL
#undef LOAD_RUN
#undef ZERO_ROW
#undef MIN_ROW
#undef NIBBLE_SUM
#undef FIVE_BIT_SUM
#undef U4_SUM
#undef U4_SUM_HI
#undef U_RUN
#undef Q8_0_ROW
#undef Q8_0_RUN

/* Unpacks rows [r, r + nr) x blocks [b0, b0 + nb) into the tile; rows past nr get zero
 * scales (their products are computed and dropped). */
static LF_AVX2 void pack_tile(lf_type type, const char *w, size_t row_bytes, int64_t r, int nr, int64_t b0,
                              int64_t nb, void *tile) {
    weight_tile *t = tile;
    for (int j = 0; j < TILE_ROWS; j++) {
        if (j >= nr) {
            for (int64_t i = 0; i < nb; i++) {
                memset(t->q[i][j], 0, 32);
                memset(t->a[i][j], 0, 32);
                t->d[i][j] = t->m[i][j] = 0.0f;
            }
            continue;
        }
        const char *row = w + (size_t)(r + j) * row_bytes;
        if (type != LF_TYPE_Q8_0 && type != LF_TYPE_IQ4_NL) {
            for (int64_t i = 0; i < nb; i++)
                _mm256_store_si256((__m256i *)t->q[i][j],
                                   gemm_unsigned_block(type, row, b0 + i, &t->d[i][j], &t->m[i][j]));
        } else { /* signed: the bytes back from their + 128 */
            for (int64_t i = 0; i < nb; i++) {
                __m256i q = _mm256_xor_si256(gemm_unsigned_block(type, row, b0 + i, &t->d[i][j], &t->m[i][j]),
                                             _mm256_set1_epi8((char)0x80));
                _mm256_store_si256((__m256i *)t->q[i][j], q);
                _mm256_store_si256((__m256i *)t->a[i][j], _mm256_sign_epi8(q, q));
            }
        }
    }
}

static LF_AVX2 void pack_group(lf_type type, const void *xq, const void *xr, size_t stride, int n_batch, int g,
                               int64_t nb, void *out) {
    int n_lanes = xr ? 2 * n_batch : n_batch;
    const char *src[LANES];
    for (int l = 0; l < LANES; l++) src[l] = gemm_lane_src_pairs(xq, xr, stride, n_lanes, LANES * g + l);
    pack_lanes(src, lf_act_type(type), nb, out);
}

static LF_AVX2 void run_tile(lf_type type, const void *tile, const void *x, int64_t kb, bool resid, int g, int n_batch,
                             int nr, bool add, float *y, size_t y_stride) {
    __m256 acc[TILE_ROWS];
    switch (type) {
    case LF_TYPE_Q4_0: tile_q4_0(tile, x, kb, acc); break;
    case LF_TYPE_Q5_0: tile_q5_0(tile, x, kb, acc); break;
    case LF_TYPE_Q5_1: tile_five_bit_min(tile, x, kb, acc); break;
    case LF_TYPE_Q8_0:
    case LF_TYPE_IQ4_NL: tile_q8_0(tile, x, kb, acc); break;
    default: tile_nibble_min(tile, x, kb, acc); /* Q4_1, Q4_K */
    }
    gemm_store_tile_pairs(acc, resid, g, n_batch, nr, add, y, y_stride);
}

const gemm_int8_kernels avx2_gemm_int8 = {sizeof(lane_block), sizeof(weight_tile), LANES, TILE_ROWS, KC_BLOCKS,
                                          pack_group, pack_tile, run_tile};
#endif
