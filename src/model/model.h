/* The loaded model: hyper-parameters, weight views bound by role, tokenizer. Immutable
 * after lf_model_load, so any number of contexts (threads) may share it. */
#ifndef LF_MODEL_H
#define LF_MODEL_H

#include <stdatomic.h>
#include <stddef.h>

#include "format/gguf.h"
#include "format/llama2c.h"
#include "kernels/kernels.h"
#include "llamafast.h"
#include "model/tensor_view.h"

/* Longest context a model may declare: its KV cache must stay allocatable. */
#define LF_MAX_CONTEXT (1 << 24)

typedef struct lf_model_config {
    int n_layers, dim, hidden_dim, n_heads, n_kv_heads, head_dim, vocab_size, context_length;
    int rope_dim;     /* leading dimensions of each head that RoPE rotates */
    float rope_theta, norm_eps;
    float rope_linear_scale; /* positions are divided by this (1 = none) */
} lf_model_config;

/* A 2-D weight: rows × cols, each row row_bytes long, cols contiguous (out = W · x). */
typedef struct lf_weight {
    const void *data;
    lf_type type;
    int64_t rows, cols;
    size_t row_bytes;
    const void *repacked; /* the same rows for batches of a few tokens (lf_repack_rows), or NULL */
} lf_weight;

#define LF_LAYER_MATRICES 7

typedef struct lf_layer_weights {
    const float *attn_norm, *ffn_norm;
    union { /* by name, or all seven in that order (for code that treats each alike) */
        struct {
            lf_weight wq, wk, wv, wo, ffn_gate, ffn_up, ffn_down;
        };
        lf_weight matrices[LF_LAYER_MATRICES];
    };
} lf_layer_weights;
_Static_assert(offsetof(lf_layer_weights, ffn_down) - offsetof(lf_layer_weights, wq) ==
                   (LF_LAYER_MATRICES - 1) * sizeof(lf_weight),
               "the named matrices lie as the array's elements");

struct lf_model {
    lf_model_config cfg;
    lf_weight tok_embd, output; /* output aliases tok_embd when embeddings are tied */
    const float *output_norm;
    const float *rope_freq_factors; /* llama3-style per-frequency divisors, or NULL */
    float *computed_rope_factors;   /* owned, when derived from rope.scaling metadata */
    lf_layer_weights *layers;
    bool tied_embeddings;

    lf_tokenizer *tokenizer; /* NULL for a llama2.c model without tokenizer */
    char *name, *format, *architecture, *chat_template, *weight_type;
    uint64_t n_params, weight_bytes, repacked_bytes;

    lf_tensor_view *tensors; /* every tensor of the file, for `info` */
    int n_tensors;
    gguf_file *gguf;
    lf_llama2c_file *llama2c;
    struct lf_hf_weights *hf; /* Hugging Face directory: safetensors files, converted tensors */
    void **converted;         /* weights rewritten at load (--quantize, --dtype) */
    int n_converted;
    atomic_bool chatml_noted; /* the ChatML fallback was warned about (once per model) */
    bool lazy_weights;        /* loaded by lf_model_load_lazy: read tensors through tensor_rows.c */
};

/* lf_model_load for a reader of each tensor once (quantize): a Hugging Face checkpoint's
 * Q/K rows are reordered as they are read (lf_model_tensor_read_rows) instead of being
 * converted into heap copies at load; such a model's weights are not for the runtime. */
int lf_model_load_lazy(const char *path, const lf_model_params *params, lf_model **out, lf_error *err);

/* tensor_rows.c: rows [row0, row0 + n) of m->tensors[i] (rows of ne[0] elements, in GGUF
 * order) copied into dst. */
void lf_model_tensor_read_rows(const lf_model *m, int i, int64_t row0, int64_t n, void *dst);
/* Bytes of one row of m->tensors[i]; 0 when its type or shape has none. */
size_t lf_model_tensor_row_bytes(const lf_model *m, int i);
/* Drops from the process the file pages behind rows [row0, row0 + n) of m->tensors[i]
 * (re-read from the file if touched again), so reading a model once costs one tensor's
 * pages, not the model's; heap copies are left alone. */
void lf_model_tensor_release_rows(const lf_model *m, int i, int64_t row0, int64_t n);

/* True the first time it is called for m: lets a caveat about a shared, otherwise
 * immutable model be said once, not once per request. */
bool lf_model_first_notice(const lf_model *m);

/* Binds tensor views by name and checks every shape against cfg. */
int lf_model_bind_weights(lf_model *m, const char *path, lf_error *err);
/* Rewrites the bound weights as the scheme asks (from params->quantize and ->dtype by
 * lf_quant_scheme_from_params; nothing when it changes nothing), with params' threads and
 * progress callback; see weight_convert.c. */
struct lf_quant_scheme;
int lf_model_convert_weights(lf_model *m, const struct lf_quant_scheme *s, const lf_model_params *params,
                             lf_error *err);
/* Takes p (heap memory) into m's ownership: freed with m. LF_ERR_NOMEM, p not taken,
 * when the list cannot grow. */
int lf_model_own(lf_model *m, void *p);
/* Repacked copies (lf_weight.repacked) of the matrix weights whose type and shape the
 * kernel set has a repacked product for (lf_model_params.repack). */
int lf_model_repack_weights(lf_model *m, lf_error *err);
/* Llama 3.1 RoPE frequency divisors from the scaling parameters (rope_freq_factors). */
int lf_model_llama3_rope_factors(lf_model *m, float factor, float low, float high, float old_ctx, const char *path,
                                 lf_error *err);

/* model_load_hf.c: a Hugging Face model directory, or the config.json in one. */
bool lf_model_is_hf_path(const char *path);
int lf_model_load_hf(lf_model *m, const char *path, lf_error *err);
/* The directory's tokenizer.json (else tokenizer.model); none is not an error. */
int lf_model_load_hf_tokenizer(lf_model *m, lf_error *err);
void lf_model_free_hf(lf_model *m);

/* model_load_torch.c: a PyTorch checkpoint (.pth/.pt, or a directory with params.json and
 * consolidated.00.pth or model.pth); its weights live in m->hf like a HF directory's. */
bool lf_model_is_torch_path(const char *path);
int lf_model_load_torch(lf_model *m, const char *path, const lf_model_params *params, lf_error *err);

#endif
