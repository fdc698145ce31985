/* Continuous batching's decode steps on AVX2 CPUs (Zen 3 has no VNNI): a few activations
 * (2 to 16) against the repacked copy of Q4_0, Q4_1, IQ4_NL and Q8_0 weights, the
 * layout of gemm_avx512_few.c with eight weight rows in the lanes of a vector. One vector
 * holds a 4-byte run of each of eight rows; one broadcast 4-byte run of an activation
 * meets all eight, so no lane is padding whatever the batch, and a lane's integer sum
 * covers a whole 32-weight block before it is scaled. The prompt GEMM, which these
 * batches went through before, unpacks and transposes every weight tile per call and
 * puts the activations in the lanes (eight of them: no padding at 8, but the weight work
 * paid for every call).
 *
 * Without VNNI a run's four products are vpmaddubsw (unsigned bytes x signed bytes into
 * two saturating int16 pair sums per lane) and vpmaddwd by ones (the pairs into int32):
 *   - Q4_0 and Q4_1, nibbles 0..15: a pair is at most 2 * 15 * 127 = 3810, so the eight
 *     runs of a block add up in int16 (30480 at most) and one vpmaddwd per block widens
 *     them; Q4_0's zero point 8 comes off the int32 sum (few_block's zs);
 *   - IQ4_NL (its levels, -127..113) and Q8_0 are signed: |w| times a with w's sign
 *     (vpsignb), a pair at most 2 * 128 * 127 = 32512, widened per run.
 * Activations are within [-127, 127] (the activation quantizer clamps them). Block
 * products are exact in integers and scaled in float as in gemm_avx512_few.c, in the
 * same order, so the two sets give the same results.
 *
 * The repacked layout (avx2_repack): per group of 16 rows, its blocks in order, each two
 * halves of eight rows, a half being the rows' quants as vectors of a 4-byte run of each
 * (an 8 x 4-dword transpose per 16 bytes puts row j in lane j), then their fp16 d and
 * (Q4_1) m. A pass of up to KC_BLOCKS blocks is met by both halves in turn, each by the
 * batch four sources at a time (sixteen vector registers: four int16 or int32 sums, four
 * accumulators, the block's four vectors of nibbles and the work registers). */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/gemm_few_internal.h"
#include "kernels/gemm_lanes_internal.h"
#include "kernels/micro_x86_internal.h"

#include <string.h>

enum {
    ROWS = 8,       /* weight rows in the lanes of a vector */
    HALVES = 2,     /* halves of a repacked group of 16 rows */
    SOURCES = 4,    /* sources a sweep over a pass takes: activations, or two and their residuals */
    SUBS = FEW_GROUP / SOURCES, /* sweeps per packed group */
    KC_BLOCKS = 32, /* blocks per pass: both halves' sweeps find it in L1 */
    /* how far ahead of the block in use the copy is prefetched, in bytes, as in
     * gemm_avx512_few.c */
    STREAM_L1_AHEAD = 2048,
    STREAM_L2_AHEAD = 32768,
    MAX_GROUPS = FEW_MAX_BATCH / (FEW_GROUP / 2),
};

/* The bytes of a repacked half: quants, d, and Q4_1's m. */
static inline size_t half_bytes(lf_type type) {
    return (size_t)few_quant_bytes(type) * ROWS + ROWS * sizeof(uint16_t) * (type == LF_TYPE_Q4_1 ? 2 : 1);
}

size_t avx2_repacked_block_bytes(lf_type type) { return few_repacked_type(type) ? HALVES * half_bytes(type) : 0; }

/* The 16 bytes at p[j] for rows j = 0..7 as four vectors: y[k] holds dword k of row j in
 * lane j. Rows j and j + 4 share z[j] (low and high 128 bits), then a 4 x 4 transpose of
 * dwords within each half. */
static inline LF_AVX2 void transpose_rows(const uint8_t *const p[ROWS], __m256i y[4]) {
    __m256i z[4];
    for (int j = 0; j < 4; j++)
        z[j] = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)p[j])),
                                       _mm_loadu_si128((const __m128i *)p[j + 4]), 1);
    __m256i t0 = _mm256_unpacklo_epi32(z[0], z[1]), t1 = _mm256_unpackhi_epi32(z[0], z[1]);
    __m256i t2 = _mm256_unpacklo_epi32(z[2], z[3]), t3 = _mm256_unpackhi_epi32(z[2], z[3]);
    y[0] = _mm256_unpacklo_epi64(t0, t2), y[1] = _mm256_unpackhi_epi64(t0, t2);
    y[2] = _mm256_unpacklo_epi64(t1, t3), y[3] = _mm256_unpackhi_epi64(t1, t3);
}

/* Block i of the eight rows row[0 .. ROWS), blocks of bb bytes, into out as a repacked half. */
static LF_AVX2 void repack_half(lf_type type, size_t bb, const char *const row[ROWS], int64_t i, char *out) {
    size_t qb = (size_t)few_quant_bytes(type), scales = qb * ROWS;
    const uint8_t *p[ROWS];
    for (int j = 0; j < ROWS; j++) {
        const char *b = row[j] + (size_t)i * bb;
        p[j] = (const uint8_t *)b + few_stored_quants_at(type);
        memcpy(out + scales + 2 * j, b, 2);
        if (type == LF_TYPE_Q4_1) memcpy(out + scales + 2 * ROWS + 2 * j, b + 2, 2);
    }
    for (size_t chunk = 0; chunk < qb / 16; chunk++) {
        const uint8_t *pc[ROWS];
        for (int j = 0; j < ROWS; j++) pc[j] = p[j] + 16 * chunk;
        __m256i y[4];
        transpose_rows(pc, y);
        for (int k = 0; k < 4; k++) _mm256_storeu_si256((__m256i *)(out + 128 * chunk + 32 * k), y[k]);
    }
}

LF_AVX2 void avx2_repack(lf_type type, const void *w, size_t row_bytes, int64_t rows, int64_t cols, void *out) {
    size_t hb = half_bytes(type), bb = (size_t)lf_type_get(type)->block_bytes;
    int64_t nb = cols / 32;
    char *o = out;
    for (int64_t r = 0; r < rows; r += HALVES * ROWS)
        for (int64_t i = 0; i < nb; i++)
            for (int h = 0; h < HALVES; h++, o += hb) {
                const char *row[ROWS];
                for (int j = 0; j < ROWS; j++) row[j] = (const char *)w + (size_t)(r + h * ROWS + j) * row_bytes;
                repack_half(type, bb, row, i, o);
            }
}

static inline LF_AVX2 __m256i bcast4(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

/* Blocks [0, kb) of a pass's half at hp (blocks bb bytes apart) against ns sources src[k]
 * (block i of a source at src[k][i * FEW_GROUP]), n_out activations of which, then (ns >
 * n_out) their residuals; source k adds to acc[k % n_out]. stream: this sweep is the
 * pass's first, which prefetches the copy ahead. Inlined per type and ns, so the sums
 * stay in registers. */
static inline __attribute__((always_inline)) LF_AVX2 void half_times_sources(
    lf_type type, const char *hp, size_t bb, int64_t kb, const few_block *const src[SOURCES], int ns, int n_out,
    bool stream, __m256 acc_io[SOURCES]) {
    bool nibbles = type != LF_TYPE_Q8_0, is_signed = type == LF_TYPE_IQ4_NL || type == LF_TYPE_Q8_0;
    size_t scales = (size_t)few_quant_bytes(type) * ROWS;
    const __m256i low = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
    const __m256i levels = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)iq4nl_values));
    /* locals, unrolled, so that the sums and accumulators stay in registers */
    __m256 acc[SOURCES];
#pragma GCC unroll 4
    for (int o = 0; o < n_out; o++) acc[o] = acc_io[o];
    for (int64_t i = 0; i < kb; i++) {
        const char *blk = hp + (size_t)i * bb;
        if (stream) {
            /* the passes of a thread's rows follow each other in the copy: one stream, no
             * end to check (a prefetch past it is a hint that never faults) */
            uintptr_t at = (uintptr_t)blk;
            for (size_t o = 0; o < bb; o += 64) {
                _mm_prefetch((const char *)(at + STREAM_L1_AHEAD + o), _MM_HINT_T0);
                _mm_prefetch((const char *)(at + STREAM_L2_AHEAD + o), _MM_HINT_T1);
            }
        }
        __m256i raw[4], sum[SOURCES];
        if (nibbles) {
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++) raw[k] = _mm256_loadu_si256((const __m256i *)(blk + 32 * k));
        }
#pragma GCC unroll 4
        for (int k = 0; k < ns; k++) sum[k] = _mm256_setzero_si256();
#pragma GCC unroll 8
        for (int c = 0; c < 8; c++) {
            __m256i w = nibbles ? _mm256_and_si256(c < 4 ? raw[c] : _mm256_srli_epi16(raw[c - 4], 4), low)
                                : _mm256_loadu_si256((const __m256i *)(blk + 32 * c));
            if (type == LF_TYPE_IQ4_NL) w = _mm256_shuffle_epi8(levels, w);
            __m256i magnitude = is_signed ? _mm256_abs_epi8(w) : w;
#pragma GCC unroll 4
            for (int k = 0; k < ns; k++) {
                __m256i a = bcast4(src[k][i * FEW_GROUP].q + 4 * c);
                if (is_signed) {
                    __m256i pairs = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(a, w));
                    sum[k] = _mm256_add_epi32(sum[k], _mm256_madd_epi16(pairs, ones));
                } else {
                    sum[k] = _mm256_add_epi16(sum[k], _mm256_maddubs_epi16(magnitude, a));
                }
            }
        }
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(blk + scales)));
        __m256 m = _mm256_setzero_ps();
        if (type == LF_TYPE_Q4_1) m = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(blk + scales + 2 * ROWS)));
#pragma GCC unroll 4
        for (int k = 0; k < ns; k++) {
            const few_block *x = &src[k][i * FEW_GROUP];
            int o = k % n_out;
            __m256i s = is_signed ? sum[k] : _mm256_madd_epi16(sum[k], ones);
            if (type == LF_TYPE_Q4_0) s = _mm256_sub_epi32(s, _mm256_set1_epi32(x->zs[ZERO_8]));
            __m256 scale = _mm256_mul_ps(d, _mm256_set1_ps(x->d));
            acc[o] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), scale, acc[o]);
            if (type == LF_TYPE_Q4_1) acc[o] = _mm256_fmadd_ps(m, _mm256_set1_ps(x->ds), acc[o]);
        }
    }
#pragma GCC unroll 4
    for (int o = 0; o < n_out; o++) acc_io[o] = acc[o];
}

#define SWEEP_CASE(N)                                                                         \
    case N:                                                                                   \
        if (resid) half_times_sources(type, hp, bb, kb, src, N, N > 1 ? N / 2 : 1, stream, acc); \
        else half_times_sources(type, hp, bb, kb, src, N, N, stream, acc);                    \
        break;

/* half_times_sources for ns sources (resid: ns / 2 activations and their residuals). */
static inline __attribute__((always_inline)) LF_AVX2 void sweep_sources(lf_type type, const char *hp, size_t bb,
                                                                        int64_t kb, const few_block *const src[SOURCES],
                                                                        int ns, bool resid, bool stream,
                                                                        __m256 acc[SOURCES]) {
    switch (ns) {
        SWEEP_CASE(1) SWEEP_CASE(2) SWEEP_CASE(3) SWEEP_CASE(4)
    default: break;
    }
}
#undef SWEEP_CASE

/* sweep_sources, inlined per repacked type. */
#define SWEEP_TYPE_CASE(T) \
    case T: sweep_sources(T, hp, bb, kb, src, ns, resid, stream, acc); break;
static LF_AVX2 void sweep(lf_type type, const char *hp, size_t bb, int64_t kb, const few_block *const src[SOURCES],
                          int ns, bool resid, bool stream, __m256 acc[SOURCES]) {
    switch (type) {
        FEW_REPACKED_TYPES(SWEEP_TYPE_CASE)
    default: break;
    }
}
#undef SWEEP_TYPE_CASE

LF_AVX2 bool avx2_gemm_few_repacked(lf_type type, const void *wr, int64_t n_cols, int64_t r0, int64_t r1, const void *packed,
                                    int n_batch, bool resid, float *y, size_t y_stride) {
    if (!few_repacked_type(type) || !few_acts_bytes(n_cols, n_batch, resid)) return false;
    int64_t nb = n_cols / 32;
    size_t hb = half_bytes(type), bb = HALVES * hb;
    int n_groups = few_group_count(n_batch, resid);
    /* the sweeps of a packed group: its activations (resid: with their residuals), SOURCES
     * at a time; acc[group][half][sub][output] */
    __m256 acc[MAX_GROUPS][HALVES][SUBS][SOURCES];
    for (int64_t r = r0; r < r1; r += HALVES * ROWS) {
        memset(acc, 0, sizeof acc);
        const char *group = (const char *)wr + (size_t)(r / (HALVES * ROWS)) * (size_t)nb * bb;
        for (int64_t b0 = 0; b0 < nb; b0 += KC_BLOCKS) {
            int64_t kb = nb - b0 < KC_BLOCKS ? nb - b0 : KC_BLOCKS;
            for (int h = 0; h < HALVES; h++)
                for (int g = 0; g < n_groups; g++) {
                    const few_block *x = (const few_block *)packed + ((size_t)g * (size_t)nb + (size_t)b0) * FEW_GROUP;
                    int n_out = few_group_outputs(n_batch, resid, g), per_sub = resid ? SOURCES / 2 : SOURCES;
                    for (int s = 0; s < SUBS && s * per_sub < n_out; s++) {
                        int first = s * per_sub, outs = n_out - first < per_sub ? n_out - first : per_sub;
                        const few_block *src[SOURCES];
                        for (int k = 0; k < outs; k++) {
                            src[k] = x + first + k;
                            if (resid) src[outs + k] = x + n_out + first + k;
                        }
                        sweep(type, group + (size_t)b0 * bb + (size_t)h * hb, bb, kb, src, resid ? 2 * outs : outs, resid,
                              h == 0 && g == 0 && s == 0, acc[g][h][s]);
                    }
                }
        }
        for (int g = 0; g < n_groups; g++) {
            int n_out = few_group_outputs(n_batch, resid, g), per_sub = resid ? SOURCES / 2 : SOURCES;
            for (int o = 0; o < n_out; o++)
                for (int h = 0; h < HALVES; h++)
                    _mm256_storeu_ps(y + (size_t)(g * few_per_group(resid) + o) * y_stride + r + h * ROWS,
                                     acc[g][h][o / per_sub][o % per_sub]);
        }
    }
    return true;
}
#endif
