/* Which type each tensor gets: llama.cpp's llama_tensor_get_type for the llama
 * architecture (the file type's mix, --pure, the output / token-embedding overrides, and
 * the fallback for rows a K-quant's 256-element blocks do not divide). */
#ifndef LF_CONVERT_QUANT_MIX_H
#define LF_CONVERT_QUANT_MIX_H

#include "convert/quant_types.h"
#include "model/quant_scheme.h"
#include "model/tensor_view.h"

typedef struct quant_mix_options {
    quant_ftype ftype;
    lf_type base; /* the file type's default tensor type */
    bool pure;
    lf_type output_type, token_embd_type; /* LF_TYPE_COUNT: as the mix says */
    int n_layers, n_heads, n_kv_heads;
    bool has_imatrix; /* Q4_0/Q5_0 then take Q4_1/Q5_1 for the first ffn_down layers */
} quant_mix_options;

/* types[i] for tensors[i], i < n. Fails for an override whose blocks the tensor's rows
 * cannot hold, naming the tensor. */
int quant_mix_plan(const quant_mix_options *o, const lf_tensor_view *tensors, int n, lf_type *types, lf_error *err);

/* types[i] for tensors[i] under a torchchat scheme, as conversion at load types them:
 * attention and feed-forward matrices take its linear type, output.weight its output
 * type, token_embd.weight its embedding type, other float matrices its dtype; norms and
 * vectors keep their type; rows a type cannot take fall back as the mixes do. s NULL:
 * every tensor keeps its type (llama-quantize's COPY). Returns the type a separate
 * output.weight must have when the tensors tie it to token_embd.weight and the scheme
 * gives the two roles different types (llama.cpp loads output.weight when there is
 * one), else LF_TYPE_COUNT. */
lf_type quant_scheme_plan(const lf_quant_scheme *s, const lf_tensor_view *tensors, int n, lf_type *types);

#endif
