#include "convert/gguf_metadata_copy.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

static bool restated(const char *key, const char *const *also, int n_also) {
    for (int i = 0; i < n_also; i++)
        if (strcmp(key, also[i]) == 0) return true;
    return strcmp(key, "general.file_type") == 0 || strcmp(key, "general.quantization_version") == 0 ||
           strcmp(key, "general.alignment") == 0 || strncmp(key, "split.", 6) == 0;
}

static int copy_array(const gguf_kv *kv, const char *key, gguf_writer *w, lf_error *err) {
    if (kv->arr_type == GGUF_TYPE_ARRAY)
        return lf_fail(err, LF_ERR_UNSUPPORTED, "metadata '%s': arrays of arrays are not supported", key);
    if (kv->arr_type != GGUF_TYPE_STRING)
        return gguf_writer_add_array(w, key, kv->arr_type, kv->arr_data, kv->arr_count, err);
    const char **strs = malloc((size_t)(kv->arr_count ? kv->arr_count : 1) * sizeof *strs);
    uint64_t *lens = malloc((size_t)(kv->arr_count ? kv->arr_count : 1) * sizeof *lens);
    int rc = strs && lens ? LF_OK : lf_fail(err, LF_ERR_NOMEM, "out of memory copying metadata '%s'", key);
    for (uint64_t i = 0; !rc && i < kv->arr_count; i++) {
        strs[i] = kv->arr_strings[i].data;
        lens[i] = kv->arr_strings[i].len;
    }
    if (!rc) rc = gguf_writer_add_str_array(w, key, strs, lens, kv->arr_count, err);
    free(strs);
    free(lens);
    return rc;
}

static int copy_kv(const gguf_kv *kv, const char *key, gguf_writer *w, lf_error *err) {
    switch (kv->type) {
    case GGUF_TYPE_UINT8: return gguf_writer_add_u8(w, key, (uint8_t)kv->v.u64, err);
    case GGUF_TYPE_INT8: return gguf_writer_add_i8(w, key, (int8_t)kv->v.i64, err);
    case GGUF_TYPE_UINT16: return gguf_writer_add_u16(w, key, (uint16_t)kv->v.u64, err);
    case GGUF_TYPE_INT16: return gguf_writer_add_i16(w, key, (int16_t)kv->v.i64, err);
    case GGUF_TYPE_UINT32: return gguf_writer_add_u32(w, key, (uint32_t)kv->v.u64, err);
    case GGUF_TYPE_INT32: return gguf_writer_add_i32(w, key, (int32_t)kv->v.i64, err);
    case GGUF_TYPE_UINT64: return gguf_writer_add_u64(w, key, kv->v.u64, err);
    case GGUF_TYPE_INT64: return gguf_writer_add_i64(w, key, kv->v.i64, err);
    case GGUF_TYPE_FLOAT32: return gguf_writer_add_f32(w, key, (float)kv->v.f64, err);
    case GGUF_TYPE_FLOAT64: return gguf_writer_add_f64(w, key, kv->v.f64, err);
    case GGUF_TYPE_BOOL: return gguf_writer_add_bool(w, key, kv->v.b, err);
    case GGUF_TYPE_STRING: return gguf_writer_add_str_n(w, key, kv->v.str.data, kv->v.str.len, err);
    case GGUF_TYPE_ARRAY: return copy_array(kv, key, w, err);
    }
    return lf_fail(err, LF_ERR_FORMAT, "metadata '%s' has an unknown type", key);
}

int convert_copy_gguf_metadata(const gguf_file *f, const char *const *also_restated, int n_also, gguf_writer *w,
                               lf_error *err) {
    for (uint64_t i = 0; i < f->n_kv; i++) {
        const gguf_kv *kv = &f->kvs[i];
        char *key = malloc(kv->key.len + 1);
        if (!key) return lf_fail(err, LF_ERR_NOMEM, "out of memory copying metadata");
        memcpy(key, kv->key.data, kv->key.len);
        key[kv->key.len] = 0;
        int rc = strlen(key) != kv->key.len ? lf_fail(err, LF_ERR_FORMAT, "%s: a metadata key holds a NUL byte", f->name)
                 : restated(key, also_restated, n_also) ? LF_OK
                                            : copy_kv(kv, key, w, err);
        free(key);
        if (rc) return rc;
    }
    return LF_OK;
}
