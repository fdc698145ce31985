#include "format/gguf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked_math.h"
#include "core/error.h"
#include "format/tensor_ranges.h"
#include "kernels/kernels.h"

/* Limits that no real model reaches; they stop absurd counts before any allocation. */
#define GGUF_MAX_KV 1000000u
#define GGUF_MAX_TENSORS 1000000u
#define GGUF_MAX_DIMS 4u

typedef struct gguf_cursor {
    const unsigned char *p;
    uint64_t pos, size;
    const char *name;
    lf_error *err;
} gguf_cursor;

static int cursor_fail(gguf_cursor *c, const char *what) {
    return lf_fail(c->err, LF_ERR_FORMAT, "%s: truncated or corrupt GGUF: %s at byte %llu (file size %llu)",
                   c->name, what, (unsigned long long)c->pos, (unsigned long long)c->size);
}

static int read_bytes(gguf_cursor *c, void *dst, uint64_t n, const char *what) {
    if (n > c->size - c->pos) return cursor_fail(c, what);
    memcpy(dst, c->p + c->pos, n);
    c->pos += n;
    return LF_OK;
}

static int read_u32(gguf_cursor *c, uint32_t *v, const char *what) { return read_bytes(c, v, 4, what); }
static int read_u64(gguf_cursor *c, uint64_t *v, const char *what) { return read_bytes(c, v, 8, what); }

static int read_string(gguf_cursor *c, gguf_string *s, const char *what) {
    uint64_t len = 0;
    int rc = read_u64(c, &len, what);
    if (rc) return rc;
    if (len > c->size - c->pos) return cursor_fail(c, what);
    s->data = (const char *)c->p + c->pos;
    s->len = len;
    c->pos += len;
    return LF_OK;
}

static uint64_t scalar_size(gguf_value_type t) {
    switch (t) {
    case GGUF_TYPE_UINT8: case GGUF_TYPE_INT8: case GGUF_TYPE_BOOL: return 1;
    case GGUF_TYPE_UINT16: case GGUF_TYPE_INT16: return 2;
    case GGUF_TYPE_UINT32: case GGUF_TYPE_INT32: case GGUF_TYPE_FLOAT32: return 4;
    case GGUF_TYPE_UINT64: case GGUF_TYPE_INT64: case GGUF_TYPE_FLOAT64: return 8;
    default: return 0;
    }
}

static void decode_scalar(gguf_value_type t, const unsigned char *src, gguf_kv *kv) {
    switch (t) {
    case GGUF_TYPE_UINT8: kv->v.u64 = src[0]; break;
    case GGUF_TYPE_INT8: kv->v.i64 = (int8_t)src[0]; break;
    case GGUF_TYPE_BOOL: kv->v.b = src[0] != 0; break;
    case GGUF_TYPE_UINT16: { uint16_t x; memcpy(&x, src, 2); kv->v.u64 = x; break; }
    case GGUF_TYPE_INT16: { int16_t x; memcpy(&x, src, 2); kv->v.i64 = x; break; }
    case GGUF_TYPE_UINT32: { uint32_t x; memcpy(&x, src, 4); kv->v.u64 = x; break; }
    case GGUF_TYPE_INT32: { int32_t x; memcpy(&x, src, 4); kv->v.i64 = x; break; }
    case GGUF_TYPE_FLOAT32: { float x; memcpy(&x, src, 4); kv->v.f64 = x; break; }
    case GGUF_TYPE_UINT64: memcpy(&kv->v.u64, src, 8); break;
    case GGUF_TYPE_INT64: memcpy(&kv->v.i64, src, 8); break;
    case GGUF_TYPE_FLOAT64: memcpy(&kv->v.f64, src, 8); break;
    default: break;
    }
}

static int read_array(gguf_cursor *c, gguf_kv *kv) {
    uint32_t at = 0;
    int rc = read_u32(c, &at, "array element type");
    if (rc) return rc;
    kv->arr_type = (gguf_value_type)at;
    rc = read_u64(c, &kv->arr_count, "array length");
    if (rc) return rc;
    if (at == GGUF_TYPE_STRING) {
        /* every string needs at least its 8-byte length, which bounds the count */
        if (kv->arr_count > (c->size - c->pos) / 8) return cursor_fail(c, "string array length");
        kv->arr_strings = malloc((size_t)(kv->arr_count ? kv->arr_count : 1) * sizeof(gguf_string));
        if (!kv->arr_strings)
            return lf_fail(c->err, LF_ERR_NOMEM, "%s: out of memory for a string array", c->name);
        for (uint64_t i = 0; i < kv->arr_count; i++) {
            rc = read_string(c, &kv->arr_strings[i], "string array element");
            if (rc) return rc;
        }
        return LF_OK;
    }
    uint64_t es = scalar_size((gguf_value_type)at), total;
    if (es == 0)
        return lf_fail(c->err, LF_ERR_FORMAT, "%s: GGUF array of unsupported element type %u at byte %llu",
                       c->name, at, (unsigned long long)c->pos);
    if (!lf_mul_u64(es, kv->arr_count, &total) || total > c->size - c->pos)
        return cursor_fail(c, "array data");
    kv->arr_data = c->p + c->pos;
    c->pos += total;
    return LF_OK;
}

static int read_kv(gguf_cursor *c, gguf_kv *kv) {
    int rc = read_string(c, &kv->key, "metadata key");
    if (rc) return rc;
    uint32_t t = 0;
    rc = read_u32(c, &t, "metadata value type");
    if (rc) return rc;
    kv->type = (gguf_value_type)t;
    if (t == GGUF_TYPE_STRING) return read_string(c, &kv->v.str, "metadata string");
    if (t == GGUF_TYPE_ARRAY) return read_array(c, kv);
    uint64_t es = scalar_size(kv->type);
    if (es == 0)
        return lf_fail(c->err, LF_ERR_FORMAT, "%s: metadata key '%.*s' has unknown value type %u",
                       c->name, (int)(kv->key.len > 200 ? 200 : kv->key.len), kv->key.data, t);
    unsigned char buf[8];
    rc = read_bytes(c, buf, es, "metadata value");
    if (rc) return rc;
    decode_scalar(kv->type, buf, kv);
    return LF_OK;
}

static int read_tensor_info(gguf_cursor *c, gguf_tensor_info *ti) {
    int rc = read_string(c, &ti->name, "tensor name");
    if (rc) return rc;
    rc = read_u32(c, &ti->n_dims, "tensor dimension count");
    if (rc) return rc;
    if (ti->n_dims == 0 || ti->n_dims > GGUF_MAX_DIMS)
        return lf_fail(c->err, LF_ERR_FORMAT, "%s: tensor '%.*s' has %u dimensions (1..4 allowed)",
                       c->name, (int)(ti->name.len > 200 ? 200 : ti->name.len), ti->name.data, ti->n_dims);
    for (uint32_t d = 0; d < 4; d++) ti->ne[d] = 1;
    for (uint32_t d = 0; d < ti->n_dims; d++) {
        rc = read_u64(c, &ti->ne[d], "tensor dimension");
        if (rc) return rc;
    }
    rc = read_u32(c, &ti->type, "tensor type");
    if (rc) return rc;
    return read_u64(c, &ti->offset, "tensor offset");
}

static int tensor_name_fail(gguf_cursor *c, const gguf_tensor_info *ti, int code, const char *problem) {
    return lf_fail(c->err, code, "%s: tensor '%.*s': %s", c->name,
                   (int)(ti->name.len > 200 ? 200 : ti->name.len), ti->name.data, problem);
}

/* Sizes every tensor from its type and shape and checks it lies inside the data section. */
static int locate_tensor(gguf_cursor *c, gguf_file *f, gguf_tensor_info *ti) {
    const lf_type_traits *tt = lf_type_get(ti->type);
    if (!tt || !tt->weight_type) {
        char msg[96];
        snprintf(msg, sizeof msg, "unsupported tensor type %u", ti->type);
        return tensor_name_fail(c, ti, LF_ERR_UNSUPPORTED, msg);
    }
    uint64_t n_rows = 1, row_bytes;
    for (int d = 1; d < 4; d++)
        if (!lf_mul_u64(n_rows, ti->ne[d], &n_rows)) return tensor_name_fail(c, ti, LF_ERR_FORMAT, "element count overflows");
    if (ti->ne[0] == 0 || n_rows == 0) return tensor_name_fail(c, ti, LF_ERR_FORMAT, "has a zero dimension");
    if (!lf_type_row_bytes((lf_type)ti->type, ti->ne[0], &row_bytes))
        return tensor_name_fail(c, ti, LF_ERR_FORMAT, "row length is not a multiple of the type's block size");
    if (!lf_mul_u64(row_bytes, n_rows, &ti->nbytes)) return tensor_name_fail(c, ti, LF_ERR_FORMAT, "byte size overflows");
    if (ti->offset % f->alignment != 0) return tensor_name_fail(c, ti, LF_ERR_FORMAT, "offset is not aligned");
    uint64_t start, end;
    if (!lf_add_u64(f->data_offset, ti->offset, &start) || !lf_add_u64(start, ti->nbytes, &end) || end > f->size) {
        char msg[160];
        snprintf(msg, sizeof msg, "data (offset %llu, %llu bytes) lies past the end of the file (%llu bytes)",
                 (unsigned long long)ti->offset, (unsigned long long)ti->nbytes, (unsigned long long)f->size);
        return tensor_name_fail(c, ti, LF_ERR_FORMAT, msg);
    }
    ti->data = f->base + start;
    return LF_OK;
}

/* No two tensors may share a byte of the data section. */
static int check_ranges(const gguf_file *f, lf_error *err) {
    tensor_range *r = malloc((size_t)(f->n_tensors ? f->n_tensors : 1) * sizeof *r);
    if (!r) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", f->name);
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const gguf_tensor_info *ti = &f->tensors[i];
        int len = ti->name.len > 200 ? 200 : (int)ti->name.len;
        r[i] = (tensor_range){ti->name.data, len, ti->offset, ti->offset + ti->nbytes};
    }
    int rc = tensor_ranges_check(r, (size_t)f->n_tensors, f->size - f->data_offset, false, f->name, err);
    free(r);
    return rc;
}

static int parse_body(gguf_cursor *c, gguf_file *f) {
    char magic[4];
    int rc = read_bytes(c, magic, 4, "magic");
    if (rc) return rc;
    if (memcmp(magic, "GGUF", 4) != 0) return lf_fail(c->err, LF_ERR_FORMAT, "%s: not a GGUF file (bad magic)", c->name);
    if ((rc = read_u32(c, &f->version, "version"))) return rc;
    if (f->version != 2 && f->version != 3)
        return lf_fail(c->err, LF_ERR_UNSUPPORTED, "%s: GGUF version %u is not supported (2 and 3 are)", c->name, f->version);
    if ((rc = read_u64(c, &f->n_tensors, "tensor count"))) return rc;
    if ((rc = read_u64(c, &f->n_kv, "metadata count"))) return rc;
    if (f->n_kv > GGUF_MAX_KV || f->n_kv > c->size / 12)
        return lf_fail(c->err, LF_ERR_FORMAT, "%s: absurd metadata count %llu", c->name, (unsigned long long)f->n_kv);
    if (f->n_tensors > GGUF_MAX_TENSORS || f->n_tensors > c->size / 24)
        return lf_fail(c->err, LF_ERR_FORMAT, "%s: absurd tensor count %llu", c->name, (unsigned long long)f->n_tensors);
    f->kvs = calloc(f->n_kv ? f->n_kv : 1, sizeof *f->kvs);
    f->tensors = calloc(f->n_tensors ? f->n_tensors : 1, sizeof *f->tensors);
    if (!f->kvs || !f->tensors) return lf_fail(c->err, LF_ERR_NOMEM, "%s: out of memory", c->name);
    for (uint64_t i = 0; i < f->n_kv; i++)
        if ((rc = read_kv(c, &f->kvs[i]))) return rc;
    f->alignment = 32;
    const gguf_kv *al = gguf_find_kv(f, "general.alignment");
    if (al) {
        if (al->type != GGUF_TYPE_UINT32 || al->v.u64 == 0 || (al->v.u64 & (al->v.u64 - 1)) != 0 || al->v.u64 > 65536)
            return lf_fail(c->err, LF_ERR_FORMAT, "%s: general.alignment must be a power of two uint32", c->name);
        f->alignment = al->v.u64;
    }
    for (uint64_t i = 0; i < f->n_tensors; i++)
        if ((rc = read_tensor_info(c, &f->tensors[i]))) return rc;
    f->data_offset = (c->pos + f->alignment - 1) / f->alignment * f->alignment;
    if (f->n_tensors && f->data_offset > f->size) return cursor_fail(c, "tensor data section");
    for (uint64_t i = 0; i < f->n_tensors; i++)
        if ((rc = locate_tensor(c, f, &f->tensors[i]))) return rc;
    return check_ranges(f, c->err);
}

static int gguf_parse_into(gguf_file *f, lf_error *err) {
    gguf_cursor c = {.p = f->base, .pos = 0, .size = f->size, .name = f->name, .err = err};
    return parse_body(&c, f);
}

int gguf_parse(const void *data, uint64_t size, const char *name, gguf_file **out, lf_error *err) {
    *out = NULL;
    gguf_file *f = calloc(1, sizeof *f);
    if (!f) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", name);
    f->name = strdup(name);
    f->base = data;
    f->size = size;
    int rc = f->name ? gguf_parse_into(f, err) : lf_fail(err, LF_ERR_NOMEM, "out of memory");
    if (rc) {
        gguf_close(f);
        return rc;
    }
    *out = f;
    return LF_OK;
}

int gguf_open(const char *path, gguf_file **out, lf_error *err) { return gguf_open_range(path, 0, 0, out, err); }

int gguf_open_range(const char *path, uint64_t offset, uint64_t size, gguf_file **out, lf_error *err) {
    *out = NULL;
    lf_mapped_file map;
    int rc = lf_mapped_file_open_range(path, offset, size, &map, err);
    if (rc) return rc;
    rc = gguf_parse(map.data, map.size, path, out, err);
    if (rc) {
        lf_mapped_file_close(&map);
        return rc;
    }
    (*out)->map = map;
    return LF_OK;
}

void gguf_close(gguf_file *f) {
    if (!f) return;
    if (f->kvs)
        for (uint64_t i = 0; i < f->n_kv; i++) free(f->kvs[i].arr_strings);
    free(f->kvs);
    free(f->tensors);
    lf_mapped_file_close(&f->map);
    free((void *)f->name);
    free(f);
}

bool gguf_string_eq(gguf_string s, const char *cstr) {
    size_t n = strlen(cstr);
    return s.len == n && memcmp(s.data, cstr, n) == 0;
}

const gguf_kv *gguf_find_kv(const gguf_file *f, const char *key) {
    for (uint64_t i = 0; i < f->n_kv; i++)
        if (gguf_string_eq(f->kvs[i].key, key)) return &f->kvs[i];
    return NULL;
}

const gguf_tensor_info *gguf_find_tensor(const gguf_file *f, const char *name) {
    for (uint64_t i = 0; i < f->n_tensors; i++)
        if (gguf_string_eq(f->tensors[i].name, name)) return &f->tensors[i];
    return NULL;
}

static bool is_unsigned(gguf_value_type t) {
    return t == GGUF_TYPE_UINT8 || t == GGUF_TYPE_UINT16 || t == GGUF_TYPE_UINT32 || t == GGUF_TYPE_UINT64;
}
static bool is_signed(gguf_value_type t) {
    return t == GGUF_TYPE_INT8 || t == GGUF_TYPE_INT16 || t == GGUF_TYPE_INT32 || t == GGUF_TYPE_INT64;
}

bool gguf_kv_as_i64(const gguf_kv *kv, int64_t *out) {
    if (is_signed(kv->type)) { *out = kv->v.i64; return true; }
    if (is_unsigned(kv->type) && kv->v.u64 <= INT64_MAX) { *out = (int64_t)kv->v.u64; return true; }
    return false;
}

bool gguf_get_u32(const gguf_file *f, const char *key, uint32_t *out) {
    const gguf_kv *kv = gguf_find_kv(f, key);
    int64_t v;
    if (!kv || !gguf_kv_as_i64(kv, &v) || v < 0 || v > UINT32_MAX) return false;
    *out = (uint32_t)v;
    return true;
}

bool gguf_get_i32(const gguf_file *f, const char *key, int32_t *out) {
    const gguf_kv *kv = gguf_find_kv(f, key);
    int64_t v;
    if (!kv || !gguf_kv_as_i64(kv, &v) || v < INT32_MIN || v > INT32_MAX) return false;
    *out = (int32_t)v;
    return true;
}

bool gguf_get_f32(const gguf_file *f, const char *key, float *out) {
    const gguf_kv *kv = gguf_find_kv(f, key);
    if (!kv || (kv->type != GGUF_TYPE_FLOAT32 && kv->type != GGUF_TYPE_FLOAT64)) return false;
    *out = (float)kv->v.f64;
    return true;
}

bool gguf_get_bool(const gguf_file *f, const char *key, bool *out) {
    const gguf_kv *kv = gguf_find_kv(f, key);
    if (!kv || kv->type != GGUF_TYPE_BOOL) return false;
    *out = kv->v.b;
    return true;
}

bool gguf_get_str(const gguf_file *f, const char *key, gguf_string *out) {
    const gguf_kv *kv = gguf_find_kv(f, key);
    if (!kv || kv->type != GGUF_TYPE_STRING) return false;
    *out = kv->v.str;
    return true;
}

bool gguf_array_get_i64(const gguf_kv *kv, uint64_t i, int64_t *out) {
    if (kv->type != GGUF_TYPE_ARRAY || i >= kv->arr_count) return false;
    uint64_t es = scalar_size(kv->arr_type);
    if (es == 0 || kv->arr_type == GGUF_TYPE_FLOAT32 || kv->arr_type == GGUF_TYPE_FLOAT64) return false;
    gguf_kv tmp = {.type = kv->arr_type};
    decode_scalar(kv->arr_type, kv->arr_data + i * es, &tmp);
    if (tmp.type == GGUF_TYPE_BOOL) {
        *out = tmp.v.b;
        return true;
    }
    return gguf_kv_as_i64(&tmp, out);
}

bool gguf_array_get_f64(const gguf_kv *kv, uint64_t i, double *out) {
    if (kv->type != GGUF_TYPE_ARRAY || i >= kv->arr_count) return false;
    if (kv->arr_type == GGUF_TYPE_FLOAT32 || kv->arr_type == GGUF_TYPE_FLOAT64) {
        gguf_kv tmp = {.type = kv->arr_type};
        decode_scalar(kv->arr_type, kv->arr_data + i * scalar_size(kv->arr_type), &tmp);
        *out = tmp.v.f64;
        return true;
    }
    int64_t v;
    if (!gguf_array_get_i64(kv, i, &v)) return false;
    *out = (double)v;
    return true;
}

void gguf_kv_value_text(const gguf_kv *kv, char *buf, size_t size) {
    if (is_unsigned(kv->type)) snprintf(buf, size, "%llu", (unsigned long long)kv->v.u64);
    else if (is_signed(kv->type)) snprintf(buf, size, "%lld", (long long)kv->v.i64);
    else if (kv->type == GGUF_TYPE_FLOAT32 || kv->type == GGUF_TYPE_FLOAT64) snprintf(buf, size, "%g", kv->v.f64);
    else if (kv->type == GGUF_TYPE_STRING)
        snprintf(buf, size, "\"%.*s\"", (int)(kv->v.str.len > 60 ? 60 : kv->v.str.len), kv->v.str.data);
    else snprintf(buf, size, "(a %s)", gguf_type_name(kv->type));
}

const char *gguf_type_name(gguf_value_type t) {
    static const char *names[] = {"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
                                  "bool", "string", "array", "uint64", "int64", "float64"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}
