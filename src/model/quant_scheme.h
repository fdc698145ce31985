/* torchchat's quantization schemes ("--quantize" JSON) and dtypes ("--dtype"), read into
 * the block type each weight role becomes. Shared by conversion at load (weight_convert.c)
 * and by the commands that write files (quantize, export). */
#ifndef LF_MODEL_QUANT_SCHEME_H
#define LF_MODEL_QUANT_SCHEME_H

#include <stdint.h>

#include "kernels/kernels.h"
#include "llamafast.h"

/* The matrices a scheme tells apart, as torchchat does: every nn.Linear of a block
 * (attention q/k/v/o, feed-forward gate/up/down), the output projection (an nn.Linear too,
 * unless node_type excludes it), and the token embedding table. */
typedef enum lf_weight_role { LF_ROLE_LINEAR, LF_ROLE_OUTPUT, LF_ROLE_EMBEDDING, LF_ROLE_COUNT } lf_weight_role;

#define LF_TYPE_KEEP (-1)

typedef struct lf_quant_scheme {
    int role_type[LF_ROLE_COUNT]; /* lf_type the role's matrices become, or LF_TYPE_KEEP */
    int dtype;                    /* F32/F16/BF16 for float matrices no role_type covers, or LF_TYPE_KEEP */
    const char *role_key[LF_ROLE_COUNT]; /* the scheme's key that chose role_type (static text) */
    const char *idle_key; /* a key that took no role (keys before it took them all), or NULL */
} lf_quant_scheme;

/* Every role and the dtype LF_TYPE_KEEP. */
void lf_quant_scheme_init(lf_quant_scheme *s);
/* Reads text ('{' first: JSON; else the path of a JSON file) into s, which it first
 * initialises. Keys apply in order, as torchchat applies its quantizers: a role an earlier
 * key took stays with it. Unknown keys and fields, values of the wrong type and group
 * sizes no block type holds are refused, naming the key and field. */
int lf_quant_scheme_parse(const char *text, lf_quant_scheme *s, lf_error *err);
/* A float type by name: f32, f16, bf16 and torchchat's fp32, float32, float, fp16, float16,
 * half, bfloat16. what names the argument in the message. */
int lf_dtype_parse(const char *name, const char *what, lf_type *out, lf_error *err);
/* Both, as lf_model_params carries them (either may be NULL); a "precision" key of the
 * scheme and a dtype that disagree are refused. */
int lf_quant_scheme_from_params(const char *quantize, const char *dtype, lf_quant_scheme *s, lf_error *err);
/* Whether s changes anything. */
bool lf_quant_scheme_active(const lf_quant_scheme *s);
/* Warns (lf_log) when a key of s took no weights because earlier keys took them all. */
void lf_quant_scheme_warn_idle(const lf_quant_scheme *s);

/* The type a matrix of role now of type `current` becomes under s (current itself when
 * nothing applies). */
lf_type lf_quant_scheme_target(const lf_quant_scheme *s, lf_weight_role role, lf_type current);
/* The type a row of cols values can take for want: want itself, or, when cols is not a
 * multiple of a K-quant's 256, llama.cpp's fallback (Q2_K/Q3_K -> Q4_0; Q4_K -> Q5_0,
 * Q5_K -> Q5_1, Q6_K -> Q8_0; F16 when that does not fit either). False for a 32-element
 * block type on rows it cannot take: llama-quantize writes those F16 (quantize follows it),
 * conversion at load refuses them. */
bool lf_quant_row_type(lf_type want, int64_t cols, lf_type *out);

#endif
