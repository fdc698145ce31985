/* GGUF reader (v2, v3): memory-maps the file and validates every count, length, offset
 * and size before use. Strings point into the mapping and are not NUL-terminated. */
#ifndef LF_FORMAT_GGUF_H
#define LF_FORMAT_GGUF_H

#include <stdbool.h>
#include <stdint.h>

#include "core/mapped_file.h"
#include "llamafast.h"

typedef enum gguf_value_type {
    GGUF_TYPE_UINT8 = 0,
    GGUF_TYPE_INT8 = 1,
    GGUF_TYPE_UINT16 = 2,
    GGUF_TYPE_INT16 = 3,
    GGUF_TYPE_UINT32 = 4,
    GGUF_TYPE_INT32 = 5,
    GGUF_TYPE_FLOAT32 = 6,
    GGUF_TYPE_BOOL = 7,
    GGUF_TYPE_STRING = 8,
    GGUF_TYPE_ARRAY = 9,
    GGUF_TYPE_UINT64 = 10,
    GGUF_TYPE_INT64 = 11,
    GGUF_TYPE_FLOAT64 = 12
} gguf_value_type;

typedef struct gguf_string {
    const char *data;
    uint64_t len;
} gguf_string;

typedef struct gguf_kv {
    gguf_string key;
    gguf_value_type type;
    union {
        uint64_t u64; /* any unsigned integer type, widened */
        int64_t i64;  /* any signed integer type, widened */
        double f64;   /* FLOAT32 or FLOAT64 */
        bool b;
        gguf_string str;
    } v;
    /* ARRAY only */
    gguf_value_type arr_type;
    uint64_t arr_count;
    const unsigned char *arr_data; /* raw little-endian elements (numeric arrays) */
    gguf_string *arr_strings;      /* STRING arrays: arr_count entries */
} gguf_kv;

typedef struct gguf_tensor_info {
    gguf_string name;
    uint32_t n_dims;
    uint64_t ne[4]; /* ne[0] is the contiguous dimension; unused dims are 1 */
    uint32_t type;  /* lf_type */
    uint64_t offset;
    uint64_t nbytes;
    const void *data;
} gguf_tensor_info;

typedef struct gguf_file {
    const char *name; /* path, for messages */
    lf_mapped_file map;
    const unsigned char *base; /* parsed bytes (the map, or a caller's buffer) */
    uint64_t size;
    uint32_t version;
    uint64_t n_kv, n_tensors;
    gguf_kv *kvs;
    gguf_tensor_info *tensors;
    uint64_t alignment;
    uint64_t data_offset;
} gguf_file;

int gguf_open(const char *path, gguf_file **out, lf_error *err);
/* A GGUF stored at bytes [offset, offset + size) of path (lf_mapped_file_open_range): its
 * offsets and alignment count from its own first byte. */
int gguf_open_range(const char *path, uint64_t offset, uint64_t size, gguf_file **out, lf_error *err);
/* Parses a buffer owned by the caller (which must outlive the result); for fuzzing. */
int gguf_parse(const void *data, uint64_t size, const char *name, gguf_file **out, lf_error *err);
void gguf_close(gguf_file *f);

const gguf_kv *gguf_find_kv(const gguf_file *f, const char *key);
const gguf_tensor_info *gguf_find_tensor(const gguf_file *f, const char *name);
bool gguf_string_eq(gguf_string s, const char *cstr);

/* Typed getters: return false when the key is missing or has an incompatible type
 * (integers convert when in range; FLOAT32/FLOAT64 both give float). */
bool gguf_get_u32(const gguf_file *f, const char *key, uint32_t *out);
bool gguf_get_i32(const gguf_file *f, const char *key, int32_t *out);
bool gguf_get_f32(const gguf_file *f, const char *key, float *out);
bool gguf_get_bool(const gguf_file *f, const char *key, bool *out);
bool gguf_get_str(const gguf_file *f, const char *key, gguf_string *out);
/* An integer value of any width and signedness (false for other types, or a uint64 above
 * INT64_MAX). */
bool gguf_kv_as_i64(const gguf_kv *kv, int64_t *out);
/* Element i of a numeric array as int64/double (false if not a numeric array or i out of range). */
bool gguf_array_get_i64(const gguf_kv *kv, uint64_t i, int64_t *out);
bool gguf_array_get_f64(const gguf_kv *kv, uint64_t i, double *out);
const char *gguf_type_name(gguf_value_type t);
/* A scalar value as text for messages: 42, -1, 0.5, "text"; other types as "(a bool)". */
void gguf_kv_value_text(const gguf_kv *kv, char *buf, size_t size);

#endif
