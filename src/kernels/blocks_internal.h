/* Byte layouts of the GGML block types, exactly as they are stored in GGUF files
 * (little-endian, no padding). Q8_1 and Q8_K never appear in files: they are the
 * activation formats the integer dot products consume. */
#ifndef LF_KERNELS_BLOCKS_INTERNAL_H
#define LF_KERNELS_BLOCKS_INTERNAL_H

#include <stdint.h>

#define QK 32    /* weights per legacy block */
#define QK_K 256 /* weights per K-quant super-block */

typedef struct { uint16_t d; uint8_t qs[QK / 2]; } block_q4_0;              /* (q-8)*d */
typedef struct { uint16_t d, m; uint8_t qs[QK / 2]; } block_q4_1;           /* q*d + m */
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[QK / 2]; } block_q5_0; /* (q-16)*d */
typedef struct { uint16_t d, m; uint8_t qh[4]; uint8_t qs[QK / 2]; } block_q5_1;
typedef struct { uint16_t d; int8_t qs[QK]; } block_q8_0;
/* IQ4_NL: Q4_0's layout, weight = d * iq4nl_values[nibble]. */
typedef struct { uint16_t d; uint8_t qs[QK / 2]; } block_iq4_nl;
/* Activations for Q4_1/Q5_1: s = d * sum(qs) carries the term the weight minimum
 * multiplies. fp32 scales (GGUF's size table lists this 40-byte form). */
typedef struct { float d, s; int8_t qs[QK]; } block_q8_1;

/* Two-bit weights: 16 groups of 16, 4-bit scale and 4-bit min per group. */
typedef struct {
    uint8_t scales[QK_K / 16];
    uint8_t qs[QK_K / 4];
    uint16_t d, dmin;
} block_q2_K;

/* Three-bit weights: low two bits in qs, third bit in hmask, 16 six-bit signed scales. */
typedef struct {
    uint8_t hmask[QK_K / 8];
    uint8_t qs[QK_K / 4];
    uint8_t scales[12];
    uint16_t d;
} block_q3_K;

/* Four-bit weights: 8 groups of 32 with six-bit scale and min each (packed in 12 bytes). */
typedef struct {
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qs[QK_K / 2];
} block_q4_K;

typedef struct {
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qh[QK_K / 8];
    uint8_t qs[QK_K / 2];
} block_q5_K;

/* Six-bit weights: 16 groups of 16 with int8 scales. */
typedef struct {
    uint8_t ql[QK_K / 2];
    uint8_t qh[QK_K / 4];
    int8_t scales[QK_K / 16];
    uint16_t d;
} block_q6_K;

/* Activations for every K-quant: bsums[j] = sum of qs[16j .. 16j+15]. */
typedef struct {
    float d;
    int8_t qs[QK_K];
    int16_t bsums[QK_K / 16];
} block_q8_K;

_Static_assert(sizeof(block_q4_0) == 18, "Q4_0 layout");
_Static_assert(sizeof(block_q4_1) == 20, "Q4_1 layout");
_Static_assert(sizeof(block_q5_0) == 22, "Q5_0 layout");
_Static_assert(sizeof(block_q5_1) == 24, "Q5_1 layout");
_Static_assert(sizeof(block_q8_0) == 34, "Q8_0 layout");
_Static_assert(sizeof(block_iq4_nl) == 18, "IQ4_NL layout");
_Static_assert(sizeof(block_q8_1) == 40, "Q8_1 layout");
_Static_assert(sizeof(block_q2_K) == 84, "Q2_K layout");
_Static_assert(sizeof(block_q3_K) == 110, "Q3_K layout");
_Static_assert(sizeof(block_q4_K) == 144, "Q4_K layout");
_Static_assert(sizeof(block_q5_K) == 176, "Q5_K layout");
_Static_assert(sizeof(block_q6_K) == 210, "Q6_K layout");
_Static_assert(sizeof(block_q8_K) == 292, "Q8_K layout");

/* The 16 levels of IQ4_NL (ggml's kvalues_iq4nl), denser near zero where weights are. */
static const int8_t iq4nl_values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

/* Six-bit scale and min of group j (0..7) of a Q4_K/Q5_K super-block. */
static inline void k_scale_min(const uint8_t *scales, int j, uint8_t *sc, uint8_t *m) {
    if (j < 4) {
        *sc = scales[j] & 63;
        *m = scales[j + 4] & 63;
    } else {
        *sc = (uint8_t)((scales[j + 4] & 0x0F) | ((scales[j - 4] >> 6) << 4));
        *m = (uint8_t)((scales[j + 4] >> 4) | ((scales[j] >> 6) << 4));
    }
}

/* Signed six-bit scale of group j (0..15) of a Q3_K super-block. */
static inline int q3_k_scale(const uint8_t *scales, int j) {
    int low = j < 8 ? scales[j] & 0x0F : scales[j - 8] >> 4;
    int high = (scales[8 + (j & 3)] >> (2 * (j >> 2))) & 3;
    return (low | (high << 4)) - 32;
}

#endif
