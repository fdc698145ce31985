/* The Q8_0 block of a KV cache row (the layout of GGML's block_q8_0). */
#ifndef LF_KERNELS_ATTN_Q8_0_INTERNAL_H
#define LF_KERNELS_ATTN_Q8_0_INTERNAL_H

#include <stdint.h>

typedef struct attn_q8_0 {
    uint16_t d; /* fp16 scale */
    int8_t q[32];
} attn_q8_0;
_Static_assert(sizeof(attn_q8_0) == 34, "Q8_0 KV block layout");

#endif
