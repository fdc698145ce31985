/* Prompt processing for Q2_K, Q3_K, Q5_K and Q6_K weights on AVX2: the lanes and tiles
 * of gemm_avx2_legacy.c (eight lanes, four rows, one vpmaddubsw per broadcast 4-byte
 * weight run), with weights in the form of gemm_kquants_internal.h.
 *
 * The group scales are applied in integers: the 16-bit products of a group's runs add
 * up (four runs of u <= 31, two of Q6_K's u <= 63, staying below 2^15) and one vpmaddwd
 * with the pair (sc_g, sc_g) both widens and scales them. The minimum takes one more
 * vpmaddwd per block and row, of the lane's group sums (B_2s, B_2s+1) with (-mn_2s,
 * -mn_2s+1). Where dm = d (Q6_K, Q3_K) it joins the same int32 sum, which thus holds a
 * whole super-block's product exactly as the scalar reference's; Q2_K and Q5_K keep it
 * beside. At each super-block end the sums are converted and scaled by d (and dm) and by
 * the lane scale: three float operations per row and super-block. The tile records
 * where in a super-block its first block lies, as K chunks need not start at one.
 *
 * Integer sums are those of the scalar reference; only the order of the float additions
 * across super-blocks differs. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/gemm_kquants_internal.h"
#include "kernels/micro_x86_internal.h"

enum {
    LANES = 8,
    TILE_ROWS = 4,
    KC_BLOCKS = 64,
};

typedef KQ_LANE_BLOCK(LANES) lane_block;
_Static_assert(sizeof(lane_block) == 320, "lane block is five cache lines");

/* 64-byte aligned, so its size is a multiple of 64 as aligned_alloc requires. */
typedef struct weight_tile {
    _Alignas(64) uint8_t q[KC_BLOCKS][TILE_ROWS][32];
    kq_coeffs c[KC_BLOCKS][TILE_ROWS];
    int phase; /* the first block's index within its super-block */
} weight_tile;

static LF_AVX2 void pack_group(lf_type type, const void *xq, const void *xr, size_t stride, int n_batch, int g,
                               int64_t nb, void *out) {
    (void)type;
    int n_lanes = xr ? 2 * n_batch : n_batch;
    const char *src[LANES];
    for (int l = 0; l < LANES; l++) src[l] = gemm_lane_src_pairs(xq, xr, stride, n_lanes, LANES * g + l);
    lane_block *x = out;
    for (int64_t i = 0; i < nb; i++) kq_pack_lanes8(src, i, x[i].q[0][0], sizeof x[i].q[0], x[i].d, x[i].bsums);
}

/* Unpacks rows [r, r + nr) x blocks [b0, b0 + nb) into the tile; rows past nr get zero
 * scales (their products are computed and dropped). */
static LF_AVX2 void pack_tile(lf_type type, const char *w, size_t row_bytes, int64_t r, int nr, int64_t b0,
                              int64_t nb, void *tile) {
    weight_tile *t = tile;
    t->phase = (int)(b0 % 8);
    for (int j = 0; j < TILE_ROWS; j++)
        kq_unpack_blocks(type, j < nr ? w + (size_t)(r + j) * row_bytes : NULL, b0, nb, t->q[0][j], sizeof t->q[0],
                         &t->c[0][j], TILE_ROWS);
}

static inline LF_AVX2 __m256i run_product(const uint8_t *w, const lane_block *x, int k) {
    return _mm256_maddubs_epi16(gemm_bcast4(w + 4 * k), _mm256_load_si256((const __m256i *)x->q[k]));
}

/* Row w (32 bytes) of the tile against one lane block: sum over its two groups of sc_g
 * times the group's products. wide: u up to 63, so two runs at most add in 16 bits. */
static inline __attribute__((always_inline)) LF_AVX2 __m256i block_product(const uint8_t *w, const kq_coeffs *c,
                                                                           const lane_block *x, bool wide) {
    __m256i s = _mm256_setzero_si256();
    for (int h = 0; h < 2; h++) {
        __m256i scale = _mm256_set1_epi16(c->sc[h]);
        __m256i p0 = _mm256_add_epi16(run_product(w, x, 4 * h), run_product(w, x, 4 * h + 1));
        __m256i p1 = _mm256_add_epi16(run_product(w, x, 4 * h + 2), run_product(w, x, 4 * h + 3));
        if (wide) {
            s = _mm256_add_epi32(s, _mm256_add_epi32(_mm256_madd_epi16(p0, scale), _mm256_madd_epi16(p1, scale)));
        } else {
            s = _mm256_add_epi32(s, _mm256_madd_epi16(_mm256_add_epi16(p0, p1), scale));
        }
    }
    return s;
}

/* TILE_ROWS rows x one lane group over nb blocks; slot l of acc[r] = lane l of row r.
 * Inlined with constant flags: wide (Q6_K), zero_point (dm = d: Q6_K, Q3_K). */
static inline __attribute__((always_inline)) LF_AVX2 void tile_rows(const weight_tile *t, const lane_block *x,
                                                                    bool wide, bool zero_point, int64_t nb,
                                                                    __m256 acc[TILE_ROWS]) {
    for (int r = 0; r < TILE_ROWS; r++) acc[r] = _mm256_setzero_ps();
    for (int64_t i = 0; i < nb;) {
        int64_t end = i + 8 - (t->phase + i) % 8; /* the end of this super-block */
        if (end > nb) end = nb;
        __m256i sum[TILE_ROWS], mins[TILE_ROWS];
        for (int r = 0; r < TILE_ROWS; r++) sum[r] = mins[r] = _mm256_setzero_si256();
        for (; i < end; i++) {
            __m256i bsums = _mm256_load_si256((const __m256i *)x[i].bsums);
            for (int r = 0; r < TILE_ROWS; r++) {
                int32_t neg_mn;
                memcpy(&neg_mn, t->c[i][r].neg_mn, sizeof neg_mn);
                __m256i m = _mm256_madd_epi16(bsums, _mm256_set1_epi32(neg_mn));
                sum[r] = _mm256_add_epi32(sum[r], block_product(t->q[i][r], &t->c[i][r], &x[i], wide));
                if (zero_point) sum[r] = _mm256_add_epi32(sum[r], m);
                else mins[r] = _mm256_add_epi32(mins[r], m);
            }
        }
        __m256 d = _mm256_load_ps(x[end - 1].d);
        for (int r = 0; r < TILE_ROWS; r++) {
            const kq_coeffs *c = &t->c[end - 1][r];
            __m256 f = _mm256_mul_ps(_mm256_set1_ps(c->d), _mm256_cvtepi32_ps(sum[r]));
            if (!zero_point) f = _mm256_fmadd_ps(_mm256_set1_ps(c->dm), _mm256_cvtepi32_ps(mins[r]), f);
            acc[r] = _mm256_fmadd_ps(f, d, acc[r]);
        }
    }
}

static LF_AVX2 void tile_q6_K(const weight_tile *t, const lane_block *x, int64_t nb, __m256 acc[TILE_ROWS]) {
    tile_rows(t, x, true, true, nb, acc);
}

static LF_AVX2 void tile_q3_K(const weight_tile *t, const lane_block *x, int64_t nb, __m256 acc[TILE_ROWS]) {
    tile_rows(t, x, false, true, nb, acc);
}

static LF_AVX2 void tile_min(const weight_tile *t, const lane_block *x, int64_t nb, __m256 acc[TILE_ROWS]) {
    tile_rows(t, x, false, false, nb, acc);
}

static LF_AVX2 void run_tile(lf_type type, const void *tile, const void *x, int64_t kb, bool resid, int g, int n_batch,
                             int nr, bool add, float *y, size_t y_stride) {
    __m256 acc[TILE_ROWS];
    if (type == LF_TYPE_Q6_K) tile_q6_K(tile, x, kb, acc);
    else if (type == LF_TYPE_Q3_K) tile_q3_K(tile, x, kb, acc);
    else tile_min(tile, x, kb, acc);
    gemm_store_tile_pairs(acc, resid, g, n_batch, nr, add, y, y_stride);
}

const gemm_int8_kernels avx2_gemm_kquants = {sizeof(lane_block), sizeof(weight_tile), LANES, TILE_ROWS, KC_BLOCKS,
                                          pack_group, pack_tile, run_tile};
#endif
