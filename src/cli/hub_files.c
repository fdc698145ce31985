#include "cli/hub_files.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/model_store.h"
#include "core/error.h"

/* s into out when it is n lower-case hex digits. */
static bool take_hex(const char *s, size_t n, char *out) {
    if (!s || strlen(s) != n || strspn(s, "0123456789abcdef") != n) return false;
    memcpy(out, s, n + 1);
    return true;
}

/* One file entry of the listing into f. */
static int parse_file(json_t *e, const char *path, const char *repo, hub_file *f, lf_error *err) {
    json_t *lfs = json_object_get(e, "lfs");
    json_t *size = json_object_get(json_is_object(lfs) ? lfs : e, "size");
    f->size = json_is_integer(size) ? json_integer_value(size) : -1;
    bool digest;
    if (json_is_object(lfs)) { /* "sha256" in the older model-info listing */
        json_t *oid = json_object_get(lfs, "oid");
        digest = take_hex(json_string_value(oid ? oid : json_object_get(lfs, "sha256")), 64, f->sha256);
    } else
        digest = take_hex(json_string_value(json_object_get(e, "oid")), 40, f->git_oid);
    if (f->size < 0 || !digest)
        return lf_fail(err, LF_ERR_FORMAT, "%s: the hub lists %s without a size and a %s", repo, path,
                       json_is_object(lfs) ? "sha256 (lfs.oid)" : "git blob id (oid)");
    if (!(f->path = strdup(path))) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", repo);
    return LF_OK;
}

int hub_listing_parse(const char *json, size_t len, const char *repo, hub_listing *out, lf_error *err) {
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loadb(json, len, 0, &jerr);
    if (!json_is_array(root)) {
        json_decref(root);
        return lf_fail(err, LF_ERR_FORMAT, "%s: the hub's file listing is not the expected JSON (%s)", repo,
                       root ? "not an array" : jerr.text);
    }
    size_t n = json_array_size(root);
    out->files = calloc(n ? n : 1, sizeof *out->files);
    if (!out->files) {
        json_decref(root);
        return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", repo);
    }
    int rc = LF_OK;
    for (size_t i = 0; i < n && rc == LF_OK; i++) {
        json_t *e = json_array_get(root, i);
        const char *type = json_string_value(json_object_get(e, "type"));
        if (type && !strcmp(type, "directory")) continue;
        const char *path = json_string_value(json_object_get(e, "path"));
        if (!type || strcmp(type, "file") || !path || !store_valid_file_path(path)) {
            rc = lf_fail(err, LF_ERR_FORMAT, "%s: the hub lists a file named '%s', which is not allowed", repo,
                         path ? path : "(none)");
            break;
        }
        rc = parse_file(e, path, repo, &out->files[out->n], err);
        if (rc == LF_OK) out->n++;
    }
    json_decref(root);
    if (rc != LF_OK) hub_listing_free(out);
    return rc;
}

const hub_file *hub_listing_find(const hub_listing *l, const char *path) {
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->files[i].path, path)) return &l->files[i];
    return NULL;
}

void hub_listing_free(hub_listing *l) {
    for (size_t i = 0; i < l->n; i++) free(l->files[i].path);
    free(l->files);
    memset(l, 0, sizeof *l);
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* Weight kinds in order of preference. */
enum { WEIGHTS_SAFETENSORS, WEIGHTS_PYTORCH, WEIGHTS_GGUF, WEIGHTS_NONE };

static int weight_kind(const char *path) {
    if (ends_with(path, ".safetensors")) return WEIGHTS_SAFETENSORS;
    if (ends_with(path, ".bin") || ends_with(path, ".pth") || ends_with(path, ".pt")) return WEIGHTS_PYTORCH;
    if (ends_with(path, ".gguf")) return WEIGHTS_GGUF;
    return WEIGHTS_NONE;
}

static bool is_support_file(const char *path) {
    return ends_with(path, ".json") || ends_with(path, ".model") || ends_with(path, ".tiktoken") ||
           !strcmp(path, "merges.txt");
}

int hub_listing_choose(hub_listing *l, const char *repo, lf_error *err) {
    int count[WEIGHTS_NONE + 1] = {0};
    for (size_t i = 0; i < l->n; i++)
        if (!strchr(l->files[i].path, '/')) count[weight_kind(l->files[i].path)]++;
    int kind = 0;
    while (kind < WEIGHTS_NONE && count[kind] == 0) kind++;
    if (kind == WEIGHTS_NONE)
        return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: no weights (.safetensors, .bin, .pth, .gguf) at the top level; "
                       "name the files with --file", repo);
    if (kind == WEIGHTS_GGUF && count[kind] > 1) {
        char names[400] = "";
        for (size_t i = 0; i < l->n && strlen(names) < 300; i++)
            if (!strchr(l->files[i].path, '/') && weight_kind(l->files[i].path) == WEIGHTS_GGUF)
                snprintf(names + strlen(names), sizeof names - strlen(names), " %s", l->files[i].path);
        return lf_fail(err, LF_ERR_ARG, "%s holds %d GGUF files; choose one with --file:%s%s", repo, count[kind], names,
                       strlen(names) >= 300 ? " ..." : "");
    }
    for (size_t i = 0; i < l->n; i++) {
        const char *p = l->files[i].path;
        l->files[i].chosen = !strchr(p, '/') && (weight_kind(p) == kind || is_support_file(p));
    }
    return LF_OK;
}
