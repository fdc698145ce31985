/* lf_model_load: detects the file format, reads the configuration, exposes the tensors as
 * views, binds them and attaches the tokenizer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/error.h"
#include "model/model.h"
#include "model/quant_scheme.h"
#include "tokenizer/tokenizer.h"

lf_model_params lf_model_default_params(void) {
    lf_model_params p = {0};
    return p;
}

static char *dup_gguf_string(gguf_string s) {
    char *r = malloc(s.len + 1);
    if (r) {
        memcpy(r, s.data, s.len);
        r[s.len] = 0;
    }
    return r;
}

static int check_config(const lf_model_config *c, const char *path, lf_error *err) {
    struct { const char *what; long long v, lo, hi; } limits[] = {
        {"layer count", c->n_layers, 1, 1024},          {"embedding length", c->dim, 1, 1 << 16},
        {"feed-forward length", c->hidden_dim, 1, 1 << 20}, {"head count", c->n_heads, 1, 1024},
        {"KV head count", c->n_kv_heads, 1, 1024},      {"head dimension", c->head_dim, 2, 1024},
        {"vocabulary size", c->vocab_size, 1, 1 << 24},
        {"context length", c->context_length, 1, LF_MAX_CONTEXT},
        {"RoPE dimension", c->rope_dim, 2, c->head_dim},
    };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++)
        if (limits[i].v < limits[i].lo || limits[i].v > limits[i].hi)
            return lf_fail(err, LF_ERR_FORMAT, "%s: %s %lld is out of range [%lld, %lld]", path, limits[i].what,
                           limits[i].v, limits[i].lo, limits[i].hi);
    if (c->n_heads % c->n_kv_heads != 0)
        return lf_fail(err, LF_ERR_FORMAT, "%s: head count %d is not a multiple of the KV head count %d", path,
                       c->n_heads, c->n_kv_heads);
    if (c->head_dim % 2 || c->rope_dim % 2)
        return lf_fail(err, LF_ERR_FORMAT, "%s: head dimension %d and RoPE dimension %d must be even", path,
                       c->head_dim, c->rope_dim);
    if (!(c->norm_eps > 0 && c->norm_eps < 1) || !(c->rope_theta > 0) || !(c->rope_linear_scale > 0))
        return lf_fail(err, LF_ERR_FORMAT, "%s: bad norm epsilon, RoPE base or RoPE scale", path);
    return LF_OK;
}

/* ARCH.context_length: without the key, 2048 (early converters omitted it); with it, the
 * value or a refusal: a value this program cannot honour must not become another one. */
static int context_length(const gguf_file *f, const char *key, const char *path, int *out, lf_error *err) {
    const gguf_kv *kv = gguf_find_kv(f, key);
    int64_t v = 2048;
    if (kv && (!gguf_kv_as_i64(kv, &v) || v < 1 || v > LF_MAX_CONTEXT)) {
        char value[80];
        gguf_kv_value_text(kv, value, sizeof value);
        return lf_fail(err, LF_ERR_FORMAT, "%s: %s %s is not a context length this program can use (1..%d)", path, key,
                       value, LF_MAX_CONTEXT);
    }
    *out = (int)v;
    return LF_OK;
}

static int gguf_config(lf_model *m, const gguf_file *f, const char *path, lf_error *err) {
    gguf_string arch;
    if (!gguf_get_str(f, "general.architecture", &arch))
        return lf_fail(err, LF_ERR_FORMAT, "%s: GGUF has no general.architecture", path);
    m->architecture = dup_gguf_string(arch);
    if (!m->architecture) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    if (strcmp(m->architecture, "llama") != 0 && strcmp(m->architecture, "mistral") != 0)
        return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: architecture '%.60s' is not supported (llama and mistral are)",
                       path, m->architecture);
    char key[128];
#define ARCH_KEY(suffix) (snprintf(key, sizeof key, "%s.%s", m->architecture, suffix), key)
    lf_model_config *c = &m->cfg;
    uint32_t u;
    struct { const char *suffix; int *dst; } required[] = {
        {"block_count", &c->n_layers}, {"embedding_length", &c->dim},
        {"feed_forward_length", &c->hidden_dim}, {"attention.head_count", &c->n_heads},
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        if (!gguf_get_u32(f, ARCH_KEY(required[i].suffix), &u) || u > (1u << 30))
            return lf_fail(err, LF_ERR_FORMAT, "%s: missing or invalid metadata '%s'", path, key);
        *required[i].dst = (int)u;
    }
    c->n_kv_heads = gguf_get_u32(f, ARCH_KEY("attention.head_count_kv"), &u) && u <= (1u << 30) ? (int)u : c->n_heads;
    c->head_dim = c->n_heads ? c->dim / c->n_heads : 0;
    if (gguf_get_u32(f, ARCH_KEY("attention.key_length"), &u) && u <= 4096) c->head_dim = (int)u;
    int rc = context_length(f, ARCH_KEY("context_length"), path, &c->context_length, err);
    if (rc) return rc;
    c->rope_dim = gguf_get_u32(f, ARCH_KEY("rope.dimension_count"), &u) && u <= 4096 ? (int)u : c->head_dim;
    if (!gguf_get_f32(f, ARCH_KEY("rope.freq_base"), &c->rope_theta)) c->rope_theta = 10000.0f;
    if (!gguf_get_f32(f, ARCH_KEY("attention.layer_norm_rms_epsilon"), &c->norm_eps)) c->norm_eps = 1e-5f;
    c->rope_linear_scale = 1.0f;
    gguf_string scaling;
    if (gguf_get_str(f, ARCH_KEY("rope.scaling.type"), &scaling) && gguf_string_eq(scaling, "linear")) {
        float factor;
        if (gguf_get_f32(f, ARCH_KEY("rope.scaling.factor"), &factor)) c->rope_linear_scale = factor;
    }
#undef ARCH_KEY
    const gguf_tensor_info *emb = gguf_find_tensor(f, "token_embd.weight");
    if (!emb) return lf_fail(err, LF_ERR_FORMAT, "%s: required tensor 'token_embd.weight' is missing", path);
    c->vocab_size = emb->ne[1] <= (1u << 30) ? (int)emb->ne[1] : -1;
    return LF_OK;
}

/* Llama 3.1 RoPE scaling from metadata (when the converter did not store rope_freqs). */
static int llama3_rope_factors(lf_model *m, const gguf_file *f, const char *path, lf_error *err) {
    char key[128];
    const char *a = m->architecture;
    float factor = 8, low = 1, high = 4, old_ctx = 8192;
    struct { const char *suffix; float *dst; } keys[] = {{"rope.scaling.factor", &factor},
        {"rope.scaling.low_freq_factor", &low}, {"rope.scaling.high_freq_factor", &high}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        snprintf(key, sizeof key, "%s.%s", a, keys[i].suffix);
        gguf_get_f32(f, key, keys[i].dst);
    }
    uint32_t u;
    snprintf(key, sizeof key, "%s.rope.scaling.original_context_length", a);
    if (gguf_get_u32(f, key, &u)) old_ctx = (float)u;
    return lf_model_llama3_rope_factors(m, factor, low, high, old_ctx, path, err);
}

static int gguf_views(lf_model *m, const gguf_file *f, const char *path, lf_error *err) {
    m->tensors = calloc(f->n_tensors ? f->n_tensors : 1, sizeof *m->tensors);
    if (!m->tensors) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const gguf_tensor_info *t = &f->tensors[i];
        lf_tensor_view *v = &m->tensors[i];
        if (t->name.len >= sizeof v->name)
            return lf_fail(err, LF_ERR_FORMAT, "%s: tensor name of %llu bytes is too long", path,
                           (unsigned long long)t->name.len);
        memcpy(v->name, t->name.data, t->name.len);
        v->type = t->type;
        v->n_dims = (int)t->n_dims;
        for (int d = 0; d < 4; d++) v->ne[d] = (int64_t)t->ne[d];
        v->data = t->data;
        v->nbytes = t->nbytes;
    }
    m->n_tensors = (int)f->n_tensors;
    return LF_OK;
}

static int load_gguf(lf_model *m, const char *path, const lf_model_params *p, lf_error *err) {
    int rc = gguf_open_range(path, p->file_offset, p->file_size, &m->gguf, err);
    if (rc) return rc;
    const gguf_file *f = m->gguf;
    if ((rc = gguf_config(m, f, path, err)) || (rc = gguf_views(m, f, path, err))) return rc;
    char key[128];
    gguf_string scaling;
    snprintf(key, sizeof key, "%s.rope.scaling.type", m->architecture);
    if (!gguf_find_tensor(f, "rope_freqs.weight") && gguf_get_str(f, key, &scaling) &&
        gguf_string_eq(scaling, "llama3") && (rc = llama3_rope_factors(m, f, path, err)))
        return rc;
    gguf_string s;
    if (gguf_get_str(f, "general.name", &s)) m->name = dup_gguf_string(s);
    if (gguf_get_str(f, "tokenizer.chat_template", &s)) m->chat_template = dup_gguf_string(s);
    char fmt[32];
    snprintf(fmt, sizeof fmt, "gguf v%u", f->version);
    m->format = strdup(fmt);
    return LF_OK;
}

static int load_llama2c(lf_model *m, const char *path, lf_error *err) {
    int rc = lf_llama2c_open(path, &m->llama2c, err);
    if (rc) return rc;
    const lf_llama2c_config *lc = &m->llama2c->cfg;
    lf_model_config *c = &m->cfg;
    c->n_layers = lc->n_layers;
    c->dim = lc->dim;
    c->hidden_dim = lc->hidden_dim;
    c->n_heads = lc->n_heads;
    c->n_kv_heads = lc->n_kv_heads;
    c->head_dim = lc->n_heads ? lc->dim / lc->n_heads : 0;
    c->rope_dim = c->head_dim;
    c->vocab_size = lc->vocab_size;
    c->context_length = lc->seq_len;
    c->rope_theta = 10000.0f;
    c->norm_eps = 1e-5f;
    c->rope_linear_scale = 1.0f;
    m->tensors = m->llama2c->tensors;
    m->n_tensors = m->llama2c->n_tensors;
    m->architecture = strdup("llama");
    char fmt[32];
    snprintf(fmt, sizeof fmt, "llama2.c v%d", lc->version);
    m->format = strdup(fmt);
    return LF_OK;
}

/* A GGUF without vocabulary or a llama2.c checkpoint runs without tokenizer (token ids in
 * and out) unless one is given; tokenizer.bin beside a llama2.c checkpoint is used when it fits the model. */
static void attach_sibling_tokenizer(lf_model *m, const char *path) {
    char sibling[4096];
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path + 1) : 0;
    if (snprintf(sibling, sizeof sibling, "%.*stokenizer.bin", dir_len, path) >= (int)sizeof sibling) return;
    if (access(sibling, R_OK) != 0) return;
    lf_tokenizer *tok = NULL;
    if (lf_tokenizer_load(sibling, &tok, NULL) != LF_OK) return;
    if (lf_tokenizer_vocab_size(tok) == m->cfg.vocab_size) {
        m->tokenizer = tok;
        lf_log(LF_LOG_INFO, "using tokenizer %s", sibling);
    } else {
        lf_log(LF_LOG_WARN, "ignoring %s: its %d tokens do not match the model's %d", sibling,
               lf_tokenizer_vocab_size(tok), m->cfg.vocab_size);
        lf_tokenizer_free(tok);
    }
}

static int attach_tokenizer(lf_model *m, const char *path, const lf_model_params *p, lf_error *err) {
    int rc;
    if (p->tokenizer_path) {
        if ((rc = lf_tokenizer_load(p->tokenizer_path, &m->tokenizer, err))) return rc;
        if (lf_tokenizer_vocab_size(m->tokenizer) > m->cfg.vocab_size)
            return lf_fail(err, LF_ERR_FORMAT, "%s: tokenizer has %d tokens but the model %s has only %d",
                           p->tokenizer_path, lf_tokenizer_vocab_size(m->tokenizer), path, m->cfg.vocab_size);
        return LF_OK;
    }
    if (m->hf) return lf_model_load_hf_tokenizer(m, err);
    if (m->gguf && gguf_find_kv(m->gguf, "tokenizer.ggml.tokens")) {
        if ((rc = lf_tokenizer_from_gguf(m->gguf, &m->tokenizer, err))) return rc;
        if (lf_tokenizer_vocab_size(m->tokenizer) > m->cfg.vocab_size)
            return lf_fail(err, LF_ERR_FORMAT, "%s: vocabulary has %d tokens but token_embd.weight only %d rows", path,
                           lf_tokenizer_vocab_size(m->tokenizer), m->cfg.vocab_size);
        return LF_OK;
    }
    attach_sibling_tokenizer(m, path);
    return LF_OK;
}

static void summarize_weights(lf_model *m) {
    uint64_t bytes_by_type[LF_TYPE_COUNT] = {0};
    for (int i = 0; i < m->n_tensors; i++) {
        const lf_tensor_view *v = &m->tensors[i];
        uint64_t n = 1;
        for (int d = 0; d < 4; d++) n *= (uint64_t)v->ne[d];
        m->n_params += n;
        bool embedding_only_lookup = m->output.data != m->tok_embd.data && strcmp(v->name, "token_embd.weight") == 0;
        if (!embedding_only_lookup) m->weight_bytes += v->nbytes;
        if (v->n_dims >= 2 && v->type < LF_TYPE_COUNT) bytes_by_type[v->type] += v->nbytes;
    }
    if (m->tied_embeddings && m->output.data != m->tok_embd.data) { /* converted to a copy of its own */
        uint64_t bytes = (uint64_t)m->output.rows * m->output.row_bytes;
        m->weight_bytes += bytes;
        bytes_by_type[m->output.type] += bytes;
    }
    int best = 0;
    for (int t = 1; t < LF_TYPE_COUNT; t++)
        if (bytes_by_type[t] > bytes_by_type[best]) best = t;
    m->weight_type = strdup(lf_type_get((uint32_t)best) ? lf_type_get((uint32_t)best)->name : "?");
}

static bool is_gguf_file(const char *path) {
    FILE *fp = fopen(path, "rb");
    char magic[4] = {0};
    if (!fp) return false;
    size_t n = fread(magic, 1, 4, fp);
    fclose(fp);
    return n == 4 && memcmp(magic, "GGUF", 4) == 0;
}

/* A file whose name says GGUF (and that opens): not being one is the error to report,
 * rather than what the llama2.c reader, tried for everything else, would make of it. */
static bool named_gguf(const char *path) {
    size_t n = strlen(path);
    FILE *fp = n >= 5 && !strcasecmp(path + n - 5, ".gguf") ? fopen(path, "rb") : NULL;
    if (fp) fclose(fp); /* a file that cannot be opened gets that error from the reader */
    return fp != NULL;
}

/* LLAMA_FAST_SIMD is read by the kernels, which cannot report; a value that names no
 * kernel set, or one this CPU lacks, is said here rather than silently ignored. */
static void warn_simd_env(void) {
    const char *cap = getenv("LLAMA_FAST_SIMD");
    if (!cap) return;
    const char *used = lf_simd_level_name(lf_kernels_level());
    int named = lf_simd_level_by_name(cap);
    if (named >= 0) {
        if (!lf_kernels_supported(named))
            lf_log(LF_LOG_WARN, "LLAMA_FAST_SIMD=%s: this CPU lacks that kernel set; using %s", cap, used);
        return;
    }
    const lf_kernel_set_info *sets;
    int n = lf_kernel_sets(&sets);
    char names[256] = "";
    for (int i = 0; i < n; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", sets[i].name);
    lf_log(LF_LOG_WARN, "LLAMA_FAST_SIMD=%s names no kernel set (%s); using %s", cap, names, used);
}

static int load(const char *path, const lf_model_params *params, bool lazy, lf_model **out, lf_error *err) {
    *out = NULL;
    if (!path) return lf_fail(err, LF_ERR_ARG, "model path is NULL");
    lf_model_params defaults = lf_model_default_params();
    if (!params) params = &defaults;
    lf_kernels_init();
    warn_simd_env();
    lf_quant_scheme scheme; /* a bad scheme is said before a large model is read */
    int checked = lf_quant_scheme_from_params(params->quantize, params->dtype, &scheme, err);
    if (checked) return checked;
    lf_model *m = calloc(1, sizeof *m);
    if (!m) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    /* a byte range of a file can only be a GGUF: the other formats are directories or
     * name their companions by path */
    m->lazy_weights = lazy;
    bool ranged = params->file_offset || params->file_size;
    int rc = ranged                               ? load_gguf(m, path, params, err)
             : lf_model_is_torch_path(path)       ? lf_model_load_torch(m, path, params, err)
             : lf_model_is_hf_path(path)          ? lf_model_load_hf(m, path, err)
             : is_gguf_file(path)                 ? load_gguf(m, path, params, err)
             : named_gguf(path)                   ? lf_fail(err, LF_ERR_FORMAT, "%s: not a GGUF file (it does not "
                                                            "start with the bytes GGUF)", path)
                                                  : load_llama2c(m, path, err);
    if (!rc) rc = check_config(&m->cfg, path, err);
    if (!rc) {
        m->layers = calloc((size_t)m->cfg.n_layers, sizeof *m->layers);
        rc = m->layers ? lf_model_bind_weights(m, path, err) : lf_fail(err, LF_ERR_NOMEM, "out of memory");
    }
    if (!rc) rc = attach_tokenizer(m, path, params, err);
    if (!rc && !m->name) {
        const char *base = strrchr(path, '/');
        m->name = strdup(base ? base + 1 : path);
    }
    if (!rc && (!m->name || !m->format || !m->architecture)) rc = lf_fail(err, LF_ERR_NOMEM, "out of memory");
    if (!rc) rc = lf_model_convert_weights(m, &scheme, params, err);
    if (!rc && params->repack && !lazy) rc = lf_model_repack_weights(m, err);
    if (rc) {
        lf_model_free(m);
        return rc;
    }
    summarize_weights(m);
    *out = m;
    return LF_OK;
}

int lf_model_load(const char *path, const lf_model_params *params, lf_model **out, lf_error *err) {
    return load(path, params, false, out, err);
}

int lf_model_load_lazy(const char *path, const lf_model_params *params, lf_model **out, lf_error *err) {
    return load(path, params, true, out, err);
}

void lf_model_free(lf_model *m) {
    if (!m) return;
    lf_tokenizer_free(m->tokenizer);
    if (m->gguf) free(m->tensors);
    gguf_close(m->gguf);
    lf_llama2c_close(m->llama2c);
    lf_model_free_hf(m);
    free(m->layers);
    for (int i = 0; i < m->n_converted; i++) free(m->converted[i]);
    free(m->converted);
    free(m->computed_rope_factors);
    free(m->name);
    free(m->format);
    free(m->architecture);
    free(m->chat_template);
    free(m->weight_type);
    free(m);
}

bool lf_model_first_notice(const lf_model *m) {
    /* the flag is the one thing that changes in a loaded model; m was allocated mutable */
    return !atomic_exchange(&((lf_model *)m)->chatml_noted, true);
}

void lf_model_get_info(const lf_model *m, lf_model_info *info) {
    const lf_model_config *c = &m->cfg;
    *info = (lf_model_info){
        .architecture = m->architecture, .name = m->name, .format = m->format,
        .n_layers = c->n_layers, .dim = c->dim, .hidden_dim = c->hidden_dim, .n_heads = c->n_heads,
        .n_kv_heads = c->n_kv_heads, .head_dim = c->head_dim, .vocab_size = c->vocab_size,
        .context_length = c->context_length, .rope_theta = c->rope_theta, .norm_eps = c->norm_eps,
        .rope_scaling_llama3 = m->rope_freq_factors != NULL, .tied_embeddings = m->tied_embeddings,
        .n_params = m->n_params, .weight_bytes = m->weight_bytes, .repacked_bytes = m->repacked_bytes,
        .weight_type = m->weight_type,
        .chat_template = m->chat_template,
    };
}

bool lf_model_tensor(const lf_model *m, int i, const char **name, const char **type_name, int64_t dims[4],
                     int *n_dims) {
    if (i < 0 || i >= m->n_tensors) return false;
    const lf_tensor_view *v = &m->tensors[i];
    const lf_type_traits *tt = lf_type_get(v->type);
    *name = v->name;
    *type_name = tt ? tt->name : "?";
    memcpy(dims, v->ne, sizeof v->ne);
    *n_dims = v->n_dims;
    return true;
}

const lf_tokenizer *lf_model_tokenizer(const lf_model *m) { return m->tokenizer; }
