/* The weight side of the int8 prompt GEMMs for the legacy types and Q4_K
 * (gemm_avx2_legacy.c, gemm_avx512_legacy.c): a 32-weight block as unsigned bytes u,
 * its scale d and either a zero point (w = d * (u - zero): Q4_0, Q5_0, Q8_0, IQ4_NL) or a
 * minimum coefficient m (w = d * u + m: Q4_1, Q5_1, Q4_K). */
#ifndef LF_KERNELS_GEMM_LEGACY_INTERNAL_H
#define LF_KERNELS_GEMM_LEGACY_INTERNAL_H

#include "kernels/unpack_avx2_internal.h"

/* The zero point of weight types without a stored minimum (0: the type has one). */
static inline float gemm_zero_point(lf_type type) {
    switch (type) {
    case LF_TYPE_Q4_0: return 8.0f;
    case LF_TYPE_Q5_0: return 16.0f;
    case LF_TYPE_Q8_0:
    case LF_TYPE_IQ4_NL: return 128.0f;
    default: return 0.0f;
    }
}

/* Block g of a row (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL or Q4_K) as unsigned bytes u with its
 * scale d and (types with a minimum) m. */
static inline LF_AVX2 __m256i gemm_unsigned_block(lf_type type, const char *row, int64_t g, float *d, float *m) {
    switch (type) {
    case LF_TYPE_Q4_0: {
        const block_q4_0 *b = (const block_q4_0 *)row + g;
        *d = f16(b->d);
        return legacy_nibbles(b->qs);
    }
    case LF_TYPE_Q4_1: {
        const block_q4_1 *b = (const block_q4_1 *)row + g;
        *d = f16(b->d), *m = f16(b->m);
        return legacy_nibbles(b->qs);
    }
    case LF_TYPE_Q5_0: {
        const block_q5_0 *b = (const block_q5_0 *)row + g;
        *d = f16(b->d);
        return q5_unsigned_quants(b->qs, b->qh);
    }
    case LF_TYPE_Q5_1: {
        const block_q5_1 *b = (const block_q5_1 *)row + g;
        *d = f16(b->d), *m = f16(b->m);
        return q5_1_quants(b);
    }
    case LF_TYPE_IQ4_NL: {
        const block_iq4_nl *b = (const block_iq4_nl *)row + g;
        *d = f16(b->d);
        return _mm256_xor_si256(iq4_nl_quants(b), _mm256_set1_epi8((char)0x80)); /* level + 128 */
    }
    case LF_TYPE_Q4_K: { /* group g%8 of super-block g/8; group pairs share 32 bytes */
        const block_q4_K *b = (const block_q4_K *)row + g / 8;
        int grp = (int)(g % 8);
        __m256i q = load256(b->qs + 32 * (grp / 2));
        if (grp & 1) q = _mm256_srli_epi16(q, 4);
        uint8_t sc, mn;
        k_scale_min(b->scales, grp, &sc, &mn);
        *d = f16(b->d) * (float)sc;
        *m = -f16(b->dmin) * (float)mn;
        return _mm256_and_si256(q, _mm256_set1_epi8(0x0F));
    }
    default: {
        const block_q8_0 *b = (const block_q8_0 *)row + g;
        *d = f16(b->d);
        return _mm256_xor_si256(load256(b->qs), _mm256_set1_epi8((char)0x80)); /* w + 128 */
    }
    }
}

#endif
