/* AVX2 weight unpacking shared by the plain kernels (dot_avx2_*.c, dot_avx2_x4.c) and the
 * fused activation + residual kernels (dot2_avx2_*.c), so each bit layout is decoded in
 * one place. Every step works on operands the caller already holds (a loaded 32-byte
 * slice, a block pointer) and is inlined, so the kernels compile as if written out.
 * Legacy quants come back as 32 bytes in element order; K-quant slices as 32 unsigned
 * bytes (offsets and mins are folded in by the caller through the activation sums). */
#ifndef LF_KERNELS_UNPACK_AVX2_INTERNAL_H
#define LF_KERNELS_UNPACK_AVX2_INTERNAL_H

#include "kernels/avx2_internal.h"
#include "kernels/blocks_internal.h"

#include <string.h>

static inline uint32_t load_u32(const void *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* ------------------------------------------------------------------ legacy blocks */

/* Q4_0: nibble - 8, signed. */
static inline LF_AVX2 __m256i q4_0_quants(const block_q4_0 *b) {
    return _mm256_sub_epi8(legacy_nibbles(b->qs), _mm256_set1_epi8(8));
}

/* IQ4_NL: each nibble picks its level from the 16-byte table by one byte shuffle
 * (iq4nl_values in both 128-bit halves). */
static inline LF_AVX2 __m256i iq4_nl_table(void) {
    return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)iq4nl_values));
}

static inline LF_AVX2 __m256i iq4_nl_levels(__m256i nibbles) { return _mm256_shuffle_epi8(iq4_nl_table(), nibbles); }

static inline LF_AVX2 __m256i iq4_nl_quants(const block_iq4_nl *b) { return iq4_nl_levels(legacy_nibbles(b->qs)); }

/* Q5_0: q = nibble | bit<<4, minus 16; where the fifth bit is clear, OR-ing 0xF0 into the
 * nibble gives exactly nibble - 16 as a signed byte. */
static inline LF_AVX2 __m256i q5_0_quants(const block_q5_0 *b) {
    __m256i high = _mm256_andnot_si256(bits_to_bytes(b->qh), _mm256_set1_epi8((char)0xF0));
    return _mm256_or_si256(legacy_nibbles(b->qs), high);
}

/* The 32 quants of a Q5 block unsigned: nibble | bit<<4 (Q5_1's; Q5_0's are these - 16). */
static inline LF_AVX2 __m256i q5_unsigned_quants(const uint8_t qs[16], const uint8_t qh[4]) {
    __m256i high = _mm256_and_si256(bits_to_bytes(qh), _mm256_set1_epi8(0x10));
    return _mm256_or_si256(legacy_nibbles(qs), high);
}

static inline LF_AVX2 __m256i q5_1_quants(const block_q5_1 *b) { return q5_unsigned_quants(b->qs, b->qh); }

/* Lane 0 = scale d, lane 1 = min m of a Q5_1 block (as q4_1_dm). */
static inline LF_AVX2 __m128 q5_1_dm(const block_q5_1 *b) {
    uint32_t dm;
    memcpy(&dm, &b->d, sizeof dm);
    return _mm_cvtph_ps(_mm_cvtsi32_si128((int)dm));
}

/* The four-activation kernels: activation j of four, stride bytes apart. */
static inline LF_AVX2 const void *x4_at(const void *x, size_t stride, int j) {
    return (const char *)x + (size_t)j * stride;
}

/* Unsigned weights u with a minimum (Q4_1, Q5_1; scales dm = d, m) against one Q8_1
 * block: lane 0 of (d, m) * (xd, xs) is the block scale, lane 1 the min term. */
static inline LF_AVX2 void unsigned_step(__m256i u, __m128 dm, const block_q8_1 *x, __m256 *acc, __m128 *mins) {
    __m256 p = _mm256_cvtepi32_ps(dot_u8_i8(u, load256(x->qs)));
    __m128 scales = _mm_mul_ps(dm, q8_1_ds(x)); /* d*xd, m*xs */
    *acc = _mm256_fmadd_ps(_mm256_broadcastss_ps(scales), p, *acc);
    *mins = _mm_add_ps(*mins, scales);
}

/* Result of an unsigned (Q4_1/Q5_1) accumulator whose min terms sit in lane 1 of mins. */
static inline LF_AVX2 float unsigned_result(__m256 acc, __m128 mins) {
    return hsum_f32x8(acc) + _mm_cvtss_f32(_mm_movehdup_ps(mins));
}

/* --------------------------------------------------------------------- K-quants
 * A super-block is handled as eight 32-weight slices s = 0..7; slice s holds groups 2s and
 * 2s+1 of 16 (Q2_K, Q3_K, Q6_K) or group s of 32 (Q4_K, Q5_K) and meets activation bytes
 * 32s..32s+31. */

/* sum over the 16 groups of scale[g] * bsums[g] (both int16-range). */
static inline LF_AVX2 int32_t scaled_bsums16(__m256i scales, const int16_t bsums[16]) {
    return hsum_i32x8(_mm256_madd_epi16(scales, _mm256_loadu_si256((const __m256i *)bsums)));
}

/* Q2_K: the 16 four-bit scales (low nibbles) as int16; *mins16 = the mins (high). The
 * bytes are widened first, so one shift and one mask split them. */
static inline LF_AVX2 __m256i q2_K_scales16(const block_q2_K *b, __m256i *mins16) {
    __m256i v = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)b->scales));
    *mins16 = _mm256_srli_epi16(v, 4);
    return _mm256_and_si256(v, _mm256_set1_epi16(0x0F));
}

/* Slice s (0-7; groups 2s, 2s+1) of 16 int16 group scales sc16: group 2s's scale in the
 * low lane's eight int16, 2s+1's in the high lane's (s a constant after unrolling). */
static inline LF_AVX2 __m256i k16_slice_scales(__m256i sc16, int s) {
    __m256i half = s < 4 ? _mm256_permute2x128_si256(sc16, sc16, 0x00) : _mm256_permute2x128_si256(sc16, sc16, 0x11);
    int k = s & 3;
    __m128i lo = _mm_set1_epi16((short)(0x0100 + 0x0404 * k)), hi = _mm_set1_epi16((short)(0x0302 + 0x0404 * k));
    return _mm256_shuffle_epi8(half, _mm256_set_m128i(hi, lo));
}

/* Q2_K/Q3_K low bits: a 32-byte half of qs (bits) holds four 2-bit planes, one a slice. */
static inline LF_AVX2 __m256i q2_K_slice(__m256i bits, int plane) {
    return _mm256_and_si256(_mm256_srli_epi16(bits, 2 * plane), _mm256_set1_epi8(3));
}

/* Q3_K: the 16 signed six-bit group scales as int16. Group j's low four bits are the
 * low (j < 8) or high nibble of byte j % 8, its top two bits sit in byte 8 + j % 4 at bit
 * 2 * (j / 4); the 12 bytes are read as 8 + 4 (the block ends 2 bytes later). */
static inline LF_AVX2 __m256i q3_K_scales16(const block_q3_K *b) {
    __m128i v = _mm_insert_epi32(_mm_loadl_epi64((const __m128i *)b->scales), (int)load_u32(b->scales + 8), 2);
    const __m128i low4 = _mm_set1_epi8(0x0F);
    __m128i lo = _mm_unpacklo_epi64(_mm_and_si128(v, low4), _mm_and_si128(_mm_srli_epi16(v, 4), low4));
    __m128i top = _mm_shuffle_epi8(v, _mm_setr_epi8(8, 9, 10, 11, 8, 9, 10, 11, 8, 9, 10, 11, 8, 9, 10, 11));
    top = _mm_and_si128(_mm_srlv_epi32(top, _mm_setr_epi32(0, 2, 4, 6)), _mm_set1_epi8(3));
    return _mm256_cvtepi8_epi16(_mm_sub_epi8(_mm_or_si128(lo, _mm_slli_epi16(top, 4)), _mm_set1_epi8(32)));
}

/* Q3_K slice s = half*4+plane: u = low2 | hbit<<2 in 0..7 (weight = d*scale*(u-4)); the
 * high bit of the slice is bit s of hmask, shifted straight to bit 2 (bits shifted in
 * from the neighbouring byte land above it and are masked off). */
static inline LF_AVX2 __m256i q3_K_slice(__m256i bits, __m256i hmask, int half, int plane) {
    int s = half * 4 + plane;
    __m256i high = s < 2 ? _mm256_slli_epi16(hmask, 2 - s) : _mm256_srli_epi16(hmask, s - 2);
    return _mm256_or_si256(q2_K_slice(bits, plane), _mm256_and_si256(high, _mm256_set1_epi8(4)));
}

/* The eight six-bit scales and mins of a Q4_K/Q5_K block, unpacked with word operations
 * into two words (byte g = scale g, min g): bytes 0-3 hold scales 0-3 (+ top bits of
 * 4-7), 4-7 mins 0-3 (+ top bits), 8-11 the low nibbles of scales and mins 4-7. */
static inline void k_scales_mins64(const uint8_t packed[12], uint64_t *sc, uint64_t *mn) {
    uint32_t w0, w1, w2;
    memcpy(&w0, packed, 4);
    memcpy(&w1, packed + 4, 4);
    memcpy(&w2, packed + 8, 4);
    uint32_t s_lo = w0 & 0x3F3F3F3F, m_lo = w1 & 0x3F3F3F3F;
    uint32_t s_hi = (w2 & 0x0F0F0F0F) | ((w0 & 0xC0C0C0C0) >> 2);
    uint32_t m_hi = ((w2 >> 4) & 0x0F0F0F0F) | ((w1 & 0xC0C0C0C0) >> 2);
    *sc = (uint64_t)s_hi << 32 | s_lo;
    *mn = (uint64_t)m_hi << 32 | m_lo;
}

/* The same as byte arrays. */
static inline void k_scales_mins(const uint8_t packed[12], uint8_t sc[8], uint8_t mn[8]) {
    uint64_t s, m;
    k_scales_mins64(packed, &s, &m);
    memcpy(sc, &s, 8);
    memcpy(mn, &m, 8);
}

/* The eight Q4_K/Q5_K mins widened to int16. */
static inline LF_AVX2 __m128i k_mins16(const uint8_t mn[8]) {
    return _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)mn));
}

/* sum over the 8 groups of 32 of mins[g] * (bsums[2g] + bsums[2g+1]). */
static inline LF_AVX2 int32_t mins_times_bsums(__m128i mins16, const int16_t bsums[16]) {
    __m128i pairs = _mm_hadd_epi16(_mm_loadu_si128((const __m128i *)bsums),
                                   _mm_loadu_si128((const __m128i *)(bsums + 8)));
    __m128i prod = _mm_madd_epi16(mins16, pairs);
    prod = _mm_add_epi32(prod, _mm_unpackhi_epi64(prod, prod));
    prod = _mm_add_epi32(prod, _mm_shuffle_epi32(prod, 1));
    return _mm_cvtsi128_si32(prod);
}

/* Q4_K chunk c (32 bytes of qs, bits): 64 weights, group 2c in the low nibbles (lo) and
 * group 2c+1 in the high nibbles (hi). */
static inline LF_AVX2 void q4_K_chunk(__m256i bits, __m256i *lo, __m256i *hi) {
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    *lo = _mm256_and_si256(bits, low4);
    *hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), low4);
}

/* Q5_K chunk c: the Q4_K nibbles with fifth bits 2c (lo) and 2c+1 (hi) of qh (hbits). */
static inline LF_AVX2 void q5_K_chunk(__m256i bits, __m256i hbits, int c, __m256i *lo, __m256i *hi) {
    const __m256i low4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
    __m256i hlo = _mm256_and_si256(_mm256_srli_epi16(hbits, 2 * c), one);
    __m256i hhi = _mm256_and_si256(_mm256_srli_epi16(hbits, 2 * c + 1), one);
    *lo = _mm256_or_si256(_mm256_and_si256(bits, low4), _mm256_slli_epi16(hlo, 4));
    *hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 4), low4), _mm256_slli_epi16(hhi, 4));
}

/* Q6_K: the 16 int8 group scales widened to int16. */
static inline LF_AVX2 __m256i q6_K_scales16(const block_q6_K *b) {
    return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b->scales));
}

/* Q6_K half (128 weights, slices 4*half+k): u = low4 | high2<<4 in 0..63, weight =
 * d*scale*(u-32). ql bytes 0-31 / 32-63 give slices 0,1 (low nibbles) and 2,3 (high
 * nibbles); qh byte l gives the high bits of slice k at bits 2k..2k+1. */
static inline LF_AVX2 void q6_K_half(const block_q6_K *b, int half, __m256i u[4]) {
    const __m256i low4 = _mm256_set1_epi8(0x0F), two = _mm256_set1_epi8(0x30);
    __m256i ql0 = load256(b->ql + 64 * half), ql1 = load256(b->ql + 64 * half + 32);
    __m256i qh = load256(b->qh + 32 * half);
    u[0] = _mm256_or_si256(_mm256_and_si256(ql0, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), two));
    u[1] = _mm256_or_si256(_mm256_and_si256(ql1, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), two));
    u[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4), _mm256_and_si256(qh, two));
    u[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                           _mm256_and_si256(_mm256_srli_epi16(qh, 2), two));
}

#endif
