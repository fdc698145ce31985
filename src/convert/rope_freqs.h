/* Llama 3.1 RoPE scaling in a GGUF: llama.cpp's converter stores the per-frequency
 * divisors as a tensor (rope_freqs.weight, F32, head_dim/2 values) rather than metadata
 * keys, and llama.cpp reads only that tensor. */
#ifndef LF_CONVERT_ROPE_FREQS_H
#define LF_CONVERT_ROPE_FREQS_H

#include <stdbool.h>

#include "model/model.h"

#define CONVERT_ROPE_FREQS_NAME "rope_freqs.weight"

/* True when the output must carry a rope_freqs.weight tensor that m->tensors does not
 * hold (the factors were computed from a config's rope_scaling); *out then describes it
 * (F32, 1-D, data owned by m). */
bool convert_rope_freqs_tensor(const lf_model *m, lf_tensor_view *out);

#endif
