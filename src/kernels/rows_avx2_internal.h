/* Helpers of the AVX2 row-group (decode) kernels, dot_avx2_rows.c and dot2_avx2_rows.c:
 * scales of four rows converted together, the final four-way horizontal sum, and the
 * K-quant scale vectors broadcast by byte shuffles. */
#ifndef LF_KERNELS_ROWS_AVX2_INTERNAL_H
#define LF_KERNELS_ROWS_AVX2_INTERNAL_H

#include "kernels/avx2_internal.h"
#include "kernels/blocks_internal.h"
#include "kernels/unpack_avx2_internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Software prefetch of the next row group: a group reads four short row streams (a few
 * KiB each), too short for the hardware prefetcher to train on, so each step prefetches
 * the bytes of the row four rows down (the next group's) at the same column. Prefetches
 * past the matrix are harmless (they never fault). __builtin_prefetch, not _mm_prefetch:
 * gcc 12 silently drops _mm_prefetch inside the always_inline decode kernels, which then
 * ran at a third of their speed on weights streamed from memory. */
static inline LF_AVX2 void prefetch_next_group(const void *p, size_t row_bytes) {
    __builtin_prefetch((const char *)p + 4 * row_bytes, 0, 2); /* prefetcht1 */
}

/* The same for a whole K-quant super-block of size bytes: one prefetch per 64 bytes from
 * its start. Consecutive blocks abut, so over a row the prefetched addresses are never
 * more than 64 bytes apart and every line is fetched, without a prefetch for the
 * partial line at the end of each block. */
static inline LF_AVX2 void prefetch_k_block(const void *p, size_t size, size_t row_bytes) {
    const char *next = (const char *)p + 4 * row_bytes;
    for (size_t off = 0; off < size; off += 64) __builtin_prefetch(next + off, 0, 2);
}

/* The fp16 scales of four rows' blocks, times mul, in lanes 0-3 and again in 4-7. */
static inline LF_AVX2 __m256 scales4(uint16_t d0, uint16_t d1, uint16_t d2, uint16_t d3, __m128 mul) {
    uint64_t h = (uint64_t)d0 | (uint64_t)d1 << 16 | (uint64_t)d2 << 32 | (uint64_t)d3 << 48;
    __m128 s = _mm_mul_ps(_mm_cvtph_ps(_mm_set_epi64x(0, (long long)h)), mul);
    return _mm256_set_m128(s, s);
}

/* n bytes 32-byte aligned inside a fresh allocation (*mem, to be freed); NULL when out of
 * memory. For the activations that decode kernels expand once per product. */
static inline void *alloc_expanded(size_t n, void **mem) {
    *mem = malloc(n + 32);
    return *mem ? (void *)(((uintptr_t)*mem + 31) & ~(uintptr_t)31) : NULL;
}

/* The fp16 pairs (d, m) of blocks i and i+1 of four rows as floats: p is row 0's block i,
 * rows are rb bytes apart and blocks bb. lo = rows 0, 1 (d, m, d, m of block i, then the
 * same of block i+1), hi = rows 2, 3. */
static inline LF_AVX2 __m256 dm4x2_rows(const char *p, size_t rb, size_t bb, __m256 *hi) {
    *hi = _mm256_cvtph_ps(_mm_setr_epi32((int)load_u32(p + 2 * rb), (int)load_u32(p + 3 * rb),
                                         (int)load_u32(p + 2 * rb + bb), (int)load_u32(p + 3 * rb + bb)));
    return _mm256_cvtph_ps(_mm_setr_epi32((int)load_u32(p), (int)load_u32(p + rb), (int)load_u32(p + bb),
                                          (int)load_u32(p + rb + bb)));
}

/* D = d of rows 0-3 of block i in lanes 0-3 and of block i+1 in lanes 4-7 (lane4 picks a
 * row), M the same for m. */
static inline LF_AVX2 void dm4x2(const char *p, size_t rb, size_t bb, __m256 *D, __m256 *M) {
    __m256 hi, lo = dm4x2_rows(p, rb, bb, &hi);
    *D = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
    *M = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
}

/* D alone, for blocks whose fp16 scale d starts the block and is followed by at least two
 * more bytes (Q4_0, Q8_0): the word read with it is ignored. */
static inline LF_AVX2 __m256 d4x2(const char *p, size_t rb, size_t bb) {
    __m256 hi, lo = dm4x2_rows(p, rb, bb, &hi);
    return _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
}

/* a in lanes 0-3, b in lanes 4-7. */
static inline LF_AVX2 __m256 f32_pair(float a, float b) { return _mm256_set_m128(_mm_set1_ps(b), _mm_set1_ps(a)); }

/* out[k] += lanes k and k+4 of v. */
static inline LF_AVX2 void add_lane_pairs(__m256 v, float out[4]) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    _mm_storeu_ps(out, _mm_add_ps(_mm_loadu_ps(out), s));
}

/* Two consecutive legacy blocks, in the lanes of a block pair: lanes 0-3 (the low 128
 * bits) are block i, lanes 4-7 block i+1. */

/* The nibbles of two consecutive 16-byte quant arrays (18 or 20 bytes apart, the blocks'
 * stride): lo = the low nibbles (elements 0-15 of each block), hi = the high (16-31). */
static inline LF_AVX2 __m256i nibbles_pair(const uint8_t *qs0, const uint8_t *qs1, __m256i *hi) {
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)qs0)),
                                        _mm_loadu_si128((const __m128i *)qs1), 1);
    *hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
    return _mm256_and_si256(v, low4);
}

/* Activation bytes of a block pair in the same layout: lo = elements 0-15 of blocks i and
 * i+1, hi = elements 16-31. */
static inline LF_AVX2 __m256i act_pair(const int8_t *x0, const int8_t *x1, __m256i *hi) {
    __m256i a = load256(x0), b = load256(x1);
    *hi = _mm256_permute2x128_si256(a, b, 0x31);
    return _mm256_permute2x128_si256(a, b, 0x20);
}

/* ------------------------------------------------------------------ Q4_0/Q4_1/Q5_0/Q5_1
 * Unsigned quants u (nibble, plus the fifth bit as 16 for Q5), weight = d*u + m, where
 * Q4_0 and Q5_0 have no stored minimum: m = -8d or -16d (their zero point). Decode runs
 * two blocks per row and step (lanes 0-3 block i, 4-7 block i+1) against an activation
 * expanded once per product (nib_act). */

/* The bias nib_quants puts on IQ4_NL levels: 128 for VNNI's unsigned x signed products,
 * none on AVX2, which multiplies them signed. */
#ifdef LF_VNNI
#define LEVEL_BIAS ((char)0x80)
#else
#define LEVEL_BIAS 0
#endif

/* Where a block keeps its fields. */
typedef struct nib_layout {
    size_t bytes, qs; /* block size; offset of the 16 nibble bytes */
    int qh;           /* offset of the 32 fifth bits, -1 for none */
    bool has_min;     /* an fp16 m follows d; otherwise m = -zero * d */
    float zero;
    bool levels;      /* IQ4_NL: a nibble indexes iq4nl_values (signed, zero point 0) */
} nib_layout;

/* Whether the layout has a min term m * s at all (IQ4_NL's levels have neither a minimum
 * nor a zero point). */
static inline bool nib_has_min_term(nib_layout L) { return L.has_min || L.zero != 0.0f; }

static inline nib_layout nib_layout_of(lf_type t) {
    switch (t) {
    case LF_TYPE_Q4_1: return (nib_layout){sizeof(block_q4_1), 4, -1, true, 0.0f, false};
    case LF_TYPE_Q5_0: return (nib_layout){sizeof(block_q5_0), 6, 2, false, 16.0f, false};
    case LF_TYPE_Q5_1: return (nib_layout){sizeof(block_q5_1), 8, 4, true, 0.0f, false};
    case LF_TYPE_IQ4_NL: return (nib_layout){sizeof(block_iq4_nl), 2, -1, false, 0.0f, true};
    default: return (nib_layout){sizeof(block_q4_0), 2, -1, false, 8.0f, false};
    }
}

/* A Q8_0 or Q8_1 activation expanded per block pair (i, i+1): the quants as act_pair
 * arranges them, the scales (lanes 0-3 block i, 4-7 block i+1) and the per-block term
 * the weight minimum multiplies, s = d * sum of quants (Q8_1 stores it); for weights
 * without a stored minimum s = -zero * d * sum, so that m = d. */
typedef struct nib_act {
    __m256i lo, hi;
    __m256 d, s;
} nib_act;

static inline LF_AVX2 int block_sum_i8(const int8_t *q) {
    return hsum_i32x8(dot_u8_i8(_mm256_set1_epi8(1), load256(q)));
}

static inline LF_AVX2 void nib_expand(lf_type weight_type, const void *x, int64_t pairs, nib_act *e) {
    nib_layout L = nib_layout_of(weight_type);
    for (int64_t p = 0; p < pairs; p++) {
        if (L.has_min) {
            const block_q8_1 *a = (const block_q8_1 *)x + 2 * p, *b = a + 1;
            e[p].lo = act_pair(a->qs, b->qs, &e[p].hi);
            e[p].d = f32_pair(a->d, b->d);
            e[p].s = f32_pair(a->s, b->s);
        } else {
            const block_q8_0 *a = (const block_q8_0 *)x + 2 * p, *b = a + 1;
            float da = f16(a->d), db = f16(b->d);
            e[p].lo = act_pair(a->qs, b->qs, &e[p].hi);
            e[p].d = f32_pair(da, db);
            e[p].s = !nib_has_min_term(L) ? _mm256_setzero_ps()
                                    : f32_pair(-L.zero * da * (float)block_sum_i8(a->qs),
                                               -L.zero * db * (float)block_sum_i8(b->qs));
        }
    }
}

/* The unsigned quants of blocks i and i+1 of one row (block i at b), laid out as
 * act_pair lays out the activation: lo = elements 0-15 of both, hi = 16-31. */
static inline LF_AVX2 __m256i nib_quants(const char *b, nib_layout L, __m256i *hi) {
    const uint8_t *qs = (const uint8_t *)b + L.qs;
    __m256i lo = nibbles_pair(qs, qs + L.bytes, hi);
    if (L.qh >= 0) { /* bit j of a block's qh is element j's fifth bit */
        uint32_t h0 = load_u32(b + L.qh), h1 = load_u32(b + L.bytes + L.qh);
        uint32_t bits_lo = (h0 & 0xFFFFu) | h1 << 16, bits_hi = h0 >> 16 | (h1 & 0xFFFF0000u);
        const __m256i sixteen = _mm256_set1_epi8(0x10);
        lo = _mm256_or_si256(lo, _mm256_and_si256(bits_to_bytes((const uint8_t *)&bits_lo), sixteen));
        *hi = _mm256_or_si256(*hi, _mm256_and_si256(bits_to_bytes((const uint8_t *)&bits_hi), sixteen));
    }
    if (L.levels) { /* VNNI: unsigned level + 128, see nib_dot (the biased table is loop-invariant) */
        __m256i table = _mm256_xor_si256(iq4_nl_table(), _mm256_set1_epi8(LEVEL_BIAS));
        *hi = _mm256_shuffle_epi8(table, *hi);
        lo = _mm256_shuffle_epi8(table, lo);
    }
    return lo;
}

/* The d (returned) and m of blocks i and i+1 of four rows (row 0's block i at b), as
 * dm4x2; m = d for weights without a stored minimum (see nib_act). */
static inline LF_AVX2 __m256 nib_scales(const char *b, size_t rb, nib_layout L, __m256 *m) {
    if (!L.has_min) return *m = d4x2(b, rb, L.bytes);
    __m256 d;
    dm4x2(b, rb, L.bytes, &d, m);
    return d;
}

/* Eight int32 sums of u·x over a block pair (lanes 0-3 block i, 4-7 block i+1): the two
 * halves' 16-bit pair sums (each <= 2*15*127) are added before one madd. */
static inline LF_AVX2 __m256i dot_pair(__m256i ulo, __m256i uhi, __m256i xlo, __m256i xhi) {
#ifdef LF_VNNI
    return _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), ulo, xlo), uhi, xhi);
#else
    __m256i s16 = _mm256_add_epi16(_mm256_maddubs_epi16(ulo, xlo), _mm256_maddubs_epi16(uhi, xhi));
    return _mm256_madd_epi16(s16, _mm256_set1_epi16(1));
#endif
}

/* dot_pair for any nib_layout, the IQ4_NL levels exact in int32 as well: with VNNI they
 * are biased to unsigned (level + 128) and the sums start from -128 * x summed over the
 * same bytes (start, from nib_level_offset once per activation block pair); on AVX2 the
 * level's sign moves onto x (|level| * +-x), and each half widens on its own (one pair
 * sum reaches 2 * 127 * 127, two would overflow int16). */
static inline LF_AVX2 __m256i nib_dot(nib_layout L, __m256i lo, __m256i hi, __m256i xlo, __m256i xhi, __m256i start) {
    if (!L.levels) return dot_pair(lo, hi, xlo, xhi);
#ifdef LF_VNNI
    return _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(start, lo, xlo), hi, xhi);
#else
    (void)start;
    return _mm256_add_epi32(dot_u8_i8(_mm256_sign_epi8(lo, lo), _mm256_sign_epi8(xlo, lo)),
                            dot_u8_i8(_mm256_sign_epi8(hi, hi), _mm256_sign_epi8(xhi, hi)));
#endif
}

/* The start nib_dot takes for activation block pair e (zero unless VNNI meets levels). */
static inline LF_AVX2 __m256i nib_level_offset(nib_layout L, const nib_act *e) {
#ifdef LF_VNNI
    if (L.levels) {
        const __m256i bias = _mm256_set1_epi8(LEVEL_BIAS);
        return _mm256_sub_epi32(_mm256_setzero_si256(), dot_pair(bias, bias, e->lo, e->hi));
    }
#endif
    (void)L, (void)e;
    return _mm256_setzero_si256();
}

/* Lane k of each 128-bit half of s in all four lanes of that half: row k's scale of
 * scales4, or row k's scales of blocks i and i+1 of d4x2 / dm4x2. k may be an unrolled
 * loop index: the switch folds to one in-lane permute (clang demands a literal
 * immediate, which a macro on k would not give it). */
static inline LF_AVX2 __m256 lane4(__m256 s, int k) {
    switch (k) {
    case 0: return _mm256_permute_ps(s, 0x00);
    case 1: return _mm256_permute_ps(s, 0x55);
    case 2: return _mm256_permute_ps(s, 0xAA);
    default: return _mm256_permute_ps(s, 0xFF);
    }
}

/* The fp16 pairs (d, m) of four rows' blocks: lanes 2k, 2k+1 = row k's d, m. */
static inline LF_AVX2 __m256 pairs4(const uint16_t *p0, const uint16_t *p1, const uint16_t *p2, const uint16_t *p3) {
    return _mm256_cvtph_ps(_mm_setr_epi32((int)load_u32(p0), (int)load_u32(p1), (int)load_u32(p2), (int)load_u32(p3)));
}

/* Lane 2k of s (row k's scale of pairs4 products) in all eight lanes (k a constant). */
#define pair_lane(s, k) _mm256_permutevar8x32_ps((s), _mm256_set1_epi32(2 * (k)))

/* out[k] = horizontal sum of vector k. */
static inline LF_AVX2 void hsum4(__m256 a, __m256 b, __m256 c, __m256 d, float out[4]) {
    __m256 abcd = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1)));
}

/* ------------------------------------------------------------------ Q4_K / Q5_K
 * Chunk c of a super-block (qs bytes 32c..32c+31) holds group 2c in its low nibbles and
 * group 2c+1 in its high nibbles. legacy_nibbles of its first and of its last 16 bytes
 * give vectors whose low 128-bit lane belongs to group 2c and high lane to group 2c+1,
 * so with the activation re-paired the same way (k_act) the two vectors' 16-bit products
 * add up before one madd with per-lane group scales: per chunk two maddubs and one madd
 * instead of two of each, and one scale shuffle instead of two. */

/* A Q8_K activation block re-paired for that layout, expanded once per product: a[c] =
 * elements 64c..64c+15 | 64c+32..64c+47, b[c] = 64c+16..64c+31 | 64c+48..64c+63; the
 * eight sums of 32 (group g's activation sum, int16) in the high lane of bsums32 (the low
 * lane zero, see k_row_mins) and the scale. */
typedef struct k_act {
    __m256i a[4], b[4];
    __m256i bsums32;
    float d;
} k_act;

static inline LF_AVX2 __m256i lanes2(const void *lo, const void *hi) {
    return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)lo)),
                                   _mm_loadu_si128((const __m128i *)hi), 1);
}

static inline LF_AVX2 void k_act_expand(const block_q8_K *x, k_act *e) {
    for (int c = 0; c < 4; c++) {
        const int8_t *q = x->qs + 64 * c;
        e->a[c] = lanes2(q, q + 32);
        e->b[c] = lanes2(q + 16, q + 48);
    }
    __m128i sums = _mm_hadd_epi16(_mm_loadu_si128((const __m128i *)x->bsums),
                                  _mm_loadu_si128((const __m128i *)(x->bsums + 8)));
    e->bsums32 = _mm256_inserti128_si256(_mm256_setzero_si256(), sums, 1);
    e->d = x->d;
}

/* n expanded blocks (alloc_expanded; *mem to be freed); NULL when out of memory. */
static inline LF_AVX2 k_act *k_act_expand_row(const block_q8_K *x, int64_t n, void **mem) {
    k_act *e = alloc_expanded((size_t)n * sizeof(k_act), mem);
    for (int64_t i = 0; e && i < n; i++) k_act_expand(&x[i], &e[i]);
    return e;
}

/* The six-bit scales and mins of two rows' blocks (12 packed bytes at s0 and s1; the 16
 * bytes read stay inside the block) unpacked together: 128-bit lane j = row j's eight
 * scale bytes, then its eight min bytes. Packed words w0, w1, w2: scales 0-3 = w0 & 0x3F,
 * 4-7 = (w2 & 0x0F) | (w0 >> 6) << 4; mins 0-3 = w1 & 0x3F, 4-7 = (w2 >> 4) | (w1 >> 6) << 4. */
static inline LF_AVX2 __m256i k_scales_mins_x2(const uint8_t *s0, const uint8_t *s1) {
    __m256i w = lanes2(s0, s1);
    __m256i lo = _mm256_and_si256(w, _mm256_set1_epi8(0x3F));               /* scales 0-3, mins 0-3 */
    __m256i w2 = _mm256_srlv_epi32(_mm256_shuffle_epi32(w, 0xAA), _mm256_setr_epi32(0, 4, 0, 0, 0, 4, 0, 0));
    __m256i top = _mm256_srli_epi32(_mm256_and_si256(w, _mm256_set1_epi8((char)0xC0)), 2);
    __m256i hi = _mm256_or_si256(_mm256_and_si256(w2, _mm256_set1_epi8(0x0F)), top); /* scales 4-7, mins 4-7 */
    return _mm256_unpacklo_epi32(lo, hi);
}

/* Row (lane) j's eight scale bytes of k_scales_mins_x2 in every 64-bit lane. */
static inline LF_AVX2 __m256i k_row_scales(__m256i sm, int j) {
    return j ? _mm256_permute4x64_epi64(sm, 0xAA) : _mm256_permute4x64_epi64(sm, 0x00);
}

/* Row (lane) j's min terms against an activation: lanes 4-7 hold partial sums of min *
 * group sum (the scales meet the zero low lane of bsums32). */
static inline LF_AVX2 __m256i k_row_mins(__m256i sm, int j, __m256i bsums32) {
    __m128i l = j ? _mm256_extracti128_si256(sm, 1) : _mm256_castsi256_si128(sm);
    return _mm256_madd_epi16(_mm256_cvtepu8_epi16(l), bsums32);
}

/* Lane k = total of lanes 4-7 of m[k]: the four rows' min terms. */
static inline LF_AVX2 __m128 k_min_totals(const __m256i m[4]) {
    __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(m[0], m[1]), _mm256_hadd_epi32(m[2], m[3]));
    return _mm_cvtepi32_ps(_mm256_extracti128_si256(h, 1));
}

/* Chunk c's group scales: 2c in the low lane's eight int16, 2c+1 in the high lane's,
 * from the eight scale bytes (sc, in every 64-bit lane); index 0x80 gives the zero high
 * bytes. */
static inline LF_AVX2 __m256i k_lane_scales(__m256i sc, int c) {
    return _mm256_shuffle_epi8(sc, _mm256_set_m128i(_mm_set1_epi16((short)(0x8000 | (2 * c + 1))),
                                                    _mm_set1_epi16((short)(0x8000 | (2 * c)))));
}

/* Where Q4_K and Q5_K blocks keep their quants: d, dmin and the 12 scale bytes come
 * first in both; Q5_K's 32 bytes of fifth bits (qh) precede the 128 nibble bytes. */
typedef struct k45_layout {
    size_t bytes, qs;
    int qh; /* -1: none */
} k45_layout;

static inline k45_layout k45_layout_of(lf_type t) {
    if (t == LF_TYPE_Q5_K) return (k45_layout){sizeof(block_q5_K), offsetof(block_q5_K, qs), offsetof(block_q5_K, qh)};
    return (k45_layout){sizeof(block_q4_K), offsetof(block_q4_K, qs), -1};
}

/* Q5_K: the fifth bits (as 16) of the legacy_nibbles vector of chunk c from 16 nibble
 * bytes whose qh bytes are qh16: byte j of qh holds element j's bit 2c (group 2c, low
 * lane) and 2c+1 (group 2c+1, high lane). */
static inline LF_AVX2 __m256i k_fifth_bits(const uint8_t *qh16, int c) {
    __m256i h = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)qh16));
    h = _mm256_srlv_epi64(h, _mm256_set_epi64x(2 * c + 1, 2 * c + 1, 2 * c, 2 * c));
    return _mm256_slli_epi16(_mm256_and_si256(h, _mm256_set1_epi8(1)), 4);
}

/* One Q4_K/Q5_K row's super-block (nibbles qs, fifth bits qh or NULL, scale bytes sc from
 * k_row_scales) against n_act (1 or 2, a constant) expanded activations: sum[j] = eight
 * int32 partial sums of scale * u * x. With u <= 31 the two maddubs sums stay below
 * 2 * 2 * 31 * 127 < 2^15. */
static inline LF_AVX2 void k45_sums(const uint8_t *qs, const uint8_t *qh, __m256i sc, const k_act *const *x,
                                    int n_act, __m256i *sum) {
    for (int j = 0; j < n_act; j++) sum[j] = _mm256_setzero_si256();
    _Pragma("GCC unroll 4") for (int c = 0; c < 4; c++) {
        __m256i lo = legacy_nibbles(qs + 32 * c), hi = legacy_nibbles(qs + 32 * c + 16);
        if (qh) {
            lo = _mm256_or_si256(lo, k_fifth_bits(qh, c));
            hi = _mm256_or_si256(hi, k_fifth_bits(qh + 16, c));
        }
        __m256i s = k_lane_scales(sc, c);
        for (int j = 0; j < n_act; j++) {
            __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(lo, x[j]->a[c]), _mm256_maddubs_epi16(hi, x[j]->b[c]));
            sum[j] = _mm256_add_epi32(sum[j], _mm256_madd_epi16(p, s));
        }
    }
}

#ifdef LF_VNNI
/* With AVX-512 a 512-bit vector of nibble bytes (chunks 2h, 2h+1, qs bytes 64h..64h+63)
 * gives lo = groups 4h, 4h+2 (its 256-bit halves) and hi = groups 4h+1, 4h+3, which meet
 * the Q8_K activation as stored: bytes 128h + (0..31 | 64..95) and 128h + (32..63 |
 * 96..127), so there is no expansion. One vpdpbusd per vector sums four products per
 * int32 (at most 4 * 31 * 128, so int16 holds them); lo's and hi's pack into one vector of
 * int16, and one vpdpwssd against their group scales (spread by one vpermw from the
 * scale words of two rows) adds them up: a super-block is 4 vpdpbusd, 2 packs and 2
 * vpdpwssd per row, against the AVX2 kernels' 8 maddubs and 4 madds. */

/* Super-block x of a Q8_K activation in that layout, expanded once per product (so each
 * row group's vpdpbusd read their activation operand straight from memory): a[h] meets lo
 * of qs half h, b[h] meets hi; the eight group sums (int16) at words 8-15 and 24-31 of
 * gsums, zeros between (see the min terms in k45_rows512). */
typedef struct k45_act512 {
    __m512i a[2], b[2];
    __m512i gsums;
    float d;
} k45_act512;

static inline LF_AVX2 __m512i join256(const void *lo, const void *hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(load256(lo)), load256(hi), 1);
}

/* n expanded blocks (alloc_expanded; *mem to be freed); NULL when out of memory. */
static inline LF_AVX2 k45_act512 *k45_act_expand_row(const block_q8_K *x, int64_t n, void **mem) {
    k45_act512 *e = alloc_expanded((size_t)n * sizeof(k45_act512) + 32, mem);
    if (!e) return NULL;
    e = (k45_act512 *)(((uintptr_t)e + 63) & ~(uintptr_t)63);
    for (int64_t i = 0; i < n; i++) {
        for (int h = 0; h < 2; h++) {
            e[i].a[h] = join256(x[i].qs + 128 * h, x[i].qs + 128 * h + 64);
            e[i].b[h] = join256(x[i].qs + 128 * h + 32, x[i].qs + 128 * h + 96);
        }
        __m128i g = _mm_hadd_epi16(_mm_loadu_si128((const __m128i *)x[i].bsums),
                                   _mm_loadu_si128((const __m128i *)(x[i].bsums + 8)));
        e[i].gsums = _mm512_broadcast_i64x4(_mm256_inserti128_si256(_mm256_setzero_si256(), g, 1));
        e[i].d = x[i].d;
    }
    return e;
}

/* vpermw indices of the group scales of qs half h for row r (0, 1) of a two-row scale
 * table (k_scales_mins_x2 widened to int16: row r's scales at words 16r..16r+7): int16 j
 * of the packed sums is in 128-bit lane L = j / 8, group 4h + 2 * (L >= 2) + (j % 8 >= 4). */
#define K45_IDX(h, r)                                                                                  \
    {16 * r + 4 * h,     16 * r + 4 * h,     16 * r + 4 * h,     16 * r + 4 * h,                         \
     16 * r + 4 * h + 1, 16 * r + 4 * h + 1, 16 * r + 4 * h + 1, 16 * r + 4 * h + 1,                     \
     16 * r + 4 * h,     16 * r + 4 * h,     16 * r + 4 * h,     16 * r + 4 * h,                         \
     16 * r + 4 * h + 1, 16 * r + 4 * h + 1, 16 * r + 4 * h + 1, 16 * r + 4 * h + 1,                     \
     16 * r + 4 * h + 2, 16 * r + 4 * h + 2, 16 * r + 4 * h + 2, 16 * r + 4 * h + 2,                     \
     16 * r + 4 * h + 3, 16 * r + 4 * h + 3, 16 * r + 4 * h + 3, 16 * r + 4 * h + 3,                     \
     16 * r + 4 * h + 2, 16 * r + 4 * h + 2, 16 * r + 4 * h + 2, 16 * r + 4 * h + 2,                     \
     16 * r + 4 * h + 3, 16 * r + 4 * h + 3, 16 * r + 4 * h + 3, 16 * r + 4 * h + 3}
static const int16_t k45_scale_index[2][2][32] = {{K45_IDX(0, 0), K45_IDX(1, 0)}, {K45_IDX(0, 1), K45_IDX(1, 1)}};
#undef K45_IDX

/* Q5_K: the fifth bits of vector (h, hi) from the 32 qh bytes (in both 256-bit halves of
 * qh): byte j holds element j's bit for group g at bit g, moved to bit 4 (as 16) by
 * word shifts that keep each byte's own bits there. */
static inline LF_AVX2 __m512i k45_fifth_bits512(__m512i qh, int h, int hi) {
    int g0 = 4 * h + hi, g1 = g0 + 2; /* the groups of the two halves */
    __m512i s = _mm512_inserti64x4(_mm512_set1_epi16((short)(g0 < 4 ? 4 - g0 : g0 - 4)),
                                   _mm256_set1_epi16((short)(g1 < 4 ? 4 - g1 : g1 - 4)), 1);
    return h ? _mm512_srlv_epi16(qh, s) : _mm512_sllv_epi16(qh, s);
}

/* Row r (of a two-row scale table sc) of a Q4_K/Q5_K super-block (nibbles qs, fifth bits
 * qh or NULL) against n_act (1 or 2) activations: sum[j] = 16 int32 partial sums of
 * scale * u * x. */
static inline __attribute__((always_inline)) LF_AVX2 void k45_sums512(const uint8_t *qs, const uint8_t *qh,
                                                                      __m512i sc, int r, const k45_act512 *const *x,
                                                                      int n_act, __m512i *sum) {
    const __m512i low4 = _mm512_set1_epi8(0x0F);
    __m512i qh2 = qh ? _mm512_broadcast_i64x4(load256(qh)) : _mm512_setzero_si512();
    for (int j = 0; j < n_act; j++) sum[j] = _mm512_setzero_si512();
    _Pragma("GCC unroll 2") for (int h = 0; h < 2; h++) {
        __m512i v = _mm512_loadu_si512(qs + 64 * h);
        __m512i lo = _mm512_and_si512(v, low4), hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
        if (qh) { /* u | (bits & 16) */
            lo = _mm512_ternarylogic_epi32(lo, k45_fifth_bits512(qh2, h, 0), _mm512_set1_epi8(0x10), 0xF8);
            hi = _mm512_ternarylogic_epi32(hi, k45_fifth_bits512(qh2, h, 1), _mm512_set1_epi8(0x10), 0xF8);
        }
        __m512i s = _mm512_permutexvar_epi16(_mm512_loadu_si512(k45_scale_index[r][h]), sc);
        for (int j = 0; j < n_act; j++) {
            __m512i p = _mm512_packs_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, x[j]->a[h]),
                                           _mm512_dpbusd_epi32(_mm512_setzero_si512(), hi, x[j]->b[h]));
            sum[j] = _mm512_dpwssd_epi32(sum[j], p, s);
        }
    }
}

/* Lane k = the sum of v's 128-bit lane k. */
static inline LF_AVX2 __m128 lane_sums4(__m512 v) {
    __m128 l0 = _mm512_castps512_ps128(v), l1 = _mm512_extractf32x4_ps(v, 1), l2 = _mm512_extractf32x4_ps(v, 2),
           l3 = _mm512_extractf32x4_ps(v, 3);
    return _mm_hadd_ps(_mm_hadd_ps(l0, l1), _mm_hadd_ps(l2, l3));
}

/* Four Q4_K (q5 false) or Q5_K rows, rb bytes apart, against n_act (1 or 2) Q8_K
 * activations x[j] of nsb blocks: out[k] = row k's sum over the activations of
 * d * scale * u * x - dmin * min * (group sum of x). */
static inline __attribute__((always_inline)) LF_AVX2 void k45_rows512(bool q5, const char *w, size_t rb,
                                                                      const k45_act512 *const *x, int n_act,
                                                                      int64_t nsb, float out[4]) {
    k45_layout L = k45_layout_of(q5 ? LF_TYPE_Q5_K : LF_TYPE_Q4_K);
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    __m512 mins = _mm512_setzero_ps();
    /* the 128-bit lanes of the min sums hold rows 2, 0, 3, 1; lanes 2k+1 of dm their dmin */
    const __m512i dmin_idx = _mm512_setr_epi32(5, 5, 5, 5, 1, 1, 1, 1, 7, 7, 7, 7, 3, 3, 3, 3);
    for (int64_t i = 0; i < nsb; i++) {
        const char *b = w + (size_t)i * L.bytes;
        const k45_act512 *xa[2] = {&x[0][i], &x[n_act - 1][i]};
        __m512 dx[2] = {_mm512_set1_ps(xa[0]->d), _mm512_set1_ps(xa[1]->d)};
        __m512 dm = _mm512_castps256_ps512(pairs4((const uint16_t *)b, (const uint16_t *)(b + rb),
                                                  (const uint16_t *)(b + 2 * rb), (const uint16_t *)(b + 3 * rb)));
        if (n_act == 1) dm = _mm512_mul_ps(dm, dx[0]);
        /* scales and mins of rows 0, 1 (sm[0]) and 2, 3 (sm[1]) as int16: row 2p+r's eight
         * scales at words 16r..16r+7 of sm[p], its mins at 16r+8..16r+15 */
        __m512i sm[2] = {_mm512_cvtepu8_epi16(k_scales_mins_x2((const uint8_t *)b + 4, (const uint8_t *)b + rb + 4)),
                         _mm512_cvtepu8_epi16(
                             k_scales_mins_x2((const uint8_t *)b + 2 * rb + 4, (const uint8_t *)b + 3 * rb + 4))};
        _Pragma("GCC unroll 4") for (int k = 0; k < 4; k++) {
            const uint8_t *bk = (const uint8_t *)b + (size_t)k * rb;
            __m512i sum[2];
            prefetch_k_block(bk, L.bytes, rb);
            k45_sums512(bk + L.qs, q5 ? bk + L.qh : NULL, sm[k >> 1], k & 1, xa, n_act, sum);
            __m512 t = _mm512_cvtepi32_ps(sum[0]);
            if (n_act == 2) t = _mm512_fmadd_ps(dx[1], _mm512_cvtepi32_ps(sum[1]), _mm512_mul_ps(dx[0], t));
            acc[k] = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_set1_epi32(2 * k), dm), t, acc[k]);
        }
        __m512 tm = _mm512_setzero_ps();
        for (int j = 0; j < n_act; j++) {
            __m512i m01 = _mm512_madd_epi16(sm[0], xa[j]->gsums), m23 = _mm512_madd_epi16(sm[1], xa[j]->gsums);
            __m512 f = _mm512_cvtepi32_ps(_mm512_add_epi32(m01, _mm512_shuffle_i32x4(m23, m23, _MM_SHUFFLE(2, 3, 0, 1))));
            tm = n_act == 1 ? f : _mm512_fmadd_ps(dx[j], f, tm);
        }
        mins = _mm512_fmadd_ps(_mm512_permutexvar_ps(dmin_idx, dm), tm, mins);
    }
    __m256 a[4];
    for (int k = 0; k < 4; k++)
        a[k] = _mm256_add_ps(_mm512_castps512_ps256(acc[k]),
                             _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc[k]), 1)));
    hsum4(a[0], a[1], a[2], a[3], out);
    __m128 m = lane_sums4(mins); /* rows 2, 0, 3, 1 */
    _mm_storeu_ps(out, _mm_sub_ps(_mm_loadu_ps(out), _mm_permute_ps(m, _MM_SHUFFLE(2, 0, 3, 1))));
}
#endif

/* ------------------------------------------------------------------ Q2_K / Q3_K
 * Sixteen groups of 16 weights with their own scales. The activation is the Q8_K block
 * as stored: slice s (0-7) of a super-block, plane s % 4 of qs half s / 4, meets its
 * bytes 32s..32s+31, and its group scales (k16_slice_scales) weight the 16-bit pair
 * sums of one maddubs. */

/* One Q2_K (hmask NULL) or Q3_K row's super-block (qs, hmask, int16 group scales sc16)
 * against n_act (1 or 2, a constant) Q8_K activations: sum[j] = eight int32 partial sums
 * of scale * u * x. With u <= 7 a maddubs pair sum is at most 2 * 7 * 128. */
#ifdef LF_VNNI
/* With AVX-512 one 512-bit vector holds plane p of both qs halves (slices p and p + 4:
 * groups 2p, 2p+1, 8+2p, 9+2p in its 128-bit lanes), so a super-block is four steps; the
 * activation's bytes 32p.. and 128+32p.. are joined to match (the loads are shared by
 * the four rows once inlined). vpdpbusd sums four products per int32 (at most
 * 4 * 7 * 128, so int16 holds them); two planes pack into one vector of int16, and one
 * vpdpwssd against their group scales (spread by one vpermw) adds them up. Two rows
 * share a 512-bit scale table (row r's 16 scales at int16 16r) and every float step. */

/* The vpermw indices of those group scales: int16 j of the packs of planes 2k, 2k + 1 is in
 * 128-bit lane L = j / 8 and plane 2k + (j % 8 >= 4), group 2 * plane + (L & 1) + 8 * (L >> 1),
 * plus 16 for row 1 of the table. */
#define K16_IDX(k, r)                                                                                        \
    {4 * k + 16 * r, 4 * k + 16 * r, 4 * k + 16 * r, 4 * k + 16 * r, 4 * k + 2 + 16 * r, 4 * k + 2 + 16 * r,   \
     4 * k + 2 + 16 * r, 4 * k + 2 + 16 * r, 4 * k + 1 + 16 * r, 4 * k + 1 + 16 * r, 4 * k + 1 + 16 * r,       \
     4 * k + 1 + 16 * r, 4 * k + 3 + 16 * r, 4 * k + 3 + 16 * r, 4 * k + 3 + 16 * r, 4 * k + 3 + 16 * r,       \
     4 * k + 8 + 16 * r, 4 * k + 8 + 16 * r, 4 * k + 8 + 16 * r, 4 * k + 8 + 16 * r, 4 * k + 10 + 16 * r,       \
     4 * k + 10 + 16 * r, 4 * k + 10 + 16 * r, 4 * k + 10 + 16 * r, 4 * k + 9 + 16 * r, 4 * k + 9 + 16 * r,    \
     4 * k + 9 + 16 * r, 4 * k + 9 + 16 * r, 4 * k + 11 + 16 * r, 4 * k + 11 + 16 * r, 4 * k + 11 + 16 * r,    \
     4 * k + 11 + 16 * r}
static const int16_t k16_pair_index[2][2][32] = {{K16_IDX(0, 0), K16_IDX(1, 0)}, {K16_IDX(0, 1), K16_IDX(1, 1)}};
#undef K16_IDX

/* Row r's super-block against n_act activation blocks: sum[j] = 16 int32 partial sums. */
static inline __attribute__((always_inline)) LF_AVX2 void k16_sums(const uint8_t *qs, const uint8_t *hmask,
                                                                   __m512i sc, int r, const block_q8_K *const *x,
                                                                   int n_act, __m512i *sum) {
    __m512i bits = _mm512_loadu_si512(qs), h = _mm512_setzero_si512();
    if (hmask) { /* the high half's planes read hmask bits 4-7 */
        __m512i hm = _mm512_broadcast_i64x4(load256(hmask));
        h = _mm512_mask_srli_epi16(hm, (__mmask32)0xFFFF0000u, hm, 4);
    }
    __m512i d[2][4];
    _Pragma("GCC unroll 4") for (int p = 0; p < 4; p++) {
        __m512i u = _mm512_and_si512(_mm512_srli_epi16(bits, (unsigned)(2 * p)), _mm512_set1_epi8(3));
        if (hmask) {
            __m512i hb = p < 2 ? _mm512_slli_epi16(h, (unsigned)(2 - p)) : _mm512_srli_epi16(h, (unsigned)(p - 2));
            u = _mm512_or_si512(u, _mm512_and_si512(hb, _mm512_set1_epi8(4)));
        }
        for (int j = 0; j < n_act; j++) {
            __m512i xv = _mm512_inserti64x4(_mm512_castsi256_si512(load256(x[j]->qs + 32 * p)),
                                            load256(x[j]->qs + 128 + 32 * p), 1);
            d[j][p] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, xv);
        }
    }
    __m512i s01 = _mm512_permutexvar_epi16(_mm512_loadu_si512(k16_pair_index[r][0]), sc);
    __m512i s23 = _mm512_permutexvar_epi16(_mm512_loadu_si512(k16_pair_index[r][1]), sc);
    for (int j = 0; j < n_act; j++) {
        sum[j] = _mm512_madd_epi16(_mm512_packs_epi32(d[j][0], d[j][1]), s01);
        sum[j] = _mm512_dpwssd_epi32(sum[j], _mm512_packs_epi32(d[j][2], d[j][3]), s23);
    }
}

/* Lanes 0-7 = lane a of v, 8-15 = lane b (a, b constants). */
static inline LF_AVX2 __m512 lanes_2x8(__m256 v, int a, int b) {
    __m512i idx = _mm512_inserti64x4(_mm512_set1_epi32(a), _mm256_set1_epi32(b), 1);
    return _mm512_permutexvar_ps(idx, _mm512_castps256_ps512(v));
}

/* Four Q2_K (q3 false) or Q3_K rows, rb bytes apart, against n_act (1 or 2) Q8_K
 * activations x[j] of nsb blocks: out[k] = row k's sum over the activations of
 * d * scale * (u - offset) * x, the min terms with dmin (Q2_K), as the AVX2 rows do, with
 * the integer sums of rows 2p and 2p+1 folded into one vector (lanes 0-7 and 8-15). */
static inline __attribute__((always_inline)) LF_AVX2 void k16_rows(bool q3, const char *w, size_t rb,
                                                                   const block_q8_K *const *x, int n_act,
                                                                   int64_t nsb, float out[4]) {
    size_t bytes = q3 ? sizeof(block_q3_K) : sizeof(block_q2_K);
    __m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
    for (int64_t i = 0; i < nsb; i++) {
        const char *b = w + (size_t)i * bytes;
        const block_q8_K *xi[2] = {&x[0][i], &x[n_act - 1][i]};
        __m512i bs[2];
        __m512 dx[2];
        for (int j = 0; j < n_act; j++) {
            bs[j] = _mm512_broadcast_i64x4(load256(xi[j]->bsums));
            dx[j] = _mm512_set1_ps(xi[j]->d);
        }
        __m256 dm; /* Q2_K: d, dmin of row k in lanes 2k, 2k+1; Q3_K: d of row k in lane k */
        if (q3) {
            const size_t o = offsetof(block_q3_K, d);
            uint16_t d0, d1, d2, d3;
            memcpy(&d0, b + o, 2), memcpy(&d1, b + rb + o, 2);
            memcpy(&d2, b + 2 * rb + o, 2), memcpy(&d3, b + 3 * rb + o, 2);
            __m128i h = _mm_setr_epi16((short)d0, (short)d1, (short)d2, (short)d3, 0, 0, 0, 0);
            dm = _mm256_castps128_ps256(_mm_cvtph_ps(h));
        } else {
            const size_t o = offsetof(block_q2_K, d);
            dm = pairs4((const uint16_t *)(b + o), (const uint16_t *)(b + rb + o), (const uint16_t *)(b + 2 * rb + o),
                        (const uint16_t *)(b + 3 * rb + o));
        }
        if (n_act == 1) dm = _mm256_mul_ps(dm, _mm512_castps512_ps256(dx[0]));
        _Pragma("GCC unroll 2") for (int pr = 0; pr < 2; pr++) {
            const uint8_t *r0 = (const uint8_t *)b + (size_t)(2 * pr) * rb, *r1 = r0 + rb;
            /* two groups ahead, not one: these rows are consumed fast enough that the
             * next group's lines were still in flight (measured: +10 % Q2_K decode) */
            prefetch_k_block(r0 + 4 * rb, bytes, rb);
            prefetch_k_block(r1 + 4 * rb, bytes, rb);
            __m512i sc, mn = _mm512_setzero_si512(), s0[2], s1[2];
            if (q3) {
                sc = _mm512_inserti64x4(_mm512_castsi256_si512(q3_K_scales16((const block_q3_K *)r0)),
                                        q3_K_scales16((const block_q3_K *)r1), 1);
                k16_sums(r0 + offsetof(block_q3_K, qs), r0, sc, 0, xi, n_act, s0);
                k16_sums(r1 + offsetof(block_q3_K, qs), r1, sc, 1, xi, n_act, s1);
            } else {
                __m512i v = _mm512_cvtepu8_epi16(lanes2(r0, r1)); /* scale bytes of both rows */
                sc = _mm512_and_si512(v, _mm512_set1_epi16(0x0F));
                mn = _mm512_srli_epi16(v, 4);
                k16_sums(r0 + offsetof(block_q2_K, qs), NULL, sc, 0, xi, n_act, s0);
                k16_sums(r1 + offsetof(block_q2_K, qs), NULL, sc, 1, xi, n_act, s1);
            }
            __m512 t = _mm512_setzero_ps(), tm = _mm512_setzero_ps();
            for (int j = 0; j < n_act; j++) {
                __m512i v = _mm512_add_epi32(_mm512_shuffle_i64x2(s0[j], s1[j], 0x44),
                                             _mm512_shuffle_i64x2(s0[j], s1[j], 0xEE)); /* row 0 | row 1 */
                if (q3) v = _mm512_sub_epi32(v, _mm512_slli_epi32(_mm512_madd_epi16(sc, bs[j]), 2)); /* u - 4 */
                __m512 f = _mm512_cvtepi32_ps(v), fm = _mm512_cvtepi32_ps(_mm512_madd_epi16(mn, bs[j]));
                t = n_act == 1 ? f : _mm512_fmadd_ps(dx[j], f, t);
                tm = n_act == 1 ? fm : _mm512_fmadd_ps(dx[j], fm, tm);
            }
            if (q3) {
                acc[pr] = _mm512_fmadd_ps(lanes_2x8(dm, 2 * pr, 2 * pr + 1), t, acc[pr]);
            } else {
                acc[pr] = _mm512_fmadd_ps(lanes_2x8(dm, 4 * pr, 4 * pr + 2), t, acc[pr]);
                acc[pr] = _mm512_fnmadd_ps(lanes_2x8(dm, 4 * pr + 1, 4 * pr + 3), tm, acc[pr]);
            }
        }
    }
    hsum4(_mm512_castps512_ps256(acc[0]), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc[0]), 1)),
          _mm512_castps512_ps256(acc[1]), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc[1]), 1)), out);
}
#else
static inline __attribute__((always_inline)) LF_AVX2 void k16_sums(const uint8_t *qs, const uint8_t *hmask,
                                                                   __m256i sc16, const block_q8_K *const *x,
                                                                   int n_act, __m256i *sum) {
    __m256i h = hmask ? load256(hmask) : _mm256_setzero_si256();
    for (int j = 0; j < n_act; j++) sum[j] = _mm256_setzero_si256();
    _Pragma("GCC unroll 2") for (int half = 0; half < 2; half++) {
        __m256i bits = load256(qs + 32 * half);
        _Pragma("GCC unroll 4") for (int plane = 0; plane < 4; plane++) {
            __m256i u = hmask ? q3_K_slice(bits, h, half, plane) : q2_K_slice(bits, plane);
            __m256i sc = k16_slice_scales(sc16, 4 * half + plane);
            for (int j = 0; j < n_act; j++) {
                __m256i p = _mm256_maddubs_epi16(u, load256(x[j]->qs + 128 * half + 32 * plane));
                sum[j] = _mm256_add_epi32(sum[j], _mm256_madd_epi16(p, sc));
            }
        }
    }
}
#endif

/* A Q2_K block's d (even lanes) and dmin (odd lanes), converted together. */
static inline LF_AVX2 __m256 q2_K_dm(const block_q2_K *b) {
    return _mm256_cvtph_ps(_mm_set1_epi32((int)load_u32(&b->d)));
}

/* Odd lanes of s (row k's second value of pairs4 products) in lanes 0-3. */
static inline LF_AVX2 __m128 odd_lanes(__m256 s) {
    return _mm256_castps256_ps128(_mm256_permutevar8x32_ps(s, _mm256_setr_epi32(1, 3, 5, 7, 1, 3, 5, 7)));
}

#endif
