/* llama2.c checkpoint reader. The three versions store the same weights in different
 * orders (see llama2.c export.py), so one walker places every weight kind at its file
 * offset following a per-version order table; it runs once to measure (overflow-checked,
 * before any weight byte is touched) and once to fill the tensor views. */
#include "format/llama2c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked_math.h"
#include "core/error.h"
#include "kernels/kernels.h"

#define LLAMA2C_MAGIC 0x616b3432u /* "ak42" read as a little-endian uint32 */
#define LEGACY_HEADER_BYTES 28    /* 7 int32 */
#define VERSIONED_HEADER_BYTES 256

/* Limits far above any real model; they keep hostile headers from describing absurd
 * shapes (every size is still computed with overflow checks). */
#define MAX_DIM 65536
#define MAX_HIDDEN_DIM (1 << 20)
#define MAX_LAYERS 1024
#define MAX_VOCAB (1 << 24)
#define MAX_SEQ_LEN (1 << 24)

enum weight_kind {
    W_TOKEN_EMBD,
    W_ATTN_NORM, /* per-layer kinds, in our tensor-table order */
    W_ATTN_Q,
    W_ATTN_K,
    W_ATTN_V,
    W_ATTN_OUTPUT,
    W_FFN_NORM,
    W_FFN_GATE,
    W_FFN_DOWN,
    W_FFN_UP,
    W_OUTPUT_NORM,
    W_OUTPUT,     /* only when the classifier is not shared */
    W_ROPE_FREQS, /* v0 only: precomputed cos/sin tables, skipped */
    W_END
};
#define N_LAYER_KINDS (W_FFN_UP - W_ATTN_NORM + 1)

static const char *const layer_kind_names[N_LAYER_KINDS] = {
    "attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
    "ffn_norm", "ffn_gate", "ffn_down", "ffn_up"};

/* File order of each version (export.py: legacy_export, version1_export, version2_export). */
static const enum weight_kind v0_order[] = {
    W_TOKEN_EMBD, W_ATTN_NORM, W_ATTN_Q,    W_ATTN_K,      W_ATTN_V,     W_ATTN_OUTPUT, W_FFN_NORM,
    W_FFN_GATE,   W_FFN_DOWN,  W_FFN_UP,    W_OUTPUT_NORM, W_ROPE_FREQS, W_OUTPUT,      W_END};
static const enum weight_kind v1_v2_order[] = {
    W_ATTN_NORM, W_FFN_NORM, W_OUTPUT_NORM, W_TOKEN_EMBD, W_ATTN_Q, W_ATTN_K, W_ATTN_V,
    W_ATTN_OUTPUT, W_FFN_GATE, W_FFN_DOWN, W_FFN_UP, W_OUTPUT, W_END};

static bool is_per_layer(enum weight_kind k) { return k >= W_ATTN_NORM && k <= W_FFN_UP; }
static bool is_norm(enum weight_kind k) {
    return k == W_ATTN_NORM || k == W_FFN_NORM || k == W_OUTPUT_NORM;
}

/* GGML dims of one weight: ne0 is the input (contiguous) dimension; ne1 = 1 for vectors. */
static void weight_shape(const lf_llama2c_config *c, enum weight_kind k, uint64_t *ne0,
                         uint64_t *ne1) {
    uint64_t dim = (uint64_t)c->dim, hidden = (uint64_t)c->hidden_dim;
    uint64_t head_size = dim / (uint64_t)c->n_heads;
    uint64_t q_dim = (uint64_t)c->n_heads * head_size, kv_dim = (uint64_t)c->n_kv_heads * head_size;
    *ne1 = 1;
    switch (k) {
    case W_TOKEN_EMBD: case W_OUTPUT: *ne0 = dim; *ne1 = (uint64_t)c->vocab_size; break;
    case W_ATTN_Q: *ne0 = dim; *ne1 = q_dim; break;
    case W_ATTN_K: case W_ATTN_V: *ne0 = dim; *ne1 = kv_dim; break;
    case W_ATTN_OUTPUT: *ne0 = q_dim; *ne1 = dim; break;
    case W_FFN_GATE: case W_FFN_UP: *ne0 = dim; *ne1 = hidden; break;
    case W_FFN_DOWN: *ne0 = hidden; *ne1 = dim; break;
    /* cos and sin tables, seq_len * head_size/2 floats each */
    case W_ROPE_FREQS: *ne0 = (uint64_t)c->seq_len * (head_size / 2); *ne1 = 2; break;
    default: *ne0 = dim; break; /* the norms */
    }
}

/* Slot of a weight in f->tensors (see the table order in llama2c.h). */
static int tensor_slot(const lf_llama2c_config *c, enum weight_kind k, int layer) {
    if (k == W_TOKEN_EMBD) return 0;
    if (is_per_layer(k)) return 1 + layer * N_LAYER_KINDS + (int)(k - W_ATTN_NORM);
    return 1 + c->n_layers * N_LAYER_KINDS + (k == W_OUTPUT ? 1 : 0);
}

static void set_tensor_name(lf_tensor_view *t, enum weight_kind k, int layer) {
    if (is_per_layer(k))
        snprintf(t->name, sizeof t->name, "blk.%d.%s.weight", layer,
                 layer_kind_names[k - W_ATTN_NORM]);
    else
        snprintf(t->name, sizeof t->name, "%s.weight",
                 k == W_TOKEN_EMBD ? "token_embd" : k == W_OUTPUT ? "output" : "output_norm");
}

static float read_f32(const unsigned char *p) {
    float v;
    memcpy(&v, p, sizeof v);
    return v;
}

static int32_t read_i32(const unsigned char *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* v2 stores a tensor of n weights as n int8 values, then n/group_size fp32 scales. */
static void dequantize_q8(const unsigned char *q, uint64_t n, int group_size, float *out) {
    const unsigned char *scales = q + n;
    for (uint64_t i = 0; i < n; i++) {
        float s = read_f32(scales + (i / (uint64_t)group_size) * sizeof(float));
        out[i] = (float)(int8_t)q[i] * s;
    }
}

/* Walks the file in its version's order from data_offset. Without data it only measures:
 * *file_end receives the byte count the weights require and *dequant_floats the floats v2
 * needs for dequantized matrices, both overflow-checked. With data (after the measuring
 * pass proved every offset lies inside the buffer) it fills f->tensors. */
static bool walk_weights(lf_llama2c_file *f, const unsigned char *data, uint64_t data_offset,
                         uint64_t *file_end, uint64_t *dequant_floats) {
    const lf_llama2c_config *c = &f->cfg;
    const enum weight_kind *order = c->version == 0 ? v0_order : v1_v2_order;
    uint64_t off = data_offset, n_dequant = 0;
    float *dequant_out = f->owned;
    for (; *order != W_END; order++) {
        enum weight_kind k = *order;
        if (k == W_OUTPUT && c->shared_classifier) continue;
        uint64_t ne0, ne1, n, bytes;
        weight_shape(c, k, &ne0, &ne1);
        bool quantized = c->version == 2 && !is_norm(k);
        if (!lf_mul_u64(ne0, ne1, &n)) return false;
        if (quantized) {
            uint64_t scale_bytes;
            if (!lf_mul_u64(n / (uint64_t)c->group_size, sizeof(float), &scale_bytes) ||
                !lf_add_u64(n, scale_bytes, &bytes))
                return false;
        } else if (!lf_mul_u64(n, sizeof(float), &bytes)) {
            return false;
        }
        int n_copies = is_per_layer(k) ? c->n_layers : 1;
        for (int layer = 0; layer < n_copies; layer++) {
            if (data && k != W_ROPE_FREQS) {
                lf_tensor_view *t = &f->tensors[tensor_slot(c, k, layer)];
                set_tensor_name(t, k, layer);
                t->type = LF_TYPE_F32;
                t->n_dims = ne1 == 1 ? 1 : 2;
                t->ne[0] = (int64_t)ne0;
                t->ne[1] = (int64_t)ne1;
                t->ne[2] = t->ne[3] = 1;
                t->nbytes = n * sizeof(float);
                if (quantized) {
                    dequantize_q8(data + off, n, c->group_size, dequant_out);
                    t->data = dequant_out;
                    dequant_out += n;
                } else {
                    t->data = data + off;
                }
            }
            if (!lf_add_u64(off, bytes, &off)) return false;
            if (quantized && !lf_add_u64(n_dequant, n, &n_dequant)) return false;
        }
    }
    *file_end = off;
    *dequant_floats = n_dequant;
    return true;
}

static int validate_config(const lf_llama2c_config *c, const char *name, lf_error *err) {
#define REQUIRE(cond, ...) \
    if (!(cond)) return lf_fail(err, LF_ERR_FORMAT, __VA_ARGS__)
    REQUIRE(c->dim > 0 && c->dim <= MAX_DIM,
            "%s: not a llama2.c checkpoint: dim %d outside 1..%d", name, c->dim, MAX_DIM);
    REQUIRE(c->hidden_dim > 0 && c->hidden_dim <= MAX_HIDDEN_DIM,
            "%s: hidden_dim %d outside 1..%d", name, c->hidden_dim, MAX_HIDDEN_DIM);
    REQUIRE(c->n_layers > 0 && c->n_layers <= MAX_LAYERS,
            "%s: n_layers %d outside 1..%d", name, c->n_layers, MAX_LAYERS);
    REQUIRE(c->n_heads > 0 && c->n_heads <= c->dim && c->dim % c->n_heads == 0,
            "%s: n_heads %d does not divide dim %d", name, c->n_heads, c->dim);
    REQUIRE((c->dim / c->n_heads) % 2 == 0,
            "%s: head size %d is odd (RoPE rotates pairs)", name, c->dim / c->n_heads);
    REQUIRE(c->n_kv_heads > 0 && c->n_kv_heads <= c->n_heads && c->n_heads % c->n_kv_heads == 0,
            "%s: n_kv_heads %d does not divide n_heads %d", name, c->n_kv_heads, c->n_heads);
    REQUIRE(c->vocab_size > 0 && c->vocab_size <= MAX_VOCAB,
            "%s: vocab_size %d outside 1..%d", name, c->vocab_size, MAX_VOCAB);
    REQUIRE(c->seq_len > 0 && c->seq_len <= MAX_SEQ_LEN,
            "%s: seq_len %d outside 1..%d", name, c->seq_len, MAX_SEQ_LEN);
    if (c->version == 2)
        REQUIRE(c->group_size > 0 && c->group_size <= c->dim && c->dim % c->group_size == 0,
                "%s: group_size %d does not divide dim %d", name, c->group_size, c->dim);
    return LF_OK;
#undef REQUIRE
}

/* Reads the header into cfg; *data_offset receives where the weights start. */
static int read_header(const unsigned char *p, uint64_t size, const char *name,
                       lf_llama2c_config *cfg, uint64_t *data_offset, lf_error *err) {
    memset(cfg, 0, sizeof *cfg);
    if (size < LEGACY_HEADER_BYTES)
        return lf_fail(err, LF_ERR_FORMAT, "%s: %llu bytes is too small for a llama2.c header",
                       name, (unsigned long long)size);
    const unsigned char *params = p;
    if ((uint32_t)read_i32(p) == LLAMA2C_MAGIC) {
        if (size < VERSIONED_HEADER_BYTES)
            return lf_fail(err, LF_ERR_FORMAT,
                           "%s: truncated header: %llu bytes, the ak42 header needs %d", name,
                           (unsigned long long)size, VERSIONED_HEADER_BYTES);
        int32_t version = read_i32(p + 4);
        if (version != 1 && version != 2)
            return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: llama2.c version %d is not supported (1, 2)",
                           name, version);
        cfg->version = version;
        params = p + 8;
        unsigned char shared = p[8 + 7 * 4];
        if (shared > 1)
            return lf_fail(err, LF_ERR_FORMAT, "%s: shared_classifier flag is %u, not 0 or 1", name,
                           shared);
        cfg->shared_classifier = shared == 1;
        if (version == 2) cfg->group_size = read_i32(p + 8 + 7 * 4 + 1);
        *data_offset = VERSIONED_HEADER_BYTES;
    } else {
        *data_offset = LEGACY_HEADER_BYTES;
    }
    cfg->dim = read_i32(params);
    cfg->hidden_dim = read_i32(params + 4);
    cfg->n_layers = read_i32(params + 8);
    cfg->n_heads = read_i32(params + 12);
    cfg->n_kv_heads = read_i32(params + 16);
    int32_t vocab = read_i32(params + 20);
    cfg->seq_len = read_i32(params + 24);
    if (cfg->version == 0) {
        /* legacy files flag an unshared classifier with a negative vocab_size */
        cfg->shared_classifier = vocab > 0;
        vocab = vocab == INT32_MIN ? 0 : (vocab < 0 ? -vocab : vocab);
    }
    cfg->vocab_size = vocab;
    return validate_config(cfg, name, err);
}

int lf_llama2c_parse(const void *buffer, uint64_t size, const char *name, lf_llama2c_file **out,
                     lf_error *err) {
    const unsigned char *data = buffer;
    *out = NULL;
    if ((uintptr_t)data % sizeof(float) != 0)
        return lf_fail(err, LF_ERR_ARG, "%s: buffer is not 4-byte aligned", name);
    lf_llama2c_file *f = calloc(1, sizeof *f);
    if (!f) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", name);
    uint64_t data_offset = 0, expected = 0, dequant_floats = 0;
    int rc = read_header(data, size, name, &f->cfg, &data_offset, err);
    if (rc != LF_OK) goto fail;
    if (!walk_weights(f, NULL, data_offset, &expected, &dequant_floats)) {
        rc = lf_fail(err, LF_ERR_FORMAT, "%s: weight sizes overflow 64 bits", name);
        goto fail;
    }
    if (expected != size) {
        rc = lf_fail(err, LF_ERR_FORMAT, "%s: %s: file has %llu bytes, llama2.c v%d header implies %llu",
                     name, size < expected ? "truncated" : "unexpected trailing data",
                     (unsigned long long)size, f->cfg.version, (unsigned long long)expected);
        goto fail;
    }
    f->n_tensors = 2 + f->cfg.n_layers * N_LAYER_KINDS + (f->cfg.shared_classifier ? 0 : 1);
    f->tensors = calloc((size_t)f->n_tensors, sizeof *f->tensors);
    /* dequant_floats * 4 cannot overflow: it is at most the file size */
    if (dequant_floats) f->owned = malloc((size_t)dequant_floats * sizeof(float));
    if (!f->tensors || (dequant_floats && !f->owned)) {
        rc = lf_fail(err, LF_ERR_NOMEM, "%s: out of memory for %d tensors", name, f->n_tensors);
        goto fail;
    }
    walk_weights(f, data, data_offset, &expected, &dequant_floats);
    *out = f;
    return LF_OK;
fail:
    lf_llama2c_close(f);
    return rc;
}

int lf_llama2c_open(const char *path, lf_llama2c_file **out, lf_error *err) {
    *out = NULL;
    lf_mapped_file map;
    int rc = lf_mapped_file_open(path, &map, err);
    if (rc != LF_OK) return rc;
    rc = lf_llama2c_parse(map.data, map.size, path, out, err);
    if (rc != LF_OK) {
        lf_mapped_file_close(&map);
        return rc;
    }
    (*out)->map = map;
    return LF_OK;
}

void lf_llama2c_close(lf_llama2c_file *f) {
    if (!f) return;
    free(f->tensors);
    free(f->owned);
    lf_mapped_file_close(&f->map);
    free(f);
}
