/* Reference quantization of f32 rows into GGUF block bytes, byte-identical to ggml's
 * quantize_row_*_ref (no importance matrix). The order and precision of every
 * floating-point operation follow ggml's, because a different rounding of one scale
 * changes the bytes. Non-finite inputs are refused: ggml's float-to-int conversions are
 * undefined for them, so there are no reference bytes to match. */
#include "kernels/blocks_internal.h"
#include "kernels/kernels.h"
#include "kernels/quantize_internal.h"

#include <math.h>
#include <string.h>

/* ggml truncates x + 0.5 (or + 8.5 ...) toward zero and clamps at the top; the clamp at
 * 0 and the NaN case only matter for scales whose reciprocal overflowed (tiny blocks),
 * where ggml's conversion is undefined and the Python gguf package clips. */
static int trunc_clamp(float v, int hi) {
    if (!(v >= 0.0f)) return 0;
    if (v >= (float)hi) return hi;
    return (int)v;
}

/* roundf (halves away from zero) clamped to [-hi, hi]; NaN gives 0. |v| <= hi up to
 * rounding except when a scale's reciprocal overflowed. Written out because the library
 * is built for baseline x86-64, where roundf, fminf and fmaxf are calls into libm (most
 * of the time of a Q8_0 row): below hi, v minus its truncation is exact, so comparing it
 * with one half rounds as roundf does. */
static int round_clamp(float v, int hi) {
    if (!(v == v)) return 0;
    if (v >= (float)hi) return hi;
    if (v <= -(float)hi) return -hi;
    int i = (int)v;
    float frac = v - (float)i;
    return i + (frac >= 0.5f) - (frac <= -0.5f);
}

/* Legacy blocks of 32: the 4- or 5-bit codes, the scale and (for the _1 types) the
 * minimum. Symmetric types scale by the value of largest magnitude, sign included. */
static void legacy_codes(const float *x, int bits, bool with_min, int q[QK], float *d_out, float *m_out) {
    int top = (1 << bits) - 1;
    if (with_min) {
        float mn = x[0], mx = x[0];
        for (int j = 1; j < QK; j++) {
            if (x[j] < mn) mn = x[j];
            if (x[j] > mx) mx = x[j];
        }
        float d = (mx - mn) / (float)top;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        for (int j = 0; j < QK; j++) q[j] = trunc_clamp((x[j] - mn) * id + 0.5f, top);
        *d_out = d;
        *m_out = mn;
        return;
    }
    float max = quantize_signed_absmax(x, QK);
    float half = (float)(1 << (bits - 1));
    float d = max / -half;
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < QK; j++) q[j] = trunc_clamp(x[j] * id + (half + 0.5f), top);
    *d_out = d;
    *m_out = 0.0f;
}

/* Element j goes to the low nibble of byte j, element j+16 to the high nibble; the
 * fifth bits of 5-bit codes go to bit j of the little-endian qh word. */
static void pack_low_nibbles(const int q[QK], uint8_t qs[QK / 2]) {
    for (int j = 0; j < QK / 2; j++) qs[j] = (uint8_t)((q[j] & 15) | ((q[j + QK / 2] & 15) << 4));
}

static void pack_fifth_bits(const int q[QK], uint8_t qh[4]) {
    uint32_t bits = 0;
    for (int j = 0; j < QK; j++) bits |= (uint32_t)((q[j] >> 4) & 1) << j;
    for (int k = 0; k < 4; k++) qh[k] = (uint8_t)(bits >> (8 * k));
}

void lf_quant_store_legacy(uint8_t *out, int bits, bool with_min, float d, float m, const int q[QK]) {
    uint16_t h[2] = {lf_f32_to_f16(d), lf_f32_to_f16(m)};
    size_t off = with_min ? 4 : 2;
    memcpy(out, h, off);
    if (bits == 5) {
        pack_fifth_bits(q, out + off);
        off += 4;
    }
    pack_low_nibbles(q, out + off);
}

static void quant_legacy(lf_type type, const float *x, int64_t nb, uint8_t *out) {
    int bits = type == LF_TYPE_Q5_0 || type == LF_TYPE_Q5_1 ? 5 : 4;
    bool with_min = type == LF_TYPE_Q4_1 || type == LF_TYPE_Q5_1;
    size_t block_bytes = (size_t)lf_type_get(type)->block_bytes;
    int q[QK];
    for (int64_t i = 0; i < nb; i++, x += QK, out += block_bytes) {
        float d, m;
        legacy_codes(x, bits, with_min, q, &d, &m);
        lf_quant_store_legacy(out, bits, with_min, d, m, q);
    }
}

static void quant_q8_0(const float *x, int64_t nb, block_q8_0 *y) {
    for (int64_t i = 0; i < nb; i++, x += QK) {
        float amax = 0.0f;
        for (int j = 0; j < QK; j++) amax = fabsf(x[j]) > amax ? fabsf(x[j]) : amax; /* x is finite */
        float d = amax / 127.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = lf_f32_to_f16(d);
        for (int j = 0; j < QK; j++) y[i].qs[j] = (int8_t)round_clamp(x[j] * id, 127);
    }
}

bool lf_quantize_row(lf_type type, const float *x, int64_t n, void *out) {
    uint64_t bytes;
    const lf_type_traits *tr = lf_type_get((uint32_t)type);
    if (!tr || !tr->weight_type || n <= 0 || !lf_type_row_bytes(type, (uint64_t)n, &bytes)) return false;
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return false;
    switch (type) {
    case LF_TYPE_F32: memcpy(out, x, (size_t)n * sizeof(float)); return true;
    case LF_TYPE_F16:
        for (int64_t i = 0; i < n; i++) ((uint16_t *)out)[i] = lf_f32_to_f16(x[i]);
        return true;
    case LF_TYPE_BF16:
        for (int64_t i = 0; i < n; i++) ((uint16_t *)out)[i] = lf_f32_to_bf16(x[i]);
        return true;
    case LF_TYPE_Q4_0:
    case LF_TYPE_Q4_1:
    case LF_TYPE_Q5_0:
    case LF_TYPE_Q5_1: quant_legacy(type, x, n / QK, out); return true;
    case LF_TYPE_Q8_0: quant_q8_0(x, n / QK, out); return true;
    case LF_TYPE_IQ4_NL: lf_quantize_iq4_nl(x, n / QK, NULL, out); return true;
    case LF_TYPE_Q2_K: lf_quantize_q2_K_ref(x, n / QK_K, out); return true;
    case LF_TYPE_Q3_K: lf_quantize_q3_K_ref(x, n / QK_K, out); return true;
    case LF_TYPE_Q4_K: lf_quantize_q4_K_ref(x, n / QK_K, out); return true;
    case LF_TYPE_Q5_K: lf_quantize_q5_K_ref(x, n / QK_K, out); return true;
    case LF_TYPE_Q6_K: lf_quantize_q6_K(x, n / QK_K, NULL, out); return true;
    default: return false;
    }
}
