/* Expands converted activations back to floats, so the runtime can quantize the rounding
 * residual x - dequant(quant(x)) as a second int8 vector (see runtime/forward.c). */
#include <string.h>

#include "kernels/blocks_internal.h"
#include "kernels/kernels.h"

void lf_dequantize_act(lf_type weight_type, const void *xq, float *x, int64_t n) {
    switch (lf_act_type(weight_type)) {
    case LF_TYPE_Q8_0:
        for (int64_t b = 0; b < n / QK; b++) {
            const block_q8_0 *blk = (const block_q8_0 *)xq + b;
            float d = lf_f16_to_f32(blk->d);
            for (int i = 0; i < QK; i++) x[b * QK + i] = d * blk->qs[i];
        }
        break;
    case LF_TYPE_Q8_1:
        for (int64_t b = 0; b < n / QK; b++) {
            const block_q8_1 *blk = (const block_q8_1 *)xq + b;
            for (int i = 0; i < QK; i++) x[b * QK + i] = blk->d * blk->qs[i];
        }
        break;
    case LF_TYPE_Q8_K:
        for (int64_t b = 0; b < n / QK_K; b++) {
            const block_q8_K *blk = (const block_q8_K *)xq + b;
            for (int i = 0; i < QK_K; i++) x[b * QK_K + i] = blk->d * blk->qs[i];
        }
        break;
    default: memmove(x, xq, (size_t)n * sizeof(float)); break;
    }
}
