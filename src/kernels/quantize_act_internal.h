/* What the activation quantizers of every level (quantize_act.c, quantize_act_avx2.c,
 * quantize_act_avx512.c) share, so that their output stays bit-identical. */
#ifndef LF_KERNELS_QUANTIZE_ACT_INTERNAL_H
#define LF_KERNELS_QUANTIZE_ACT_INTERNAL_H

#include <float.h>

/* 1/d, or 0 when d is 0, infinite, or so small (subnormal) that 1/d overflows: such a
 * block quantizes to zeros instead of converting inf or NaN to an integer. */
static inline float act_inverse_scale(float d) {
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    return id <= FLT_MAX ? id : 0.0f;
}

#endif
