/* Building blocks shared by the AVX2 kernels. Every function carries the AVX2 target
 * attribute so the rest of the library stays baseline x86-64; they only run after the
 * dispatcher has seen AVX2, FMA and F16C on the CPU. */
#ifndef LF_KERNELS_AVX2_INTERNAL_H
#define LF_KERNELS_AVX2_INTERNAL_H

#include "kernels/blocks_internal.h"
#include "kernels/kernels_internal.h"

#include <immintrin.h>
#include <string.h>

/* A file that recompiles AVX2 kernels for a wider target (dot_vnni_rows.c) defines
 * LF_AVX2 first, and LF_VNNI when the target has AVX-512 VL + VNNI. */
#ifndef LF_AVX2
#define LF_AVX2 __attribute__((target("avx2,fma,f16c")))
#endif


static inline LF_AVX2 float hsum_f32x8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline LF_AVX2 int32_t hsum_i32x8(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 1));
    return _mm_cvtsi128_si32(s);
}

static inline LF_AVX2 float f16(uint16_t h) { return _cvtsh_ss(h); }

/* The largest of eight floats (NaN-free). */
static inline LF_AVX2 float hmax_f32x8(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

/* The 32 nibbles of a legacy block in element order: low nibbles of the 16 bytes are
 * elements 0..15, high nibbles 16..31. The bytes are broadcast to both 128-bit lanes
 * (a plain load) and only the upper lane is shifted, which avoids a lane shuffle. */
static inline LF_AVX2 __m256i legacy_nibbles(const uint8_t qs[16]) {
    __m256i both = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)qs));
    both = _mm256_srlv_epi64(both, _mm256_set_epi64x(4, 4, 0, 0));
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

/* Byte j is 0xFF when bit j of the little-endian 32-bit word at p is set. */
static inline LF_AVX2 __m256i bits_to_bytes(const uint8_t p[4]) {
    uint32_t bits = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    const __m256i which_byte = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                                2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x(0x8040201008040201LL);
    __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), which_byte);
    return _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
}

/* Eight int32 sums of four products each: unsigned bytes u (<= 128) times signed bytes s
 * (in [-127, 127]); the 16-bit pair sums (<= 32512) cannot saturate. */
static inline LF_AVX2 __m256i dot_u8_i8(__m256i u, __m256i s) {
#ifdef LF_VNNI
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s); /* the same sums, one instruction */
#else
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
#endif
}

/* The same for two signed operands: move a's sign onto b, multiply |a| by it. */
static inline LF_AVX2 __m256i dot_i8_i8(__m256i a, __m256i b) {
    return dot_u8_i8(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
}

/* 16-bit pair sums of 32 products u*s, each group of 16 (lanes 0-7, 8-15) multiplied by
 * its own scale and reduced to int32: the K-quant group step. */
static inline LF_AVX2 __m256i dot_u8_i8_2scales(__m256i u, __m256i s, int16_t scale0, int16_t scale1) {
    __m256i scales = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_set1_epi16(scale0)),
                                             _mm_set1_epi16(scale1), 1);
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), scales);
}

/* Lane 0 = scale d, lane 1 = min m of a Q4_1 block, converted in one instruction. */
static inline LF_AVX2 __m128 q4_1_dm(const block_q4_1 *b) {
    uint32_t dm;
    memcpy(&dm, &b->d, sizeof dm);
    return _mm_cvtph_ps(_mm_cvtsi32_si128((int)dm));
}

/* Lane 0 = d, lane 1 = s of a Q8_1 activation block. */
static inline LF_AVX2 __m128 q8_1_ds(const block_q8_1 *x) {
    return _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)&x->d));
}

static inline LF_AVX2 __m256i load256(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }

#endif
