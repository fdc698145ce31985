/* Scalar reference attention tile kernels (see attention_kernels.h): the oracle the SIMD
 * variants are tested against, and what runs where there is no SIMD. */
#include <math.h>

#include "kernels/attention_kernels.h"
#include "kernels/blocks_internal.h"

static void f32_to_f16_scalar(uint16_t *dst, const float *src, int64_t n) {
    for (int64_t i = 0; i < n; i++) dst[i] = lf_f32_to_f16(src[i]);
}

static void f16_to_f32_scalar(float *dst, const uint16_t *src, int64_t n) {
    for (int64_t i = 0; i < n; i++) dst[i] = lf_f16_to_f32(src[i]);
}

static void f32_to_q8_0_scalar(void *dst, const float *src, int64_t n) {
    block_q8_0 *b = dst;
    for (int64_t i = 0; i < n / 32; i++, src += 32) {
        float amax = 0.0f;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(src[j]));
        float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = lf_f32_to_f16(d);
        for (int j = 0; j < 32; j++) b[i].qs[j] = (int8_t)nearbyintf(src[j] * id);
    }
}

static void q8_0_to_f32_scalar(float *dst, const void *src, int64_t n) { lf_dequantize_row(LF_TYPE_Q8_0, src, dst, n); }

/* Value i of rows of F32 or F16 values. */
static float kv_value(const void *rows, lf_type type, size_t i) {
    return type == LF_TYPE_F16 ? lf_f16_to_f32(((const uint16_t *)rows)[i]) : ((const float *)rows)[i];
}

static void qk_scalar(const float *q, int rows, const void *k, lf_type k_type, int np, int hd, float *s,
                      int s_stride) {
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < np; j++) {
            float sum = 0.0f;
            for (int d = 0; d < hd; d++) sum += q[(size_t)r * hd + d] * kv_value(k, k_type, (size_t)j * hd + d);
            s[(size_t)r * s_stride + j] = sum;
        }
}

static void pv_scalar(float *o, const float *c, int rows, const float *p, int p_stride, const void *v,
                      lf_type v_type, int np, int hd) {
    for (int r = 0; r < rows; r++) {
        float *orow = o + (size_t)r * hd;
        for (int d = 0; d < hd; d++) orow[d] *= c[r];
        for (int j = 0; j < np; j++) {
            float w = p[(size_t)r * p_stride + j];
            for (int d = 0; d < hd; d++) orow[d] += w * kv_value(v, v_type, (size_t)j * hd + d);
        }
    }
}

static const lf_attn_kernels scalar_kernels = {"scalar",           f32_to_f16_scalar, f16_to_f32_scalar,
                                               f32_to_q8_0_scalar, q8_0_to_f32_scalar, qk_scalar,
                                               pv_scalar, lf_attn_softmax_rows};

const lf_attn_kernels *lf_attn_kernels_scalar(void) { return &scalar_kernels; }
