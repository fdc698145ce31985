/* The reference quantizers behind lf_quantize_row: nb blocks (super-blocks of QK_K for
 * the K-quants) of finite values each. */
#ifndef LF_KERNELS_QUANTIZE_INTERNAL_H
#define LF_KERNELS_QUANTIZE_INTERNAL_H

#include "kernels/blocks_internal.h"

#include <math.h>
#include <stdint.h>

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

/* IQ4_NL blocks as llama-quantize writes them; weights: nb*32 importances (an imatrix's
 * entries for these columns) or NULL for none. */
void lf_quantize_iq4_nl(const float *x, int64_t nb, const float *weights, block_iq4_nl *y);

void lf_quantize_q2_K_ref(const float *x, int64_t nb, block_q2_K *y);
void lf_quantize_q3_K_ref(const float *x, int64_t nb, block_q3_K *y);
void lf_quantize_q4_K_ref(const float *x, int64_t nb, block_q4_K *y);
void lf_quantize_q5_K_ref(const float *x, int64_t nb, block_q5_K *y);
void lf_quantize_q6_K_ref(const float *x, int64_t nb, block_q6_K *y);

#endif
