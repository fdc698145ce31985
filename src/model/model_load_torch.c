/* PyTorch checkpoints in Meta's layout (consolidated.00.pth + params.json, as Meta
 * publishes Llama 2/3) and torchchat's / gpt-fast's (model.pth with a fused wqkv; the
 * same params.json keys): params.json for the shape, the checkpoint (read by the
 * restricted unpickler, tensors used in place) for the weights, tokenizer.model beside
 * them for the vocabulary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "format/json_file.h"
#include "format/torch_checkpoint.h"
#include "model/hf_weights.h"

static bool has_suffix(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* A directory holding consolidated.00.pth (or model.pth), or a .pth/.pt file. */
static int find_checkpoint(const char *path, char *dir, size_t dir_size, char *file, size_t file_size) {
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    if (S_ISREG(st.st_mode)) {
        const char *slash = strrchr(path, '/');
        snprintf(dir, dir_size, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
        snprintf(file, file_size, "%s", path);
        return 0;
    }
    snprintf(dir, dir_size, "%s", path);
    static const char *const names[] = {"consolidated.00.pth", "model.pth"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(file, file_size, "%s/%s", path, names[i]);
        if (access(file, F_OK) == 0) return 0;
    }
    return -1;
}

bool lf_model_is_torch_path(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return false;
    if (S_ISREG(st.st_mode)) return has_suffix(path, ".pth") || has_suffix(path, ".pt");
    char dir[4096], file[4096];
    return S_ISDIR(st.st_mode) && find_checkpoint(path, dir, sizeof dir, file, sizeof file) == 0;
}

/* The rows of a 2-D tensor, or -1. */
static int64_t rows_of(const safetensors_set *set, const char *name) {
    const safetensors_tensor *t = safetensors_set_find(set, name);
    return t && t->n_dims == 2 ? t->shape[0] : -1;
}

/* torchchat's table of model shapes (its model_params JSON files, the keys of params.json);
 * the feed-forward width always comes from the weights. */
static const struct {
    const char *name, *json;
} params_table[] = {
    {"stories15M", "{\"dim\": 288, \"n_layers\": 6, \"n_heads\": 6, \"vocab_size\": 32000, \"max_seq_len\": 256}"},
    {"stories42M", "{\"dim\": 512, \"n_layers\": 8, \"n_heads\": 8, \"vocab_size\": 32000, \"max_seq_len\": 1024}"},
    {"stories110M", "{\"dim\": 768, \"n_layers\": 12, \"n_heads\": 12, \"vocab_size\": 32000, \"max_seq_len\": 1024}"},
    {"7B", "{\"dim\": 4096, \"n_layers\": 32, \"n_heads\": 32, \"vocab_size\": 32000, \"norm_eps\": 1e-5}"},
    {"13B", "{\"dim\": 5120, \"n_layers\": 40, \"n_heads\": 40, \"vocab_size\": 32000, \"norm_eps\": 1e-5}"},
    {"70B", "{\"dim\": 8192, \"n_layers\": 80, \"n_heads\": 64, \"n_kv_heads\": 8, \"vocab_size\": 32000, "
            "\"norm_eps\": 1e-5}"},
    {"CodeLlama-7B", "{\"dim\": 4096, \"n_layers\": 32, \"n_heads\": 32, \"vocab_size\": 32016, "
                     "\"rope_theta\": 1000000, \"max_seq_len\": 16384}"},
    {"Mistral-7B", "{\"dim\": 4096, \"n_layers\": 32, \"n_heads\": 32, \"n_kv_heads\": 8, \"vocab_size\": 32000, "
                   "\"norm_eps\": 1e-5, \"rope_theta\": 1000000, \"max_seq_len\": 32768}"},
    {"Meta-Llama-3-8B", "{\"dim\": 4096, \"n_layers\": 32, \"n_heads\": 32, \"n_kv_heads\": 8, "
                        "\"vocab_size\": 128256, \"norm_eps\": 1e-5, \"rope_theta\": 500000, \"max_seq_len\": 8192}"},
    {"Meta-Llama-3.1-8B", "{\"dim\": 4096, \"n_layers\": 32, \"n_heads\": 32, \"n_kv_heads\": 8, "
                          "\"vocab_size\": 128256, \"norm_eps\": 1e-5, \"rope_theta\": 500000, "
                          "\"use_scaled_rope\": true, \"max_seq_len\": 131072}"},
    {"Meta-Llama-3.2-1B", "{\"dim\": 2048, \"n_layers\": 16, \"n_heads\": 32, \"n_kv_heads\": 8, "
                          "\"vocab_size\": 128256, \"norm_eps\": 1e-5, \"rope_theta\": 500000, "
                          "\"use_scaled_rope\": true, \"rope_scaling_factor\": 32, \"max_seq_len\": 131072}"},
    {"Meta-Llama-3.2-3B", "{\"dim\": 3072, \"n_layers\": 28, \"n_heads\": 24, \"n_kv_heads\": 8, "
                          "\"vocab_size\": 128256, \"norm_eps\": 1e-5, \"rope_theta\": 500000, "
                          "\"use_scaled_rope\": true, \"rope_scaling_factor\": 32, \"max_seq_len\": 131072}"},
};

/* The shape: params_path, else the table entry params_table, else params.json beside the
 * checkpoint. *source names it for messages. */
static int load_params_json(const lf_model_params *p, const char *dir, const char *file, json_t **root,
                            char *source, size_t source_size, lf_error *err) {
    if (p && p->params_path) {
        snprintf(source, source_size, "%s", p->params_path);
        return lf_json_load_file(p->params_path, 0, root, err);
    }
    if (p && p->params_table) {
        snprintf(source, source_size, "params table entry %s", p->params_table);
        for (size_t i = 0; i < sizeof params_table / sizeof params_table[0]; i++)
            if (!strcmp(params_table[i].name, p->params_table))
                return lf_json_load_buffer(params_table[i].json, strlen(params_table[i].json), source, root, err);
        return lf_fail(err, LF_ERR_ARG, "no model named '%s' in the params table (stories15M, 7B, Meta-Llama-3-8B, ...)",
                       p->params_table);
    }
    snprintf(source, source_size, "%s/params.json", dir);
    if (access(source, F_OK) != 0)
        return lf_fail(err, LF_ERR_IO, "%s: no params.json beside the checkpoint (it gives the model's shape; or name "
                       "the shape with params_path / params_table)", file);
    return lf_json_load_file(source, 0, root, err);
}

/* params.json of Meta's reference code: dim, n_layers, n_heads, n_kv_heads, vocab_size
 * (-1 in Llama 2's: then the embedding's rows), norm_eps, rope_theta, use_scaled_rope
 * (Llama 3.1+: the llama3 frequency scaling, factor rope_scaling_factor or 8); the
 * feed-forward width (multiple_of, ffn_dim_multiplier) is read off w1's rows. */
static int read_params(lf_model *m, const json_t *root, const char *f, const safetensors_set *set, bool *scaled_rope,
                       double *scale_factor, lf_error *err) {
    long long dim = 0, n_layers = 0, n_heads = 0, n_kv_heads = 0, vocab = -1, max_seq = 4096;
    double eps = 1e-5, theta = 10000.0;
    *scaled_rope = false;
    *scale_factor = 8.0;
    int rc = json_is_object(root) ? LF_OK : lf_fail(err, LF_ERR_FORMAT, "%s: not a JSON object", f);
    if (!rc) rc = lf_json_get_int(root, "dim", f, 1, 1 << 16, true, &dim, err);
    if (!rc) rc = lf_json_get_int(root, "n_layers", f, 1, 1024, true, &n_layers, err);
    if (!rc) rc = lf_json_get_int(root, "n_heads", f, 1, 1024, true, &n_heads, err);
    n_kv_heads = n_heads;
    if (!rc) rc = lf_json_get_int(root, "n_kv_heads", f, 1, 1024, false, &n_kv_heads, err);
    if (!rc) rc = lf_json_get_int(root, "vocab_size", f, -1, 1 << 24, false, &vocab, err);
    if (!rc) rc = lf_json_get_int(root, "max_seq_len", f, 1, LF_MAX_CONTEXT, false, &max_seq, err);
    if (!rc) rc = lf_json_get_number(root, "norm_eps", f, 0, 1, false, &eps, err);
    if (!rc) rc = lf_json_get_number(root, "rope_theta", f, 1, 1e12, false, &theta, err);
    if (!rc) rc = lf_json_get_bool(root, "use_scaled_rope", f, scaled_rope, err);
    if (!rc) rc = lf_json_get_number(root, "rope_scaling_factor", f, 1, 1e6, false, scale_factor, err);
    if (rc) return rc;
    if (dim % n_heads || n_heads % n_kv_heads)
        return lf_fail(err, LF_ERR_FORMAT, "%s: dim %lld, n_heads %lld and n_kv_heads %lld do not divide", f, dim,
                       n_heads, n_kv_heads);
    int64_t embed_rows = rows_of(set, "tok_embeddings.weight"), hidden = rows_of(set, "layers.0.feed_forward.w1.weight");
    if (vocab <= 0) vocab = embed_rows;
    if (vocab <= 0 || hidden <= 0)
        return lf_fail(err, LF_ERR_FORMAT, "%s: no 2-D tok_embeddings.weight / layers.0.feed_forward.w1.weight to size "
                       "the model by", set->files[0]->name);
    m->cfg = (lf_model_config){.n_layers = (int)n_layers, .dim = (int)dim, .hidden_dim = (int)hidden,
                               .n_heads = (int)n_heads, .n_kv_heads = (int)n_kv_heads,
                               .head_dim = (int)(dim / n_heads), .vocab_size = (int)vocab,
                               .context_length = (int)max_seq,
                               .rope_dim = (int)(dim / n_heads), .rope_theta = (float)theta, .norm_eps = (float)eps,
                               .rope_linear_scale = 1.0f};
    return LF_OK;
}

/* torchchat saves {"model": state_dict} at times: names lose that prefix. */
static void strip_model_prefix(safetensors_file *f) {
    for (int i = 0; i < f->n_tensors; i++)
        if (strncmp(f->tensors[i].name, "model.", 6)) return;
    for (int i = 0; i < f->n_tensors; i++) memmove(f->tensors[i].name, f->tensors[i].name + 6, strlen(f->tensors[i].name) - 5);
}

int lf_model_load_torch(lf_model *m, const char *path, const lf_model_params *params, lf_error *err) {
    char dir[4096], file[4096], source[4200];
    if (find_checkpoint(path, dir, sizeof dir, file, sizeof file))
        return lf_fail(err, LF_ERR_IO, "%s: no consolidated.00.pth or model.pth there", path);
    struct lf_hf_weights *w = calloc(1, sizeof *w);
    if (!w || !(w->dir = strdup(dir)) || !(w->set.files = calloc(1, sizeof *w->set.files))) {
        if (w) free(w->dir);
        free(w);
        return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    }
    m->hf = w;
    w->config_name = params && (params->params_path || params->params_table) ? "the given params" : "params.json";
    snprintf(source, sizeof source, "%s/consolidated.01.pth", dir);
    if (access(source, F_OK) == 0)
        return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: checkpoints split over several consolidated.NN.pth files (model "
                       "parallel shards) are not supported; merge them into one", dir);
    int rc = torch_checkpoint_open(file, &w->set.files[0], err);
    if (rc) return rc;
    w->set.n_files = 1;
    strip_model_prefix(w->set.files[0]);
    json_t *root = NULL;
    bool scaled_rope = false;
    double scale = 8.0;
    rc = load_params_json(params, dir, file, &root, source, sizeof source, err);
    if (!rc) rc = read_params(m, root, source, &w->set, &scaled_rope, &scale, err);
    json_decref(root);
    if (rc) return rc;
    bool tied = !safetensors_set_find(&w->set, "output.weight");
    if ((rc = hf_weights_map(m, w, tied, CHECKPOINT_META, err))) return rc;
    /* Meta's apply_scaling: low_freq_factor 1, high_freq_factor 4, old context 8192 */
    if (scaled_rope && (rc = lf_model_llama3_rope_factors(m, (float)scale, 1.0f, 4.0f, 8192.0f, source, err))) return rc;
    const char *base = strrchr(file, '/');
    m->name = strdup(base ? base + 1 : file);
    m->format = strdup("PyTorch checkpoint (zip), params.json");
    m->architecture = strdup("llama");
    return m->name && m->format && m->architecture ? LF_OK : lf_fail(err, LF_ERR_NOMEM, "out of memory");
}
