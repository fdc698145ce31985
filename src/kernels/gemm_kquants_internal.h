/* The weight side of the int8 prompt GEMMs for the K-quants (Q2_K, Q3_K, Q5_K, Q6_K in
 * gemm_avx2_kquants.c; those and Q4_K in gemm_avx512_kquants.c): one super-block
 * unpacked into unsigned bytes and integer group coefficients in a single form,
 *     w_e = d * sc_g * u_e - dm * mn_g        (u_e >= 0, g = e / 16),
 * where Q2_K, Q4_K and Q5_K store dm = dmin and the mins mn (Q4_K's and Q5_K's eight
 * 32-weight groups as
 * sixteen halves with equal coefficients), and Q6_K and Q3_K are u - 32 and u - 4
 * scaled by a signed scale, so dm = d and mn = 32 sc or 4 sc. Then
 *     sum_e w_e x_e = d * sum_g sc_g * (u . x)_g - dm * sum_g mn_g * B_g
 * with B_g the sum of the activation bytes of group g (Q8_K's bsums), and every sum over
 * a super-block stays exact in int32 (|u . x| <= 16 * 63 * 128 per group, |sc| <= 128,
 * |mn| <= 4096). The activation side adds to the lane groups of gemm_lanes_internal.h
 * the pair (B_2s, B_2s+1) of each 32-element block s. */
#ifndef LF_KERNELS_GEMM_KQUANTS_INTERNAL_H
#define LF_KERNELS_GEMM_KQUANTS_INTERNAL_H

#include "kernels/gemm_int8_internal.h"
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

/* Super-block j of a row of type (Q2_K, Q3_K, Q4_K, Q5_K or Q6_K). */
static inline LF_AVX2 void kq_unpack(lf_type type, const char *row, int64_t j, kq_superblock *out) {
    if (type == LF_TYPE_Q6_K) {
        const block_q6_K *b = (const block_q6_K *)row + j;
        q6_K_half(b, 0, out->u);
        q6_K_half(b, 1, out->u + 4);
        __m256i sc = q6_K_scales16(b);
        kq_store_scales(sc, _mm256_slli_epi16(sc, 5), out);
        out->d = out->dm = f16(b->d);
    } else if (type == LF_TYPE_Q5_K || type == LF_TYPE_Q4_K) { /* Q4_K: Q5_K without fifth bits */
        bool q5 = type == LF_TYPE_Q5_K;
        const block_q5_K *b5 = q5 ? (const block_q5_K *)row + j : NULL;
        const block_q4_K *b4 = q5 ? NULL : (const block_q4_K *)row + j;
        const uint8_t *qs = q5 ? b5->qs : b4->qs;
        __m256i hbits = q5 ? load256(b5->qh) : _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            if (q5) q5_K_chunk(load256(qs + 32 * c), hbits, c, &out->u[2 * c], &out->u[2 * c + 1]);
            else q4_K_chunk(load256(qs + 32 * c), &out->u[2 * c], &out->u[2 * c + 1]);
        }
        uint64_t sc, mn; /* each 32-weight group's coefficients twice, built in registers */
        k_scales_mins64(q5 ? b5->scales : b4->scales, &sc, &mn);
        __m128i sc8 = _mm_set_epi64x(0, (long long)sc), mn8 = _mm_set_epi64x(0, (long long)mn);
        kq_store_scales(_mm256_cvtepu8_epi16(_mm_unpacklo_epi8(sc8, sc8)),
                        _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mn8, mn8)), out);
        out->d = f16(q5 ? b5->d : b4->d), out->dm = f16(q5 ? b5->dmin : b4->dmin);
    } else { /* Q3_K and Q2_K: two-bit planes, Q3_K's with a third bit in hmask */
        bool q3 = type == LF_TYPE_Q3_K;
        const block_q3_K *b3 = q3 ? (const block_q3_K *)row + j : NULL;
        const block_q2_K *b2 = q3 ? NULL : (const block_q2_K *)row + j;
        __m256i hmask = q3 ? load256(b3->hmask) : _mm256_setzero_si256();
        for (int half = 0; half < 2; half++) {
            __m256i bits = load256((q3 ? b3->qs : b2->qs) + 32 * half);
            for (int plane = 0; plane < 4; plane++)
                out->u[4 * half + plane] = q3 ? q3_K_slice(bits, hmask, half, plane) : q2_K_slice(bits, plane);
        }
        __m256i mn = _mm256_setzero_si256(), sc = q3 ? q3_K_scales16(b3) : q2_K_scales16(b2, &mn);
        kq_store_scales(sc, q3 ? _mm256_slli_epi16(sc, 2) : mn, out);
        out->d = f16(q3 ? b3->d : b2->d), out->dm = q3 ? out->d : f16(b2->dmin);
    }
}

/* What a tile keeps of a 32-element block s of one row: the coefficients of its groups
 * 2s and 2s+1, the minima negated (-mn). */
typedef struct kq_coeffs {
    int16_t sc[2], neg_mn[2];
    float d, dm;
} kq_coeffs;

/* Blocks [b0, b0 + nb) of a row (NULL: a padding row, all zero): block i's 32 bytes to
 * q + i * q_stride, its coefficients to c[i * c_stride]. */
static inline LF_AVX2 void kq_unpack_blocks(lf_type type, const char *row, int64_t b0, int64_t nb, uint8_t *q,
                                            size_t q_stride, kq_coeffs *c, size_t c_stride) {
    kq_superblock sb;
    for (int64_t i = 0; i < nb; i++) {
        kq_coeffs *ci = c + (size_t)i * c_stride;
        if (!row) {
            memset(q + (size_t)i * q_stride, 0, 32);
            *ci = (kq_coeffs){{0, 0}, {0, 0}, 0.0f, 0.0f};
            continue;
        }
        int s = (int)((b0 + i) % 8);
        if (i == 0 || s == 0) kq_unpack(type, row, (b0 + i) / 8, &sb);
        _mm256_storeu_si256((__m256i *)(q + (size_t)i * q_stride), sb.u[s]);
        *ci = (kq_coeffs){{sb.sc[2 * s], sb.sc[2 * s + 1]}, {(int16_t)-sb.mn[2 * s], (int16_t)-sb.mn[2 * s + 1]}, sb.d,
                          sb.dm};
    }
}

/* One 32-element block of a group of n lanes: q[k][lane] = elements 4k..4k+3 of that
 * lane, the lanes' Q8_K scales and their group sums (B_2s, B_2s+1), int16 each. */
#define KQ_LANE_BLOCK(n)          \
    struct {                      \
        int8_t q[8][n][4];        \
        float d[n];               \
        int32_t bsums[n];         \
    }

/* Block i of eight lanes (NULL: padding) of Q8_K activations into a lane block: run k
 * (elements 4k..4k+3 of the eight lanes) at q + k * run_stride, the lane scales to d and
 * the lanes' group sums (B_2s, B_2s+1) of the block, int16 each, to bsums. */
static inline LF_AVX2 void kq_pack_lanes8(const char *const src[8], int64_t i, int8_t *q, size_t run_stride,
                                          float d[8], int32_t bsums[8]) {
    __m256i runs[8];
    gemm_transpose_runs(src, LF_TYPE_Q8_K, i, runs, d);
    for (int k = 0; k < 8; k++) _mm256_storeu_si256((__m256i *)(q + (size_t)k * run_stride), runs[k]);
    for (int l = 0; l < 8; l++) {
        bsums[l] = 0;
        if (src[l]) memcpy(&bsums[l], ((const block_q8_K *)src[l] + i / 8)->bsums + 2 * (i % 8), sizeof bsums[l]);
    }
}

#endif
