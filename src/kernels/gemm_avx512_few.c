/* A few activations (continuous batching's decode steps: 3 to 16 rows) against the
 * 32-weight-block types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, and Q4_K by its 32-weight
 * groups) with AVX-512 VNNI. The prompt GEMM (gemm_avx512_legacy.c) puts sixteen
 * activations in the lanes of a vector and four bytes of one weight row in a broadcast:
 * with eight activations half of every product is padding, and its tiles are unpacked
 * for the one lane group. Here a vector holds eight lanes of eight consecutive bytes (one
 * 64-bit slot each), and every byte of every vpdpbusd is real: a lane group is eight
 * activations, and one broadcast of eight bytes of one weight row feeds them all; or,
 * paired (3-4 and 9-12 activations), four activations in two lanes each, and one
 * broadcast of two rows' eight bytes feeds the even lanes one row and the odd the other.
 * Four rows per vector (two activations in four lanes each) measured slower than the
 * decode kernel per activation for 2 activations, and than eight lanes for 5. Eight
 * weight rows at a time are unpacked, in passes of 32 blocks, into a buffer that stays in
 * L1 beside the pass's lane blocks and that every lane group (or four activations and
 * their residuals) then reads by broadcast loads, while the next passes' weights are
 * prefetched. A 576 x 1536 Q4_1 matrix, one thread, weights in L2 (tools/kernel_bench
 * --mib 1), G multiply-adds/s: one activation (the decode kernels) 51, four here 80,
 * eight 118.
 *
 * Int32 slots 2l and 2l+1 of a product hold lane l's sums over bytes 0..3 and 4..7 of
 * each eight-byte run. Each slot is scaled on its own (its lane's scale, its own part of
 * the lane's byte sum for the zero point or minimum), so a lane's result is the sum of
 * its two slots. As in the GEMM, block products are exact in integers and scaled in
 * float, so results equal the scalar reference up to the order of float additions.
 *
 * In the activation + residual product a group holds four activations (lanes 0..3) and
 * their residuals (lanes 4..7), added together before the store. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/micro_x86_internal.h"
#include "kernels/gemm_lanes16_internal.h"
#include "kernels/gemm_legacy_internal.h"

enum {
    LANES = 8,
    ROWS = 8,      /* weight rows in flight: independent chains that hide vpdpbusd's latency */
    KC_BLOCKS = 32, /* blocks a pass unpacks and meets: its rows and lane blocks stay in L1 */
    L2_PASSES_AHEAD = 3, /* the 1B's 8-stream decode: 2 -> 155, 3 -> 161, 4 -> 152 tok/s */
    MAX_GROUPS = AVX512_FEW_MAX_BATCH / (LANES / 2),
};

/* One 32-element block of a lane group: q[c][l] = elements 8c..8c+7 of lane l. */
typedef struct few_block {
    int8_t q[4][LANES][8];
    float d[2 * LANES];    /* lane l's scale in slots 2l and 2l+1 */
    float dsum[2 * LANES]; /* slot's scale times the sum of the bytes it meets */
} few_block;
_Static_assert(sizeof(few_block) == 384, "six cache lines");

static inline LF_AVX512_VNNI __m512i bcast8(const uint8_t *p) {
    int64_t v;
    memcpy(&v, p, sizeof v);
    return _mm512_set1_epi64(v);
}

static inline LF_AVX512_VNNI __m512i bcast16(const uint8_t *p) {
    return _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)p));
}

/* Blocks 0 .. nb of the lanes src[0 .. n) (the rest zero) into out. */
static LF_AVX512_VNNI void pack_few(const char *const *src, int n, lf_type act, int64_t nb, few_block *out) {
    const __m512i ones = _mm512_set1_epi8(1);
    for (int64_t i = 0; i < nb; i++) {
        few_block *b = &out[i];
        for (int l = 0; l < LANES; l++) {
            float d = 0.0f;
            if (l < n) {
                const int8_t *q = gemm_act_block(src[l], act, i, &d);
                for (int c = 0; c < 4; c++) memcpy(b->q[c][l], q + 8 * c, 8);
            } else {
                for (int c = 0; c < 4; c++) memset(b->q[c][l], 0, 8);
            }
            b->d[2 * l] = b->d[2 * l + 1] = d;
        }
        __m512i sums = _mm512_setzero_si512();
        for (int c = 0; c < 4; c++) sums = _mm512_dpbusd_epi32(sums, ones, _mm512_load_si512((const void *)b->q[c]));
        _mm512_store_ps(b->dsum, _mm512_mul_ps(_mm512_load_ps(b->d), _mm512_cvtepi32_ps(sums)));
    }
}

/* ROWS weight rows unpacked over one pass's blocks, so the products broadcast their bytes and
 * scales straight from memory (load ports) instead of shuffling them out of registers
 * (the shuffle port, which then bounds the loop). */
typedef struct unpacked_rows {
    uint8_t (*u)[ROWS][32]; /* u[i][r]: block i of row r as unsigned bytes (paired: below) */
    float (*dm)[ROWS][2];   /* its scale and (types with one) minimum coefficient */
    uint16_t (*h)[ROWS][2]; /* the same as stored (fp16), for the legacy types */
    float (*dp)[ROWS * 4];  /* paired: rows 2p, 2p+1 (A, B) as {dA dA dB dB mA mA mB mB} at 8p */
} unpacked_rows;

/* The bytes of one block of a legacy type, whose first two fp16 fields are d and (types
 * with a minimum) m. */
static inline size_t legacy_block_bytes(lf_type type) {
    switch (type) {
    case LF_TYPE_Q4_0: return sizeof(block_q4_0);
    case LF_TYPE_Q4_1: return sizeof(block_q4_1);
    case LF_TYPE_Q5_0: return sizeof(block_q5_0);
    case LF_TYPE_Q5_1: return sizeof(block_q5_1);
    case LF_TYPE_Q8_0: return sizeof(block_q8_0);
    case LF_TYPE_IQ4_NL: return sizeof(block_iq4_nl);
    default: return 0; /* Q4_K: its group scales are computed, not stored */
    }
}

/* Blocks [b0, b0 + kb) of rows [r, r + nr) into t; a short group repeats its last row
 * (computed, not stored). The legacy types' scales are copied as stored and converted 16
 * at a time afterwards. Paired, the 64 bytes u[i][2p..2p+1] hold rows A = 2p and B = 2p+1
 * as A0 B0 A2 B2 A1 B1 A3 B3 (Ac: their 8-byte chunk c), so that a broadcast of 16 bytes
 * puts chunk c of A in the even lanes and of B in the odd ones. Inlined per type, so the
 * unpacking is straight-line code. */
static inline __attribute__((always_inline)) LF_AVX512_VNNI void unpack_rows(lf_type type, const char *w,
                                                                             size_t row_bytes, int64_t r, int nr,
                                                                             int64_t b0, int64_t kb, bool paired,
                                                                             const unpacked_rows *t) {
    size_t block_bytes = legacy_block_bytes(type);
    /* locals, not t's fields: the byte stores would otherwise make the compiler reload
     * t's pointers after every one */
    uint8_t(*restrict u)[ROWS][32] = t->u;
    float(*restrict dm)[ROWS][2] = t->dm;
    uint16_t(*restrict h)[ROWS][2] = t->h;
    for (int j = 0; j < ROWS; j += 2) {
        const char *ra = w + (size_t)(r + (j < nr ? j : nr - 1)) * row_bytes;
        const char *rb = w + (size_t)(r + (j + 1 < nr ? j + 1 : nr - 1)) * row_bytes;
#pragma GCC unroll 4
        for (int64_t i = 0; i < kb; i++) {
            float da, ma = 0.0f, db, mb = 0.0f;
            __m256i a = gemm_unsigned_block(type, ra, b0 + i, &da, &ma);
            __m256i b = gemm_unsigned_block(type, rb, b0 + i, &db, &mb);
            _mm256_store_si256((__m256i *)u[i][j], paired ? _mm256_unpacklo_epi64(a, b) : a);
            _mm256_store_si256((__m256i *)u[i][j + 1], paired ? _mm256_unpackhi_epi64(a, b) : b);
            if (block_bytes) {
                memcpy(h[i][j], ra + (size_t)(b0 + i) * block_bytes, 4);
                memcpy(h[i][j + 1], rb + (size_t)(b0 + i) * block_bytes, 4);
            } else {
                dm[i][j][0] = da, dm[i][j][1] = ma;
                dm[i][j + 1][0] = db, dm[i][j + 1][1] = mb;
            }
        }
    }
    if (block_bytes) {
        const uint16_t *hs = &h[0][0][0];
        float *ds = &dm[0][0][0];
        for (int64_t k = 0; k < kb * ROWS * 2; k += 16)
            _mm512_store_ps(ds + k, _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(hs + k))));
    }
    if (!paired) return;
    /* dm[i] = dA mA dB mB dC mC ...: each pair's scales and minima twice over */
    const __m512i lo = _mm512_setr_epi32(0, 0, 2, 2, 1, 1, 3, 3, 4, 4, 6, 6, 5, 5, 7, 7);
    const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
    float(*restrict dp)[ROWS * 4] = t->dp;
    for (int64_t i = 0; i < kb; i++) {
        __m512 v = _mm512_load_ps(dm[i][0]);
        _mm512_store_ps(dp[i], _mm512_permutexvar_ps(lo, v));
        _mm512_store_ps(dp[i] + 16, _mm512_permutexvar_ps(hi, v));
    }
}

/* The weights of a pass: ROWS runs of bytes bytes at start, row_bytes apart. */
typedef struct pass_run {
    const char *start;
    size_t bytes;
} pass_run;

/* The run of the pass `ahead` passes after the one at rows r, block b0 (passes go through
 * a group's blocks, then the next group's; a last group shorter than ROWS is not
 * followed), or {NULL, 0} past the end. */
static pass_run run_ahead(const char *w, size_t row_bytes, int64_t nb, int64_t r, int64_t r1, int64_t b0, int ahead) {
    for (int k = 0; k < ahead; k++) {
        if (b0 + KC_BLOCKS < nb) {
            b0 += KC_BLOCKS;
        } else if (r + 2 * ROWS <= r1) {
            r += ROWS;
            b0 = 0;
        } else {
            return (pass_run){NULL, 0};
        }
    }
    int64_t kb = nb - b0 < KC_BLOCKS ? nb - b0 : KC_BLOCKS;
    size_t first = (size_t)b0 * row_bytes / (size_t)nb & ~(size_t)63;
    return (pass_run){w + (size_t)r * row_bytes + first, (size_t)(b0 + kb) * row_bytes / (size_t)nb - first};
}

/* Issues the prefetches of line i of each of a run's rows, row_bytes apart (none past
 * its end). A macro: the hint must be a constant. */
#define PREFETCH_LINE(run, row_bytes, i, hint)                                                          \
    do {                                                                                                \
        if ((run).start && (size_t)(i) * 64 < (run).bytes)                                              \
            for (int j_ = 0; j_ < ROWS; j_++)                                                           \
                _mm_prefetch((run).start + (size_t)j_ * (row_bytes) + (size_t)(i) * 64, hint);          \
    } while (0)

/* The unpacked rows x kb blocks of one lane group, added to acc (slot s of acc[j] = row
 * j, slot s). Meanwhile the weights of the next pass come towards L1 and those of the
 * pass L2_PASSES_AHEAD after this one towards L2, a line of each row per block: the
 * unpacking waits on every line it misses otherwise (short runs far apart, which the
 * hardware prefetchers do not follow), one pass ahead is too short a time to hide a miss
 * to memory, and a run has fewer lines than blocks. */
static inline __attribute__((always_inline)) LF_AVX512_VNNI void few_rows(const unpacked_rows *t, bool has_min,
                                                                          float zero, bool paired, const few_block *x,
                                                                          int64_t kb, pass_run next, pass_run after,
                                                                          size_t row_bytes, __m512 acc_io[ROWS]) {
    __m512 acc[ROWS], acc_min[ROWS]; /* the minimum's terms apart: two short chains, not one long */
#pragma GCC unroll 8
    for (int j = 0; j < ROWS; j++) acc[j] = acc_io[j], acc_min[j] = _mm512_setzero_ps();
    for (int64_t i = 0; i < kb; i++) {
        const __m512i x0 = _mm512_load_si512((const void *)x[i].q[0]), x1 = _mm512_load_si512((const void *)x[i].q[1]);
        const __m512i x2 = _mm512_load_si512((const void *)x[i].q[2]), x3 = _mm512_load_si512((const void *)x[i].q[3]);
        const __m512 d = _mm512_load_ps(x[i].d), dsum = _mm512_load_ps(x[i].dsum);
        const __m512 off = _mm512_mul_ps(dsum, _mm512_set1_ps(-zero));
        PREFETCH_LINE(next, row_bytes, i, _MM_HINT_T0);
        PREFETCH_LINE(after, row_bytes, i, _MM_HINT_T1);
        if (paired) {
#pragma GCC unroll 4
            for (int p = 0; p < ROWS / 2; p++) { /* acc[p]: rows 2p (even lanes), 2p+1 (odd) */
                const uint8_t *u = t->u[i][2 * p];
                __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), bcast16(u), x0);
                s = _mm512_dpbusd_epi32(s, bcast16(u + 32), x1);
                s = _mm512_dpbusd_epi32(s, bcast16(u + 16), x2);
                s = _mm512_dpbusd_epi32(s, bcast16(u + 48), x3);
                __m512 sf = _mm512_cvtepi32_ps(s);
                const float *sc = t->dp[i] + 8 * p;
                __m512 dw = _mm512_broadcast_f32x4(_mm_load_ps(sc));
                if (has_min) {
                    acc[p] = _mm512_fmadd_ps(dw, _mm512_mul_ps(sf, d), acc[p]);
                    acc_min[p] = _mm512_fmadd_ps(_mm512_broadcast_f32x4(_mm_load_ps(sc + 4)), dsum, acc_min[p]);
                } else {
                    acc[p] = _mm512_fmadd_ps(dw, _mm512_fmadd_ps(sf, d, off), acc[p]);
                }
            }
            continue;
        }
#pragma GCC unroll 8
        for (int j = 0; j < ROWS; j++) {
            const uint8_t *u = t->u[i][j];
            __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), bcast8(u), x0);
            s = _mm512_dpbusd_epi32(s, bcast8(u + 8), x1);
            s = _mm512_dpbusd_epi32(s, bcast8(u + 16), x2);
            s = _mm512_dpbusd_epi32(s, bcast8(u + 24), x3);
            __m512 sf = _mm512_cvtepi32_ps(s);
            if (has_min) {
                acc[j] = _mm512_fmadd_ps(_mm512_set1_ps(t->dm[i][j][0]), _mm512_mul_ps(sf, d), acc[j]);
                acc_min[j] = _mm512_fmadd_ps(_mm512_set1_ps(t->dm[i][j][1]), dsum, acc_min[j]);
            } else {
                acc[j] = _mm512_fmadd_ps(_mm512_set1_ps(t->dm[i][j][0]), _mm512_fmadd_ps(sf, d, off), acc[j]);
            }
        }
    }
#pragma GCC unroll 8
    for (int j = 0; j < ROWS; j++) acc_io[j] = has_min ? _mm512_add_ps(acc[j], acc_min[j]) : acc[j];
}
#undef PREFETCH_LINE

/* Row r + j of a group's results to y: lane l's two slots summed into output l % n_out
 * (a residual lane adds to its activation's); paired, lane 2o + (j & 1) of acc[j / 2] is
 * output o's. */
static inline LF_AVX512_VNNI void store_rows(const __m512 acc[ROWS], int nr, bool paired, int n_lanes, int n_out,
                                             int first, float *y, size_t y_stride, int64_t r) {
    float v[ROWS][2 * LANES];
    for (int j = 0; j < (paired ? (nr + 1) / 2 : nr); j++) _mm512_storeu_ps(v[j], acc[j]);
    for (int o = 0; o < n_out; o++) {
        float *dst = y + (size_t)(first + o) * y_stride + r;
        for (int j = 0; j < nr; j++) {
            float sum = 0.0f;
            if (paired) {
                int l = 2 * o + (j & 1);
                sum = v[j / 2][2 * l] + v[j / 2][2 * l + 1];
            } else {
                for (int l = o; l < n_lanes; l += n_out) sum += v[j][2 * l] + v[j][2 * l + 1];
            }
            dst[j] = sum;
        }
    }
}

/* Rows [r0, r1) against the lane groups x[g] (the batch's activations, per_group at a
 * time), each group of rows unpacked once for all of them. */
typedef struct few_call {
    const few_block *const *x;
    int n_groups, per_group, n_batch;
    bool resid, paired;
    float *y;
    size_t y_stride;
} few_call;

static inline __attribute__((always_inline)) LF_AVX512_VNNI void few_type(lf_type type, bool paired,
                                                                          const char *w, size_t row_bytes, int64_t r0,
                                                                          int64_t r1, int64_t nb,
                                                                          const unpacked_rows *t, const few_call *c) {
    float zero = gemm_zero_point(type);
    __m512 acc[MAX_GROUPS][ROWS];
    for (int64_t r = r0; r < r1; r += ROWS) {
        int nr = r1 - r < ROWS ? (int)(r1 - r) : ROWS;
        for (int g = 0; g < c->n_groups; g++)
            for (int j = 0; j < ROWS; j++) acc[g][j] = _mm512_setzero_ps();
        for (int64_t b0 = 0; b0 < nb; b0 += KC_BLOCKS) {
            int64_t kb = nb - b0 < KC_BLOCKS ? nb - b0 : KC_BLOCKS;
            unpack_rows(type, w, row_bytes, r, nr, b0, kb, paired, t);
            pass_run none = {NULL, 0};
            pass_run next = run_ahead(w, row_bytes, nb, r, r1, b0, 1), after = run_ahead(w, row_bytes, nb, r, r1, b0, L2_PASSES_AHEAD);
            for (int g = 0; g < c->n_groups; g++)
                few_rows(t, zero == 0.0f, zero, paired, c->x[g] + b0, kb, g == 0 ? next : none,
                         g == 0 ? after : none, row_bytes, acc[g]);
        }
        for (int g = 0; g < c->n_groups; g++) {
            int first = g * c->per_group, n_out = c->n_batch - first < c->per_group ? c->n_batch - first : c->per_group;
            store_rows(acc[g], nr, paired, c->resid ? 2 * n_out : n_out, n_out, first, c->y, c->y_stride, r);
        }
    }
}

/* The types this kernel takes, the one list of them. */
#define FEW_TYPES(X) X(LF_TYPE_Q4_0) X(LF_TYPE_Q4_1) X(LF_TYPE_Q5_0) X(LF_TYPE_Q5_1) X(LF_TYPE_Q8_0) X(LF_TYPE_IQ4_NL) X(LF_TYPE_Q4_K)

#define FEW_TYPE_CASE(T)                                                     \
    case T:                                                                  \
        if (c->paired) few_type(T, true, w, row_bytes, r0, r1, nb, t, c);    \
        else few_type(T, false, w, row_bytes, r0, r1, nb, t, c);             \
        break;

static LF_AVX512_VNNI void few_rows_all(lf_type type, const char *w, size_t row_bytes, int64_t r0, int64_t r1,
                                        int64_t nb, const unpacked_rows *t, const few_call *c) {
    switch (type) {
        FEW_TYPES(FEW_TYPE_CASE)
    default: break;
    }
}
#undef FEW_TYPE_CASE

#define FEW_TYPE_TAKEN(T) \
    case T: return true;

bool avx512_few_takes(lf_type type) {
    switch (type) {
        FEW_TYPES(FEW_TYPE_TAKEN)
    default: return false;
    }
}
#undef FEW_TYPE_TAKEN

bool avx512_gemm_few(lf_type type, const void *w, size_t row_bytes, int64_t n_cols, int64_t r0, int64_t r1,
                     const void *xq, const void *xr, size_t stride, int n_batch, float *y, size_t y_stride) {
    if (!avx512_few_takes(type) || n_batch < 1 || n_batch > AVX512_FEW_MAX_BATCH) return false;
    int64_t nb = n_cols / 32;
    /* paired rows (four activations, each in two lanes, against two rows at once) when
     * that takes fewer products than eight activations against one row: 1-4 and 9-12 */
    bool paired = !xr && (n_batch + 3) / 4 * 2 < (n_batch + 7) / 8 * 4;
    int per_group = xr || paired ? LANES / 2 : LANES, n_groups = (n_batch + per_group - 1) / per_group;
    size_t lanes_bytes = (size_t)n_groups * (size_t)nb * sizeof(few_block);
    /* the scale arrays rounded up to whole vectors for the conversion */
    size_t kc = (size_t)(nb < KC_BLOCKS ? nb : KC_BLOCKS);
    size_t u_bytes = kc * ROWS * 32, n_scales = (kc * ROWS * 2 + 15) / 16 * 16;
    size_t f_bytes = n_scales * sizeof(float), h_bytes = (n_scales * sizeof(uint16_t) + 63) / 64 * 64;
    size_t p_bytes = paired ? kc * ROWS * 4 * sizeof(float) : 0;
    char *mem = aligned_alloc(64, lanes_bytes + u_bytes + f_bytes + h_bytes + p_bytes);
    if (!mem) return false;
    const few_block *groups[AVX512_FEW_MAX_BATCH];
    for (int g = 0; g < n_groups; g++) {
        few_block *x = (few_block *)mem + (size_t)g * (size_t)nb;
        int first = g * per_group, n_out = n_batch - first < per_group ? n_batch - first : per_group;
        const char *src[LANES];
        int n_lanes = 0;
        for (int o = 0; o < n_out; o++) {
            const char *a = (const char *)xq + (size_t)(first + o) * stride;
            src[n_lanes++] = a;
            if (paired) src[n_lanes++] = a;
        }
        for (int o = 0; xr && o < n_out; o++) src[n_lanes++] = (const char *)xr + (size_t)(first + o) * stride;
        pack_few(src, n_lanes, lf_act_type(type), nb, x);
        groups[g] = x;
    }
    char *rest = mem + lanes_bytes;
    unpacked_rows t = {(uint8_t(*)[ROWS][32])rest, (float(*)[ROWS][2])(rest + u_bytes),
                       (uint16_t(*)[ROWS][2])(rest + u_bytes + f_bytes),
                       paired ? (float(*)[ROWS * 4])(rest + u_bytes + f_bytes + h_bytes) : NULL};
    few_call c = {groups, n_groups, per_group, n_batch, xr != NULL, paired, y, y_stride};
    few_rows_all(type, w, row_bytes, r0, r1, nb, &t, &c);
    free(mem);
    return true;
}
#endif
