/* IQ4_NL quantization, byte-identical to what llama-quantize writes: ggml's
 * quantize_iq4_nl, which searches 15 trial scales per block (its ntry = 7) also when no
 * importance matrix is given, weighting each value by its square. (ggml's
 * quantize_row_iq4_nl_ref skips that search; no file llama-quantize writes uses it.)
 * Every float operation keeps ggml's order and precision: one ulp of difference in a
 * trial's sums can pick another scale. */
#include "kernels/kernels.h"
#include "kernels/quantize_internal.h"

#include <math.h>
#include <string.h>

enum { IQ4_TRIALS = 7 }; /* trial scales (itry - 127) / max for itry in [-7, 7] */

/* The level of iq4nl_values nearest to v (the lower one on a tie; ggml's best_index_int8,
 * including where a NaN lands: the top level). */
static int nearest_level(float v) {
    if (v <= (float)iq4nl_values[0]) return 0;
    if (v >= (float)iq4nl_values[15]) return 15;
    int lo = 0, hi = 15;
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (v < (float)iq4nl_values[mid])
            hi = mid;
        else
            lo = mid;
    }
    return v - (float)iq4nl_values[hi - 1] < (float)iq4nl_values[hi] - v ? hi - 1 : hi;
}

/* The weighted sums of the codes that inverse scale id gives the block: sum w*q*x and
 * sum w*q*q; codes stored in L when L is not NULL. */
static void trial_sums(const float *x, const float *w, float id, uint8_t *L, float *sumqx, float *sumq2) {
    float qx = 0.0f, q2 = 0.0f;
    for (int j = 0; j < QK; j++) {
        int l = nearest_level(id * x[j]);
        if (L) L[j] = (uint8_t)l;
        float q = (float)iq4nl_values[l];
        qx += w[j] * q * x[j];
        q2 += w[j] * q * q;
    }
    *sumqx = qx;
    *sumq2 = q2;
}

/* One block. weights: the importance of each value (an imatrix row's 32 entries), or
 * NULL for none; with them a value's weight is its importance times
 * sqrt(2*mean(x^2) + x^2), as in ggml. */
static void quantize_block(const float *x, const float *weights, block_iq4_nl *y) {
    float w[QK];
    if (weights) {
        float sigma2 = 0.0f;
        for (int j = 0; j < QK; j++) sigma2 += x[j] * x[j];
        sigma2 *= 2.0f / QK;
        for (int j = 0; j < QK; j++) w[j] = weights[j] * sqrtf(sigma2 + x[j] * x[j]);
    } else {
        for (int j = 0; j < QK; j++) w[j] = x[j] * x[j];
    }
    float max = quantize_signed_absmax(x, QK), d = 0.0f;
    if (fabsf(max) >= 1e-15f) { /* ggml's GROUP_MAX_EPS: below it the block is zero */
        float sumqx, sumq2;
        trial_sums(x, w, 1.0f / (-max / (float)iq4nl_values[0]), NULL, &sumqx, &sumq2);
        d = sumq2 > 0.0f ? sumqx / sumq2 : 0.0f;
        float best = d * sumqx;
        for (int itry = -IQ4_TRIALS; itry <= IQ4_TRIALS; itry++) {
            trial_sums(x, w, (float)(itry + iq4nl_values[0]) / max, NULL, &sumqx, &sumq2);
            if (sumq2 > 0.0f && sumqx * sumqx > best * sumq2) {
                d = sumqx / sumq2;
                best = d * sumqx;
            }
        }
    }
    y->d = lf_f32_to_f16(d);
    float id = d != 0.0f ? 1.0f / d : 0.0f; /* a NaN d is "true" here too, as in ggml */
    uint8_t L[QK];
    for (int j = 0; j < QK; j++) L[j] = (uint8_t)nearest_level(id * x[j]);
    for (int j = 0; j < QK / 2; j++) y->qs[j] = (uint8_t)(L[j] | L[j + QK / 2] << 4);
}

void lf_quantize_iq4_nl(const float *x, int64_t nb, const float *weights, block_iq4_nl *y) {
    for (int64_t i = 0; i < nb; i++) quantize_block(x + i * QK, weights ? weights + i * QK : NULL, &y[i]);
}
