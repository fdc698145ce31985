/* A Hugging Face tokenizer on disk: tokenizer.json, and the special tokens the files
 * beside it name. tokenizer_config.json gives the BOS/EOS texts and add_bos_token;
 * generation_config.json and config.json give eos_token_id (one id or a list), every one
 * of which ends a generation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "format/json_file.h"
#include "tokenizer/load_hf.h"

bool lf_tokenizer_is_hf_path(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return false;
    size_t n = strlen(path);
    return S_ISDIR(st.st_mode) || (n >= 5 && strcmp(path + n - 5, ".json") == 0);
}

/* bos_token / eos_token: "<s>", or an AddedToken {"content": "<s>", ...}. */
static int token_text(const json_t *cfg, const char *key, const char *file, const char **out, lf_error *err) {
    const json_t *v = lf_json_member(cfg, key);
    if (!v) return LF_OK;
    if (json_is_object(v)) v = lf_json_member(v, "content");
    if (!json_is_string(v)) return lf_fail(err, LF_ERR_FORMAT, "%s: \"%s\" is not a token text", file, key);
    *out = json_string_value(v);
    return LF_OK;
}

static int read_tokenizer_config(const json_t *cfg, const char *file, hf_special_tokens *sp, lf_error *err) {
    bool add_bos = false;
    const json_t *has_add_bos = lf_json_member(cfg, "add_bos_token");
    int rc = token_text(cfg, "bos_token", file, &sp->bos_text, err);
    if (!rc) rc = token_text(cfg, "eos_token", file, &sp->eos_text, err);
    if (!rc) rc = token_text(cfg, "unk_token", file, &sp->unk_text, err);
    if (!rc) rc = token_text(cfg, "pad_token", file, &sp->pad_text, err);
    if (!rc) rc = lf_json_get_bool(cfg, "add_bos_token", file, &add_bos, err);
    if (!rc && has_add_bos) sp->add_bos = add_bos;
    sp->text_file = file;
    return rc;
}

static int read_id(const json_t *v, const char *file, const char *key, int32_t *id, lf_error *err) {
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) >= TOKENIZER_MAX_VOCAB)
        return lf_fail(err, LF_ERR_FORMAT, "%s: \"%s\" is not a token id or a list of them", file, key);
    *id = (int32_t)json_integer_value(v);
    return LF_OK;
}

/* bos_token_id and eos_token_id of generation_config.json / config.json; the first file
 * read sets BOS and EOS, every EOS id is an end of generation. */
static int read_ids(const json_t *cfg, const char *file, hf_special_tokens *sp, lf_error *err) {
    const json_t *bos = lf_json_member(cfg, "bos_token_id"), *eos = lf_json_member(cfg, "eos_token_id");
    int32_t id;
    int rc;
    if (bos && sp->bos_id < 0) {
        if ((rc = read_id(bos, file, "bos_token_id", &sp->bos_id, err))) return rc;
        sp->bos_file = file;
    }
    size_t n = json_is_array(eos) ? json_array_size(eos) : eos ? 1 : 0;
    for (size_t i = 0; i < n; i++) {
        if ((rc = read_id(json_is_array(eos) ? json_array_get(eos, i) : eos, file, "eos_token_id", &id, err))) return rc;
        if (sp->eos_id < 0) sp->eos_id = id;
        if (sp->n_eog < TOKENIZER_MAX_EOG) sp->eog_file[sp->n_eog] = file, sp->eog[sp->n_eog++] = id;
    }
    return LF_OK;
}

/* Loads dir/name when it exists (*root stays NULL otherwise). */
static int load_optional(const char *dir, const char *name, size_t flags, char *path, size_t cap, json_t **root,
                         lf_error *err) {
    *root = NULL;
    snprintf(path, cap, "%s/%s", dir, name);
    return access(path, F_OK) == 0 ? lf_json_load_file(path, flags, root, err) : LF_OK;
}

static bool names_sibling(const char *base) {
    static const char *const siblings[] = {"config.json", "tokenizer_config.json", "generation_config.json"};
    for (size_t i = 0; i < sizeof siblings / sizeof siblings[0]; i++)
        if (strcmp(base, siblings[i]) == 0) return true;
    return false;
}

int lf_tokenizer_from_hf_path(const char *path, lf_tokenizer **out, lf_error *err) {
    *out = NULL;
    struct stat st;
    char dir[4096], json_path[4200], files[3][4200]; /* outlive the hf_special_tokens naming them */
    bool is_dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    if (strlen(path) >= sizeof dir) return lf_fail(err, LF_ERR_ARG, "%s: path too long", path);
    if (is_dir) snprintf(dir, sizeof dir, "%s", path);
    else if (slash) snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    else snprintf(dir, sizeof dir, ".");
    if (is_dir || names_sibling(base)) snprintf(json_path, sizeof json_path, "%s/tokenizer.json", dir);
    else snprintf(json_path, sizeof json_path, "%s", path);
    json_t *tok = NULL, *sib[3] = {NULL, NULL, NULL};
    static const char *const sibling_names[] = {"tokenizer_config.json", "generation_config.json", "config.json"};
    hf_special_tokens sp = {.bos_id = -1, .eos_id = -1, .add_bos = -1};
    int rc = lf_json_load_file(json_path, 0, &tok, err);
    for (int i = 0; i < 3 && !rc; i++) {
        /* tokenizer_config.json's model_max_length may not fit in 64 bits */
        rc = load_optional(dir, sibling_names[i], i == 0 ? JSON_DECODE_INT_AS_REAL : 0, files[i], sizeof files[i],
                           &sib[i], err);
        if (!rc && sib[i])
            rc = i == 0 ? read_tokenizer_config(sib[i], files[i], &sp, err) : read_ids(sib[i], files[i], &sp, err);
    }
    if (!rc) rc = lf_tokenizer_from_hf_json(tok, json_path, &sp, out, err);
    json_decref(tok);
    for (int i = 0; i < 3; i++) json_decref(sib[i]);
    return rc;
}
