/* K-quant reference quantizers, byte-identical to ggml's quantize_row_q{2,4,5,6}_K_ref.
 * Each group of 16 or 32 gets its scale (and minimum) from a small search; the group
 * scales are then themselves quantized against one fp16 super-block scale, and the
 * weights re-quantized with the scales as stored. Every float expression keeps ggml's
 * operand order and types: one ulp elsewhere flips a search's choice. */
#include "kernels/kernels.h"
#include "kernels/quantize_internal.h"

#include <math.h>
#include <string.h>

float lf_quant_symmetric_search(int n, int nmax, const float *x, const float *qw, int8_t *L) {
    float max = quantize_signed_absmax(x, n);
    if (fabsf(max) < GROUP_EPS) {
        memset(L, 0, (size_t)n);
        return 0.0f;
    }
    float scale = 0.0f, best = 0.0f;
    for (int is = 0; is <= 9 * 2; is++) {
        int step = is == 0 ? 0 : is <= 9 ? is - 10 : is - 9; /* 0 first, then -9..-1, 1..9 */
        float iscale = step == 0 ? (float)-nmax / max : -((float)nmax + 0.1f * (float)step) / max;
        float sumlx = 0.0f, suml2 = 0.0f;
        for (int i = 0; i < n; i++) {
            int l = quantize_clampi(quantize_nearest_int(iscale * x[i]), -nmax, nmax - 1);
            float w = qw ? qw[i] : x[i] * x[i];
            sumlx += w * x[i] * (float)l;
            suml2 += w * (float)l * (float)l;
        }
        bool take;
        if (step == 0) {
            scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
            best = scale * sumlx;
            take = true;
        } else {
            take = suml2 > 0.0f && sumlx * sumlx > best * suml2;
            if (take) {
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        if (take)
            for (int i = 0; i < n; i++) L[i] = (int8_t)(nmax + quantize_clampi(quantize_nearest_int(iscale * x[i]), -nmax, nmax - 1));
    }
    return scale;
}

/* Starts from the plain min/max fit, then tries nstep+1 scales
 * (rmin + rdelta*is + nmax)/(max - min), solving the weighted least squares for scale
 * and minimum at each and keeping the smallest weighted error (absolute with use_mad,
 * squared otherwise). */
float lf_quant_min_scale_search(int n, int nmax, const float *x, const float *w, uint8_t *L, float *neg_min,
                              float rmin, float rdelta, int nstep, bool use_mad) {
    float min = x[0], max = x[0], sum_w = w[0], sum_x = sum_w * x[0];
    for (int i = 1; i < n; i++) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        sum_w += w[i];
        sum_x += w[i] * x[i];
    }
    if (min > 0.0f) min = 0.0f;
    if (max == min) {
        memset(L, 0, (size_t)n);
        *neg_min = -min;
        return 0.0f;
    }
    float iscale = (float)nmax / (max - min);
    float scale = 1.0f / iscale;
    float best_error = 0.0f;
    for (int i = 0; i < n; i++) {
        L[i] = (uint8_t)quantize_clampi(quantize_nearest_int(iscale * (x[i] - min)), 0, nmax);
        float diff = scale * (float)L[i] + min - x[i];
        best_error += w[i] * (use_mad ? fabsf(diff) : diff * diff);
    }
    uint8_t Laux[32];
    for (int is = 0; is <= nstep; is++) {
        iscale = (rmin + rdelta * (float)is + (float)nmax) / (max - min);
        float sum_l = 0.0f, sum_l2 = 0.0f, sum_xl = 0.0f;
        for (int i = 0; i < n; i++) {
            int l = quantize_clampi(quantize_nearest_int(iscale * (x[i] - min)), 0, nmax);
            Laux[i] = (uint8_t)l;
            sum_l += w[i] * (float)l;
            sum_l2 += w[i] * (float)l * (float)l;
            sum_xl += w[i] * (float)l * x[i];
        }
        float D = sum_w * sum_l2 - sum_l * sum_l;
        if (!(D > 0.0f)) continue;
        float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
        float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
        if (this_min > 0.0f) {
            this_min = 0.0f;
            this_scale = sum_xl / sum_l2;
        }
        float err = 0.0f;
        for (int i = 0; i < n; i++) {
            float diff = this_scale * (float)Laux[i] + this_min - x[i];
            err += w[i] * (use_mad ? fabsf(diff) : diff * diff);
        }
        if (err < best_error) {
            memcpy(L, Laux, (size_t)n);
            best_error = err;
            scale = this_scale;
            min = this_min;
        }
    }
    *neg_min = -min;
    return scale;
}

/* Two-bit codes of Q2_K and Q3_K: in each 128 values, value 32j+l goes to bits 2j..2j+1
 * of byte l. */
static void pack_2bit(const uint8_t L[QK_K], uint8_t qs[QK_K / 4]) {
    for (int h = 0; h < 2; h++)
        for (int l = 0; l < 32; l++) {
            const uint8_t *q = L + 128 * h + l;
            qs[32 * h + l] = (uint8_t)(q[0] | (q[32] << 2) | (q[64] << 4) | (q[96] << 6));
        }
}

/* Symmetric codes in [-nmax, nmax-1] weighted by x^2, refined code by code: up to five
 * sweeps move single codes to where the least-squares fit improves. L gets the codes
 * offset by nmax (all 0 for a zero group, as in ggml); returns the scale. */
static float refine_search(int n, int nmax, const float *x, int8_t *L) {
    float max = quantize_signed_absmax(x, n);
    if (fabsf(max) < GROUP_EPS) {
        memset(L, 0, (size_t)n);
        return 0.0f;
    }
    float iscale = (float)-nmax / max;
    float sumlx = 0.0f, suml2 = 0.0f;
    for (int i = 0; i < n; i++) {
        int l = quantize_clampi(quantize_nearest_int(iscale * x[i]), -nmax, nmax - 1);
        L[i] = (int8_t)l;
        float w = x[i] * x[i];
        sumlx += w * x[i] * (float)l;
        suml2 += w * (float)l * (float)l;
    }
    for (int pass = 0; pass < 5; pass++) {
        int changed = 0;
        for (int i = 0; i < n; i++) {
            float w = x[i] * x[i];
            float slx = sumlx - w * x[i] * (float)L[i];
            if (!(slx > 0.0f)) continue;
            float sl2 = suml2 - w * (float)L[i] * (float)L[i];
            int nl = quantize_clampi(quantize_nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
            if (nl == L[i]) continue;
            slx += w * x[i] * (float)nl;
            sl2 += w * (float)nl * (float)nl;
            if (sl2 > 0.0f && slx * slx * suml2 > sumlx * sumlx * sl2) {
                L[i] = (int8_t)nl;
                sumlx = slx;
                suml2 = sl2;
                changed++;
            }
        }
        if (!changed) break;
    }
    for (int i = 0; i < n; i++) L[i] = (int8_t)(L[i] + nmax);
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

void lf_quant_q3_K_pack_scales(uint8_t scales[12], const int ls[QK_K / 16]) {
    /* low nibbles in bytes 0..7 (groups 8..15 in the high halves), top two bits in
     * bytes 8..11 */
    memset(scales, 0, 12);
    for (int g = 0; g < QK_K / 16; g++) {
        int l = ls[g];
        if (g < 8)
            scales[g] = (uint8_t)(l & 15);
        else
            scales[g - 8] |= (uint8_t)((l & 15) << 4);
        scales[8 + g % 4] |= (uint8_t)((l >> 4) << (2 * (g / 4)));
    }
}

void lf_quant_q3_K_finish(const float *x, block_q3_K *y, int8_t L[QK_K]) {
    float d_super = lf_f16_to_f32(y->d);
    for (int g = 0; g < QK_K / 16; g++) {
        float d = d_super * (float)q3_k_scale(y->scales, g);
        if (d == 0.0f) continue;
        for (int k = 0; k < 16; k++)
            L[16 * g + k] = (int8_t)(quantize_clampi(quantize_nearest_int(x[16 * g + k] / d), -4, 3) + 4);
    }
    /* the third bit of value j goes to bit j/32 of hmask[j%32] */
    uint8_t low[QK_K];
    memset(y->hmask, 0, sizeof y->hmask);
    for (int j = 0; j < QK_K; j++) {
        int l = L[j];
        if (l > 3) {
            y->hmask[j % 32] |= (uint8_t)(1u << (j / 32));
            l -= 4;
        }
        low[j] = (uint8_t)l;
    }
    pack_2bit(low, y->qs);
}

void lf_quantize_q3_K_ref(const float *x, int64_t nb, block_q3_K *y) {
    int8_t L[QK_K];
    float scales[QK_K / 16];
    for (int64_t i = 0; i < nb; i++, x += QK_K) {
        for (int g = 0; g < QK_K / 16; g++) scales[g] = refine_search(16, 4, x + 16 * g, L + 16 * g);
        float max_scale = quantize_signed_absmax(scales, QK_K / 16);
        memset(y[i].scales, 0, sizeof y[i].scales);
        y[i].d = 0;
        if (max_scale != 0.0f) {
            float iscale = -32.0f / max_scale;
            int ls[QK_K / 16];
            for (int g = 0; g < QK_K / 16; g++)
                ls[g] = quantize_clampi((int8_t)quantize_nearest_int(iscale * scales[g]), -32, 31) + 32;
            lf_quant_q3_K_pack_scales(y[i].scales, ls);
            y[i].d = lf_f32_to_f16(1.0f / iscale);
        }
        lf_quant_q3_K_finish(x, &y[i], L);
    }
}

void lf_quantize_q6_K(const float *x, int64_t nb, const float *qw, block_q6_K *y) {
    int8_t L[QK_K];
    float scales[QK_K / 16];
    for (int64_t i = 0; i < nb; i++, x += QK_K) {
        for (int g = 0; g < QK_K / 16; g++)
            scales[g] = lf_quant_symmetric_search(16, 32, x + 16 * g, qw ? qw + QK_K * i + 16 * g : NULL, L + 16 * g);
        float max_scale = quantize_signed_absmax(scales, QK_K / 16);
        memset(&y[i], 0, sizeof y[i]);
        if (fabsf(max_scale) < GROUP_EPS) continue;
        float iscale = -128.0f / max_scale;
        y[i].d = lf_f32_to_f16(1.0f / iscale);
        for (int g = 0; g < QK_K / 16; g++) {
            int s = quantize_nearest_int(iscale * scales[g]);
            y[i].scales[g] = (int8_t)(s < 127 ? s : 127);
        }
        float d_super = lf_f16_to_f32(y[i].d);
        for (int g = 0; g < QK_K / 16; g++) {
            float d = d_super * (float)y[i].scales[g];
            if (d == 0.0f) continue; /* keeps the group's search codes, as ggml does */
            for (int k = 0; k < 16; k++)
                L[16 * g + k] = (int8_t)(quantize_clampi(quantize_nearest_int(x[16 * g + k] / d), -32, 31) + 32);
        }
        /* 128-value halves: ql holds low nibbles of values l and l+64 (and l+32, l+96),
         * qh the top two bits of l, l+32, l+64, l+96 */
        for (int h = 0; h < 2; h++) {
            const int8_t *q = L + 128 * h;
            uint8_t *ql = y[i].ql + 64 * h, *qh = y[i].qh + 32 * h;
            for (int l = 0; l < 32; l++) {
                ql[l] = (uint8_t)((q[l] & 15) | ((q[l + 64] & 15) << 4));
                ql[l + 32] = (uint8_t)((q[l + 32] & 15) | ((q[l + 96] & 15) << 4));
                qh[l] = (uint8_t)((q[l] >> 4) | ((q[l + 32] >> 4) << 2) | ((q[l + 64] >> 4) << 4) | ((q[l + 96] >> 4) << 6));
            }
        }
    }
}

void lf_quant_k_pack_scales(uint8_t packed[12], const uint8_t ls[8], const uint8_t lm[8]) {
    memset(packed, 0, 12);
    for (int g = 0; g < 8; g++) {
        if (g < 4) {
            packed[g] = ls[g];
            packed[g + 4] = lm[g];
        } else {
            packed[g + 4] = (uint8_t)((ls[g] & 15) | ((lm[g] & 15) << 4));
            packed[g - 4] |= (uint8_t)((ls[g] >> 4) << 6);
            packed[g] |= (uint8_t)((lm[g] >> 4) << 6);
        }
    }
}

/* Q4_K/Q5_K codes in [0, nmax] against the stored six-bit scales and mins. */
static void q45_K_requantize(const float *x, const uint8_t packed[12], uint16_t d16, uint16_t dmin16, int nmax,
                             uint8_t L[QK_K]) {
    float d_super = lf_f16_to_f32(d16), m_super = lf_f16_to_f32(dmin16);
    for (int g = 0; g < 8; g++) {
        uint8_t sc, m;
        k_scale_min(packed, g, &sc, &m);
        float d = d_super * (float)sc;
        if (d == 0.0f) continue;
        float dm = m_super * (float)m;
        for (int k = 0; k < 32; k++)
            L[32 * g + k] = (uint8_t)quantize_clampi(quantize_nearest_int((x[32 * g + k] + dm) / d), 0, nmax);
    }
}

void lf_quant_q4_K_finish(const float *x, block_q4_K *y, uint8_t L[QK_K]) {
    q45_K_requantize(x, y->scales, y->d, y->dmin, 15, L);
    /* each 64 values: the first 32 in low nibbles, the next 32 in high nibbles */
    for (int c = 0; c < 4; c++)
        for (int l = 0; l < 32; l++) y->qs[32 * c + l] = (uint8_t)(L[64 * c + l] | (L[64 * c + l + 32] << 4));
}

void lf_quant_q5_K_finish(const float *x, block_q5_K *y, uint8_t L[QK_K]) {
    q45_K_requantize(x, y->scales, y->d, y->dmin, 31, L);
    memset(y->qh, 0, sizeof y->qh);
    /* as Q4_K for the low four bits; bit 4 of value 64c+l goes to qh[l] bit 2c, of value
     * 64c+32+l to bit 2c+1 */
    for (int c = 0; c < 4; c++) {
        for (int l = 0; l < 32; l++) {
            int lo = L[64 * c + l], hi = L[64 * c + l + 32];
            y->qh[l] |= (uint8_t)(((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
            y->qs[32 * c + l] = (uint8_t)((lo & 15) | ((hi & 15) << 4));
        }
    }
}

/* Q4_K and Q5_K share everything but the code width: 8 groups of 32 weighted by
 * rms(group) + |x|, six-bit scales and mins against fp16 d and dmin. */
static void q45_K_scales(const float *x, int nmax, float rmin, int nstep, uint16_t *d_out, uint16_t *dmin_out,
                         uint8_t packed[12], uint8_t L[QK_K]) {
    float scales[8], mins[8], w[32];
    float max_scale = 0.0f, max_min = 0.0f;
    for (int g = 0; g < 8; g++) {
        const float *xg = x + 32 * g;
        float sum_x2 = 0.0f;
        for (int k = 0; k < 32; k++) sum_x2 += xg[k] * xg[k];
        float av_x = sqrtf(sum_x2 / 32.0f);
        for (int k = 0; k < 32; k++) w[k] = av_x + fabsf(xg[k]);
        scales[g] = lf_quant_min_scale_search(32, nmax, xg, w, L + 32 * g, &mins[g], rmin, 0.1f, nstep, false);
        if (scales[g] > max_scale) max_scale = scales[g];
        if (mins[g] > max_min) max_min = mins[g];
    }
    float inv_scale = max_scale > 0.0f ? 63.0f / max_scale : 0.0f;
    float inv_min = max_min > 0.0f ? 63.0f / max_min : 0.0f;
    uint8_t ls[8], lm[8];
    for (int g = 0; g < 8; g++) {
        /* ggml stores the rounded value in a uint8_t before clamping */
        ls[g] = (uint8_t)quantize_nearest_int(inv_scale * scales[g]);
        lm[g] = (uint8_t)quantize_nearest_int(inv_min * mins[g]);
        if (ls[g] > 63) ls[g] = 63;
        if (lm[g] > 63) lm[g] = 63;
    }
    lf_quant_k_pack_scales(packed, ls, lm);
    *d_out = lf_f32_to_f16(max_scale / 63.0f);
    *dmin_out = lf_f32_to_f16(max_min / 63.0f);
}

void lf_quantize_q4_K_ref(const float *x, int64_t nb, block_q4_K *y) {
    uint8_t L[QK_K];
    for (int64_t i = 0; i < nb; i++, x += QK_K) {
        q45_K_scales(x, 15, -1.0f, 20, &y[i].d, &y[i].dmin, y[i].scales, L);
        lf_quant_q4_K_finish(x, &y[i], L);
    }
}

void lf_quantize_q5_K_ref(const float *x, int64_t nb, block_q5_K *y) {
    uint8_t L[QK_K];
    for (int64_t i = 0; i < nb; i++, x += QK_K) {
        q45_K_scales(x, 31, -0.5f, 15, &y[i].d, &y[i].dmin, y[i].scales, L);
        lf_quant_q5_K_finish(x, &y[i], L);
    }
}

void lf_quant_q2_K_finish(const float *x, block_q2_K *y, uint8_t L[QK_K]) {
    float d_super = lf_f16_to_f32(y->d), m_super = lf_f16_to_f32(y->dmin);
    for (int g = 0; g < QK_K / 16; g++) {
        float d = d_super * (float)(y->scales[g] & 15);
        if (d == 0.0f) continue;
        float dm = m_super * (float)(y->scales[g] >> 4);
        for (int k = 0; k < 16; k++)
            L[16 * g + k] = (uint8_t)quantize_clampi(quantize_nearest_int((x[16 * g + k] + dm) / d), 0, 3);
    }
    pack_2bit(L, y->qs);
}

void lf_quantize_q2_K_ref(const float *x, int64_t nb, block_q2_K *y) {
    uint8_t L[QK_K];
    float scales[QK_K / 16], mins[QK_K / 16], w[16];
    for (int64_t i = 0; i < nb; i++, x += QK_K) {
        float max_scale = 0.0f, max_min = 0.0f;
        for (int g = 0; g < QK_K / 16; g++) {
            for (int k = 0; k < 16; k++) w[k] = fabsf(x[16 * g + k]);
            scales[g] = lf_quant_min_scale_search(16, 3, x + 16 * g, w, L + 16 * g, &mins[g], -0.5f, 0.1f, 15, true);
            if (scales[g] > max_scale) max_scale = scales[g];
            if (mins[g] > max_min) max_min = mins[g];
        }
        /* four-bit scale low, four-bit min high; ggml stores the rounded ints unclamped
         * in a byte, so the same truncation is kept */
        for (int g = 0; g < QK_K / 16; g++)
            y[i].scales[g] = max_scale > 0.0f ? (uint8_t)quantize_nearest_int(15.0f / max_scale * scales[g]) : 0;
        y[i].d = lf_f32_to_f16(max_scale > 0.0f ? max_scale / 15.0f : 0.0f);
        if (max_min > 0.0f)
            for (int g = 0; g < QK_K / 16; g++)
                y[i].scales[g] |= (uint8_t)((unsigned)quantize_nearest_int(15.0f / max_min * mins[g]) << 4);
        y[i].dmin = lf_f32_to_f16(max_min > 0.0f ? max_min / 15.0f : 0.0f);
        lf_quant_q2_K_finish(x, &y[i], L);
    }
}
