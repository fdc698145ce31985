/* A Hugging Face config.json of the architectures the runtime executes: LlamaForCausalLM
 * and MistralForCausalLM (the same decoder; Mistral adds a sliding attention window).
 * Everything the weights' shapes and the forward pass depend on is read and range-checked
 * here; features the runtime lacks (other RoPE scalings, biases, other activations) are
 * refused by name. */
#ifndef LF_FORMAT_HF_CONFIG_H
#define LF_FORMAT_HF_CONFIG_H

#include <stdbool.h>

#include "llamafast.h"

typedef enum hf_rope_scaling { HF_ROPE_NONE, HF_ROPE_LINEAR, HF_ROPE_LLAMA3 } hf_rope_scaling;

typedef struct hf_config {
    char model_type[32]; /* "llama" (LlamaForCausalLM), "mistral" (MistralForCausalLM) */
    int hidden_size, intermediate_size, n_layers, n_heads, n_kv_heads, head_dim, vocab_size;
    int max_position_embeddings;
    int sliding_window; /* 0 when the model attends to every position */
    float rms_norm_eps, rope_theta;
    hf_rope_scaling rope_scaling;
    /* factor divides positions (linear) or long-wavelength frequencies (llama3) */
    float rope_factor, rope_low_freq_factor, rope_high_freq_factor;
    int rope_original_max_position_embeddings;
    bool tie_word_embeddings;
    char torch_dtype[16]; /* "" when not given */
} hf_config;

int hf_config_load(const char *path, hf_config *c, lf_error *err);

#endif
