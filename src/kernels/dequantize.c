/* Scalar reference dequantization. The order of floating-point operations follows the
 * GGML reference (and the Python gguf package) so the results match bit for bit. */
#include "kernels/kernels.h"
#include "kernels/unpack_internal.h"

#include <string.h>

static void dequant_q4_0(const block_q4_0 *b, float *y, int64_t nb) {
    int8_t q[QK];
    for (int64_t i = 0; i < nb; i++, y += QK) {
        float d = lf_f16_to_f32(b[i].d);
        unpack_nibbles32(b[i].qs, 8, q);
        for (int j = 0; j < QK; j++) y[j] = d * (float)q[j];
    }
}

static void dequant_iq4_nl(const block_iq4_nl *b, float *y, int64_t nb) {
    int8_t q[QK];
    for (int64_t i = 0; i < nb; i++, y += QK) {
        float d = lf_f16_to_f32(b[i].d);
        unpack_iq4_nl(b[i].qs, q);
        for (int j = 0; j < QK; j++) y[j] = d * (float)q[j];
    }
}

static void dequant_q4_1(const block_q4_1 *b, float *y, int64_t nb) {
    int8_t q[QK];
    for (int64_t i = 0; i < nb; i++, y += QK) {
        float d = lf_f16_to_f32(b[i].d), m = lf_f16_to_f32(b[i].m);
        unpack_nibbles32(b[i].qs, 0, q);
        for (int j = 0; j < QK; j++) y[j] = d * (float)q[j] + m;
    }
}

static void dequant_q5_0(const block_q5_0 *b, float *y, int64_t nb) {
    int8_t q[QK];
    for (int64_t i = 0; i < nb; i++, y += QK) {
        float d = lf_f16_to_f32(b[i].d);
        unpack_q5(b[i].qh, b[i].qs, 16, q);
        for (int j = 0; j < QK; j++) y[j] = d * (float)q[j];
    }
}

static void dequant_q5_1(const block_q5_1 *b, float *y, int64_t nb) {
    int8_t q[QK];
    for (int64_t i = 0; i < nb; i++, y += QK) {
        float d = lf_f16_to_f32(b[i].d), m = lf_f16_to_f32(b[i].m);
        unpack_q5(b[i].qh, b[i].qs, 0, q);
        for (int j = 0; j < QK; j++) y[j] = d * (float)q[j] + m;
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

static void dequant_q2_K(const block_q2_K *b, float *y, int64_t nb) {
    int8_t q[QK_K];
    for (int64_t i = 0; i < nb; i++, y += QK_K) {
        float d = lf_f16_to_f32(b[i].d), dmin = lf_f16_to_f32(b[i].dmin);
        unpack_q2_K(&b[i], q);
        for (int e = 0; e < QK_K; e++) {
            uint8_t sc = b[i].scales[e / 16];
            float dl = d * (float)(sc & 0x0F), ml = dmin * (float)(sc >> 4);
            y[e] = dl * (float)q[e] - ml;
        }
    }
}

static void dequant_q3_K(const block_q3_K *b, float *y, int64_t nb) {
    int8_t q[QK_K];
    for (int64_t i = 0; i < nb; i++, y += QK_K) {
        float d = lf_f16_to_f32(b[i].d);
        unpack_q3_K(&b[i], q);
        for (int e = 0; e < QK_K; e++) y[e] = d * (float)q3_k_scale(b[i].scales, e / 16) * (float)q[e];
    }
}

static void dequant_q4_K(const block_q4_K *b, float *y, int64_t nb) {
    int8_t q[QK_K];
    for (int64_t i = 0; i < nb; i++, y += QK_K) {
        float d = lf_f16_to_f32(b[i].d), dmin = lf_f16_to_f32(b[i].dmin);
        unpack_q4_K(&b[i], q);
        for (int e = 0; e < QK_K; e++) {
            uint8_t sc, m;
            k_scale_min(b[i].scales, e / 32, &sc, &m);
            y[e] = d * (float)sc * (float)q[e] - dmin * (float)m;
        }
    }
}

static void dequant_q5_K(const block_q5_K *b, float *y, int64_t nb) {
    int8_t q[QK_K];
    for (int64_t i = 0; i < nb; i++, y += QK_K) {
        float d = lf_f16_to_f32(b[i].d), dmin = lf_f16_to_f32(b[i].dmin);
        unpack_q5_K(&b[i], q);
        for (int e = 0; e < QK_K; e++) {
            uint8_t sc, m;
            k_scale_min(b[i].scales, e / 32, &sc, &m);
            y[e] = d * (float)sc * (float)q[e] - dmin * (float)m;
        }
    }
}

static void dequant_q6_K(const block_q6_K *b, float *y, int64_t nb) {
    int8_t q[QK_K];
    for (int64_t i = 0; i < nb; i++, y += QK_K) {
        float d = lf_f16_to_f32(b[i].d);
        unpack_q6_K(&b[i], q);
        for (int e = 0; e < QK_K; e++) y[e] = d * (float)b[i].scales[e / 16] * (float)q[e];
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
    case LF_TYPE_IQ4_NL: dequant_iq4_nl(src, dst, n / QK); break;
    case LF_TYPE_COUNT: break; /* not a type */
    }
}
