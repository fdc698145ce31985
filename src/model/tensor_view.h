/* A weight tensor as every format reader hands it to the model: GGUF naming
 * ("blk.3.attn_q.weight"), GGML dimension order (ne[0] contiguous), data in place. */
#ifndef LF_MODEL_TENSOR_VIEW_H
#define LF_MODEL_TENSOR_VIEW_H

#include <stdint.h>

typedef struct lf_tensor_view {
    char name[64];
    uint32_t type; /* lf_type */
    int n_dims;
    int64_t ne[4];
    const void *data;
    uint64_t nbytes;
} lf_tensor_view;

#endif
