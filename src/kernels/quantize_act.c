/* Activation quantization: the float vector a matrix-vector product multiplies is
 * converted once to the integer block format the weight type's dot product consumes.
 * Quants use the symmetric range [-127, 127] so that the SIMD kernels' sign tricks and
 * 16-bit pair sums can never saturate. */
#include "kernels/blocks_internal.h"
#include "kernels/kernels_internal.h"
#include "kernels/quantize_act_internal.h"

#include <math.h>
#include <string.h>

/* The largest |x| of the block; NaNs are skipped (as fmaxf would), without a libm call. */
static float block_absmax(const float *x, int n) {
    float amax = 0.0f;
    for (int j = 0; j < n; j++) {
        float a = fabsf(x[j]);
        amax = a > amax ? a : amax;
    }
    return amax;
}

/* The quant of x * id: NaN gives 0, the product is clamped to [-127, 127] and rounded to
 * nearest, ties to even (the default rounding mode; adding and subtracting 1.5 * 2^23
 * rounds any |v| < 2^22 to an integer). The SIMD variants use the same clamp and the
 * CPU's float-to-int conversion, which rounds the same way, so they match bit for bit. */
static int quant(float x, float id) {
    float v = x * id;
    if (v != v) v = 0.0f;
    v = v > 127.0f ? 127.0f : v < -127.0f ? -127.0f : v;
    return (int)((float)(v + 0x1.8p23f) - 0x1.8p23f);
}

/* Quantizes n values with inverse scale id; returns the sum of the quants. */
static int quantize_block(const float *x, int n, float id, int8_t *q) {
    int sum = 0;
    for (int j = 0; j < n; j++) {
        int v = quant(x[j], id);
        q[j] = (int8_t)v;
        sum += v;
    }
    return sum;
}

static void quantize_q8_0(const float *x, void *yv, int64_t nb) {
    block_q8_0 *y = yv;
    for (int64_t i = 0; i < nb; i++, x += QK) {
        /* quantize with the scale as stored (fp16-rounded) so dequantization is consistent */
        uint16_t dh = lf_f32_to_f16(block_absmax(x, QK) / 127.0f);
        y[i].d = dh;
        quantize_block(x, QK, act_inverse_scale(lf_f16_to_f32(dh)), y[i].qs);
    }
}

static void quantize_q8_1(const float *x, void *yv, int64_t nb) {
    block_q8_1 *y = yv;
    for (int64_t i = 0; i < nb; i++, x += QK) {
        float d = block_absmax(x, QK) / 127.0f;
        int sum = quantize_block(x, QK, act_inverse_scale(d), y[i].qs);
        y[i].d = d;
        y[i].s = d * (float)sum;
    }
}

static void quantize_q8_K(const float *x, void *yv, int64_t nb) {
    block_q8_K *y = yv;
    for (int64_t i = 0; i < nb; i++, x += QK_K) {
        float d = block_absmax(x, QK_K) / 127.0f;
        float id = act_inverse_scale(d);
        y[i].d = d;
        for (int g = 0; g < QK_K / 16; g++)
            y[i].bsums[g] = (int16_t)quantize_block(x + 16 * g, 16, id, y[i].qs + 16 * g);
    }
}

void lf_kernels_fill_scalar_act(lf_kernel_table *t) {
    t->quantize_act[LF_TYPE_Q8_0] = quantize_q8_0;
    t->quantize_act[LF_TYPE_Q8_1] = quantize_q8_1;
    t->quantize_act[LF_TYPE_Q8_K] = quantize_q8_K;
}

lf_type lf_act_type(lf_type weight_type) {
    switch (weight_type) {
    case LF_TYPE_Q4_0:
    case LF_TYPE_Q5_0:
    case LF_TYPE_Q8_0:
    case LF_TYPE_IQ4_NL: return LF_TYPE_Q8_0;
    case LF_TYPE_Q4_1:
    case LF_TYPE_Q5_1: return LF_TYPE_Q8_1;
    case LF_TYPE_Q2_K:
    case LF_TYPE_Q3_K:
    case LF_TYPE_Q4_K:
    case LF_TYPE_Q5_K:
    case LF_TYPE_Q6_K: return LF_TYPE_Q8_K;
    default: return LF_TYPE_F32;
    }
}

size_t lf_act_row_bytes(lf_type weight_type, int64_t n) {
    uint64_t bytes = 0;
    if (n < 0 || !lf_type_row_bytes(lf_act_type(weight_type), (uint64_t)n, &bytes)) return 0;
    return (size_t)bytes;
}

void lf_quantize_act(lf_type weight_type, const float *x, void *xq, int64_t n) {
    lf_type at = lf_act_type(weight_type);
    if (at == LF_TYPE_F32) {
        memmove(xq, x, (size_t)n * sizeof(float));
        return;
    }
    lf_kernels_table()->quantize_act[at](x, xq, n / (at == LF_TYPE_Q8_K ? QK_K : QK));
}
