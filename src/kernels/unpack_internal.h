/* Unpacking one block into its integer quant values, in element order. Shared by the
 * scalar dequantization and the scalar dot products so the bit layouts live in one place.
 * Returned values are the signed integers the scale multiplies:
 *   Q4_0 -8..7, IQ4_NL the table iq4nl_values (-127..113), Q4_1 0..15, Q5_0 -16..15, Q5_1 0..31,
 *   Q2_K 0..3, Q3_K -4..3, Q4_K 0..15, Q5_K 0..31, Q6_K -32..31. */
#ifndef LF_KERNELS_UNPACK_INTERNAL_H
#define LF_KERNELS_UNPACK_INTERNAL_H

#include "kernels/blocks_internal.h"

/* Legacy 4-bit: byte j holds element j (low nibble) and element j+16 (high nibble). */
static inline void unpack_nibbles32(const uint8_t qs[QK / 2], int offset, int8_t q[QK]) {
    for (int j = 0; j < QK / 2; j++) {
        q[j] = (int8_t)((qs[j] & 0x0F) - offset);
        q[j + QK / 2] = (int8_t)((qs[j] >> 4) - offset);
    }
}

/* IQ4_NL: the nibbles of unpack_nibbles32, each an index into iq4nl_values. */
static inline void unpack_iq4_nl(const uint8_t qs[QK / 2], int8_t q[QK]) {
    for (int j = 0; j < QK / 2; j++) {
        q[j] = iq4nl_values[qs[j] & 0x0F];
        q[j + QK / 2] = iq4nl_values[qs[j] >> 4];
    }
}

/* Legacy 5-bit: nibbles as above, fifth bit of element j is bit j of little-endian qh. */
static inline void unpack_q5(const uint8_t qh[4], const uint8_t qs[QK / 2], int offset,
                             int8_t q[QK]) {
    for (int j = 0; j < QK; j++) {
        int nibble = j < QK / 2 ? qs[j] & 0x0F : qs[j - QK / 2] >> 4;
        int high = (qh[j >> 3] >> (j & 7)) & 1;
        q[j] = (int8_t)((nibble | (high << 4)) - offset);
    }
}

/* Q2_K/Q3_K low bits: each 32-byte half of qs holds 128 weights as four 2-bit planes. */
static inline int two_bit_plane(const uint8_t qs[QK_K / 4], int e) {
    int half = e / 128, plane = (e % 128) / 32;
    return (qs[half * 32 + e % 32] >> (2 * plane)) & 3;
}

static inline void unpack_q2_K(const block_q2_K *b, int8_t q[QK_K]) {
    for (int e = 0; e < QK_K; e++) q[e] = (int8_t)two_bit_plane(b->qs, e);
}

/* Q3_K: bit (e/32) of hmask[e%32] set means the weight has no -4 offset. */
static inline void unpack_q3_K(const block_q3_K *b, int8_t q[QK_K]) {
    for (int e = 0; e < QK_K; e++) {
        int high = (b->hmask[e % 32] >> (e / 32)) & 1;
        q[e] = (int8_t)(two_bit_plane(b->qs, e) - (high ? 0 : 4));
    }
}

/* Q4_K/Q5_K nibbles: each 32-byte chunk of qs holds 64 weights, low nibbles first. */
static inline int k_nibble(const uint8_t qs[QK_K / 2], int e) {
    return (qs[(e / 64) * 32 + e % 32] >> (4 * ((e / 32) & 1))) & 0x0F;
}

static inline void unpack_q4_K(const block_q4_K *b, int8_t q[QK_K]) {
    for (int e = 0; e < QK_K; e++) q[e] = (int8_t)k_nibble(b->qs, e);
}

/* Q5_K: fifth bit of weight 32g+l is bit g of qh[l]. */
static inline void unpack_q5_K(const block_q5_K *b, int8_t q[QK_K]) {
    for (int e = 0; e < QK_K; e++)
        q[e] = (int8_t)(k_nibble(b->qs, e) | (((b->qh[e % 32] >> (e / 32)) & 1) << 4));
}

/* Q6_K: per 128-weight half, 64 bytes of ql (two nibble planes of 64) and 32 bytes of
 * qh (four 2-bit planes of 32). */
static inline void unpack_q6_K(const block_q6_K *b, int8_t q[QK_K]) {
    for (int e = 0; e < QK_K; e++) {
        int half = e / 128, r = e % 128;
        int low = (b->ql[half * 64 + r % 64] >> (4 * (r / 64))) & 0x0F;
        int high = (b->qh[half * 32 + r % 32] >> (2 * (r / 32))) & 3;
        q[e] = (int8_t)((low | (high << 4)) - 32);
    }
}

#endif
