/* Scalar reference dequantization. Element order and the order of floating-point
 * operations follow the GGML reference (and the Python gguf package) so the results
 * match bit for bit. */
#include "kernels/blocks_internal.h"
#include "kernels/kernels.h"

#include <string.h>

static void dequant_q4_0(const block_q4_0 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += QK) {
        float d = lf_f16_to_f32(b[i].d);
        for (int j = 0; j < QK / 2; j++) {
            y[j] = d * (float)((b[i].qs[j] & 0x0F) - 8);
            y[j + QK / 2] = d * (float)((b[i].qs[j] >> 4) - 8);
        }
    }
}

static void dequant_q4_1(const block_q4_1 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += QK) {
        float d = lf_f16_to_f32(b[i].d), m = lf_f16_to_f32(b[i].m);
        for (int j = 0; j < QK / 2; j++) {
            y[j] = d * (float)(b[i].qs[j] & 0x0F) + m;
            y[j + QK / 2] = d * (float)(b[i].qs[j] >> 4) + m;
        }
    }
}

/* Fifth bit of element j of a Q5 block: bit j of the little-endian 32-bit qh. */
static int q5_high_bit(const uint8_t qh[4], int j) { return (qh[j >> 3] >> (j & 7)) & 1; }

static void dequant_q5_0(const block_q5_0 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += QK) {
        float d = lf_f16_to_f32(b[i].d);
        for (int j = 0; j < QK / 2; j++) {
            int lo = (b[i].qs[j] & 0x0F) | (q5_high_bit(b[i].qh, j) << 4);
            int hi = (b[i].qs[j] >> 4) | (q5_high_bit(b[i].qh, j + QK / 2) << 4);
            y[j] = d * (float)(lo - 16);
            y[j + QK / 2] = d * (float)(hi - 16);
        }
    }
}

static void dequant_q5_1(const block_q5_1 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += QK) {
        float d = lf_f16_to_f32(b[i].d), m = lf_f16_to_f32(b[i].m);
        for (int j = 0; j < QK / 2; j++) {
            int lo = (b[i].qs[j] & 0x0F) | (q5_high_bit(b[i].qh, j) << 4);
            int hi = (b[i].qs[j] >> 4) | (q5_high_bit(b[i].qh, j + QK / 2) << 4);
            y[j] = d * (float)lo + m;
            y[j + QK / 2] = d * (float)hi + m;
        }
    }
}

static void dequant_q8_0(const block_q8_0 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += QK) {
        float d = lf_f16_to_f32(b[i].d);
        for (int j = 0; j < QK; j++) y[j] = (float)b[i].qs[j] * d;
    }
}

static void dequant_q8_1(const block_q8_1 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += QK)
        for (int j = 0; j < QK; j++) y[j] = (float)b[i].qs[j] * b[i].d;
}

/* Q2_K: each 32-byte half of qs holds 128 weights as four 2-bit planes of 32. */
static void dequant_q2_K(const block_q2_K *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += QK_K) {
        float d = lf_f16_to_f32(b[i].d), dmin = lf_f16_to_f32(b[i].dmin);
        for (int e = 0; e < QK_K; e++) {
            int half = e / 128, plane = (e % 128) / 32, l = e % 32;
            int q = (b[i].qs[half * 32 + l] >> (2 * plane)) & 3;
            uint8_t sc = b[i].scales[e / 16];
            float dl = d * (float)(sc & 0x0F), ml = dmin * (float)(sc >> 4);
            y[e] = dl * (float)q - ml;
        }
    }
}

/* Q3_K: low two bits as in Q2_K; bit (e/32) of hmask[e%32] set means "no -4 offset". */
static void dequant_q3_K(const block_q3_K *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += QK_K) {
        float d = lf_f16_to_f32(b[i].d);
        for (int e = 0; e < QK_K; e++) {
            int half = e / 128, plane = (e % 128) / 32, l = e % 32;
            int low = (b[i].qs[half * 32 + l] >> (2 * plane)) & 3;
            int high = (b[i].hmask[l] >> (e / 32)) & 1;
            float dl = d * (float)q3_k_scale(b[i].scales, e / 16);
            y[e] = dl * (float)(low - (high ? 0 : 4));
        }
    }
}

/* Q4_K: each 32-byte chunk of qs holds 64 weights: low nibbles first, then high. */
static void dequant_q4_K(const block_q4_K *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += QK_K) {
        float d = lf_f16_to_f32(b[i].d), dmin = lf_f16_to_f32(b[i].dmin);
        for (int g = 0; g < 8; g++) {
            uint8_t sc, m;
            k_scale_min(b[i].scales, g, &sc, &m);
            float dl = d * (float)sc, ml = dmin * (float)m;
            const uint8_t *qs = b[i].qs + (g / 2) * 32;
            int shift = (g & 1) * 4;
            for (int l = 0; l < 32; l++) y[g * 32 + l] = dl * (float)((qs[l] >> shift) & 0x0F) - ml;
        }
    }
}

/* Q5_K: Q4_K nibbles plus a fifth bit: bit g of qh[l] for weight 32g+l. */
static void dequant_q5_K(const block_q5_K *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += QK_K) {
        float d = lf_f16_to_f32(b[i].d), dmin = lf_f16_to_f32(b[i].dmin);
        for (int g = 0; g < 8; g++) {
            uint8_t sc, m;
            k_scale_min(b[i].scales, g, &sc, &m);
            float dl = d * (float)sc, ml = dmin * (float)m;
            const uint8_t *qs = b[i].qs + (g / 2) * 32;
            int shift = (g & 1) * 4;
            for (int l = 0; l < 32; l++) {
                int q = ((qs[l] >> shift) & 0x0F) | (((b[i].qh[l] >> g) & 1) << 4);
                y[g * 32 + l] = dl * (float)q - ml;
            }
        }
    }
}

/* Q6_K: per 128-weight half, ql holds 64 bytes (nibble planes of 64) and qh 32 bytes
 * (four 2-bit planes of 32). */
static void dequant_q6_K(const block_q6_K *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += QK_K) {
        float d = lf_f16_to_f32(b[i].d);
        for (int e = 0; e < QK_K; e++) {
            int half = e / 128, r = e % 128;
            int low = (b[i].ql[half * 64 + r % 64] >> (4 * (r / 64))) & 0x0F;
            int high = (b[i].qh[half * 32 + r % 32] >> (2 * (r / 32))) & 3;
            float dl = d * (float)b[i].scales[e / 16];
            y[e] = dl * (float)((low | (high << 4)) - 32);
        }
    }
}

static void dequant_q8_K(const block_q8_K *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += QK_K)
        for (int j = 0; j < QK_K; j++) y[j] = b[i].d * (float)b[i].qs[j];
}

void lf_dequantize_row(lf_type type, const void *src, float *dst, int64_t n) {
    switch (type) {
    case LF_TYPE_F32: memcpy(dst, src, (size_t)n * sizeof(float)); break;
    case LF_TYPE_F16:
        for (int64_t i = 0; i < n; i++) dst[i] = lf_f16_to_f32(((const uint16_t *)src)[i]);
        break;
    case LF_TYPE_BF16:
        for (int64_t i = 0; i < n; i++) dst[i] = lf_bf16_to_f32(((const uint16_t *)src)[i]);
        break;
    case LF_TYPE_Q4_0: dequant_q4_0(src, dst, n / QK); break;
    case LF_TYPE_Q4_1: dequant_q4_1(src, dst, n / QK); break;
    case LF_TYPE_Q5_0: dequant_q5_0(src, dst, n / QK); break;
    case LF_TYPE_Q5_1: dequant_q5_1(src, dst, n / QK); break;
    case LF_TYPE_Q8_0: dequant_q8_0(src, dst, n / QK); break;
    case LF_TYPE_Q8_1: dequant_q8_1(src, dst, n / QK); break;
    case LF_TYPE_Q2_K: dequant_q2_K(src, dst, n / QK_K); break;
    case LF_TYPE_Q3_K: dequant_q3_K(src, dst, n / QK_K); break;
    case LF_TYPE_Q4_K: dequant_q4_K(src, dst, n / QK_K); break;
    case LF_TYPE_Q5_K: dequant_q5_K(src, dst, n / QK_K); break;
    case LF_TYPE_Q6_K: dequant_q6_K(src, dst, n / QK_K); break;
    case LF_TYPE_Q8_K: dequant_q8_K(src, dst, n / QK_K); break;
    case LF_TYPE_COUNT: break;
    }
}
