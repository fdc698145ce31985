/* What the reference quantizers (quantize_ref.c, quantize_kquants.c) and the
 * importance-weighted ones (quantize_weighted*.c, quantize_iq4_nl.c) share: ggml's rounding, the group-scale
 * searches and the block packers. */
#ifndef LF_KERNELS_QUANTIZE_INTERNAL_H
#define LF_KERNELS_QUANTIZE_INTERNAL_H

#include "kernels/blocks_internal.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define GROUP_EPS 1e-15f /* groups whose largest magnitude is below this are zero */

/* The value of largest magnitude among x[0..n), sign kept (the first of equal
 * magnitudes, 0 for an empty or all-zero row): the legacy and K-quant scales divide by
 * it, so its sign decides the sign of the codes, as in ggml. */
static inline float quantize_signed_absmax(const float *x, int n) {
    float amax = 0.0f, max = 0.0f;
    for (int i = 0; i < n; i++) {
        if (fabsf(x[i]) > amax) {
            amax = fabsf(x[i]);
            max = x[i];
        }
    }
    return max;
}

/* Round to nearest, ties to even, by adding 1.5*2^23 and reading the mantissa. Exact
 * for |v| < 2^22; larger (and infinite) v give ggml's same garbage, without undefined
 * behaviour, so hostile rows still produce ggml's bytes. */
static inline int quantize_nearest_int(float v) {
    float s = v + 12582912.0f;
    int32_t i;
    memcpy(&i, &s, sizeof i);
    return (i & 0x007FFFFF) - 0x00400000;
}

static inline int quantize_clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Symmetric codes in [-nmax, nmax-1] for n values, trying 19 scales around -nmax/max and
 * keeping the best weighted least-squares fit; weights w, or x^2 when w is NULL (ggml's
 * make_qx_quants with rmse_type 1). L gets the codes offset by nmax; returns the scale. */
float lf_quant_symmetric_search(int n, int nmax, const float *x, const float *w, int8_t *L);

/* Codes in [0, nmax] with a scale and a minimum for n weighted values (ggml's
 * make_qkx2_quants and, with finite inputs, make_qkx3_quants); *neg_min gets -min >= 0. */
float lf_quant_min_scale_search(int n, int nmax, const float *x, const float *w, uint8_t *L, float *neg_min,
                                float rmin, float rdelta, int nstep, bool use_mad);

/* One legacy block: fp16 d (and m for the _1 types), the fifth bits of 5-bit codes,
 * the low nibbles. q holds QK codes in [0, 2^bits). */
void lf_quant_store_legacy(uint8_t *out, int bits, bool with_min, float d, float m, const int q[QK]);

/* Super-block finishers shared with the weighted quantizers: each re-quantizes x against
 * the scales already stored in y (d, dmin, packed group scales), then packs the codes;
 * a group whose scale is zero keeps the codes already in L. */
void lf_quant_q2_K_finish(const float *x, block_q2_K *y, uint8_t L[QK_K]);
void lf_quant_q3_K_finish(const float *x, block_q3_K *y, int8_t L[QK_K]);
void lf_quant_q4_K_finish(const float *x, block_q4_K *y, uint8_t L[QK_K]);
void lf_quant_q5_K_finish(const float *x, block_q5_K *y, uint8_t L[QK_K]);
/* Q3_K's 16 six-bit group scales (0..63, 32 meaning 0) into its 12 scale bytes. */
void lf_quant_q3_K_pack_scales(uint8_t scales[12], const int ls[QK_K / 16]);
/* Q4_K/Q5_K's 8 six-bit scales and mins into their 12 bytes (no clamping: values above
 * 63 spill into neighbouring bits exactly as in ggml). */
void lf_quant_k_pack_scales(uint8_t packed[12], const uint8_t ls[8], const uint8_t lm[8]);

/* IQ4_NL blocks as llama-quantize writes them; weights: nb*32 importances (an imatrix's
 * entries for these columns) or NULL for none. */
void lf_quantize_iq4_nl(const float *x, int64_t nb, const float *weights, block_iq4_nl *y);

void lf_quantize_q2_K_ref(const float *x, int64_t nb, block_q2_K *y);
void lf_quantize_q3_K_ref(const float *x, int64_t nb, block_q3_K *y);
void lf_quantize_q4_K_ref(const float *x, int64_t nb, block_q4_K *y);
void lf_quantize_q5_K_ref(const float *x, int64_t nb, block_q5_K *y);
/* Q6_K: qw (nb*QK_K importances, or NULL for the reference) weights each group's scale
 * search; the rest is the same with or without. */
void lf_quantize_q6_K(const float *x, int64_t nb, const float *qw, block_q6_K *y);

#endif
