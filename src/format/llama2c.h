/* llama2.c checkpoint reader (.bin): v0 legacy header (7 int32; negative vocab_size means
 * an unshared classifier), v1 ("ak42", version 1, fp32) and v2 ("ak42", version 2, Q8_0
 * with a group size). Weights are exposed as tensor views with GGUF names; fp32 weights
 * point into the mapping, v2 weights are dequantized to fp32 once at load. */
#ifndef LF_FORMAT_LLAMA2C_H
#define LF_FORMAT_LLAMA2C_H

#include <stdbool.h>
#include <stdint.h>

#include "core/mapped_file.h"
#include "llamafast.h"
#include "model/tensor_view.h"

typedef struct lf_llama2c_config {
    int version; /* 0, 1 or 2 */
    int dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
    bool shared_classifier;
    int group_size; /* v2 only */
} lf_llama2c_config;

typedef struct lf_llama2c_file {
    lf_llama2c_config cfg;
    lf_mapped_file map;
    lf_tensor_view *tensors; /* token_embd.weight, blk.N.{attn_norm,attn_q,attn_k,attn_v,
                                attn_output,ffn_norm,ffn_gate,ffn_down,ffn_up}.weight,
                                output_norm.weight, output.weight (unshared only) */
    int n_tensors;
    void *owned; /* dequantized v2 weights */
} lf_llama2c_file;

int lf_llama2c_open(const char *path, lf_llama2c_file **out, lf_error *err);
/* Parses a buffer the caller keeps alive; for fuzzing. */
int lf_llama2c_parse(const void *data, uint64_t size, const char *name, lf_llama2c_file **out,
                     lf_error *err);
void lf_llama2c_close(lf_llama2c_file *f);

#endif
