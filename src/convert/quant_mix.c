#include "convert/quant_mix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "model/quant_scheme.h"

typedef enum role {
    ROLE_TOKEN_EMBD, ROLE_OUTPUT, ROLE_ATTN_QKV, ROLE_ATTN_V, ROLE_ATTN_K, ROLE_ATTN_Q, ROLE_ATTN_OUTPUT,
    ROLE_FFN_UP, ROLE_FFN_GATE, ROLE_FFN_DOWN, ROLE_OTHER
} role;

/* tensor_get_category: substring tests, in llama.cpp's order */
static role role_of(const char *name) {
    if (strcmp(name, "output.weight") == 0) return ROLE_OUTPUT;
    if (strcmp(name, "token_embd.weight") == 0) return ROLE_TOKEN_EMBD;
    static const struct { const char *part; role r; } parts[] = {
        {"attn_qkv.weight", ROLE_ATTN_QKV}, {"attn_v.weight", ROLE_ATTN_V}, {"attn_k.weight", ROLE_ATTN_K},
        {"attn_q.weight", ROLE_ATTN_Q}, {"attn_output.weight", ROLE_ATTN_OUTPUT}, {"ffn_up", ROLE_FFN_UP},
        {"ffn_gate", ROLE_FFN_GATE}, {"ffn_down", ROLE_FFN_DOWN}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (strstr(name, parts[i].part)) return parts[i].r;
    return ROLE_OTHER;
}

/* ggml_n_dims: trailing dimensions of 1 do not count */
static int n_dims(const lf_tensor_view *t) {
    int n = 4;
    while (n > 1 && t->ne[n - 1] == 1) n--;
    return n;
}

/* tensor_allows_quantization, for the names a llama model has: matrices named *weight,
 * not norms, gates of experts or positional tables. */
static bool quantizable(const lf_tensor_view *t) {
    size_t len = strlen(t->name);
    return n_dims(t) >= 2 && len >= 6 && strcmp(t->name + len - 6, "weight") == 0 &&
           !strstr(t->name, "_norm.weight") && !strstr(t->name, "ffn_gate_inp.weight") &&
           strcmp(t->name, "position_embd.weight") != 0 && strcmp(t->name, "token_types.weight") != 0;
}

static bool is_quantized(lf_type t) { return !quant_type_is_float(t); }
static int64_t block_of(lf_type t) { return lf_type_get(t)->block_elems; }

/* llama.cpp's tensor_type_fallback: a tensor whose rows the chosen type's blocks do not
 * divide (SmolLM2's 576 columns under a 256-element K-quant) takes the nearest type with
 * 32-element blocks, and F16 when even those do not divide. llama.cpp picks Q4_0 for
 * Q2_K and Q3_K (not IQ4_NL, which it keeps for the IQ types' fallback). */
static lf_type row_length_fallback(const lf_tensor_view *t, lf_type target, int *n_fallback) {
    int64_t cols = t->ne[0];
    lf_type to;
    /* lf_quant_row_type has llama.cpp's K-quant fallbacks; a 32-element block type has
     * no smaller block to go to, and llama.cpp writes those rows F16 */
    if (!lf_quant_row_type(target, cols, &to)) to = LF_TYPE_F16;
    if (to == target) return target;
    lf_log(LF_LOG_WARN, "%s: rows of %lld are not a multiple of %s's %lld-element blocks; using %s", t->name,
           (long long)cols, lf_type_get(target)->name, (long long)block_of(target), lf_type_get(to)->name);
    (*n_fallback)++;
    return to;
}

typedef struct mix_state {
    int n_attention_wv, i_attention_wv, i_ffn_down;
    bool tied;
} mix_state;

/* use_more_bits: the first and last eighth of the layers and every third in between */
static bool more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

/* llama_tensor_get_type_impl for the llama architecture, no experts. The counters
 * advance in llama.cpp's tensor order (see plan_order). */
static lf_type mix_type(const quant_mix_options *o, mix_state *s, const lf_tensor_view *t, role r) {
    quant_ftype f = o->ftype;
    lf_type type = o->base;
    int n_gqa = o->n_kv_heads ? o->n_heads / o->n_kv_heads : 1;
    bool is_70b = o->n_layers == 80 && o->n_heads != o->n_kv_heads;
    if (r == ROLE_OUTPUT || (s->tied && r == ROLE_TOKEN_EMBD)) {
        if (o->output_type != LF_TYPE_COUNT) type = o->output_type;
        else if (t->ne[0] % block_of(type) != 0) type = LF_TYPE_Q8_0;
        else if (type != LF_TYPE_Q8_0) type = LF_TYPE_Q6_K;
    } else if (r == ROLE_TOKEN_EMBD) {
        /* the mixes here keep the base type */
    } else if (r == ROLE_ATTN_V || r == ROLE_ATTN_QKV) {
        if (f == FTYPE_Q2_K) type = n_gqa >= 4 ? LF_TYPE_Q4_K : LF_TYPE_Q3_K;
        else if (f == FTYPE_Q2_K_S && n_gqa >= 4) type = LF_TYPE_Q4_K;
        else if (f == FTYPE_Q3_K_M) type = s->i_attention_wv < 2 ? LF_TYPE_Q5_K : LF_TYPE_Q4_K;
        else if (f == FTYPE_Q3_K_L) type = LF_TYPE_Q5_K;
        else if ((f == FTYPE_Q4_K_M || f == FTYPE_Q5_K_M) && more_bits(s->i_attention_wv, s->n_attention_wv))
            type = LF_TYPE_Q6_K;
        else if (f == FTYPE_Q4_K_S && s->i_attention_wv < 4) type = LF_TYPE_Q5_K;
        /* 70B's attn_v is 8x smaller than attn_q: more bits cost little */
        if (is_70b && (type == LF_TYPE_Q3_K || type == LF_TYPE_Q4_K)) type = LF_TYPE_Q5_K;
        s->i_attention_wv++;
    } else if (r == ROLE_FFN_DOWN) {
        int i = s->i_ffn_down, n = o->n_layers;
        if (f == FTYPE_Q2_K) type = LF_TYPE_Q3_K;
        else if (f == FTYPE_Q2_K_S) {
            if (i < n / 8) type = LF_TYPE_Q4_K;
        } else if (f == FTYPE_Q3_K_M) type = i < n / 16 ? LF_TYPE_Q5_K : LF_TYPE_Q4_K;
        else if (f == FTYPE_Q3_K_L) type = LF_TYPE_Q5_K;
        else if (f == FTYPE_Q4_K_M) {
            if (more_bits(i, n)) type = LF_TYPE_Q6_K;
        } else if (f == FTYPE_Q5_K_M && more_bits(i, n)) type = LF_TYPE_Q6_K;
        else if (f == FTYPE_Q4_K_S && i < n / 8) type = LF_TYPE_Q5_K;
        /* llama.cpp guards the first ffn_down layers of Q4_0/Q5_0 with the min-term types,
         * only with an imatrix (without one Q4_1/Q5_1 do worse there, and a file made
         * without one stays what it always was) */
        else if ((f == FTYPE_Q4_0 || f == FTYPE_Q5_0) && o->has_imatrix && i < n / 8)
            type = f == FTYPE_Q4_0 ? LF_TYPE_Q4_1 : LF_TYPE_Q5_1;
        s->i_ffn_down++;
    } else if (r == ROLE_ATTN_OUTPUT) {
        if (f == FTYPE_Q2_K) type = LF_TYPE_Q3_K;
        else if (f == FTYPE_Q3_K_M) type = LF_TYPE_Q4_K;
        else if (f == FTYPE_Q3_K_L) type = LF_TYPE_Q5_K;
    }
    return type;
}

/* llama_tensor_get_type: overrides first, then the mix, then the row-length fallback */
static lf_type tensor_type(const quant_mix_options *o, mix_state *s, const lf_tensor_view *t, int *n_fallback) {
    if (!quantizable(t)) return (lf_type)t->type;
    role r = role_of(t->name);
    if (o->token_embd_type != LF_TYPE_COUNT && r == ROLE_TOKEN_EMBD) return o->token_embd_type;
    if (o->output_type != LF_TYPE_COUNT && r == ROLE_OUTPUT) return o->output_type;
    lf_type type = o->base;
    if (!is_quantized(o->base)) return type;
    if (!o->pure) type = mix_type(o, s, t, r);
    return row_length_fallback(t, type, n_fallback);
}

/* The layer of "blk.N.…", -1 for the rest */
static int layer_of(const char *name) {
    int l = -1;
    return sscanf(name, "blk.%d.", &l) == 1 ? l : -1;
}

typedef struct ordered {
    int layer, index;
    const char *name;
} ordered;

static int by_layer_then_name(const void *a, const void *b) {
    const ordered *x = a, *y = b;
    return x->layer != y->layer ? (x->layer < y->layer ? -1 : 1) : strcmp(x->name, y->name);
}

/* llama.cpp visits tensors in its weights map's order (layer, then name), which is
 * where the mix's layer counters come from; a file need not store them that way. */
static ordered *plan_order(const lf_tensor_view *tensors, int n) {
    ordered *order = malloc((size_t)(n ? n : 1) * sizeof *order);
    if (!order) return NULL;
    for (int i = 0; i < n; i++) order[i] = (ordered){layer_of(tensors[i].name), i, tensors[i].name};
    qsort(order, (size_t)n, sizeof *order, by_layer_then_name);
    return order;
}

static int check_plan(const lf_tensor_view *t, lf_type type, lf_error *err) {
    if (t->ne[0] % block_of(type) != 0)
        return lf_fail(err, LF_ERR_ARG, "%s: rows of %lld elements are not a multiple of %s's %lld-element blocks",
                       t->name, (long long)t->ne[0], lf_type_get(type)->name, (long long)block_of(type));
    return LF_OK;
}

int quant_mix_plan(const quant_mix_options *o, const lf_tensor_view *tensors, int n, lf_type *types, lf_error *err) {
    mix_state s = {.tied = true};
    for (int i = 0; i < n; i++) {
        role r = role_of(tensors[i].name);
        if (r == ROLE_ATTN_V || r == ROLE_ATTN_QKV) s.n_attention_wv++;
        if (r == ROLE_OUTPUT) s.tied = false;
    }
    ordered *order = plan_order(tensors, n);
    if (!order) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    int n_fallback = 0, rc = LF_OK;
    for (int k = 0; k < n && !rc; k++) {
        int i = order[k].index;
        types[i] = tensor_type(o, &s, &tensors[i], &n_fallback);
        if (types[i] != (lf_type)tensors[i].type) rc = check_plan(&tensors[i], types[i], err);
    }
    free(order);
    if (!rc && n_fallback)
        lf_log(LF_LOG_WARN, "%d of %d tensors took a fallback type for their row length", n_fallback, n);
    return rc;
}

/* The type a tensor of role r becomes under s, fallen back for its row length. */
static lf_type scheme_type(const lf_quant_scheme *s, const lf_tensor_view *t, role r, int *n_fallback) {
    lf_type cur = (lf_type)t->type, want = r == ROLE_OUTPUT      ? lf_quant_scheme_target(s, LF_ROLE_OUTPUT, cur)
                                          : r == ROLE_TOKEN_EMBD ? lf_quant_scheme_target(s, LF_ROLE_EMBEDDING, cur)
                                          : r != ROLE_OTHER      ? lf_quant_scheme_target(s, LF_ROLE_LINEAR, cur)
                                          : quant_type_is_float(cur) && s->dtype != LF_TYPE_KEEP ? (lf_type)s->dtype
                                                                                                 : cur;
    return want == cur ? cur : row_length_fallback(t, want, n_fallback);
}

lf_type quant_scheme_plan(const lf_quant_scheme *s, const lf_tensor_view *tensors, int n, lf_type *types) {
    int n_fallback = 0, embd = -1;
    bool tied = true;
    for (int i = 0; i < n; i++) {
        role r = role_of(tensors[i].name);
        types[i] = s && quantizable(&tensors[i]) ? scheme_type(s, &tensors[i], r, &n_fallback) : (lf_type)tensors[i].type;
        if (r == ROLE_TOKEN_EMBD) embd = i;
        if (r == ROLE_OUTPUT) tied = false;
    }
    lf_type output = LF_TYPE_COUNT;
    if (s && tied && embd >= 0 && quantizable(&tensors[embd])) {
        output = scheme_type(s, &tensors[embd], ROLE_OUTPUT, &n_fallback);
        if (output == types[embd]) output = LF_TYPE_COUNT;
    }
    if (n_fallback) lf_log(LF_LOG_WARN, "%d tensors took a fallback type for their row length", n_fallback);
    return output;
}
