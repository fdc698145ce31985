#include "convert/rope_freqs.h"

#include <string.h>

bool convert_rope_freqs_tensor(const lf_model *m, lf_tensor_view *out) {
    if (!m->rope_freq_factors) return false;
    for (int i = 0; i < m->n_tensors; i++)
        if (strcmp(m->tensors[i].name, CONVERT_ROPE_FREQS_NAME) == 0) return false;
    int64_t n = m->cfg.rope_dim / 2;
    *out = (lf_tensor_view){.type = LF_TYPE_F32, .n_dims = 1, .ne = {n, 1, 1, 1},
                            .data = m->rope_freq_factors, .nbytes = (uint64_t)n * sizeof(float)};
    memcpy(out->name, CONVERT_ROPE_FREQS_NAME, sizeof CONVERT_ROPE_FREQS_NAME);
    return true;
}
