/* The K-quant reference quantizers behind lf_quantize_row: nb super-blocks of QK_K
 * finite values each. */
#ifndef LF_KERNELS_QUANTIZE_INTERNAL_H
#define LF_KERNELS_QUANTIZE_INTERNAL_H

#include "kernels/blocks_internal.h"

#include <stdint.h>

void lf_quantize_q2_K_ref(const float *x, int64_t nb, block_q2_K *y);
void lf_quantize_q3_K_ref(const float *x, int64_t nb, block_q3_K *y);
void lf_quantize_q4_K_ref(const float *x, int64_t nb, block_q4_K *y);
void lf_quantize_q5_K_ref(const float *x, int64_t nb, block_q5_K *y);
void lf_quantize_q6_K_ref(const float *x, int64_t nb, block_q6_K *y);

#endif
