/* Finds each weight by its GGUF name and checks its shape against the configuration, so
 * the forward pass can trust every dimension. */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "model/model.h"

static const lf_tensor_view *find_view(const lf_model *m, const char *name) {
    for (int i = 0; i < m->n_tensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0) return &m->tensors[i];
    return NULL;
}

static int shape_fail(lf_error *err, const char *path, const lf_tensor_view *v, int64_t want0, int64_t want1) {
    return lf_fail(err, LF_ERR_FORMAT, "%s: tensor '%s' has shape [%lld, %lld], the model's configuration needs [%lld, %lld]",
                   path, v->name, (long long)v->ne[0], (long long)(v->n_dims > 1 ? v->ne[1] : 1),
                   (long long)want0, (long long)want1);
}

static int bind_matrix(const lf_model *m, const char *path, const char *name, int64_t cols, int64_t rows,
                       bool optional, lf_weight *w, lf_error *err) {
    const lf_tensor_view *v = find_view(m, name);
    if (!v) {
        if (optional) return LF_OK;
        return lf_fail(err, LF_ERR_FORMAT, "%s: required tensor '%s' is missing", path, name);
    }
    if (v->ne[0] != cols || (v->n_dims > 1 ? v->ne[1] : 1) != rows || v->ne[2] != 1 || v->ne[3] != 1)
        return shape_fail(err, path, v, cols, rows);
    const lf_type_traits *tt = lf_type_get(v->type);
    uint64_t rb;
    if (!tt || !tt->weight_type || !lf_type_row_bytes((lf_type)v->type, (uint64_t)cols, &rb))
        return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: tensor '%s' has unsupported type %u", path, name, v->type);
    /* GGUF allows general.alignment 1; the kernels read F32 rows as floats and block
     * scales as 16-bit fields */
    size_t need = v->type == LF_TYPE_F32 ? 4 : 2;
    if ((uintptr_t)v->data % need != 0 || rb % need != 0)
        return lf_fail(err, LF_ERR_FORMAT, "%s: tensor '%s' is not %zu-byte aligned", path, name, need);
    w->data = v->data;
    w->type = (lf_type)v->type;
    w->rows = rows;
    w->cols = cols;
    w->row_bytes = (size_t)rb;
    return LF_OK;
}

static int bind_vector(const lf_model *m, const char *path, const char *name, int64_t n, const float **out,
                       lf_error *err) {
    lf_weight w = {0};
    int rc = bind_matrix(m, path, name, n, 1, false, &w, err);
    if (rc) return rc;
    if (w.type != LF_TYPE_F32)
        return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: tensor '%s' must be F32 (it is %s)", path, name,
                       lf_type_get(w.type)->name);
    *out = w.data;
    return LF_OK;
}

int lf_model_bind_weights(lf_model *m, const char *path, lf_error *err) {
    const lf_model_config *c = &m->cfg;
    int64_t q_dim = (int64_t)c->n_heads * c->head_dim, kv_dim = (int64_t)c->n_kv_heads * c->head_dim;
    int rc = bind_matrix(m, path, "token_embd.weight", c->dim, c->vocab_size, false, &m->tok_embd, err);
    if (!rc) rc = bind_vector(m, path, "output_norm.weight", c->dim, &m->output_norm, err);
    if (!rc) rc = bind_matrix(m, path, "output.weight", c->dim, c->vocab_size, true, &m->output, err);
    if (rc) return rc;
    m->tied_embeddings = m->output.data == NULL;
    if (m->tied_embeddings) m->output = m->tok_embd;
    const lf_tensor_view *rf = find_view(m, "rope_freqs.weight");
    if (rf) {
        if (rf->type != LF_TYPE_F32 || rf->ne[0] != c->rope_dim / 2 || rf->n_dims != 1)
            return lf_fail(err, LF_ERR_FORMAT, "%s: tensor 'rope_freqs.weight' must be F32 of %d values", path,
                           c->rope_dim / 2);
        m->rope_freq_factors = rf->data;
    }
    char name[96];
    for (int l = 0; l < c->n_layers; l++) {
        lf_layer_weights *L = &m->layers[l];
        struct { const char *suffix; int64_t cols, rows; lf_weight *w; } mats[] = {
            {"attn_q", c->dim, q_dim, &L->wq},           {"attn_k", c->dim, kv_dim, &L->wk},
            {"attn_v", c->dim, kv_dim, &L->wv},          {"attn_output", q_dim, c->dim, &L->wo},
            {"ffn_gate", c->dim, c->hidden_dim, &L->ffn_gate}, {"ffn_up", c->dim, c->hidden_dim, &L->ffn_up},
            {"ffn_down", c->hidden_dim, c->dim, &L->ffn_down},
        };
        for (size_t i = 0; i < sizeof mats / sizeof mats[0]; i++) {
            snprintf(name, sizeof name, "blk.%d.%s.weight", l, mats[i].suffix);
            if ((rc = bind_matrix(m, path, name, mats[i].cols, mats[i].rows, false, mats[i].w, err))) return rc;
        }
        snprintf(name, sizeof name, "blk.%d.attn_norm.weight", l);
        if ((rc = bind_vector(m, path, name, c->dim, &L->attn_norm, err))) return rc;
        snprintf(name, sizeof name, "blk.%d.ffn_norm.weight", l);
        if ((rc = bind_vector(m, path, name, c->dim, &L->ffn_norm, err))) return rc;
    }
    return LF_OK;
}
