#include "convert/quant_types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"

/* llama-quantize's names and file-type numbers; the descriptions are the mixes'
 * llama_tensor_get_type choices for a llama model; bits per weight are the base type's. */
static const lf_quantize_type_info table[] = {
    {"F32", NULL, FTYPE_ALL_F32, 32, "32-bit floats"},
    {"F16", NULL, FTYPE_F16, 16, "16-bit floats"},
    {"BF16", NULL, FTYPE_BF16, 16, "bfloat16"},
    {"Q8_0", NULL, FTYPE_Q8_0, 8.5, "8-bit, blocks of 32"},
    {"Q4_0", NULL, FTYPE_Q4_0, 4.5, "4-bit, blocks of 32 with a scale"},
    {"Q4_1", NULL, FTYPE_Q4_1, 5, "4-bit, blocks of 32 with a scale and minimum"},
    {"Q5_0", NULL, FTYPE_Q5_0, 5.5, "5-bit, blocks of 32 with a scale"},
    {"Q5_1", NULL, FTYPE_Q5_1, 6, "5-bit, blocks of 32 with a scale and minimum"},
    {"Q2_K", NULL, FTYPE_Q2_K, 2.625, "Q2_K; attn_v, attn_output, ffn_down Q3_K/Q4_K"},
    {"Q2_K_S", NULL, FTYPE_Q2_K_S, 2.625, "Q2_K, ffn_down of the first layers Q4_K; needs --imatrix"},
    {"Q3_K_S", NULL, FTYPE_Q3_K_S, 3.4375, "Q3_K everywhere but the output (Q6_K)"},
    {"Q3_K_M", NULL, FTYPE_Q3_K_M, 3.4375, "Q3_K; attn_v, attn_output, ffn_down Q4_K/Q5_K"},
    {"Q3_K", "Q3_K_M", FTYPE_Q3_K_M, 3.4375, "alias for Q3_K_M"},
    {"Q3_K_L", NULL, FTYPE_Q3_K_L, 3.4375, "Q3_K; attn_v, attn_output, ffn_down Q5_K"},
    {"Q4_K_S", NULL, FTYPE_Q4_K_S, 4.5, "Q4_K; the first attn_v and ffn_down Q5_K"},
    {"Q4_K_M", NULL, FTYPE_Q4_K_M, 4.5, "Q4_K; half of attn_v and ffn_down Q6_K"},
    {"Q4_K", "Q4_K_M", FTYPE_Q4_K_M, 4.5, "alias for Q4_K_M"},
    {"Q5_K_S", NULL, FTYPE_Q5_K_S, 5.5, "Q5_K everywhere but the output (Q6_K)"},
    {"Q5_K_M", NULL, FTYPE_Q5_K_M, 5.5, "Q5_K; half of attn_v and ffn_down Q6_K"},
    {"Q5_K", "Q5_K_M", FTYPE_Q5_K_M, 5.5, "alias for Q5_K_M"},
    {"Q6_K", NULL, FTYPE_Q6_K, 6.5625, "6-bit K-quant"},
    /* after F32, whose number it shares, as in llama-quantize's list */
    {"COPY", NULL, FTYPE_ALL_F32, 0, "every tensor as the source has it (no quantizing)"},
};
#define N_TABLE ((int)(sizeof table / sizeof table[0]))

int lf_quantize_types(const lf_quantize_type_info **types) {
    *types = table;
    return N_TABLE;
}

/* llama_ftype_get_default_type */
static lf_type base_type(quant_ftype f) {
    switch (f) {
    case FTYPE_ALL_F32: return LF_TYPE_F32;
    case FTYPE_F16: return LF_TYPE_F16;
    case FTYPE_BF16: return LF_TYPE_BF16;
    case FTYPE_Q8_0: return LF_TYPE_Q8_0;
    case FTYPE_Q4_0: return LF_TYPE_Q4_0;
    case FTYPE_Q4_1: return LF_TYPE_Q4_1;
    case FTYPE_Q5_0: return LF_TYPE_Q5_0;
    case FTYPE_Q5_1: return LF_TYPE_Q5_1;
    case FTYPE_Q2_K: case FTYPE_Q2_K_S: return LF_TYPE_Q2_K;
    case FTYPE_Q3_K_S: case FTYPE_Q3_K_M: case FTYPE_Q3_K_L: return LF_TYPE_Q3_K;
    case FTYPE_Q4_K_S: case FTYPE_Q4_K_M: return LF_TYPE_Q4_K;
    case FTYPE_Q5_K_S: case FTYPE_Q5_K_M: return LF_TYPE_Q5_K;
    case FTYPE_Q6_K: return LF_TYPE_Q6_K;
    }
    return LF_TYPE_COUNT;
}

static void list_names(char *buf, size_t cap) {
    buf[0] = 0;
    for (int i = 0; i < N_TABLE; i++)
        snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", i ? ", " : "", table[i].name);
}

int quant_ftype_parse(const char *name, quant_ftype *ftype, lf_type *base, lf_error *err) {
    char *end;
    long number = name && *name ? strtol(name, &end, 10) : -1;
    bool numeric = name && *name && !*end;
    for (int i = 0; name && i < N_TABLE; i++)
        if (numeric ? number == table[i].file_type : strcasecmp(name, table[i].name) == 0) {
            *ftype = (quant_ftype)table[i].file_type;
            *base = base_type(*ftype);
            return LF_OK;
        }
    char names[400];
    list_names(names, sizeof names);
    return lf_fail(err, LF_ERR_ARG, "unknown quantization type '%s' (valid: %s)", name ? name : "(null)", names);
}

bool quant_is_copy(const char *name) { return name && strcasecmp(name, "COPY") == 0; }

quant_ftype quant_ftype_of_type(lf_type t) {
    /* the table's names are the tensor types' (Q4_K names Q4_K_M, as llama.cpp guesses) */
    for (int i = 0; i < N_TABLE; i++)
        if (!quant_is_copy(table[i].name) && strcasecmp(lf_type_get(t)->name, table[i].name) == 0)
            return (quant_ftype)table[i].file_type;
    return FTYPE_ALL_F32;
}

bool quant_type_is_float(lf_type t) { return t == LF_TYPE_F32 || t == LF_TYPE_F16 || t == LF_TYPE_BF16; }

static bool writable(lf_type t) {
    const lf_type_traits *tr = lf_type_get(t);
    if (!tr || !tr->weight_type) return false;
    /* lf_quantize_row says whether it writes a type: ask with one block of zeros */
    float zeros[256] = {0};
    unsigned char out[1024];
    return tr->block_elems <= 256 && tr->block_bytes <= (int)sizeof out &&
           lf_quantize_row(t, zeros, tr->block_elems, out);
}

int quant_tensor_type_parse(const char *name, const char *what, lf_type *type, lf_error *err) {
    char names[400] = "";
    for (uint32_t t = 0; t < LF_TYPE_COUNT; t++) {
        if (!writable((lf_type)t)) continue;
        const char *n = lf_type_get(t)->name;
        if (name && strcasecmp(name, n) == 0) {
            *type = (lf_type)t;
            return LF_OK;
        }
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", *names ? ", " : "", n);
    }
    return lf_fail(err, LF_ERR_ARG, "%s: unknown tensor type '%s' (valid: %s)", what, name ? name : "(null)", names);
}
