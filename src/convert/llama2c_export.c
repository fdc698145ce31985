/* lf_export_llama2c: a llama2.c checkpoint written the way llama2.c's export.py writes
 * it (legacy_export, version1_export, version2_export), from any loaded model. Weights
 * are dequantized one row at a time; v2 groups run across rows (export.py quantizes the
 * flattened tensor), so a group is assembled from as many rows as it spans. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert/out_file.h"
#include "core/error.h"
#include "model/model.h"

#define LLAMA2C_MAGIC 0x616b3432u
#define LLAMA2C_HEADER_BYTES 256
#define LLAMA2C_ROPE_THETA 10000.0
#define LLAMA2C_NORM_EPS 1e-5f

lf_llama2c_export_params lf_llama2c_export_default_params(void) {
    return (lf_llama2c_export_params){.version = 0, .group_size = 64};
}

typedef struct bin_writer {
    out_file out;
    const lf_model *m;
    int version, group_size;
    float *row;           /* one dequantized row */
    float *group;         /* v2: the group being assembled */
    int group_fill;
    float *scales;        /* v2: the current tensor's scales, written after its int8 values */
    uint64_t n_scales;
    int8_t *q;            /* v2: one group's int8 values */
    uint64_t done, total; /* weights written, for progress */
    lf_export_progress_fn progress;
    void *progress_user;
    lf_error *err;
} bin_writer;

static int put_i32(bin_writer *w, int32_t v) { return out_file_write(&w->out, &v, sizeof v, w->err); }

static int header(bin_writer *w, bool shared) {
    const lf_model_config *c = &w->m->cfg;
    int32_t vocab = w->version == 0 && !shared ? -c->vocab_size : c->vocab_size;
    int32_t fields[7] = {c->dim, c->hidden_dim, c->n_layers, c->n_heads, c->n_kv_heads, vocab, c->context_length};
    int rc = LF_OK;
    if (w->version > 0) {
        uint32_t magic = LLAMA2C_MAGIC;
        if ((rc = out_file_write(&w->out, &magic, 4, w->err)) || (rc = put_i32(w, w->version))) return rc;
    }
    if ((rc = out_file_write(&w->out, fields, sizeof fields, w->err)) || w->version == 0) return rc;
    unsigned char flag = shared;
    if ((rc = out_file_write(&w->out, &flag, 1, w->err))) return rc;
    if (w->version == 2 && (rc = put_i32(w, w->group_size))) return rc;
    return out_file_pad(&w->out, LLAMA2C_HEADER_BYTES - w->out.written, w->err);
}

/* torch's float32 arithmetic on export.py's group: scale = max|w| / 127, each value
 * w / scale rounded half to even; an all-zero group (0/0 in torch, which casts to 0)
 * gets scale 0 and zeros. */
static int flush_group(bin_writer *w) {
    int n = w->group_size;
    float amax = 0.0f;
    for (int i = 0; i < n; i++) amax = fmaxf(amax, fabsf(w->group[i]));
    float scale = amax / 127.0f;
    for (int i = 0; i < n; i++) w->q[i] = scale > 0.0f ? (int8_t)nearbyintf(w->group[i] / scale) : 0;
    w->scales[w->n_scales++] = scale;
    w->group_fill = 0;
    return out_file_write(&w->out, w->q, (size_t)n, w->err);
}

static int put_values(bin_writer *w, const float *x, int64_t n, bool quantize, const char *what) {
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return lf_fail(w->err, LF_ERR_FORMAT, "%s: tensor %s holds a non-finite value (%g) at %lld", w->m->name,
                           what, x[i], (long long)i);
    if (!quantize) return out_file_write(&w->out, x, (size_t)n * sizeof *x, w->err);
    for (int64_t i = 0; i < n;) {
        int64_t take = w->group_size - w->group_fill;
        if (take > n - i) take = n - i;
        memcpy(w->group + w->group_fill, x + i, (size_t)take * sizeof *x);
        w->group_fill += (int)take;
        i += take;
        int rc = w->group_fill == w->group_size ? flush_group(w) : LF_OK;
        if (rc) return rc;
    }
    return LF_OK;
}

static void report(bin_writer *w, uint64_t n) {
    w->done += n;
    if (w->progress) w->progress(w->done, w->total, w->progress_user);
}

static int put_matrix(bin_writer *w, const lf_weight *m, const char *what) {
    bool quantize = w->version == 2;
    w->n_scales = 0;
    for (int64_t r = 0; r < m->rows; r++) {
        lf_dequantize_row(m->type, (const unsigned char *)m->data + (size_t)r * m->row_bytes, w->row, m->cols);
        int rc = put_values(w, w->row, m->cols, quantize, what);
        if (rc) return rc;
    }
    report(w, (uint64_t)(m->rows * m->cols));
    if (!quantize) return LF_OK;
    /* dim divides every tensor's size, so no group is left over */
    return out_file_write(&w->out, w->scales, (size_t)w->n_scales * sizeof *w->scales, w->err);
}

static int put_vector(bin_writer *w, const float *v, const char *what) {
    int rc = put_values(w, v, w->m->cfg.dim, false, what);
    report(w, (uint64_t)w->m->cfg.dim);
    return rc;
}

/* model.py's precompute_freqs_cis in float32: freq_i = 1 / 10000^(2i/head), the angle
 * t * freq_i, each step rounded to float32 as torch's float32 operations round it. */
static int rope_tables(bin_writer *w) {
    const lf_model_config *c = &w->m->cfg;
    int half = c->head_dim / 2;
    for (int table = 0; table < 2; table++)
        for (int t = 0; t < c->context_length; t++) {
            for (int i = 0; i < half; i++) {
                float x = (float)(2 * i) / (float)c->head_dim;
                float freq = 1.0f / (float)pow(LLAMA2C_ROPE_THETA, (double)x);
                float angle = (float)t * freq;
                w->row[i] = (float)(table == 0 ? cos((double)angle) : sin((double)angle));
            }
            int rc = out_file_write(&w->out, w->row, (size_t)half * sizeof(float), w->err);
            if (rc) return rc;
        }
    return LF_OK;
}

enum { K_EMBD, K_ATTN_NORM, K_Q, K_K, K_V, K_O, K_FFN_NORM, K_GATE, K_DOWN, K_UP, K_OUT_NORM, K_ROPE, K_OUTPUT,
       K_END };

static int put_kind(bin_writer *w, int kind, bool shared) {
    const lf_model *m = w->m;
    static const char *const names[] = {"token_embd", "attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                                        "ffn_norm", "ffn_gate", "ffn_down", "ffn_up", "output_norm", "rope", "output"};
    if (kind == K_EMBD) return put_matrix(w, &m->tok_embd, names[kind]);
    if (kind == K_OUT_NORM) return put_vector(w, m->output_norm, names[kind]);
    if (kind == K_ROPE) return rope_tables(w);
    if (kind == K_OUTPUT) return shared ? LF_OK : put_matrix(w, &m->output, names[kind]);
    for (int l = 0; l < m->cfg.n_layers; l++) {
        const lf_layer_weights *L = &m->layers[l];
        char what[64];
        snprintf(what, sizeof what, "blk.%d.%s.weight", l, names[kind]);
        const lf_weight *mats[] = {[K_Q] = &L->wq, [K_K] = &L->wk, [K_V] = &L->wv, [K_O] = &L->wo,
                                   [K_GATE] = &L->ffn_gate, [K_DOWN] = &L->ffn_down, [K_UP] = &L->ffn_up};
        int rc = kind == K_ATTN_NORM  ? put_vector(w, L->attn_norm, what)
                 : kind == K_FFN_NORM ? put_vector(w, L->ffn_norm, what)
                                      : put_matrix(w, mats[kind], what);
        if (rc) return rc;
    }
    return LF_OK;
}

/* export.py's orders; v2 has v1's, with every matrix as int8 values and then their scales. */
static const int v0_order[] = {K_EMBD, K_ATTN_NORM, K_Q, K_K, K_V, K_O, K_FFN_NORM, K_GATE, K_DOWN, K_UP,
                               K_OUT_NORM, K_ROPE, K_OUTPUT, K_END};
static const int v1_v2_order[] = {K_ATTN_NORM, K_FFN_NORM, K_OUT_NORM, K_EMBD, K_Q, K_K, K_V, K_O, K_GATE, K_DOWN,
                               K_UP, K_OUTPUT, K_END};

/* export.py compares the two matrices' values (torch.equal). */
static bool classifier_shared(const lf_model *m) {
    if (m->tied_embeddings) return true;
    const lf_weight *a = &m->tok_embd, *b = &m->output;
    return a->type == b->type && a->row_bytes == b->row_bytes && a->rows == b->rows &&
           memcmp(a->data, b->data, (size_t)a->rows * a->row_bytes) == 0;
}

static void warn_lost_settings(const lf_model *m) {
    const lf_model_config *c = &m->cfg;
    if (c->rope_theta != (float)LLAMA2C_ROPE_THETA)
        lf_log(LF_LOG_WARN, "%s: llama2.c's format has no RoPE base: its programs use 10000, this model %g; "
               "the exported model will answer differently", m->name, c->rope_theta);
    if (m->rope_freq_factors || c->rope_linear_scale != 1.0f || c->rope_dim != c->head_dim)
        lf_log(LF_LOG_WARN, "%s: llama2.c's format has no RoPE scaling or partial rotation; they are dropped",
               m->name);
    if (c->norm_eps != LLAMA2C_NORM_EPS)
        lf_log(LF_LOG_WARN, "%s: llama2.c's format has no norm epsilon: its programs use 1e-5, this model %g",
               m->name, c->norm_eps);
}

static int check_params(const lf_model *m, const lf_llama2c_export_params *p, const char *path, lf_error *err) {
    const lf_model_config *c = &m->cfg;
    if (p->version < 0 || p->version > 2)
        return lf_fail(err, LF_ERR_ARG, "%s: llama2.c version %d does not exist (0, 1 or 2)", path, p->version);
    if (c->n_heads * c->head_dim != c->dim)
        return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: %s has %d heads of %d for a width of %d; llama2.c's format "
                       "needs head size = width / heads", path, m->name, c->n_heads, c->head_dim, c->dim);
    if (p->version != 2) return LF_OK;
    if (p->group_size < 1)
        return lf_fail(err, LF_ERR_ARG, "%s: group size %d is not positive", path, p->group_size);
    if (c->dim % p->group_size != 0) { /* export.py halves it until it divides; a given size is kept or refused */
        int g = p->group_size;
        while (c->dim % g != 0) g /= 2;
        return lf_fail(err, LF_ERR_ARG, "%s: group size %d does not divide the model width %d (export.py would "
                       "halve it to %d)", path, p->group_size, c->dim, g);
    }
    if (c->hidden_dim % p->group_size != 0)
        lf_log(LF_LOG_WARN, "%s: group size %d does not divide the feed-forward width %d: llama2.c's runq.c "
               "needs it to (llama-fast reads the file either way)", path, p->group_size, c->hidden_dim);
    return LF_OK;
}

int lf_export_llama2c(const lf_model *m, const char *path, const lf_llama2c_export_params *params, lf_error *err) {
    lf_llama2c_export_params defaults = lf_llama2c_export_default_params();
    if (!params) params = &defaults;
    if (!m || !path) return lf_fail(err, LF_ERR_ARG, "lf_export_llama2c: model or path is NULL");
    int rc = check_params(m, params, path, err);
    if (rc) return rc;
    warn_lost_settings(m);
    const lf_model_config *c = &m->cfg;
    bool shared = classifier_shared(m);
    bin_writer w = {.m = m, .version = params->version, .group_size = params->group_size,
                    .progress = params->progress, .progress_user = params->progress_user, .err = err};
    int64_t widest = c->dim > c->hidden_dim ? c->dim : c->hidden_dim; /* head_dim <= dim */
    uint64_t embd = (uint64_t)c->vocab_size * (uint64_t)c->dim, ffn = (uint64_t)c->hidden_dim * (uint64_t)c->dim;
    uint64_t layer = (uint64_t)c->dim * (2u * c->dim + 2u * (uint64_t)c->n_kv_heads * c->head_dim + 2u) + 3u * ffn;
    w.total = embd * (shared ? 1 : 2) + (uint64_t)c->n_layers * layer + (uint64_t)c->dim;
    uint64_t largest = embd > ffn ? embd : ffn;
    if (largest < (uint64_t)c->dim * c->dim) largest = (uint64_t)c->dim * c->dim;
    w.row = malloc((size_t)widest * sizeof *w.row);
    if (w.version == 2) {
        w.group = malloc((size_t)w.group_size * sizeof *w.group);
        w.q = malloc((size_t)w.group_size);
        w.scales = malloc((size_t)(largest / (uint64_t)w.group_size) * sizeof *w.scales);
    }
    if (!w.row || (w.version == 2 && (!w.group || !w.q || !w.scales)))
        rc = lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", path);
    if (!rc) rc = out_file_open(&w.out, path, 0666, err);
    if (!rc) rc = header(&w, shared);
    for (const int *k = w.version == 0 ? v0_order : v1_v2_order; !rc && *k != K_END; k++) rc = put_kind(&w, *k, shared);
    if (!rc) rc = out_file_commit(&w.out, err);
    out_file_abort(&w.out);
    free(w.row);
    free(w.group);
    free(w.q);
    free(w.scales);
    return rc;
}
