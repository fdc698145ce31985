#include "format/hf_config.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "format/json_file.h"

static const char *const supported[][2] = {{"LlamaForCausalLM", "llama"}, {"MistralForCausalLM", "mistral"}};

/* The class named by "architectures" (or, without it, by "model_type"). */
static int read_architecture(const json_t *root, const char *path, hf_config *c, lf_error *err) {
    const json_t *archs = lf_json_member(root, "architectures");
    const char *model_type = NULL, *named = NULL;
    int rc = lf_json_get_string(root, "model_type", path, false, &model_type, err);
    if (rc) return rc;
    if (archs && (!json_is_array(archs) || json_array_size(archs) == 0 || !json_is_string(json_array_get(archs, 0))))
        return lf_fail(err, LF_ERR_FORMAT, "%s: \"architectures\" is not a list of class names", path);
    if (archs) named = json_string_value(json_array_get(archs, 0));
    for (size_t i = 0; i < sizeof supported / sizeof supported[0]; i++)
        if (named ? strcmp(named, supported[i][0]) == 0 : model_type && strcmp(model_type, supported[i][1]) == 0) {
            snprintf(c->model_type, sizeof c->model_type, "%s", supported[i][1]);
            return LF_OK;
        }
    if (!named && !model_type)
        return lf_fail(err, LF_ERR_FORMAT, "%s: neither \"architectures\" nor \"model_type\" says what model this is", path);
    return lf_fail(err, LF_ERR_UNSUPPORTED,
                   "%s: architecture '%.60s' is not supported (LlamaForCausalLM and MistralForCausalLM are)", path,
                   named ? named : model_type);
}

static int read_sizes(const json_t *root, const char *path, hf_config *c, lf_error *err) {
    struct { const char *key; int *dst; long long lo, hi; bool required; } ints[] = {
        {"hidden_size", &c->hidden_size, 1, 1 << 16, true},
        {"intermediate_size", &c->intermediate_size, 1, 1 << 20, true},
        {"num_hidden_layers", &c->n_layers, 1, 1024, true},
        {"num_attention_heads", &c->n_heads, 1, 1024, true},
        {"num_key_value_heads", &c->n_kv_heads, 1, 1024, false},
        {"head_dim", &c->head_dim, 2, 1024, false},
        {"vocab_size", &c->vocab_size, 1, 1 << 24, true},
        {"max_position_embeddings", &c->max_position_embeddings, 1, 1 << 24, false},
        {"sliding_window", &c->sliding_window, 1, 1 << 30, false},
    };
    c->n_kv_heads = c->head_dim = -1;
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        long long v = *ints[i].dst;
        int rc = lf_json_get_int(root, ints[i].key, path, ints[i].lo, ints[i].hi, ints[i].required, &v, err);
        if (rc) return rc;
        *ints[i].dst = (int)v;
    }
    if (c->n_kv_heads < 0) c->n_kv_heads = c->n_heads;
    if (c->head_dim < 0) c->head_dim = c->hidden_size / c->n_heads;
    if (c->n_heads % c->n_kv_heads || c->head_dim % 2 || (long long)c->head_dim * c->n_heads > (1 << 20))
        return lf_fail(err, LF_ERR_FORMAT,
                       "%s: %d attention heads of dimension %d with %d key/value heads is not a valid shape", path,
                       c->n_heads, c->head_dim, c->n_kv_heads);
    return LF_OK;
}

/* "rope_scaling": null, {"rope_type"|"type": "default"|"linear"|"llama3", ...}. */
static int read_rope_scaling(const json_t *root, const char *path, hf_config *c, lf_error *err) {
    const json_t *rs = lf_json_member(root, "rope_scaling");
    c->rope_scaling = HF_ROPE_NONE;
    if (!rs) return LF_OK;
    if (!json_is_object(rs)) return lf_fail(err, LF_ERR_FORMAT, "%s: \"rope_scaling\" is not an object", path);
    const char *type = NULL;
    int rc = lf_json_get_string(rs, "rope_type", path, false, &type, err);
    if (!rc && !type) rc = lf_json_get_string(rs, "type", path, true, &type, err);
    if (rc) return rc;
    if (strcmp(type, "default") == 0) return LF_OK;
    bool llama3 = strcmp(type, "llama3") == 0;
    if (!llama3 && strcmp(type, "linear") != 0)
        return lf_fail(err, LF_ERR_UNSUPPORTED,
                       "%s: rope_scaling type '%.40s' is not supported (llama3 and linear are)", path, type);
    c->rope_scaling = llama3 ? HF_ROPE_LLAMA3 : HF_ROPE_LINEAR;
    double factor = 1, low = 1, high = 4;
    long long old_ctx = 8192;
    rc = lf_json_get_number(rs, "factor", path, 1e-3, 1e6, true, &factor, err);
    if (!rc && llama3) rc = lf_json_get_number(rs, "low_freq_factor", path, 1e-6, 1e6, true, &low, err);
    if (!rc && llama3) rc = lf_json_get_number(rs, "high_freq_factor", path, 1e-6, 1e6, true, &high, err);
    if (!rc && llama3)
        rc = lf_json_get_int(rs, "original_max_position_embeddings", path, 1, 1 << 24, true, &old_ctx, err);
    if (rc) return rc;
    if (llama3 && !(high > low))
        return lf_fail(err, LF_ERR_FORMAT, "%s: rope_scaling high_freq_factor %g must exceed low_freq_factor %g", path,
                       high, low);
    c->rope_factor = (float)factor;
    c->rope_low_freq_factor = (float)low;
    c->rope_high_freq_factor = (float)high;
    c->rope_original_max_position_embeddings = (int)old_ctx;
    return LF_OK;
}

/* Options of these classes that change the computation in ways the runtime does not do. */
static int refuse_unsupported(const json_t *root, const char *path, lf_error *err) {
    static const char *const biases[] = {"attention_bias", "mlp_bias"};
    for (size_t i = 0; i < 2; i++) {
        bool on = false;
        int rc = lf_json_get_bool(root, biases[i], path, &on, err);
        if (rc) return rc;
        if (on) return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: %s is not supported", path, biases[i]);
    }
    const char *act = "silu";
    int rc = lf_json_get_string(root, "hidden_act", path, false, &act, err);
    if (!rc && strcmp(act, "silu") != 0)
        rc = lf_fail(err, LF_ERR_UNSUPPORTED, "%s: hidden_act '%.40s' is not supported (silu is)", path, act);
    return rc;
}

int hf_config_load(const char *path, hf_config *c, lf_error *err) {
    *c = (hf_config){.max_position_embeddings = 2048};
    json_t *root = NULL;
    int rc = lf_json_load_file(path, 0, &root, err);
    if (!rc) rc = read_architecture(root, path, c, err);
    if (!rc) rc = read_sizes(root, path, c, err);
    if (!rc) rc = read_rope_scaling(root, path, c, err);
    if (!rc) rc = refuse_unsupported(root, path, err);
    double eps = 1e-6, theta = 10000;
    if (!rc) rc = lf_json_get_number(root, "rms_norm_eps", path, 1e-12, 0.5, false, &eps, err);
    if (!rc) rc = lf_json_get_number(root, "rope_theta", path, 1, 1e12, false, &theta, err);
    if (!rc) rc = lf_json_get_bool(root, "tie_word_embeddings", path, &c->tie_word_embeddings, err);
    const char *dtype = "";
    if (!rc) rc = lf_json_get_string(root, "torch_dtype", path, false, &dtype, err);
    if (!rc) {
        c->rms_norm_eps = (float)eps;
        c->rope_theta = (float)theta;
        snprintf(c->torch_dtype, sizeof c->torch_dtype, "%s", dtype);
    }
    json_decref(root);
    return rc;
}
