/* The streaming GGUF writer (src/format/gguf_write.h) against the reader: a file with
 * every metadata type, arrays of every element type, string arrays and tensors of several
 * block types, written in odd-sized chunks that straddle tensors, read back with gguf_open
 * and compared field by field (default and custom alignment). Then the failures: a
 * missing directory, a path through a regular file, a directory as the target, misuse
 * (duplicate keys/tensors, bad alignment, rows not a multiple of the block, too much or
 * too little data, keys after data) and a write error in the middle of the data
 * (RLIMIT_FSIZE): each must return an error naming the file and leave neither PATH nor
 * PATH.part behind, and an existing PATH must survive a failed rewrite untouched. */
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/gguf.h"
#include "format/gguf_write.h"
#include "test.h"

static char tmpdir[] = "/tmp/test_gguf_write_XXXXXX";

static bool exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static bool tmp_exists(const char *path) {
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.part", path);
    return exists(tmp);
}

/* Deterministic tensor bytes: byte i of tensor k. */
static unsigned char tensor_byte(int k, uint64_t i) { return (unsigned char)(i * 31u + (unsigned)k * 17u + 5u); }

typedef struct spec_tensor {
    const char *name;
    uint32_t n_dims;
    uint64_t ne[4];
    lf_type type;
    uint64_t nbytes;
} spec_tensor;

static const spec_tensor TENSORS[] = {
    {"norm.weight", 1, {3, 1, 1, 1}, LF_TYPE_F32, 12},               /* 12 bytes: padding follows */
    {"blk.0.q8", 2, {64, 2, 1, 1}, LF_TYPE_Q8_0, 2 * 2 * 34},
    {"half", 2, {5, 3, 1, 1}, LF_TYPE_F16, 30},
    {"kq", 2, {256, 2, 1, 1}, LF_TYPE_Q4_K, 2 * 144},
    {"four.d", 4, {32, 2, 1, 3}, LF_TYPE_Q4_0, 6 * 18},
    {"bf", 1, {7, 1, 1, 1}, LF_TYPE_BF16, 14},
};
#define N_TENSORS (sizeof TENSORS / sizeof TENSORS[0])

static const uint8_t ARR_U8[] = {0, 1, 255};
static const int8_t ARR_I8[] = {-128, 0, 127};
static const uint16_t ARR_U16[] = {65535, 1};
static const int16_t ARR_I16[] = {-1, 2, -3};
static const uint32_t ARR_U32[] = {4000000000u};
static const int32_t ARR_I32[] = {-2000000000, 7, 0, 1};
static const uint64_t ARR_U64[] = {UINT64_MAX, 7};
static const int64_t ARR_I64[] = {INT64_MIN, -1};
static const float ARR_F32[] = {0.5f, -1.25f, 3e38f};
static const double ARR_F64[] = {1e-300, -2.5};
static const bool ARR_BOOL[] = {true, false, true};
static const char *const ARR_STR[] = {"a", "", "h\xc3\xa9llo", "<0x0A>"};
#define N_KV_BASE 31

static int write_all_types(const char *path, uint32_t alignment, size_t chunk, lf_error *err) {
    gguf_writer *w;
    int rc = gguf_writer_open(path, &w, err);
    if (rc != LF_OK) return rc;
    if (alignment) gguf_writer_set_alignment(w, alignment, err);
    gguf_writer_add_str(w, "general.architecture", "llama", err);
    gguf_writer_add_u8(w, "t.u8", 200, err);
    gguf_writer_add_i8(w, "t.i8", -100, err);
    gguf_writer_add_u16(w, "t.u16", 60000, err);
    gguf_writer_add_i16(w, "t.i16", -30000, err);
    gguf_writer_add_u32(w, "t.u32", 4000000000u, err);
    gguf_writer_add_i32(w, "t.i32", -2000000000, err);
    gguf_writer_add_u64(w, "t.u64", (1ull << 63) + 5, err);
    gguf_writer_add_i64(w, "t.i64", -(1ll << 62), err);
    gguf_writer_add_f32(w, "t.f32", 1.5f, err);
    gguf_writer_add_f64(w, "t.f64", -2.25e300, err);
    gguf_writer_add_bool(w, "t.bool", true, err);
    gguf_writer_add_bool(w, "t.false", false, err);
    gguf_writer_add_str(w, "t.str", "h\xc3\xa9llo", err);
    gguf_writer_add_str(w, "t.empty", "", err);
    gguf_writer_add_str_n(w, "t.nul", "a\0b", 3, err);
    gguf_writer_add_array(w, "t.arr.u8", GGUF_TYPE_UINT8, ARR_U8, 3, err);
    gguf_writer_add_array(w, "t.arr.i8", GGUF_TYPE_INT8, ARR_I8, 3, err);
    gguf_writer_add_array(w, "t.arr.u16", GGUF_TYPE_UINT16, ARR_U16, 2, err);
    gguf_writer_add_array(w, "t.arr.i16", GGUF_TYPE_INT16, ARR_I16, 3, err);
    gguf_writer_add_array(w, "t.arr.u32", GGUF_TYPE_UINT32, ARR_U32, 1, err);
    gguf_writer_add_array(w, "t.arr.i32", GGUF_TYPE_INT32, ARR_I32, 4, err);
    gguf_writer_add_array(w, "t.arr.u64", GGUF_TYPE_UINT64, ARR_U64, 2, err);
    gguf_writer_add_array(w, "t.arr.i64", GGUF_TYPE_INT64, ARR_I64, 2, err);
    gguf_writer_add_array(w, "t.arr.f32", GGUF_TYPE_FLOAT32, ARR_F32, 3, err);
    gguf_writer_add_array(w, "t.arr.f64", GGUF_TYPE_FLOAT64, ARR_F64, 2, err);
    gguf_writer_add_array(w, "t.arr.bool", GGUF_TYPE_BOOL, ARR_BOOL, 3, err);
    gguf_writer_add_array(w, "t.arr.empty", GGUF_TYPE_UINT64, NULL, 0, err);
    gguf_writer_add_str_array(w, "t.arr.str", ARR_STR, NULL, 4, err);
    const uint64_t lens[] = {1, 0, 2};
    gguf_writer_add_str_array(w, "t.arr.strlen", ARR_STR, lens, 3, err);
    gguf_writer_add_str_array(w, "t.arr.noStr", NULL, NULL, 0, err);
    for (size_t k = 0; k < N_TENSORS; k++) {
        uint64_t off, nb;
        const spec_tensor *t = &TENSORS[k];
        rc = gguf_writer_add_tensor(w, t->name, t->n_dims, t->ne, t->type, &off, &nb, err);
        if (rc == LF_OK && nb != t->nbytes) {
            fprintf(stderr, "%s: nbytes %llu\n", t->name, (unsigned long long)nb);
            rc = LF_ERR_ARG;
        }
    }
    uint64_t total = gguf_writer_data_bytes(w);
    unsigned char *all = malloc(total);
    uint64_t pos = 0;
    for (size_t k = 0; k < N_TENSORS; k++)
        for (uint64_t i = 0; i < TENSORS[k].nbytes; i++) all[pos++] = tensor_byte((int)k, i);
    /* odd chunks that begin and end inside tensors */
    for (pos = 0; pos < total && rc == LF_OK; pos += chunk) {
        size_t n = total - pos < chunk ? (size_t)(total - pos) : chunk;
        rc = gguf_writer_write(w, all + pos, n, err);
    }
    free(all);
    uint64_t want_size = gguf_writer_file_size(w);
    if (rc == LF_OK) rc = gguf_writer_finish(w, err);
    if (rc == LF_OK && gguf_writer_current_tensor(w) != N_TENSORS) rc = LF_ERR_ARG;
    if (rc == LF_OK && gguf_writer_written_bytes(w) != total) rc = LF_ERR_ARG;
    gguf_writer_free(w);
    struct stat st;
    if (rc == LF_OK && (stat(path, &st) != 0 || (uint64_t)st.st_size != want_size)) {
        fprintf(stderr, "file size %lld, writer said %llu\n", (long long)st.st_size, (unsigned long long)want_size);
        rc = LF_ERR_IO;
    }
    return rc;
}

static const gguf_kv *kv_of(const gguf_file *f, const char *key, gguf_value_type type) {
    const gguf_kv *kv = gguf_find_kv(f, key);
    CHECK_MSG(kv && kv->type == type, "%s", key);
    return kv && kv->type == type ? kv : NULL;
}

static void check_array(const gguf_file *f, const char *key, gguf_value_type et, const void *want, uint64_t count,
                        size_t es) {
    const gguf_kv *kv = kv_of(f, key, GGUF_TYPE_ARRAY);
    if (!kv) return;
    CHECK_MSG(kv->arr_type == et && kv->arr_count == count, "%s", key);
    if (kv->arr_type == et && kv->arr_count == count && count)
        CHECK_MSG(memcmp(kv->arr_data, want, (size_t)count * es) == 0, "%s contents", key);
}

static void check_all_types(const gguf_file *f, uint32_t alignment) {
    CHECK(f->version == 3);
    CHECK(f->n_kv == N_KV_BASE + (alignment != 0));
    CHECK(f->n_tensors == N_TENSORS);
    uint64_t align = alignment ? alignment : 32;
    CHECK(f->alignment == align);
    CHECK(f->data_offset % align == 0);
    const gguf_kv *kv;
    if ((kv = kv_of(f, "general.architecture", GGUF_TYPE_STRING))) CHECK(gguf_string_eq(kv->v.str, "llama"));
    if ((kv = kv_of(f, "t.u8", GGUF_TYPE_UINT8))) CHECK(kv->v.u64 == 200);
    if ((kv = kv_of(f, "t.i8", GGUF_TYPE_INT8))) CHECK(kv->v.i64 == -100);
    if ((kv = kv_of(f, "t.u16", GGUF_TYPE_UINT16))) CHECK(kv->v.u64 == 60000);
    if ((kv = kv_of(f, "t.i16", GGUF_TYPE_INT16))) CHECK(kv->v.i64 == -30000);
    if ((kv = kv_of(f, "t.u32", GGUF_TYPE_UINT32))) CHECK(kv->v.u64 == 4000000000u);
    if ((kv = kv_of(f, "t.i32", GGUF_TYPE_INT32))) CHECK(kv->v.i64 == -2000000000);
    if ((kv = kv_of(f, "t.u64", GGUF_TYPE_UINT64))) CHECK(kv->v.u64 == (1ull << 63) + 5);
    if ((kv = kv_of(f, "t.i64", GGUF_TYPE_INT64))) CHECK(kv->v.i64 == -(1ll << 62));
    if ((kv = kv_of(f, "t.f32", GGUF_TYPE_FLOAT32))) CHECK(kv->v.f64 == 1.5);
    if ((kv = kv_of(f, "t.f64", GGUF_TYPE_FLOAT64))) CHECK(kv->v.f64 == -2.25e300);
    if ((kv = kv_of(f, "t.bool", GGUF_TYPE_BOOL))) CHECK(kv->v.b);
    if ((kv = kv_of(f, "t.false", GGUF_TYPE_BOOL))) CHECK(!kv->v.b);
    if ((kv = kv_of(f, "t.str", GGUF_TYPE_STRING))) CHECK(gguf_string_eq(kv->v.str, "h\xc3\xa9llo"));
    if ((kv = kv_of(f, "t.empty", GGUF_TYPE_STRING))) CHECK(kv->v.str.len == 0);
    if ((kv = kv_of(f, "t.nul", GGUF_TYPE_STRING)))
        CHECK(kv->v.str.len == 3 && memcmp(kv->v.str.data, "a\0b", 3) == 0);
    check_array(f, "t.arr.u8", GGUF_TYPE_UINT8, ARR_U8, 3, 1);
    check_array(f, "t.arr.i8", GGUF_TYPE_INT8, ARR_I8, 3, 1);
    check_array(f, "t.arr.u16", GGUF_TYPE_UINT16, ARR_U16, 2, 2);
    check_array(f, "t.arr.i16", GGUF_TYPE_INT16, ARR_I16, 3, 2);
    check_array(f, "t.arr.u32", GGUF_TYPE_UINT32, ARR_U32, 1, 4);
    check_array(f, "t.arr.i32", GGUF_TYPE_INT32, ARR_I32, 4, 4);
    check_array(f, "t.arr.u64", GGUF_TYPE_UINT64, ARR_U64, 2, 8);
    check_array(f, "t.arr.i64", GGUF_TYPE_INT64, ARR_I64, 2, 8);
    check_array(f, "t.arr.f32", GGUF_TYPE_FLOAT32, ARR_F32, 3, 4);
    check_array(f, "t.arr.f64", GGUF_TYPE_FLOAT64, ARR_F64, 2, 8);
    check_array(f, "t.arr.empty", GGUF_TYPE_UINT64, NULL, 0, 8);
    if ((kv = kv_of(f, "t.arr.bool", GGUF_TYPE_ARRAY))) {
        int64_t v0 = -1, v1 = -1, v2 = -1;
        CHECK(kv->arr_type == GGUF_TYPE_BOOL && kv->arr_count == 3);
        CHECK(gguf_array_get_i64(kv, 0, &v0) && gguf_array_get_i64(kv, 1, &v1) && gguf_array_get_i64(kv, 2, &v2));
        CHECK(v0 == 1 && v1 == 0 && v2 == 1);
    }
    if ((kv = kv_of(f, "t.arr.str", GGUF_TYPE_ARRAY))) {
        CHECK(kv->arr_type == GGUF_TYPE_STRING && kv->arr_count == 4 && kv->arr_strings);
        if (kv->arr_strings && kv->arr_count == 4)
            for (int i = 0; i < 4; i++) CHECK_MSG(gguf_string_eq(kv->arr_strings[i], ARR_STR[i]), "t.arr.str[%d]", i);
    }
    if ((kv = kv_of(f, "t.arr.strlen", GGUF_TYPE_ARRAY))) {
        CHECK(kv->arr_type == GGUF_TYPE_STRING && kv->arr_count == 3 && kv->arr_strings);
        if (kv->arr_strings && kv->arr_count == 3) {
            CHECK(gguf_string_eq(kv->arr_strings[0], "a"));
            CHECK(kv->arr_strings[1].len == 0);
            CHECK(kv->arr_strings[2].len == 2 && memcmp(kv->arr_strings[2].data, "h\xc3", 2) == 0);
        }
    }
    if ((kv = kv_of(f, "t.arr.noStr", GGUF_TYPE_ARRAY))) CHECK(kv->arr_type == GGUF_TYPE_STRING && kv->arr_count == 0);
    if (alignment && (kv = kv_of(f, "general.alignment", GGUF_TYPE_UINT32))) CHECK(kv->v.u64 == alignment);

    uint64_t off = 0;
    for (size_t k = 0; k < N_TENSORS; k++) {
        const spec_tensor *s = &TENSORS[k];
        const gguf_tensor_info *t = gguf_find_tensor(f, s->name);
        CHECK_MSG(t != NULL, "tensor %s", s->name);
        if (!t) continue;
        CHECK_MSG(t == &f->tensors[k], "tensor %s order", s->name);
        CHECK_MSG(t->n_dims == s->n_dims, "tensor %s dims", s->name);
        for (int d = 0; d < 4; d++) CHECK_MSG(t->ne[d] == s->ne[d], "tensor %s ne[%d]", s->name, d);
        CHECK_MSG(t->type == (uint32_t)s->type && t->nbytes == s->nbytes, "tensor %s type/size", s->name);
        CHECK_MSG(t->offset == off, "tensor %s offset %llu want %llu", s->name, (unsigned long long)t->offset,
                  (unsigned long long)off);
        CHECK(t->data == f->base + f->data_offset + t->offset);
        int bad = 0;
        for (uint64_t i = 0; i < s->nbytes; i++) bad += ((const unsigned char *)t->data)[i] != tensor_byte((int)k, i);
        CHECK_MSG(bad == 0, "tensor %s: %d bytes differ", s->name, bad);
        off = (off + s->nbytes + align - 1) / align * align;
    }
    CHECK(f->data_offset + off == f->size); /* every tensor padded, the last one too */
}

static void test_roundtrip(uint32_t alignment, size_t chunk) {
    char path[256];
    snprintf(path, sizeof path, "%s/all_a%u_c%zu.gguf", tmpdir, alignment, chunk);
    lf_error err = {0};
    int rc = write_all_types(path, alignment, chunk, &err);
    CHECK_MSG(rc == LF_OK, "align %u chunk %zu: %s", alignment, chunk, err.message);
    CHECK(!tmp_exists(path));
    gguf_file *f = NULL;
    CHECK_MSG(gguf_open(path, &f, &err) == LF_OK, "%s", err.message);
    if (f) {
        check_all_types(f, alignment);
        gguf_close(f);
    }
    unlink(path);
}

/* Expects rc to be an error whose message names want_in_msg, and nothing left on disk. */
static void expect_fail(int rc, const lf_error *err, int want_code, const char *want_in_msg, const char *path,
                        const char *what) {
    CHECK_MSG(rc != LF_OK && (want_code == 0 || rc == want_code), "%s: rc %d want %d (%s)", what, rc, want_code,
              err->message);
    CHECK_MSG(err->code == rc, "%s: err.code %d rc %d", what, err->code, rc);
    CHECK_MSG(strstr(err->message, want_in_msg) != NULL, "%s: message '%s' does not name %s", what, err->message,
              want_in_msg);
    CHECK_MSG(!exists(path), "%s: %s exists", what, path);
    CHECK_MSG(!tmp_exists(path), "%s: %s.part exists", what, path);
}

static void test_open_errors(void) {
    char path[512];
    lf_error err = {0};
    gguf_writer *w = (gguf_writer *)1;

    snprintf(path, sizeof path, "%s/no/such/dir/m.gguf", tmpdir);
    int rc = gguf_writer_open(path, &w, &err);
    expect_fail(rc, &err, LF_ERR_IO, path, path, "missing directory");
    CHECK(w == NULL);

    char file[512];
    snprintf(file, sizeof file, "%s/regular", tmpdir);
    FILE *fp = fopen(file, "w");
    CHECK(fp != NULL);
    if (fp) fclose(fp);
    snprintf(path, sizeof path, "%s/regular/m.gguf", tmpdir);
    rc = gguf_writer_open(path, &w, &err);
    expect_fail(rc, &err, LF_ERR_IO, path, path, "path through a file");
    unlink(file);

    char dir[256];
    snprintf(dir, sizeof dir, "%s/adir", tmpdir);
    CHECK(mkdir(dir, 0755) == 0);
    rc = gguf_writer_open(dir, &w, &err);
    CHECK_MSG(rc == LF_ERR_IO && strstr(err.message, dir), "directory target: %s", err.message);
    CHECK(!tmp_exists(dir));
    rmdir(dir);

    rc = gguf_writer_open("", &w, &err);
    CHECK(rc == LF_ERR_ARG && w == NULL);

    /* a read-only directory (meaningless for root, who may write anyway) */
    if (geteuid() != 0) {
        snprintf(dir, sizeof dir, "%s/ro", tmpdir);
        CHECK(mkdir(dir, 0555) == 0);
        snprintf(path, sizeof path, "%s/m.gguf", dir);
        rc = gguf_writer_open(path, &w, &err);
        expect_fail(rc, &err, LF_ERR_IO, path, path, "read-only directory");
        rmdir(dir);
    }
}

static const uint64_t NE_64x2[4] = {64, 2, 1, 1};

/* A writer with one Q8_0 tensor of 136 bytes; misuse applied by `step`. */
static void misuse_case(int step, const char *what, const char *want_in_msg) {
    char path[256];
    snprintf(path, sizeof path, "%s/misuse%d.gguf", tmpdir, step);
    lf_error err = {0};
    gguf_writer *w;
    int rc = gguf_writer_open(path, &w, &err);
    CHECK_MSG(rc == LF_OK, "%s", err.message);
    if (rc != LF_OK) return;
    CHECK(tmp_exists(path));
    gguf_writer_add_u32(w, "a.key", 1, &err);
    gguf_writer_add_tensor(w, "t", 2, NE_64x2, LF_TYPE_Q8_0, NULL, NULL, &err);
    unsigned char data[200] = {0};
    switch (step) {
    case 0: rc = gguf_writer_add_u32(w, "a.key", 2, &err); break;
    case 1: rc = gguf_writer_add_tensor(w, "t", 2, NE_64x2, LF_TYPE_F32, NULL, NULL, &err); break;
    case 2: rc = gguf_writer_set_alignment(w, 48, &err); break;
    case 3: {
        const uint64_t ne[4] = {33, 1, 1, 1};
        rc = gguf_writer_add_tensor(w, "odd", 1, ne, LF_TYPE_Q4_0, NULL, NULL, &err);
        break;
    }
    case 4: rc = gguf_writer_write(w, data, 137, &err); break;
    case 5:
        rc = gguf_writer_write(w, data, 100, &err);
        if (rc == LF_OK) rc = gguf_writer_finish(w, &err);
        break;
    case 6:
        rc = gguf_writer_write(w, data, 10, &err);
        if (rc == LF_OK) rc = gguf_writer_add_str(w, "late", "x", &err);
        break;
    case 7: rc = gguf_writer_add_u32(w, "general.alignment", 64, &err); break;
    case 8: rc = gguf_writer_add_tensor(w, "", 1, NE_64x2, LF_TYPE_F32, NULL, NULL, &err); break;
    case 9: rc = gguf_writer_add_tensor(w, "z", 5, NE_64x2, LF_TYPE_F32, NULL, NULL, &err); break;
    case 10: {
        const uint64_t ne[4] = {1ull << 40, 1ull << 40, 1, 1};
        rc = gguf_writer_add_tensor(w, "huge", 2, ne, LF_TYPE_F32, NULL, NULL, &err);
        break;
    }
    case 11: rc = gguf_writer_add_array(w, "arr", GGUF_TYPE_STRING, data, 1, &err); break;
    case 12: rc = gguf_writer_add_tensor(w, "bad.type", 1, NE_64x2, (lf_type)4, NULL, NULL, &err); break;
    }
    expect_fail(rc, &err, LF_ERR_ARG, want_in_msg, path, what);
    /* sticky: later calls fail the same way, finish included */
    lf_error err2 = {0};
    CHECK_MSG(gguf_writer_add_u8(w, "another", 1, &err2) == rc && strcmp(err2.message, err.message) == 0, "%s sticky",
              what);
    CHECK_MSG(gguf_writer_finish(w, &err2) == rc, "%s: finish after failure", what);
    gguf_writer_free(w);
    CHECK(!exists(path) && !tmp_exists(path));
}

static void test_misuse(void) {
    misuse_case(0, "duplicate key", "a.key");
    misuse_case(1, "duplicate tensor", "duplicate tensor t");
    misuse_case(2, "alignment 48", "48");
    misuse_case(3, "row of 33 in Q4_0", "odd");
    misuse_case(4, "too much data", "beyond");
    misuse_case(5, "too little data", "tensor t has 100 of its 136 bytes");
    misuse_case(6, "key after data", "late");
    misuse_case(7, "alignment as a plain key", "general.alignment");
    misuse_case(8, "empty tensor name", "tensor name");
    misuse_case(9, "five dimensions", "dimensions");
    misuse_case(10, "overflowing size", "huge");
    misuse_case(11, "string array through add_array", "arr");
    misuse_case(12, "unknown tensor type", "bad.type");
}

/* Freed before finish: no file, no temporary. */
static void test_abandon(void) {
    char path[256];
    snprintf(path, sizeof path, "%s/abandoned.gguf", tmpdir);
    lf_error err = {0};
    gguf_writer *w;
    CHECK(gguf_writer_open(path, &w, &err) == LF_OK);
    gguf_writer_add_tensor(w, "t", 2, NE_64x2, LF_TYPE_Q8_0, NULL, NULL, &err);
    unsigned char data[136] = {0};
    CHECK(gguf_writer_write(w, data, 50, &err) == LF_OK);
    gguf_writer_free(w);
    CHECK(!exists(path) && !tmp_exists(path));
    gguf_writer_free(NULL);
}

/* A write error in the middle of the data (the file size limit), over an existing file
 * that must survive. */
static void test_write_error(void) {
    char path[256];
    snprintf(path, sizeof path, "%s/big.gguf", tmpdir);
    FILE *fp = fopen(path, "w");
    CHECK(fp && fputs("old contents", fp) >= 0);
    if (fp) fclose(fp);

    struct rlimit old;
    CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = old;
    lim.rlim_cur = 256 * 1024;
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);

    lf_error err = {0};
    gguf_writer *w;
    int rc = gguf_writer_open(path, &w, &err);
    CHECK(rc == LF_OK);
    if (rc == LF_OK) {
        const uint64_t ne[4] = {1024, 1024, 1, 1}; /* 4 MiB of F32 */
        gguf_writer_add_tensor(w, "big", 2, ne, LF_TYPE_F32, NULL, NULL, &err);
        size_t chunk = 3 << 16;
        unsigned char *data = calloc(1, chunk);
        for (int i = 0; i < 64 && rc == LF_OK; i++) rc = gguf_writer_write(w, data, chunk, &err);
        if (rc == LF_OK) rc = gguf_writer_finish(w, &err);
        free(data);
        CHECK_MSG(rc == LF_ERR_IO && strstr(err.message, path), "write error: rc %d '%s'", rc, err.message);
        CHECK(!tmp_exists(path)); /* removed at the failure, before free */
        gguf_writer_free(w);
    }
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_handler);
    CHECK(!tmp_exists(path));
    char buf[64] = {0};
    fp = fopen(path, "r");
    CHECK(fp != NULL);
    if (fp) {
        CHECK(fgets(buf, sizeof buf, fp) && strcmp(buf, "old contents") == 0);
        fclose(fp);
    }
    /* and a successful rewrite replaces it */
    CHECK(write_all_types(path, 0, 4096, &err) == LF_OK);
    gguf_file *f = NULL;
    CHECK_MSG(gguf_open(path, &f, &err) == LF_OK, "%s", err.message);
    if (f) {
        check_all_types(f, 0);
        gguf_close(f);
    }
    unlink(path);
}

/* A file with no tensors at all, and a bare relative path. */
static void test_empty(void) {
    char cwd[1024];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(chdir(tmpdir) == 0);
    lf_error err = {0};
    gguf_writer *w;
    CHECK(gguf_writer_open("empty.gguf", &w, &err) == LF_OK);
    CHECK(gguf_writer_add_str(w, "general.name", "nothing", &err) == LF_OK);
    CHECK_MSG(gguf_writer_finish(w, &err) == LF_OK, "%s", err.message);
    gguf_writer_free(w);
    gguf_file *f = NULL;
    CHECK_MSG(gguf_open("empty.gguf", &f, &err) == LF_OK, "%s", err.message);
    if (f) {
        CHECK(f->n_tensors == 0 && f->n_kv == 1);
        gguf_close(f);
    }
    unlink("empty.gguf");
    CHECK(chdir(cwd) == 0);
}

int main(void) {
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    lf_kernels_init();
    test_roundtrip(0, 7);
    test_roundtrip(0, 1 << 20);
    test_roundtrip(64, 1);
    test_roundtrip(8, 33);
    test_open_errors();
    test_misuse();
    test_abandon();
    test_write_error();
    test_empty();
    rmdir(tmpdir);
    TEST_MAIN_END();
}
