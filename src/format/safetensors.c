/* One safetensors file: header validation and tensor table. */
#include "format/safetensors.h"

#include <stdlib.h>
#include <string.h>

#include "core/checked_math.h"
#include "core/error.h"
#include "format/json_file.h"
#include "format/tensor_ranges.h"
#include "kernels/kernels.h"

/* Every dtype of the format, so that a file with tensors the runtime does not use (say an
 * I64 buffer) is still validated and readable. */
static const struct {
    const char *name;
    int bytes;
    int type;
} dtypes[] = {
    {"F32", 4, LF_TYPE_F32}, {"F16", 2, LF_TYPE_F16}, {"BF16", 2, LF_TYPE_BF16}, {"F64", 8, -1},
    {"I64", 8, -1}, {"U64", 8, -1}, {"I32", 4, -1}, {"U32", 4, -1}, {"I16", 2, -1}, {"U16", 2, -1},
    {"I8", 1, -1}, {"U8", 1, -1}, {"BOOL", 1, -1}, {"F8_E4M3", 1, -1}, {"F8_E5M2", 1, -1},
};

/* Reads shape and data_offsets of one header entry and checks them against the data area. */
static int parse_entry(safetensors_tensor *t, const json_t *entry, uint64_t data_size, const char *file,
                       lf_error *err) {
    if (!json_is_object(entry)) return lf_fail(err, LF_ERR_FORMAT, "%s: tensor '%s' is not an object", file, t->name);
    const json_t *dtype = json_object_get(entry, "dtype"), *shape = json_object_get(entry, "shape"),
                 *offsets = json_object_get(entry, "data_offsets");
    if (!json_is_string(dtype) || !json_is_array(shape) || !json_is_array(offsets) || json_array_size(offsets) != 2)
        return lf_fail(err, LF_ERR_FORMAT, "%s: tensor '%s' needs a dtype string, a shape array and two data_offsets",
                       file, t->name);
    int elem_bytes = 0;
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (strcmp(json_string_value(dtype), dtypes[i].name) == 0) {
            elem_bytes = dtypes[i].bytes;
            t->type = dtypes[i].type;
            strcpy(t->dtype, dtypes[i].name);
        }
    if (!elem_bytes)
        return lf_fail(err, LF_ERR_FORMAT, "%s: tensor '%s' has unknown dtype '%.20s'", file, t->name,
                       json_string_value(dtype));
    if (json_array_size(shape) > SAFETENSORS_MAX_DIMS)
        return lf_fail(err, LF_ERR_FORMAT, "%s: tensor '%s' has %zu dimensions (at most %d)", file, t->name,
                       json_array_size(shape), SAFETENSORS_MAX_DIMS);
    t->n_dims = (int)json_array_size(shape);
    uint64_t count = 1;
    for (int d = 0; d < t->n_dims; d++) {
        const json_t *v = json_array_get(shape, (size_t)d);
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            !lf_mul_u64(count, (uint64_t)json_integer_value(v), &count))
            return lf_fail(err, LF_ERR_FORMAT, "%s: tensor '%s' has a bad shape", file, t->name);
        t->shape[d] = json_integer_value(v);
    }
    const json_t *b = json_array_get(offsets, 0), *e = json_array_get(offsets, 1);
    if (!json_is_integer(b) || !json_is_integer(e) || json_integer_value(b) < 0 ||
        json_integer_value(e) < json_integer_value(b))
        return lf_fail(err, LF_ERR_FORMAT, "%s: tensor '%s' has bad data_offsets", file, t->name);
    uint64_t begin = (uint64_t)json_integer_value(b), end = (uint64_t)json_integer_value(e), want;
    if (end > data_size)
        return lf_fail(err, LF_ERR_FORMAT, "%s: tensor '%s' ends at byte %llu of a %llu-byte data area (truncated file?)",
                       file, t->name, (unsigned long long)end, (unsigned long long)data_size);
    if (!lf_mul_u64(count, (uint64_t)elem_bytes, &want) || want != end - begin)
        return lf_fail(err, LF_ERR_FORMAT, "%s: tensor '%s' has %llu bytes but its %s shape needs %llu", file, t->name,
                       (unsigned long long)(end - begin), t->dtype, (unsigned long long)want);
    t->offset = begin;
    t->nbytes = end - begin;
    return LF_OK;
}

/* No two tensors share a byte, and, as the format requires, every byte of the data area
 * belongs to a tensor. */
static int check_ranges(safetensors_file *f, uint64_t data_size, lf_error *err) {
    tensor_range *r = malloc((size_t)(f->n_tensors ? f->n_tensors : 1) * sizeof *r);
    if (!r) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", f->name);
    for (int i = 0; i < f->n_tensors; i++) {
        const safetensors_tensor *t = &f->tensors[i];
        r[i] = (tensor_range){t->name, (int)strlen(t->name), t->offset, t->offset + t->nbytes};
    }
    int rc = tensor_ranges_check(r, (size_t)f->n_tensors, data_size, true, f->name, err);
    free(r);
    return rc;
}

static int parse_header(safetensors_file *f, const json_t *header, const unsigned char *data, uint64_t data_size,
                        lf_error *err) {
    f->tensors = calloc(json_object_size(header) + 1, sizeof *f->tensors);
    if (!f->tensors) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory for the tensor table", f->name);
    for (void *it = json_object_iter((json_t *)header); it; it = json_object_iter_next((json_t *)header, it)) {
        const char *key = json_object_iter_key(it);
        if (strcmp(key, "__metadata__") == 0) continue; /* free-form string pairs */
        if (strlen(key) != json_object_iter_key_len(it) || !*key)
            return lf_fail(err, LF_ERR_FORMAT, "%s: a tensor name is empty or contains a NUL byte", f->name);
        safetensors_tensor *t = &f->tensors[f->n_tensors];
        if (!(t->name = strdup(key))) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", f->name);
        f->n_tensors++;
        int rc = parse_entry(t, json_object_iter_value(it), data_size, f->name, err);
        if (rc) return rc;
        t->data = data + t->offset;
    }
    return check_ranges(f, data_size, err);
}

int safetensors_parse(const void *data, size_t size, const char *name, safetensors_file **out, lf_error *err) {
    *out = NULL;
    const unsigned char *p = data;
    if (size < 8) return lf_fail(err, LF_ERR_FORMAT, "%s: %zu bytes is too short for a safetensors file", name, size);
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; i--) header_len = header_len << 8 | p[i];
    if (header_len > size - 8)
        return lf_fail(err, LF_ERR_FORMAT, "%s: header of %llu bytes does not fit in the %zu-byte file (truncated, or not safetensors)",
                       name, (unsigned long long)header_len, size);
    if (header_len < 2 || p[8] != '{')
        return lf_fail(err, LF_ERR_FORMAT, "%s: the safetensors header is not a JSON object", name);
    safetensors_file *f = calloc(1, sizeof *f);
    if (!f || !(f->name = strdup(name))) {
        free(f);
        return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", name);
    }
    json_t *header = NULL;
    int rc = lf_json_load_buffer(p + 8, (size_t)header_len, name, &header, err);
    if (!rc) rc = parse_header(f, header, p + 8 + header_len, size - 8 - header_len, err);
    json_decref(header);
    if (rc) {
        safetensors_close(f);
        return rc;
    }
    *out = f;
    return LF_OK;
}

int safetensors_open(const char *path, safetensors_file **out, lf_error *err) {
    *out = NULL;
    lf_mapped_file map;
    int rc = lf_mapped_file_open(path, &map, err);
    if (rc) return rc;
    rc = safetensors_parse(map.data, map.size, path, out, err);
    if (rc) lf_mapped_file_close(&map);
    else (*out)->map = map;
    return rc;
}

void safetensors_close(safetensors_file *f) {
    if (!f) return;
    for (int i = 0; i < f->n_tensors; i++) free(f->tensors[i].name);
    free(f->tensors);
    free(f->name);
    lf_mapped_file_close(&f->map);
    free(f);
}
