/* Streaming GGUF v3 writer; see gguf_write.h. Metadata and tensor infos are serialized
 * into memory buffers as they are added; the header goes out before the first data byte
 * and data streams through a 1 MiB output buffer (large writes bypass it). */
#include "format/gguf_write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/checked_math.h"
#include "core/error.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "gguf_write.c writes host values as little-endian GGUF fields"
#endif

#define GW_OUT_BUF (1u << 20)
#define GW_MAX_NAME 63 /* GGML_MAX_NAME (64) includes the terminator */

typedef struct wbuf {
    unsigned char *p;
    size_t n, cap;
} wbuf;

typedef struct wtensor {
    char *name;
    uint64_t offset, nbytes;
} wtensor;

struct gguf_writer {
    char *path, *tmp_path;
    int fd;
    int status;        /* sticky: first failure */
    char message[512]; /* its message */
    uint32_t alignment;
    bool alignment_set;

    wbuf kv;
    char **keys;
    uint64_t n_kv;
    size_t keys_cap;

    wbuf infos;
    wtensor *tensors;
    uint64_t n_tensors;
    size_t tensors_cap;
    uint64_t data_size; /* aligned end of the last declared tensor */

    bool header_written, finished;
    uint64_t header_size; /* bytes before the data section, padding included */
    uint64_t cur, cur_done; /* tensor being written and its bytes so far */
    uint64_t written;       /* tensor bytes written (no padding) */

    unsigned char *out;
    size_t out_n;
};

static int copy_status(const gguf_writer *w, lf_error *err) {
    return lf_fail(err, w->status, "%s", w->message);
}

/* Records the first failure; the partial PATH.part is removed at once. */
__attribute__((format(printf, 4, 5))) static int fail(gguf_writer *w, lf_error *err, int code, const char *fmt,
                                                      ...) {
    if (!w->status) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->message, sizeof w->message, fmt, ap);
        va_end(ap);
        w->status = code;
        if (w->fd >= 0) {
            close(w->fd);
            w->fd = -1;
            unlink(w->tmp_path);
        }
    }
    return copy_status(w, err);
}

static bool buf_put(wbuf *b, const void *src, size_t n) {
    if (n > SIZE_MAX - b->n) return false;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n) {
            if (cap > SIZE_MAX / 2) return false;
            cap *= 2;
        }
        unsigned char *p = realloc(b->p, cap);
        if (!p) return false;
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, src, n);
    b->n += n;
    return true;
}
static bool buf_u32(wbuf *b, uint32_t v) { return buf_put(b, &v, 4); }
static bool buf_u64(wbuf *b, uint64_t v) { return buf_put(b, &v, 8); }
static bool buf_str(wbuf *b, const char *s, uint64_t len) {
    return len <= SIZE_MAX && buf_u64(b, len) && buf_put(b, s, (size_t)len);
}

static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

int gguf_writer_open(const char *path, gguf_writer **out, lf_error *err) {
    *out = NULL;
    if (!path || !*path) return lf_fail(err, LF_ERR_ARG, "gguf writer: empty output path");
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return lf_fail(err, LF_ERR_IO, "cannot write %s: it is a directory", path);
    gguf_writer *w = calloc(1, sizeof *w);
    size_t len = strlen(path);
    if (w) {
        w->fd = -1;
        w->path = malloc(len + 1);
        w->tmp_path = malloc(len + 6);
        w->out = malloc(GW_OUT_BUF);
    }
    if (!w || !w->path || !w->tmp_path || !w->out) {
        gguf_writer_free(w);
        return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", path);
    }
    memcpy(w->path, path, len + 1);
    memcpy(w->tmp_path, path, len);
    memcpy(w->tmp_path + len, ".part", 6);
    w->alignment = 32;
    w->fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        int e = errno;
        int rc = lf_fail(err, LF_ERR_IO, "cannot create %s: %s", w->tmp_path, strerror(e));
        gguf_writer_free(w);
        return rc;
    }
    *out = w;
    return LF_OK;
}

void gguf_writer_free(gguf_writer *w) {
    if (!w) return;
    if (w->fd >= 0) {
        close(w->fd);
        if (!w->finished) unlink(w->tmp_path);
    }
    for (uint64_t i = 0; i < w->n_kv; i++) free(w->keys[i]);
    free(w->keys);
    for (uint64_t i = 0; i < w->n_tensors; i++) free(w->tensors[i].name);
    free(w->tensors);
    free(w->kv.p);
    free(w->infos.p);
    free(w->out);
    free(w->path);
    free(w->tmp_path);
    free(w);
}

/* ------------------------------------------------------------------ metadata */

/* Checks the key and writes it with its value type; the caller appends the value. */
static int begin_kv(gguf_writer *w, const char *key, gguf_value_type type, lf_error *err) {
    if (w->status) return copy_status(w, err);
    if (w->header_written)
        return fail(w, err, LF_ERR_ARG, "%s: metadata key %s added after tensor data began", w->path,
                    key ? key : "(null)");
    if (!key || !*key) return fail(w, err, LF_ERR_ARG, "%s: empty metadata key", w->path);
    for (uint64_t i = 0; i < w->n_kv; i++)
        if (strcmp(w->keys[i], key) == 0)
            return fail(w, err, LF_ERR_ARG, "%s: duplicate metadata key %s", w->path, key);
    if (w->n_kv == w->keys_cap) {
        size_t cap = w->keys_cap ? w->keys_cap * 2 : 32;
        char **k = realloc(w->keys, cap * sizeof *k);
        if (!k) return fail(w, err, LF_ERR_NOMEM, "%s: out of memory", w->path);
        w->keys = k;
        w->keys_cap = cap;
    }
    size_t len = strlen(key);
    char *copy = malloc(len + 1);
    if (!copy) return fail(w, err, LF_ERR_NOMEM, "%s: out of memory", w->path);
    memcpy(copy, key, len + 1);
    if (!buf_str(&w->kv, key, len) || !buf_u32(&w->kv, (uint32_t)type)) {
        free(copy);
        return fail(w, err, LF_ERR_NOMEM, "%s: out of memory", w->path);
    }
    w->keys[w->n_kv++] = copy;
    return LF_OK;
}

static int is_alignment_key(gguf_writer *w, const char *key, lf_error *err) {
    if (key && strcmp(key, "general.alignment") == 0)
        return fail(w, err, LF_ERR_ARG, "%s: use gguf_writer_set_alignment for general.alignment", w->path);
    return LF_OK;
}

static int add_scalar(gguf_writer *w, const char *key, gguf_value_type type, const void *v, size_t size,
                      lf_error *err) {
    int rc = is_alignment_key(w, key, err);
    if (rc == LF_OK) rc = begin_kv(w, key, type, err);
    if (rc != LF_OK) return rc;
    if (!buf_put(&w->kv, v, size)) return fail(w, err, LF_ERR_NOMEM, "%s: out of memory", w->path);
    return LF_OK;
}

int gguf_writer_add_u8(gguf_writer *w, const char *key, uint8_t v, lf_error *err) {
    return add_scalar(w, key, GGUF_TYPE_UINT8, &v, 1, err);
}
int gguf_writer_add_i8(gguf_writer *w, const char *key, int8_t v, lf_error *err) {
    return add_scalar(w, key, GGUF_TYPE_INT8, &v, 1, err);
}
int gguf_writer_add_u16(gguf_writer *w, const char *key, uint16_t v, lf_error *err) {
    return add_scalar(w, key, GGUF_TYPE_UINT16, &v, 2, err);
}
int gguf_writer_add_i16(gguf_writer *w, const char *key, int16_t v, lf_error *err) {
    return add_scalar(w, key, GGUF_TYPE_INT16, &v, 2, err);
}
int gguf_writer_add_u32(gguf_writer *w, const char *key, uint32_t v, lf_error *err) {
    return add_scalar(w, key, GGUF_TYPE_UINT32, &v, 4, err);
}
int gguf_writer_add_i32(gguf_writer *w, const char *key, int32_t v, lf_error *err) {
    return add_scalar(w, key, GGUF_TYPE_INT32, &v, 4, err);
}
int gguf_writer_add_u64(gguf_writer *w, const char *key, uint64_t v, lf_error *err) {
    return add_scalar(w, key, GGUF_TYPE_UINT64, &v, 8, err);
}
int gguf_writer_add_i64(gguf_writer *w, const char *key, int64_t v, lf_error *err) {
    return add_scalar(w, key, GGUF_TYPE_INT64, &v, 8, err);
}
int gguf_writer_add_f32(gguf_writer *w, const char *key, float v, lf_error *err) {
    return add_scalar(w, key, GGUF_TYPE_FLOAT32, &v, 4, err);
}
int gguf_writer_add_f64(gguf_writer *w, const char *key, double v, lf_error *err) {
    return add_scalar(w, key, GGUF_TYPE_FLOAT64, &v, 8, err);
}
int gguf_writer_add_bool(gguf_writer *w, const char *key, bool v, lf_error *err) {
    uint8_t b = v ? 1 : 0;
    return add_scalar(w, key, GGUF_TYPE_BOOL, &b, 1, err);
}

int gguf_writer_add_str_n(gguf_writer *w, const char *key, const char *v, uint64_t len, lf_error *err) {
    if (!w->status && !v && len)
        return fail(w, err, LF_ERR_ARG, "%s: NULL string for key %s", w->path, key ? key : "(null)");
    int rc = is_alignment_key(w, key, err);
    if (rc == LF_OK) rc = begin_kv(w, key, GGUF_TYPE_STRING, err);
    if (rc != LF_OK) return rc;
    if (!buf_str(&w->kv, v, len)) return fail(w, err, LF_ERR_NOMEM, "%s: out of memory", w->path);
    return LF_OK;
}

int gguf_writer_add_str(gguf_writer *w, const char *key, const char *v, lf_error *err) {
    return gguf_writer_add_str_n(w, key, v ? v : "", v ? strlen(v) : 0, err);
}

static size_t elem_size(gguf_value_type t) {
    switch (t) {
    case GGUF_TYPE_UINT8: case GGUF_TYPE_INT8: case GGUF_TYPE_BOOL: return 1;
    case GGUF_TYPE_UINT16: case GGUF_TYPE_INT16: return 2;
    case GGUF_TYPE_UINT32: case GGUF_TYPE_INT32: case GGUF_TYPE_FLOAT32: return 4;
    case GGUF_TYPE_UINT64: case GGUF_TYPE_INT64: case GGUF_TYPE_FLOAT64: return 8;
    default: return 0;
    }
}

int gguf_writer_add_array(gguf_writer *w, const char *key, gguf_value_type elem_type, const void *data,
                          uint64_t count, lf_error *err) {
    if (w->status) return copy_status(w, err);
    size_t es = elem_size(elem_type);
    if (!es)
        return fail(w, err, LF_ERR_ARG, "%s: array %s: element type %d is not numeric (use "
                    "gguf_writer_add_str_array for strings)", w->path, key ? key : "(null)", (int)elem_type);
    if (!data && count)
        return fail(w, err, LF_ERR_ARG, "%s: NULL data for array %s", w->path, key ? key : "(null)");
    uint64_t bytes;
    if (!lf_mul_u64(count, es, &bytes) || bytes > SIZE_MAX)
        return fail(w, err, LF_ERR_ARG, "%s: array %s is too large", w->path, key ? key : "(null)");
    int rc = is_alignment_key(w, key, err);
    if (rc == LF_OK) rc = begin_kv(w, key, GGUF_TYPE_ARRAY, err);
    if (rc != LF_OK) return rc;
    if (!buf_u32(&w->kv, (uint32_t)elem_type) || !buf_u64(&w->kv, count))
        return fail(w, err, LF_ERR_NOMEM, "%s: out of memory", w->path);
    if (elem_type == GGUF_TYPE_BOOL) {
        const uint8_t *b = data;
        for (uint64_t i = 0; i < count; i++) {
            uint8_t v = b[i] ? 1 : 0;
            if (!buf_put(&w->kv, &v, 1)) return fail(w, err, LF_ERR_NOMEM, "%s: out of memory", w->path);
        }
    } else if (!buf_put(&w->kv, data, (size_t)bytes)) {
        return fail(w, err, LF_ERR_NOMEM, "%s: out of memory", w->path);
    }
    return LF_OK;
}

int gguf_writer_add_str_array(gguf_writer *w, const char *key, const char *const *strs, const uint64_t *lens,
                              uint64_t count, lf_error *err) {
    if (w->status) return copy_status(w, err);
    if (!strs && count)
        return fail(w, err, LF_ERR_ARG, "%s: NULL strings for array %s", w->path, key ? key : "(null)");
    for (uint64_t i = 0; i < count; i++)
        if (!strs[i] && (!lens || lens[i]))
            return fail(w, err, LF_ERR_ARG, "%s: array %s: string %llu is NULL", w->path, key ? key : "(null)",
                        (unsigned long long)i);
    int rc = is_alignment_key(w, key, err);
    if (rc == LF_OK) rc = begin_kv(w, key, GGUF_TYPE_ARRAY, err);
    if (rc != LF_OK) return rc;
    if (!buf_u32(&w->kv, (uint32_t)GGUF_TYPE_STRING) || !buf_u64(&w->kv, count))
        return fail(w, err, LF_ERR_NOMEM, "%s: out of memory", w->path);
    for (uint64_t i = 0; i < count; i++) {
        uint64_t len = lens ? lens[i] : strlen(strs[i]);
        if (!buf_str(&w->kv, strs[i] ? strs[i] : "", len))
            return fail(w, err, LF_ERR_NOMEM, "%s: out of memory", w->path);
    }
    return LF_OK;
}

int gguf_writer_set_alignment(gguf_writer *w, uint32_t alignment, lf_error *err) {
    if (w->status) return copy_status(w, err);
    if (alignment < 8 || alignment > (1u << 20) || (alignment & (alignment - 1)))
        return fail(w, err, LF_ERR_ARG, "%s: alignment %u is not a power of two in 8..1048576", w->path,
                    alignment);
    if (w->n_tensors)
        return fail(w, err, LF_ERR_ARG, "%s: alignment set after tensors were added", w->path);
    int rc = begin_kv(w, "general.alignment", GGUF_TYPE_UINT32, err);
    if (rc != LF_OK) return rc;
    if (!buf_u32(&w->kv, alignment)) return fail(w, err, LF_ERR_NOMEM, "%s: out of memory", w->path);
    w->alignment = alignment;
    w->alignment_set = true;
    return LF_OK;
}

/* ------------------------------------------------------------------- tensors */

int gguf_writer_add_tensor(gguf_writer *w, const char *name, uint32_t n_dims, const uint64_t *ne, lf_type type,
                           uint64_t *offset, uint64_t *nbytes, lf_error *err) {
    if (w->status) return copy_status(w, err);
    const char *nm = name ? name : "(null)";
    if (w->header_written)
        return fail(w, err, LF_ERR_ARG, "%s: tensor %s added after tensor data began", w->path, nm);
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len > GW_MAX_NAME)
        return fail(w, err, LF_ERR_ARG, "%s: tensor name \"%s\" must have 1..%d bytes", w->path, nm, GW_MAX_NAME);
    for (uint64_t i = 0; i < w->n_tensors; i++)
        if (strcmp(w->tensors[i].name, name) == 0)
            return fail(w, err, LF_ERR_ARG, "%s: duplicate tensor %s", w->path, name);
    if (n_dims < 1 || n_dims > 4 || !ne)
        return fail(w, err, LF_ERR_ARG, "%s: tensor %s: %u dimensions (1..4 allowed)", w->path, name, n_dims);
    const lf_type_traits *tt = lf_type_get((uint32_t)type);
    if (!tt) return fail(w, err, LF_ERR_ARG, "%s: tensor %s: unknown type %d", w->path, name, (int)type);
    uint64_t rows = 1, row_bytes, size;
    for (uint32_t d = 0; d < n_dims; d++) {
        if (ne[d] == 0 || ne[d] > (uint64_t)INT64_MAX)
            return fail(w, err, LF_ERR_ARG, "%s: tensor %s: dimension %u is %llu", w->path, name, d,
                        (unsigned long long)ne[d]);
        if (d > 0 && !lf_mul_u64(rows, ne[d], &rows))
            return fail(w, err, LF_ERR_ARG, "%s: tensor %s: element count overflows", w->path, name);
    }
    if (!lf_type_row_bytes(type, ne[0], &row_bytes))
        return fail(w, err, LF_ERR_ARG, "%s: tensor %s: row of %llu is not a multiple of the %s block (%d)",
                    w->path, name, (unsigned long long)ne[0], tt->name, tt->block_elems);
    uint64_t end;
    if (!lf_mul_u64(row_bytes, rows, &size) || size > (uint64_t)INT64_MAX / 2 ||
        !lf_add_u64(w->data_size, align_up(size, w->alignment), &end) || end > (uint64_t)INT64_MAX)
        return fail(w, err, LF_ERR_ARG, "%s: tensor %s: byte size overflows", w->path, name);
    if (w->n_tensors == w->tensors_cap) {
        size_t cap = w->tensors_cap ? w->tensors_cap * 2 : 64;
        wtensor *t = realloc(w->tensors, cap * sizeof *t);
        if (!t) return fail(w, err, LF_ERR_NOMEM, "%s: out of memory", w->path);
        w->tensors = t;
        w->tensors_cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy) return fail(w, err, LF_ERR_NOMEM, "%s: out of memory", w->path);
    memcpy(copy, name, len + 1);
    bool ok = buf_str(&w->infos, name, len) && buf_u32(&w->infos, n_dims);
    for (uint32_t d = 0; ok && d < n_dims; d++) ok = buf_u64(&w->infos, ne[d]);
    ok = ok && buf_u32(&w->infos, (uint32_t)type) && buf_u64(&w->infos, w->data_size);
    if (!ok) {
        free(copy);
        return fail(w, err, LF_ERR_NOMEM, "%s: out of memory", w->path);
    }
    w->tensors[w->n_tensors++] = (wtensor){copy, w->data_size, size};
    if (offset) *offset = w->data_size;
    if (nbytes) *nbytes = size;
    w->data_size = end;
    return LF_OK;
}

/* ---------------------------------------------------------------------- output */

static int write_all(gguf_writer *w, const void *p, size_t n, lf_error *err) {
    const unsigned char *c = p;
    while (n) {
        ssize_t k = write(w->fd, c, n > (1u << 30) ? (1u << 30) : n);
        if (k < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            return fail(w, err, LF_ERR_IO, "cannot write %s: %s", w->tmp_path, strerror(e));
        }
        if (k == 0) return fail(w, err, LF_ERR_IO, "cannot write %s: no progress", w->tmp_path);
        c += k;
        n -= (size_t)k;
    }
    return LF_OK;
}

static int flush_out(gguf_writer *w, lf_error *err) {
    if (!w->out_n) return LF_OK;
    int rc = write_all(w, w->out, w->out_n, err);
    w->out_n = 0;
    return rc;
}

static int out_bytes(gguf_writer *w, const void *p, size_t n, lf_error *err) {
    if (n == 0) return LF_OK; /* p may be NULL (no metadata, no tensors) */
    if (n >= GW_OUT_BUF) {
        int rc = flush_out(w, err);
        return rc != LF_OK ? rc : write_all(w, p, n, err);
    }
    if (w->out_n + n > GW_OUT_BUF) {
        int rc = flush_out(w, err);
        if (rc != LF_OK) return rc;
    }
    memcpy(w->out + w->out_n, p, n);
    w->out_n += n;
    return LF_OK;
}

static int out_zeros(gguf_writer *w, uint64_t n, lf_error *err) {
    static const unsigned char zeros[256];
    while (n) {
        size_t k = n > sizeof zeros ? sizeof zeros : (size_t)n;
        int rc = out_bytes(w, zeros, k, err);
        if (rc != LF_OK) return rc;
        n -= k;
    }
    return LF_OK;
}

static uint64_t unpadded_header_size(const gguf_writer *w) { return 4 + 4 + 8 + 8 + w->kv.n + w->infos.n; }

int gguf_writer_write_header(gguf_writer *w, lf_error *err) {
    if (w->status) return copy_status(w, err);
    if (w->header_written) return LF_OK;
    unsigned char head[24];
    uint32_t version = 3;
    memcpy(head, "GGUF", 4);
    memcpy(head + 4, &version, 4);
    memcpy(head + 8, &w->n_tensors, 8);
    memcpy(head + 16, &w->n_kv, 8);
    uint64_t raw = unpadded_header_size(w);
    w->header_size = align_up(raw, w->alignment);
    w->header_written = true;
    int rc = out_bytes(w, head, sizeof head, err);
    if (rc == LF_OK) rc = out_bytes(w, w->kv.p, w->kv.n, err);
    if (rc == LF_OK) rc = out_bytes(w, w->infos.p, w->infos.n, err);
    if (rc == LF_OK) rc = out_zeros(w, w->header_size - raw, err);
    return rc;
}

int gguf_writer_write(gguf_writer *w, const void *data, size_t n, lf_error *err) {
    if (w->status) return copy_status(w, err);
    if (!data && n) return fail(w, err, LF_ERR_ARG, "%s: NULL tensor data", w->path);
    int rc = gguf_writer_write_header(w, err);
    const unsigned char *p = data;
    while (rc == LF_OK && n) {
        if (w->cur >= w->n_tensors)
            return fail(w, err, LF_ERR_ARG, "%s: %zu bytes of tensor data beyond the %llu declared", w->path, n,
                        (unsigned long long)w->written);
        const wtensor *t = &w->tensors[w->cur];
        uint64_t left = t->nbytes - w->cur_done;
        size_t take = left < n ? (size_t)left : n;
        rc = out_bytes(w, p, take, err);
        p += take;
        n -= take;
        w->cur_done += take;
        w->written += take;
        if (rc == LF_OK && w->cur_done == t->nbytes) {
            rc = out_zeros(w, align_up(t->nbytes, w->alignment) - t->nbytes, err);
            w->cur++;
            w->cur_done = 0;
        }
    }
    return rc;
}

uint64_t gguf_writer_current_tensor(const gguf_writer *w) { return w->cur; }
uint64_t gguf_writer_data_bytes(const gguf_writer *w) {
    uint64_t s = 0;
    for (uint64_t i = 0; i < w->n_tensors; i++) s += w->tensors[i].nbytes;
    return s;
}
uint64_t gguf_writer_written_bytes(const gguf_writer *w) { return w->written; }
uint64_t gguf_writer_file_size(const gguf_writer *w) {
    return align_up(unpadded_header_size(w), w->alignment) + w->data_size;
}

static void sync_directory(const char *path) {
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    (void)fsync(fd); /* durability of the rename only; some file systems refuse (EINVAL) */
    close(fd);
}

int gguf_writer_finish(gguf_writer *w, lf_error *err) {
    if (w->status) return copy_status(w, err);
    if (w->finished) return LF_OK;
    int rc = gguf_writer_write_header(w, err);
    if (rc != LF_OK) return rc;
    if (w->cur < w->n_tensors) {
        const wtensor *t = &w->tensors[w->cur];
        return fail(w, err, LF_ERR_ARG, "%s: tensor %s has %llu of its %llu bytes (%llu tensors incomplete)",
                    w->path, t->name, (unsigned long long)w->cur_done, (unsigned long long)t->nbytes,
                    (unsigned long long)(w->n_tensors - w->cur));
    }
    rc = flush_out(w, err);
    if (rc != LF_OK) return rc;
    if (fsync(w->fd) != 0) {
        int e = errno;
        return fail(w, err, LF_ERR_IO, "cannot write %s: fsync: %s", w->tmp_path, strerror(e));
    }
    int fd = w->fd;
    w->fd = -1;
    if (close(fd) != 0) {
        int e = errno;
        unlink(w->tmp_path);
        return fail(w, err, LF_ERR_IO, "cannot write %s: close: %s", w->tmp_path, strerror(e));
    }
    if (rename(w->tmp_path, w->path) != 0) {
        int e = errno;
        unlink(w->tmp_path);
        return fail(w, err, LF_ERR_IO, "cannot rename %s to %s: %s", w->tmp_path, w->path, strerror(e));
    }
    w->finished = true;
    sync_directory(w->path);
    return LF_OK;
}
