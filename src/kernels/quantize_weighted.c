/* Importance-weighted quantization, byte for byte what ggml's quantize_row_*_impl write
 * when llama-quantize is given an importance matrix (quant_weights). The importance of
 * a column (the mean square of the activation it multiplies, over a calibration text)
 * weights each value's error in the scale searches, times sqrt(sigma2 + x^2) of the
 * value itself; the rest (packing, re-quantization against the stored scales) is the
 * reference quantizers' own code. Q8_0 and the float types take no weights in ggml, so
 * here either. */
#include "kernels/kernels.h"
#include "kernels/quantize_internal.h"

#include <math.h>
#include <string.h>

/* Non-negative codes in [0, nmax] (ggml's make_qp_quants) for the group scales or mins
 * of a super-block, weighted by each group's summed weight: nine scales around
 * nmax/max, then up to five sweeps moving single codes. L keeps ggml's uint8_t
 * truncation of an out-of-range code. */
static float qp_search(int n, int nmax, const float *x, uint8_t *L, const float *w) {
    float max = 0.0f;
    for (int i = 0; i < n; i++) max = max > x[i] ? max : x[i];
    if (max < GROUP_EPS) {
        memset(L, 0, (size_t)n);
        return 0.0f;
    }
    float iscale = (float)nmax / max;
    for (int i = 0; i < n; i++) L[i] = (uint8_t)quantize_nearest_int(iscale * x[i]);
    float scale = 1.0f / iscale, best_mse = 0.0f;
    for (int i = 0; i < n; i++) {
        float diff = x[i] - scale * (float)L[i];
        best_mse += w[i] * diff * diff;
    }
    for (int is = -4; is <= 4; is++) {
        if (is == 0) continue;
        float iscale_is = (0.1f * (float)is + (float)nmax) / max, scale_is = 1.0f / iscale_is, mse = 0.0f;
        for (int i = 0; i < n; i++) {
            int l = quantize_nearest_int(iscale_is * x[i]);
            float diff = x[i] - scale_is * (float)(l < nmax ? l : nmax);
            mse += w[i] * diff * diff;
        }
        if (mse < best_mse) {
            best_mse = mse;
            iscale = iscale_is;
        }
    }
    float sumlx = 0.0f, suml2 = 0.0f;
    for (int i = 0; i < n; i++) {
        int l = quantize_nearest_int(iscale * x[i]);
        if (l > nmax) l = nmax;
        L[i] = (uint8_t)l;
        sumlx += w[i] * x[i] * (float)l;
        suml2 += w[i] * (float)l * (float)l;
    }
    for (int pass = 0; pass < 5; pass++) {
        int changed = 0;
        for (int i = 0; i < n; i++) {
            float slx = sumlx - w[i] * x[i] * (float)L[i];
            float sl2 = suml2 - w[i] * (float)L[i] * (float)L[i];
            if (!(slx > 0.0f && sl2 > 0.0f)) continue;
            int nl = quantize_nearest_int(x[i] * sl2 / slx);
            if (nl > nmax) nl = nmax;
            if (nl == L[i]) continue;
            slx += w[i] * x[i] * (float)nl;
            sl2 += w[i] * (float)nl * (float)nl;
            if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                L[i] = (uint8_t)nl;
                sumlx = slx;
                suml2 = sl2;
                changed++;
            }
        }
        if (!changed) break;
    }
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

/* The weights of n values: importance times sqrt(sigma2 + x^2); returns their sum. */
static float value_weights(const float *x, const float *qw, float sigma2, int n, float *w) {
    float sum = 0.0f;
    for (int i = 0; i < n; i++) w[i] = qw[i] * sqrtf(sigma2 + x[i] * x[i]);
    for (int i = 0; i < n; i++) sum += w[i];
    return sum;
}

static float sum_squares(const float *x, int64_t n) {
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++) s += x[i] * x[i];
    return s;
}

/* Legacy types: sigma2 is the mean square of the whole row. */
static void legacy_weighted(lf_type type, const float *x, int64_t n, const float *qw, uint8_t *out) {
    int bits = type == LF_TYPE_Q5_0 || type == LF_TYPE_Q5_1 ? 5 : 4;
    bool with_min = type == LF_TYPE_Q4_1 || type == LF_TYPE_Q5_1;
    size_t block_bytes = (size_t)lf_type_get(type)->block_bytes;
    float sigma2 = sum_squares(x, n) / (float)n, w[QK];
    int q[QK];
    for (int64_t b = 0; b < n / QK; b++, x += QK, qw += QK, out += block_bytes) {
        value_weights(x, qw, sigma2, QK, w);
        float d, m = 0.0f;
        if (with_min) {
            uint8_t L[QK];
            float neg_min;
            d = lf_quant_min_scale_search(QK, (1 << bits) - 1, x, w, L, &neg_min, -0.9f, 0.05f, 36, false);
            m = -neg_min;
            for (int j = 0; j < QK; j++) q[j] = L[j];
        } else {
            int8_t L[QK];
            d = lf_quant_symmetric_search(QK, 1 << (bits - 1), x, w, L);
            for (int j = 0; j < QK; j++) q[j] = L[j];
        }
        lf_quant_store_legacy(out, bits, with_min, d, m, q);
    }
}

static void q2_K_weighted(const float *x, int64_t nb, const float *qw, block_q2_K *y) {
    uint8_t L[QK_K], Ls[QK_K / 16], Lm[QK_K / 16];
    float scales[QK_K / 16], mins[QK_K / 16], sw[QK_K / 16], w[16];
    for (int64_t i = 0; i < nb; i++, x += QK_K, qw += QK_K) {
        float sigma2 = sum_squares(x, QK_K) / (float)QK_K;
        for (int g = 0; g < QK_K / 16; g++) {
            sw[g] = value_weights(x + 16 * g, qw + 16 * g, sigma2, 16, w);
            scales[g] = lf_quant_min_scale_search(16, 3, x + 16 * g, w, L + 16 * g, &mins[g], -0.9f, 0.05f, 36, false);
        }
        y[i].d = lf_f32_to_f16(qp_search(QK_K / 16, 15, scales, Ls, sw));
        y[i].dmin = lf_f32_to_f16(qp_search(QK_K / 16, 15, mins, Lm, sw));
        for (int g = 0; g < QK_K / 16; g++) y[i].scales[g] = (uint8_t)(Ls[g] | (Lm[g] << 4));
        lf_quant_q2_K_finish(x, &y[i], L);
    }
}

static void q3_K_weighted(const float *x, int64_t nb, const float *qw, block_q3_K *y) {
    int8_t L[QK_K], Ls[QK_K / 16];
    float scales[QK_K / 16], sw[QK_K / 16], w[16];
    for (int64_t i = 0; i < nb; i++, x += QK_K, qw += QK_K) {
        float sigma2 = 2.0f * sum_squares(x, QK_K) / (float)QK_K;
        for (int g = 0; g < QK_K / 16; g++) {
            sw[g] = value_weights(x + 16 * g, qw + 16 * g, sigma2, 16, w);
            scales[g] = lf_quant_symmetric_search(16, 4, x + 16 * g, w, L + 16 * g);
        }
        float d = lf_quant_symmetric_search(QK_K / 16, 32, scales, sw, Ls);
        int ls[QK_K / 16];
        for (int g = 0; g < QK_K / 16; g++) ls[g] = Ls[g];
        lf_quant_q3_K_pack_scales(y[i].scales, ls);
        y[i].d = lf_f32_to_f16(d);
        lf_quant_q3_K_finish(x, &y[i], L);
    }
}

/* Q4_K and Q5_K: groups of 32 with scales and mins, both quantized by qp_search; only
 * Q5_K clamps the six-bit codes (Q4_K's cannot exceed 63 but by ggml's truncation). */
static void q45_K_weighted(const float *x, const float *qw, int nmax, bool clamp, uint16_t *d, uint16_t *dmin,
                           uint8_t packed[12], uint8_t L[QK_K]) {
    uint8_t Ls[8], Lm[8];
    float scales[8], mins[8], sw[8], w[32];
    float sigma2 = 2.0f * sum_squares(x, QK_K) / (float)QK_K;
    for (int g = 0; g < 8; g++) {
        sw[g] = value_weights(x + 32 * g, qw + 32 * g, sigma2, 32, w);
        scales[g] = lf_quant_min_scale_search(32, nmax, x + 32 * g, w, L + 32 * g, &mins[g], -0.9f, 0.05f, 36, false);
    }
    float d_block = qp_search(8, 63, scales, Ls, sw), m_block = qp_search(8, 63, mins, Lm, sw);
    if (clamp)
        for (int g = 0; g < 8; g++) {
            if (Ls[g] > 63) Ls[g] = 63;
            if (Lm[g] > 63) Lm[g] = 63;
        }
    lf_quant_k_pack_scales(packed, Ls, Lm);
    *d = lf_f32_to_f16(d_block);
    *dmin = lf_f32_to_f16(m_block);
}

bool lf_quantize_row_weighted(lf_type type, const float *x, int64_t n, const float *importance, void *out) {
    uint64_t bytes;
    const lf_type_traits *tr = lf_type_get((uint32_t)type);
    if (!importance || !tr || !tr->weight_type || n <= 0 || !lf_type_row_bytes(type, (uint64_t)n, &bytes))
        return lf_quantize_row(type, x, n, out);
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i]) || !isfinite(importance[i])) return false;
    int64_t nb = n / QK_K;
    uint8_t L[QK_K];
    switch (type) {
    case LF_TYPE_Q4_0:
    case LF_TYPE_Q4_1:
    case LF_TYPE_Q5_0:
    case LF_TYPE_Q5_1: legacy_weighted(type, x, n, importance, out); return true;
    case LF_TYPE_Q2_K: q2_K_weighted(x, nb, importance, out); return true;
    case LF_TYPE_Q3_K: q3_K_weighted(x, nb, importance, out); return true;
    case LF_TYPE_Q4_K:
        for (int64_t i = 0; i < nb; i++) {
            block_q4_K *y = (block_q4_K *)out + i;
            q45_K_weighted(x + QK_K * i, importance + QK_K * i, 15, false, &y->d, &y->dmin, y->scales, L);
            lf_quant_q4_K_finish(x + QK_K * i, y, L);
        }
        return true;
    case LF_TYPE_Q5_K:
        for (int64_t i = 0; i < nb; i++) {
            block_q5_K *y = (block_q5_K *)out + i;
            q45_K_weighted(x + QK_K * i, importance + QK_K * i, 31, true, &y->d, &y->dmin, y->scales, L);
            lf_quant_q5_K_finish(x + QK_K * i, y, L);
        }
        return true;
    case LF_TYPE_Q6_K: lf_quantize_q6_K(x, nb, importance, out); return true;
    case LF_TYPE_IQ4_NL: lf_quantize_iq4_nl(x, n / 32, importance, out); return true;
    default: return lf_quantize_row(type, x, n, out); /* Q8_0, F16, BF16, F32: no weights in ggml */
    }
}
