/* A Hugging Face model directory: config.json for the shape, safetensors for the weights,
 * tokenizer_config.json for the chat template, tokenizer.json (or tokenizer.model) for the
 * vocabulary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "format/hf_config.h"
#include "format/json_file.h"
#include "model/hf_weights.h"

static bool ends_with_config_json(const char *path) {
    size_t n = strlen(path);
    return n >= 11 && strcmp(path + n - 11, "config.json") == 0 && (n == 11 || path[n - 12] == '/');
}

bool lf_model_is_hf_path(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return false;
    return S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && ends_with_config_json(path));
}

/* The directory itself, or the one holding config.json; trailing slashes dropped. */
static char *directory_of(const char *path) {
    size_t n = strlen(path);
    if (ends_with_config_json(path)) n -= 11;
    while (n > 1 && path[n - 1] == '/') n--;
    if (n == 0) return strdup(".");
    return strndup(path, n);
}

static void fill_config(lf_model_config *c, const hf_config *h, const char *dir) {
    *c = (lf_model_config){
        .n_layers = h->n_layers, .dim = h->hidden_size, .hidden_dim = h->intermediate_size, .n_heads = h->n_heads,
        .n_kv_heads = h->n_kv_heads, .head_dim = h->head_dim, .vocab_size = h->vocab_size,
        .context_length = h->max_position_embeddings, .rope_dim = h->head_dim, .rope_theta = h->rope_theta,
        .norm_eps = h->rms_norm_eps, .rope_linear_scale = h->rope_scaling == HF_ROPE_LINEAR ? h->rope_factor : 1.0f,
    };
    /* Attention limited to a window (Mistral) equals full attention up to the window's
     * length, which is therefore as long as the runtime's context may get. */
    if (h->sliding_window && h->sliding_window < c->context_length) {
        lf_log(LF_LOG_INFO, "%s: context limited to the sliding window of %d positions", dir, h->sliding_window);
        c->context_length = h->sliding_window;
    }
}

/* "chat_template" is a string, or a list of {"name", "template"} of which "default" is
 * the one for chat. */
static int read_chat_template(lf_model *m, const char *dir, lf_error *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    if (access(path, F_OK) != 0) return LF_OK;
    json_t *root = NULL;
    int rc = lf_json_load_file(path, JSON_DECODE_INT_AS_REAL, &root, err);
    const json_t *t = rc ? NULL : lf_json_member(root, "chat_template");
    const char *text = json_string_value(t);
    for (size_t i = 0; json_is_array(t) && i < json_array_size(t); i++) {
        const json_t *e = json_array_get(t, i);
        if (json_is_string(lf_json_member(e, "name")) && !strcmp(json_string_value(lf_json_member(e, "name")), "default"))
            text = json_string_value(lf_json_member(e, "template"));
    }
    if (t && !text) lf_log(LF_LOG_WARN, "%s: no usable chat_template (a string, or a list with \"default\")", path);
    if (text && !(m->chat_template = strdup(text))) rc = lf_fail(err, LF_ERR_NOMEM, "out of memory");
    json_decref(root);
    return rc;
}

static int describe(lf_model *m, const struct lf_hf_weights *w, const hf_config *h) {
    const char *base = strrchr(w->dir, '/');
    char format[96];
    snprintf(format, sizeof format, "safetensors, %d file%s%s%s", w->set.n_files, w->set.n_files > 1 ? "s" : "",
             h->torch_dtype[0] ? ", torch_dtype " : "", h->torch_dtype);
    m->name = strdup(base && base[1] ? base + 1 : w->dir);
    m->format = strdup(format);
    m->architecture = strdup(h->model_type);
    return m->name && m->format && m->architecture ? LF_OK : LF_ERR_NOMEM;
}

int lf_model_load_hf(lf_model *m, const char *path, lf_error *err) {
    struct lf_hf_weights *w = calloc(1, sizeof *w);
    if (!w || !(w->dir = directory_of(path))) {
        free(w);
        return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    }
    m->hf = w;
    w->config_name = "config.json";
    char config_path[4096];
    if (snprintf(config_path, sizeof config_path, "%s/config.json", w->dir) >= (int)sizeof config_path)
        return lf_fail(err, LF_ERR_ARG, "%s: path too long", path);
    hf_config h;
    int rc = hf_config_load(config_path, &h, err);
    if (rc) return rc;
    fill_config(&m->cfg, &h, w->dir);
    if ((rc = safetensors_set_open(w->dir, &w->set, err)) || (rc = hf_weights_map(m, w, h.tie_word_embeddings, CHECKPOINT_HF, err)))
        return rc;
    if (h.rope_scaling == HF_ROPE_LLAMA3 &&
        (rc = lf_model_llama3_rope_factors(m, h.rope_factor, h.rope_low_freq_factor, h.rope_high_freq_factor,
                                           (float)h.rope_original_max_position_embeddings, config_path, err)))
        return rc;
    if ((rc = read_chat_template(m, w->dir, err))) return rc;
    return describe(m, w, &h) ? lf_fail(err, LF_ERR_NOMEM, "out of memory") : LF_OK;
}

int lf_model_load_hf_tokenizer(lf_model *m, lf_error *err) {
    char path[4096];
    const char *dir = m->hf->dir;
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    if (access(path, F_OK) != 0) snprintf(path, sizeof path, "%s/tokenizer.model", dir);
    if (access(path, F_OK) != 0) {
        lf_log(LF_LOG_WARN, "%s: no tokenizer.json or tokenizer.model; the model takes and gives token ids", dir);
        return LF_OK;
    }
    int rc = lf_tokenizer_load(path, &m->tokenizer, err);
    if (!rc && lf_tokenizer_vocab_size(m->tokenizer) > m->cfg.vocab_size)
        rc = lf_fail(err, LF_ERR_FORMAT, "%s: %d tokens, but the model's vocabulary has only %d", path,
                     lf_tokenizer_vocab_size(m->tokenizer), m->cfg.vocab_size);
    return rc;
}

void lf_model_free_hf(lf_model *m) {
    hf_weights_free(m->hf);
    m->hf = NULL;
}
