#include "model/hf_weights.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

typedef enum conversion { AS_IS, NORM_F32, UNPERMUTE_Q, UNPERMUTE_K } conversion;

static void *own(struct lf_hf_weights *w, size_t bytes) {
    void **list = realloc(w->owned, (size_t)(w->n_owned + 1) * sizeof *list);
    if (!list) return NULL;
    w->owned = list;
    void *p = malloc(bytes ? bytes : 1);
    if (p) w->owned[w->n_owned++] = p;
    return p;
}

/* HF stores each head's query/key rows as [x0 x2 x4 … | x1 x3 x5 …] for its rotate-half
 * RoPE; the runtime rotates adjacent pairs (x0, x1) as Meta's checkpoints and GGUF
 * order them, so row h*hd + 2i + j comes from HF row h*hd + j*hd/2 + i. */
static void unpermute_rows(unsigned char *dst, const unsigned char *src, int64_t n_heads, int64_t head_dim,
                           size_t row_bytes) {
    int64_t half = head_dim / 2;
    for (int64_t h = 0; h < n_heads; h++)
        for (int64_t i = 0; i < half; i++)
            for (int64_t j = 0; j < 2; j++)
                memcpy(dst + (size_t)(h * head_dim + 2 * i + j) * row_bytes,
                       src + (size_t)(h * head_dim + j * half + i) * row_bytes, row_bytes);
}

static float element_f32(int type, const void *data, size_t i) {
    uint16_t h;
    if (type == LF_TYPE_F32) {
        float f;
        memcpy(&f, (const char *)data + 4 * i, 4);
        return f;
    }
    memcpy(&h, (const char *)data + 2 * i, 2);
    return type == LF_TYPE_F16 ? lf_f16_to_f32(h) : lf_bf16_to_f32(h);
}

/* Points v at data the kernels can use: the mapped bytes when possible, else a converted
 * copy (norms become F32; Q/K rows are reordered; misaligned data is copied). */
static int convert(struct lf_hf_weights *w, const lf_model_config *c, const safetensors_tensor *t, conversion conv,
                   lf_tensor_view *v, lf_error *err) {
    size_t align = t->type == LF_TYPE_F32 ? 4 : 2;
    v->type = (uint32_t)t->type;
    v->data = t->data;
    v->nbytes = t->nbytes;
    /* A lazy reader copies rows out (lf_model_tensor_read_rows), reordering them there:
     * converting a whole 7B model's Q/K up front would hold gigabytes on the heap. (The
     * binder still needs aligned views: misaligned data is copied as for the runtime.) */
    if (w->unpermute_heads && (conv == UNPERMUTE_Q || conv == UNPERMUTE_K) && (uintptr_t)t->data % align == 0) {
        w->unpermute_heads[v - w->views] = conv == UNPERMUTE_Q ? c->n_heads : c->n_kv_heads;
        return LF_OK;
    }
    if (conv == NORM_F32 && t->type != LF_TYPE_F32) {
        size_t n = (size_t)t->shape[0];
        float *f = own(w, n * sizeof *f);
        if (!f) return lf_fail(err, LF_ERR_NOMEM, "out of memory converting '%s'", t->name);
        for (size_t i = 0; i < n; i++) f[i] = element_f32(t->type, t->data, i);
        v->type = LF_TYPE_F32;
        v->data = f;
        v->nbytes = n * sizeof *f;
    } else if (conv == UNPERMUTE_Q || conv == UNPERMUTE_K) {
        unsigned char *p = own(w, t->nbytes);
        if (!p) return lf_fail(err, LF_ERR_NOMEM, "out of memory reordering '%s'", t->name);
        size_t row_bytes = (size_t)(t->nbytes / (uint64_t)t->shape[0]);
        unpermute_rows(p, t->data, conv == UNPERMUTE_Q ? c->n_heads : c->n_kv_heads, c->head_dim, row_bytes);
        v->data = p;
    } else if ((uintptr_t)t->data % align) {
        void *p = own(w, t->nbytes);
        if (!p) return lf_fail(err, LF_ERR_NOMEM, "out of memory copying '%s'", t->name);
        memcpy(p, t->data, t->nbytes);
        v->data = p;
    }
    return LF_OK;
}

/* Rows [row0, row0 + rows) of tensor `name` (total_rows x cols; a vector when rows is 0)
 * as the view gguf_name: a slice of a fused matrix (wqkv) when total_rows > rows. */
static int add_view_rows(lf_model *m, struct lf_hf_weights *w, const char *name, const char *gguf_name, int64_t row0,
                         int64_t rows, int64_t total_rows, int64_t cols, conversion conv,
                         const safetensors_tensor **used, lf_error *err) {
    const safetensors_tensor *t = safetensors_set_find(&w->set, name);
    if (!t) return lf_fail(err, LF_ERR_FORMAT, "%s: required tensor '%s' is missing", w->dir, name);
    used[w->n_views] = t;
    bool vector = rows == 0;
    if (t->n_dims != (vector ? 1 : 2) || t->shape[0] != (vector ? cols : total_rows) || (!vector && t->shape[1] != cols)) {
        char shape[96] = "[", want[48];
        for (int d = 0; d < t->n_dims && strlen(shape) < 60; d++)
            snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%lld", d ? ", " : "", (long long)t->shape[d]);
        if (vector) snprintf(want, sizeof want, "[%lld]", (long long)cols);
        else snprintf(want, sizeof want, "[%lld, %lld]", (long long)total_rows, (long long)cols);
        return lf_fail(err, LF_ERR_FORMAT, "%s: tensor '%s' has shape %s], %s implies %s", w->dir, name, shape,
                       w->config_name, want);
    }
    if (t->type < 0)
        return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: tensor '%s' has dtype %s (F32, F16 and BF16 are supported)", w->dir,
                       name, t->dtype);
    safetensors_tensor slice = *t;
    if (!vector && total_rows != rows) {
        size_t row_bytes = (size_t)(t->nbytes / (uint64_t)total_rows);
        slice.data = (const char *)t->data + (size_t)row0 * row_bytes;
        slice.nbytes = (uint64_t)rows * row_bytes;
        slice.shape[0] = rows;
    }
    lf_tensor_view *v = &w->views[w->n_views++];
    snprintf(v->name, sizeof v->name, "%s", gguf_name);
    v->n_dims = vector ? 1 : 2;
    v->ne[0] = cols;
    v->ne[1] = vector ? 1 : rows;
    v->ne[2] = v->ne[3] = 1;
    return convert(w, &m->cfg, &slice, conv, v, err);
}

static int add_view(lf_model *m, struct lf_hf_weights *w, const char *name, const char *gguf_name, int64_t rows,
                    int64_t cols, conversion conv, const safetensors_tensor **used, lf_error *err) {
    return add_view_rows(m, w, name, gguf_name, 0, rows, rows, cols, conv, used, err);
}

/* Tensors the runtime does not use are reported, except RoPE tables older checkpoints
 * saved (the runtime computes them). */
static void warn_unused(const struct lf_hf_weights *w, const safetensors_tensor **used, int n_used) {
    int unused = 0;
    const char *first = NULL;
    for (int f = 0; f < w->set.n_files; f++)
        for (int i = 0; i < w->set.files[f]->n_tensors; i++) {
            const safetensors_tensor *t = &w->set.files[f]->tensors[i];
            bool is_used = strstr(t->name, "rotary_emb.inv_freq") != NULL;
            for (int k = 0; k < n_used && !is_used; k++) is_used = used[k] == t;
            if (!is_used && !unused++) first = t->name;
        }
    if (unused) lf_log(LF_LOG_WARN, "%s: %d tensors are not used, e.g. '%.100s'", w->dir, unused, first);
}

/* The names of one layer's tensors in a checkpoint layout, and whether Q/K rows need
 * HF's rotate-half order undone. */
typedef struct layout_names {
    const char *embed, *norm, *lm_head, *layer_fmt; /* layer_fmt: "%d" then the part */
    const char *q, *k, *v, *o, *gate, *up, *down, *attn_norm, *ffn_norm, *qkv;
    conversion q_conv, k_conv;
} layout_names;

static const layout_names layouts[] = {
    [CHECKPOINT_HF] = {"model.embed_tokens.weight", "model.norm.weight", "lm_head.weight", "model.layers.%d.%s.weight",
                       "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj",
                       "mlp.up_proj", "mlp.down_proj", "input_layernorm", "post_attention_layernorm", NULL,
                       UNPERMUTE_Q, UNPERMUTE_K},
    [CHECKPOINT_META] = {"tok_embeddings.weight", "norm.weight", "output.weight", "layers.%d.%s.weight",
                         "attention.wq", "attention.wk", "attention.wv", "attention.wo", "feed_forward.w1",
                         "feed_forward.w3", "feed_forward.w2", "attention_norm", "ffn_norm", "attention.wqkv",
                         AS_IS, AS_IS},
};

/* Q, K and V of layer l: three matrices, or (torchchat / gpt-fast) rows of one fused wqkv. */
static int add_qkv(lf_model *m, struct lf_hf_weights *w, const layout_names *n, int l, int64_t q_dim, int64_t kv_dim,
                   const safetensors_tensor **used, lf_error *err) {
    const lf_model_config *c = &m->cfg;
    char name[128], gguf[64];
    if (n->qkv) {
        snprintf(name, sizeof name, n->layer_fmt, l, n->qkv);
        if (safetensors_set_find(&w->set, name)) {
            int64_t total = q_dim + 2 * kv_dim;
            const struct { const char *gguf; int64_t row0, rows; } part[] = {
                {"attn_q", 0, q_dim}, {"attn_k", q_dim, kv_dim}, {"attn_v", q_dim + kv_dim, kv_dim}};
            int rc = LF_OK;
            for (int i = 0; i < 3 && !rc; i++) {
                snprintf(gguf, sizeof gguf, "blk.%d.%s.weight", l, part[i].gguf);
                rc = add_view_rows(m, w, name, gguf, part[i].row0, part[i].rows, total, c->dim, AS_IS, used, err);
            }
            return rc;
        }
    }
    const struct { const char *part, *gguf; int64_t rows; conversion conv; } t[] = {
        {n->q, "attn_q", q_dim, n->q_conv}, {n->k, "attn_k", kv_dim, n->k_conv}, {n->v, "attn_v", kv_dim, AS_IS}};
    int rc = LF_OK;
    for (int i = 0; i < 3 && !rc; i++) {
        snprintf(name, sizeof name, n->layer_fmt, l, t[i].part);
        snprintf(gguf, sizeof gguf, "blk.%d.%s.weight", l, t[i].gguf);
        rc = add_view(m, w, name, gguf, t[i].rows, c->dim, t[i].conv, used, err);
    }
    return rc;
}

int hf_weights_map(lf_model *m, struct lf_hf_weights *w, bool tied, checkpoint_layout layout, lf_error *err) {
    const lf_model_config *c = &m->cfg;
    const layout_names *n = &layouts[layout];
    int64_t q_dim = (int64_t)c->n_heads * c->head_dim, kv_dim = (int64_t)c->n_kv_heads * c->head_dim;
    size_t max_views = 3 + 9 * (size_t)c->n_layers;
    w->views = calloc(max_views, sizeof *w->views);
    const safetensors_tensor **used = calloc(max_views + 1, sizeof *used);
    if (m->lazy_weights) w->unpermute_heads = calloc(max_views, sizeof *w->unpermute_heads);
    if (!w->views || !used || (m->lazy_weights && !w->unpermute_heads)) {
        free(used);
        return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    }
    int rc = add_view(m, w, n->embed, "token_embd.weight", c->vocab_size, c->dim, AS_IS, used, err);
    if (!rc) rc = add_view(m, w, n->norm, "output_norm.weight", 0, c->dim, NORM_F32, used, err);
    if (!rc && !tied) rc = add_view(m, w, n->lm_head, "output.weight", c->vocab_size, c->dim, AS_IS, used, err);
    char name[128], gguf[64];
    for (int l = 0; l < c->n_layers && !rc; l++) {
        rc = add_qkv(m, w, n, l, q_dim, kv_dim, used, err);
        struct { const char *part, *gguf; int64_t rows, cols; conversion conv; } t[] = {
            {n->o, "attn_output", c->dim, q_dim, AS_IS},
            {n->gate, "ffn_gate", c->hidden_dim, c->dim, AS_IS},
            {n->up, "ffn_up", c->hidden_dim, c->dim, AS_IS},
            {n->down, "ffn_down", c->dim, c->hidden_dim, AS_IS},
            {n->attn_norm, "attn_norm", 0, c->dim, NORM_F32},
            {n->ffn_norm, "ffn_norm", 0, c->dim, NORM_F32},
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0] && !rc; i++) {
            snprintf(name, sizeof name, n->layer_fmt, l, t[i].part);
            snprintf(gguf, sizeof gguf, "blk.%d.%s.weight", l, t[i].gguf);
            rc = add_view(m, w, name, gguf, t[i].rows, t[i].cols, t[i].conv, used, err);
        }
    }
    if (!rc) {
        if (tied) used[w->n_views] = safetensors_set_find(&w->set, n->lm_head); /* a saved copy */
        warn_unused(w, used, w->n_views + (tied ? 1 : 0));
        m->tensors = w->views;
        m->n_tensors = w->n_views;
    }
    free(used);
    return rc;
}

void hf_weights_free(struct lf_hf_weights *w) {
    if (!w) return;
    for (int i = 0; i < w->n_owned; i++) free(w->owned[i]);
    free(w->owned);
    free(w->views);
    free(w->unpermute_heads);
    safetensors_set_close(&w->set);
    free(w->dir);
    free(w);
}
