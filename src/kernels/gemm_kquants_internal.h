/* The weight side of the int8 prompt GEMMs for the K-quants whose groups are sixteen
 * weights or carry a fifth or sixth bit (Q2_K, Q3_K, Q5_K, Q6_K; gemm_avx2_kquants.c,
 * gemm_avx512_kquants.c): one super-block unpacked into unsigned bytes and integer group
 * coefficients in a single form,
 *     w_e = d * sc_g * u_e - dm * mn_g        (u_e >= 0, g = e / 16),
 * where Q2_K and Q5_K store dm = dmin and the mins mn (Q5_K's eight 32-weight groups as
 * sixteen halves with equal coefficients), and Q6_K and Q3_K are u - 32 and u - 4
 * scaled by a signed scale, so dm = d and mn = 32 sc or 4 sc. Then
 *     sum_e w_e x_e = d * sum_g sc_g * (u . x)_g - dm * sum_g mn_g * B_g
 * with B_g the sum of the activation bytes of group g (Q8_K's bsums), and every sum over
 * a super-block stays exact in int32 (|u . x| <= 16 * 63 * 128 per group, |sc| <= 128,
 * |mn| <= 4096). The activation side adds to the lane groups of gemm_lanes_internal.h
 * the pair (B_2s, B_2s+1) of each 32-element block s. */
#ifndef LF_KERNELS_GEMM_KQUANTS_INTERNAL_H
#define LF_KERNELS_GEMM_KQUANTS_INTERNAL_H

#include "kernels/gemm_lanes_internal.h"
#include "kernels/unpack_avx2_internal.h"

typedef struct kq_superblock {
    __m256i u[8];    /* 32-element block s: unsigned quants of groups 2s and 2s+1 */
    int16_t sc[16], mn[16];
    float d, dm;
} kq_superblock;

/* Whether the type's minimum is an offset of its quants (dm = d, mn = zero * sc): Q6_K
 * (zero 32) and Q3_K (zero 4); 0 for the types with a stored minimum. */
static inline int kq_zero_point(lf_type type) {
    return type == LF_TYPE_Q6_K ? 32 : type == LF_TYPE_Q3_K ? 4 : 0;
}

static inline LF_AVX2 void kq_store_scales(__m256i sc16, __m256i mn16, kq_superblock *out) {
    _mm256_storeu_si256((__m256i *)out->sc, sc16);
    _mm256_storeu_si256((__m256i *)out->mn, mn16);
}

/* Super-block j of a row of type (Q2_K, Q3_K, Q5_K or Q6_K). */
static inline LF_AVX2 void kq_unpack(lf_type type, const char *row, int64_t j, kq_superblock *out) {
    switch (type) {
    case LF_TYPE_Q6_K: {
        const block_q6_K *b = (const block_q6_K *)row + j;
        q6_K_half(b, 0, out->u);
        q6_K_half(b, 1, out->u + 4);
        __m256i sc = q6_K_scales16(b);
        kq_store_scales(sc, _mm256_slli_epi16(sc, 5), out);
        out->d = out->dm = f16(b->d);
        return;
    }
    case LF_TYPE_Q3_K: {
        const block_q3_K *b = (const block_q3_K *)row + j;
        __m256i hmask = load256(b->hmask);
        for (int half = 0; half < 2; half++) {
            __m256i bits = load256(b->qs + 32 * half);
            for (int plane = 0; plane < 4; plane++) out->u[4 * half + plane] = q3_K_slice(bits, hmask, half, plane);
        }
        __m256i sc = q3_K_scales16(b);
        kq_store_scales(sc, _mm256_slli_epi16(sc, 2), out);
        out->d = out->dm = f16(b->d);
        return;
    }
    case LF_TYPE_Q5_K: {
        const block_q5_K *b = (const block_q5_K *)row + j;
        __m256i hbits = load256(b->qh);
        for (int c = 0; c < 4; c++) q5_K_chunk(load256(b->qs + 32 * c), hbits, c, &out->u[2 * c], &out->u[2 * c + 1]);
        uint8_t sc[8], mn[8];
        k_scales_mins(b->scales, sc, mn);
        for (int g = 0; g < 16; g++) out->sc[g] = sc[g / 2], out->mn[g] = mn[g / 2];
        out->d = f16(b->d), out->dm = f16(b->dmin);
        return;
    }
    default: { /* Q2_K */
        const block_q2_K *b = (const block_q2_K *)row + j;
        for (int half = 0; half < 2; half++) {
            __m256i bits = load256(b->qs + 32 * half);
            for (int plane = 0; plane < 4; plane++) out->u[4 * half + plane] = q2_K_slice(bits, plane);
        }
        __m256i mn;
        __m256i sc = q2_K_scales16(b, &mn);
        kq_store_scales(sc, mn, out);
        out->d = f16(b->d), out->dm = f16(b->dmin);
        return;
    }
    }
}

/* The group sums (B_2s, B_2s+1) of 32-element block i of a Q8_K activation row (NULL: a
 * padding lane) as one int32 of two int16. */
static inline int32_t kq_lane_bsums(const char *row, int64_t i) {
    if (!row) return 0;
    const block_q8_K *x = (const block_q8_K *)row + i / 8;
    int32_t v;
    memcpy(&v, x->bsums + 2 * (i % 8), sizeof v);
    return v;
}

#endif
