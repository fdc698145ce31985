#include "format/json_file.h"

#include "core/error.h"

static int load_result(json_t *root, const json_error_t *je, const char *name, json_t **out, lf_error *err) {
    if (!root && je->line < 0) return lf_fail(err, LF_ERR_IO, "%s: %s", name, je->text); /* cannot read it */
    if (!root)
        return lf_fail(err, LF_ERR_FORMAT, "%s: invalid JSON at line %d, column %d: %s", name, je->line, je->column,
                       je->text);
    if (!json_is_object(root)) {
        json_decref(root);
        return lf_fail(err, LF_ERR_FORMAT, "%s: the JSON top level is not an object", name);
    }
    *out = root;
    return LF_OK;
}

int lf_json_load_file(const char *path, size_t flags, json_t **out, lf_error *err) {
    *out = NULL;
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | flags, &je);
    return load_result(root, &je, path, out, err);
}

int lf_json_load_buffer(const void *data, size_t size, const char *name, json_t **out, lf_error *err) {
    *out = NULL;
    json_error_t je;
    json_t *root = json_loadb(data, size, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    return load_result(root, &je, name, out, err);
}

const json_t *lf_json_member(const json_t *obj, const char *key) {
    const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    return json_is_null(v) ? NULL : v;
}

static int absent(const char *key, const char *file, bool required, lf_error *err) {
    return required ? lf_fail(err, LF_ERR_FORMAT, "%s: \"%s\" is missing", file, key) : LF_OK;
}

int lf_json_get_int(const json_t *obj, const char *key, const char *file, long long lo, long long hi,
                    bool required, long long *out, lf_error *err) {
    const json_t *v = lf_json_member(obj, key);
    if (!v) return absent(key, file, required, err);
    if (!json_is_integer(v)) return lf_fail(err, LF_ERR_FORMAT, "%s: \"%s\" is not an integer", file, key);
    long long x = json_integer_value(v);
    if (x < lo || x > hi)
        return lf_fail(err, LF_ERR_FORMAT, "%s: \"%s\" is %lld, outside [%lld, %lld]", file, key, x, lo, hi);
    *out = x;
    return LF_OK;
}

int lf_json_get_number(const json_t *obj, const char *key, const char *file, double lo, double hi,
                       bool required, double *out, lf_error *err) {
    const json_t *v = lf_json_member(obj, key);
    if (!v) return absent(key, file, required, err);
    if (!json_is_number(v)) return lf_fail(err, LF_ERR_FORMAT, "%s: \"%s\" is not a number", file, key);
    double x = json_number_value(v);
    if (!(x >= lo && x <= hi))
        return lf_fail(err, LF_ERR_FORMAT, "%s: \"%s\" is %g, outside [%g, %g]", file, key, x, lo, hi);
    *out = x;
    return LF_OK;
}

int lf_json_get_bool(const json_t *obj, const char *key, const char *file, bool *out, lf_error *err) {
    const json_t *v = lf_json_member(obj, key);
    if (!v) return LF_OK;
    if (!json_is_boolean(v)) return lf_fail(err, LF_ERR_FORMAT, "%s: \"%s\" is not true or false", file, key);
    *out = json_is_true(v);
    return LF_OK;
}

int lf_json_get_string(const json_t *obj, const char *key, const char *file, bool required,
                       const char **out, lf_error *err) {
    const json_t *v = lf_json_member(obj, key);
    if (!v) return absent(key, file, required, err);
    if (!json_is_string(v)) return lf_fail(err, LF_ERR_FORMAT, "%s: \"%s\" is not a string", file, key);
    *out = json_string_value(v);
    return LF_OK;
}
