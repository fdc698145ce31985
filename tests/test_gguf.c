/* GGUF reader and model loader against files written by tests/gguf_fixture.h: a valid
 * file of every value type (v3, v2, custom alignment) read back exactly, then hostile
 * variants (every truncation, bad magic/version, absurd counts and lengths, overflowing
 * sizes, bad tensor infos, bad alignment, overlapping tensor data) that must fail with a
 * message naming the file, and model-level failures (unsupported architecture, missing
 * or misshapen tensors, absurd hyper-parameters, vocabulary larger than the embedding). */
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/gguf.h"
#include "gguf_fixture.h"
#include "test.h"

static char tmpdir[] = "/tmp/test_gguf_XXXXXX";

/* Parses a buffer and expects failure (optionally with one code) and a message naming it. */
static void expect_parse_fail(const gguf_buf *b, int want_code, const char *what) {
    gguf_file *f = (gguf_file *)1;
    lf_error err = {0};
    /* a private copy, so ASan sees any read past the end of the given bytes */
    unsigned char *copy = malloc(b->n ? b->n : 1);
    memcpy(copy, b->p, b->n);
    int rc = gguf_parse(copy, b->n, "hostile.gguf", &f, &err);
    CHECK_MSG(rc != LF_OK && (want_code == 0 || rc == want_code), "%s: rc %d (want %d) msg '%s'", what, rc,
              want_code, err.message);
    CHECK_MSG(f == NULL, "%s: out not cleared", what);
    CHECK_MSG(err.code == rc && strstr(err.message, "hostile.gguf") != NULL, "%s: message '%s'", what,
              err.message);
    if (rc == LF_OK) gguf_close(f);
    free(copy);
}

static const gguf_kv *kv_of(const gguf_file *f, const char *key, gguf_value_type type) {
    const gguf_kv *kv = gguf_find_kv(f, key);
    CHECK_MSG(kv && kv->type == type, "%s", key);
    return kv && kv->type == type ? kv : NULL;
}

static void check_all_types(const gguf_file *f, uint32_t version, uint32_t alignment) {
    CHECK(f->version == version);
    CHECK(f->n_kv == GW_ALL_TYPES_N_KV + (alignment != 0));
    CHECK(f->n_tensors == GW_ALL_TYPES_N_TENSORS);
    uint64_t align = alignment ? alignment : 32;
    CHECK(f->alignment == align);
    CHECK(f->data_offset % align == 0);
    const gguf_kv *kv;
    if ((kv = kv_of(f, "t.u8", GGUF_TYPE_UINT8))) CHECK(kv->v.u64 == 200);
    if ((kv = kv_of(f, "t.i8", GGUF_TYPE_INT8))) CHECK(kv->v.i64 == -100);
    if ((kv = kv_of(f, "t.u16", GGUF_TYPE_UINT16))) CHECK(kv->v.u64 == 60000);
    if ((kv = kv_of(f, "t.i16", GGUF_TYPE_INT16))) CHECK(kv->v.i64 == -30000);
    if ((kv = kv_of(f, "t.u32", GGUF_TYPE_UINT32))) CHECK(kv->v.u64 == 4000000000u);
    if ((kv = kv_of(f, "t.i32", GGUF_TYPE_INT32))) CHECK(kv->v.i64 == -2000000000);
    if ((kv = kv_of(f, "t.f32", GGUF_TYPE_FLOAT32))) CHECK(kv->v.f64 == 1.5);
    if ((kv = kv_of(f, "t.bool", GGUF_TYPE_BOOL))) CHECK(kv->v.b);
    if ((kv = kv_of(f, "t.str", GGUF_TYPE_STRING))) CHECK(gguf_string_eq(kv->v.str, "h\xc3\xa9llo"));
    if ((kv = kv_of(f, "t.u64", GGUF_TYPE_UINT64))) CHECK(kv->v.u64 == (1ull << 63) + 5);
    if ((kv = kv_of(f, "t.i64", GGUF_TYPE_INT64))) CHECK(kv->v.i64 == -(1ll << 62));
    if ((kv = kv_of(f, "t.f64", GGUF_TYPE_FLOAT64))) CHECK(kv->v.f64 == -2.25e300);

    /* typed getters convert integers only when the value fits */
    uint32_t u32;
    int32_t i32;
    float f32;
    bool b;
    gguf_string s;
    CHECK(gguf_get_u32(f, "t.u32", &u32) && u32 == 4000000000u);
    CHECK(!gguf_get_i32(f, "t.u32", &i32));
    CHECK(gguf_get_i32(f, "t.i16", &i32) && i32 == -30000);
    CHECK(!gguf_get_u32(f, "t.i16", &u32));
    CHECK(!gguf_get_u32(f, "t.u64", &u32));
    CHECK(gguf_get_u32(f, "t.u8", &u32) && u32 == 200);
    CHECK(gguf_get_f32(f, "t.f32", &f32) && f32 == 1.5f);
    CHECK(gguf_get_f32(f, "t.f64", &f32)); /* converts (to -inf), it is a float key */
    CHECK(!gguf_get_f32(f, "t.i32", &f32));
    CHECK(gguf_get_bool(f, "t.bool", &b) && b);
    CHECK(!gguf_get_bool(f, "t.u8", &b));
    CHECK(gguf_get_str(f, "t.str", &s) && s.len == 6);
    CHECK(!gguf_get_str(f, "t.u8", &s));
    CHECK(!gguf_get_u32(f, "no.such.key", &u32));

    int64_t i64;
    double f64;
    if ((kv = kv_of(f, "t.arr.i16", GGUF_TYPE_ARRAY))) {
        CHECK(kv->arr_type == GGUF_TYPE_INT16 && kv->arr_count == 3);
        CHECK(gguf_array_get_i64(kv, 0, &i64) && i64 == -1);
        CHECK(gguf_array_get_i64(kv, 2, &i64) && i64 == -3);
        CHECK(gguf_array_get_f64(kv, 1, &f64) && f64 == 2.0);
        CHECK(!gguf_array_get_i64(kv, 3, &i64));
    }
    if ((kv = kv_of(f, "t.arr.f32", GGUF_TYPE_ARRAY))) {
        CHECK(kv->arr_type == GGUF_TYPE_FLOAT32 && kv->arr_count == 2);
        CHECK(gguf_array_get_f64(kv, 1, &f64) && f64 == -1.25);
        CHECK(!gguf_array_get_i64(kv, 0, &i64));
    }
    if ((kv = kv_of(f, "t.arr.str", GGUF_TYPE_ARRAY))) {
        CHECK(kv->arr_type == GGUF_TYPE_STRING && kv->arr_count == 3 && kv->arr_strings);
        if (kv->arr_strings) {
            CHECK(gguf_string_eq(kv->arr_strings[0], "a"));
            CHECK(kv->arr_strings[1].len == 0);
            CHECK(gguf_string_eq(kv->arr_strings[2], "ccc"));
        }
        CHECK(!gguf_array_get_i64(kv, 0, &i64));
    }
    if ((kv = kv_of(f, "t.arr.empty", GGUF_TYPE_ARRAY))) {
        CHECK(kv->arr_type == GGUF_TYPE_UINT64 && kv->arr_count == 0);
        CHECK(!gguf_array_get_i64(kv, 0, &i64));
    }
    if ((kv = kv_of(f, "t.arr.bool", GGUF_TYPE_ARRAY))) {
        CHECK(gguf_array_get_i64(kv, 0, &i64) && i64 == 1);
        CHECK(gguf_array_get_i64(kv, 1, &i64) && i64 == 0);
    }
    if ((kv = kv_of(f, "t.arr.u64", GGUF_TYPE_ARRAY))) {
        CHECK(!gguf_array_get_i64(kv, 0, &i64)); /* UINT64_MAX does not fit */
        CHECK(gguf_array_get_i64(kv, 1, &i64) && i64 == 7);
    }

    /* tensors: shapes, offsets relative to the aligned data section, data pointers */
    const gguf_tensor_info *t = gguf_find_tensor(f, "w.f32");
    CHECK(t != NULL);
    if (t) {
        CHECK(t->n_dims == 2 && t->ne[0] == 3 && t->ne[1] == 2 && t->ne[2] == 1 && t->ne[3] == 1);
        CHECK(t->type == 0 && t->offset == 0 && t->nbytes == 24);
        CHECK(t->data == f->base + f->data_offset);
        float v[6];
        memcpy(v, t->data, sizeof v);
        CHECK(v[0] == 0.0f && v[1] == 0.5f && v[5] == 2.5f);
    }
    t = gguf_find_tensor(f, "w.q8");
    CHECK(t != NULL);
    if (t) {
        CHECK(t->type == 8 && t->nbytes == 68);
        CHECK(t->offset == gw_align_up(24, align));
        CHECK(t->data == f->base + f->data_offset + t->offset);
        const unsigned char *p = t->data;
        CHECK(p[0] == 0x00 && p[1] == 0x3C && (int8_t)p[2] == -16 && (int8_t)p[33] == 15 && (int8_t)p[36] == -16);
    }
    t = gguf_find_tensor(f, "w.4d");
    CHECK(t != NULL);
    if (t) {
        CHECK(t->n_dims == 4 && t->ne[0] == 1 && t->ne[1] == 2 && t->ne[2] == 1 && t->ne[3] == 2);
        CHECK(t->offset == gw_align_up(gw_align_up(24, align) + 68, align) && t->nbytes == 16);
        CHECK(t->data == f->base + f->data_offset + t->offset);
        CHECK((const unsigned char *)t->data + t->nbytes == f->base + f->size); /* ends the file */
        float v[4];
        memcpy(v, t->data, sizeof v);
        CHECK(v[0] == 100.0f && v[3] == 103.0f);
    }
    CHECK(gguf_find_tensor(f, "w") == NULL);
}

static void test_valid(uint32_t version, uint32_t alignment) {
    gguf_buf b = {0};
    gguf_fixture_all_types(&b, version, alignment);
    gguf_file *f = NULL;
    lf_error err = {0};
    CHECK_MSG(gguf_parse(b.p, b.n, "valid.gguf", &f, &err) == LF_OK, "v%u align %u: %s", version, alignment,
              err.message);
    if (f) {
        check_all_types(f, version, alignment);
        gguf_close(f);
    }
    /* the same bytes through the file path (mmap) */
    char path[256];
    snprintf(path, sizeof path, "%s/valid_v%u_a%u.gguf", tmpdir, version, alignment);
    CHECK(gb_write_file(&b, path));
    CHECK_MSG(gguf_open(path, &f, &err) == LF_OK, "%s", err.message);
    if (f) {
        check_all_types(f, version, alignment);
        CHECK(strcmp(f->name, path) == 0);
        gguf_close(f);
    }
    gb_free(&b);
}

/* Every prefix of a valid file is a truncated file. */
static void test_truncations(void) {
    gguf_buf b = {0};
    gguf_fixture_all_types(&b, 3, 0);
    int bad = 0;
    for (size_t len = 0; len < b.n; len++) {
        gguf_file *f = NULL;
        lf_error err = {0};
        unsigned char *copy = malloc(len ? len : 1);
        memcpy(copy, b.p, len);
        int rc = gguf_parse(copy, len, "trunc.gguf", &f, &err);
        if (rc == LF_OK || f != NULL || !strstr(err.message, "trunc.gguf")) {
            if (bad++ < 5) fprintf(stderr, "truncation to %zu bytes: rc %d msg '%s'\n", len, rc, err.message);
            gguf_close(f);
        }
        free(copy);
    }
    CHECK_MSG(bad == 0, "%d of %zu truncations misbehaved", bad, b.n);
    /* and through the file path: empty and cut files */
    char path[256];
    snprintf(path, sizeof path, "%s/cut.gguf", tmpdir);
    size_t cuts[] = {0, 3, 24, b.n / 2, b.n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        gguf_buf cut = {0};
        gb_bytes(&cut, b.p, cuts[i]);
        CHECK(gb_write_file(&cut, path));
        gguf_file *f = NULL;
        lf_error err = {0};
        int rc = gguf_open(path, &f, &err);
        CHECK_MSG(rc != LF_OK && f == NULL && strstr(err.message, path), "cut at %zu: %s", cuts[i], err.message);
        gb_free(&cut);
    }
    gb_free(&b);
}

static void test_bad_header(void) {
    gguf_buf b = {0};
    gguf_fixture_all_types(&b, 3, 0);
    memcpy(b.p, "GGUG", 4);
    expect_parse_fail(&b, LF_ERR_FORMAT, "wrong magic");
    memcpy(b.p, "GGUF", 4);
    uint32_t versions[] = {0, 1, 4, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        memcpy(b.p + 4, &versions[i], 4);
        expect_parse_fail(&b, LF_ERR_UNSUPPORTED, "unsupported version");
    }
    memcpy(b.p + 4, &(uint32_t){3}, 4);
    /* counts: 2^63, UINT64_MAX, and one more than the file holds */
    uint64_t counts[] = {1ull << 63, UINT64_MAX, GW_ALL_TYPES_N_KV + 1, 1000001};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        gguf_buf c = {0};
        gb_bytes(&c, b.p, b.n);
        memcpy(c.p + 16, &counts[i], 8);
        expect_parse_fail(&c, 0, "n_kv too large");
        gb_free(&c);
        gb_bytes(&c, b.p, b.n);
        uint64_t nt = counts[i] == GW_ALL_TYPES_N_KV + 1 ? GW_ALL_TYPES_N_TENSORS + 1 : counts[i];
        memcpy(c.p + 8, &nt, 8);
        expect_parse_fail(&c, 0, "n_tensors too large");
        gb_free(&c);
    }
    gb_free(&b);
    /* a header with counts sized to just exceed the bytes that follow */
    gb_header(&b, 3, 0, 1);
    expect_parse_fail(&b, 0, "n_kv 1 with no kv");
    gb_free(&b);
    gb_header(&b, 3, 1, 0);
    gb_bytes(&b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 23);
    expect_parse_fail(&b, 0, "n_tensors 1 with 23 bytes");
    gb_free(&b);
}

/* One key-value whose bytes after the key are written by the caller's choice. */
static void kv_case(const char *what, void (*write)(gguf_buf *), int want_code) {
    gguf_buf b = {0};
    gb_header(&b, 3, 0, 1);
    write(&b);
    gb_bytes(&b, "padding padding padding padding", 32); /* room that must not be trusted */
    expect_parse_fail(&b, want_code, what);
    gb_free(&b);
}

static void w_key_len_max(gguf_buf *b) { gb_u64(b, UINT64_MAX), gb_bytes(b, "key", 3); }
static void w_key_len_wrap(gguf_buf *b) { gb_u64(b, UINT64_MAX - 7), gb_bytes(b, "key", 3); }
static void w_str_len_max(gguf_buf *b) { gb_key(b, "k", GW_STRING), gb_u64(b, UINT64_MAX); }
static void w_str_len_past(gguf_buf *b) { gb_key(b, "k", GW_STRING), gb_u64(b, 33); }
static void w_arr_overflow(gguf_buf *b) { gb_kv_array(b, "k", GW_INT64, (1ull << 61) + 1), gb_u64(b, 1); }
static void w_arr_overflow32(gguf_buf *b) { gb_kv_array(b, "k", GW_UINT32, (1ull << 62) + 1); }
static void w_arr_too_long(gguf_buf *b) { gb_kv_array(b, "k", GW_UINT8, 33); }
static void w_str_arr_huge(gguf_buf *b) { gb_kv_array(b, "k", GW_STRING, 1ull << 63); }
static void w_str_arr_elem(gguf_buf *b) { gb_kv_array(b, "k", GW_STRING, 2), gb_str(b, "a"), gb_u64(b, UINT64_MAX); }
static void w_unknown_type(gguf_buf *b) { gb_key(b, "k", 13), gb_u32(b, 0); }
static void w_unknown_type_max(gguf_buf *b) { gb_key(b, "k", 0xFFFFFFFFu), gb_u32(b, 0); }
static void w_unknown_elem(gguf_buf *b) { gb_kv_array(b, "k", 13, 1); }
static void w_nested_array(gguf_buf *b) { gb_kv_array(b, "k", GW_ARRAY, 1), gb_u32(b, GW_UINT8), gb_u64(b, 1); }

static void test_bad_metadata(void) {
    kv_case("key length 2^64-1", w_key_len_max, LF_ERR_FORMAT);
    kv_case("key length wraps the cursor", w_key_len_wrap, LF_ERR_FORMAT);
    kv_case("string length 2^64-1", w_str_len_max, LF_ERR_FORMAT);
    kv_case("string one byte past the end", w_str_len_past, LF_ERR_FORMAT);
    kv_case("int64 array count*8 overflows", w_arr_overflow, LF_ERR_FORMAT);
    kv_case("uint32 array count*4 overflows", w_arr_overflow32, LF_ERR_FORMAT);
    kv_case("uint8 array past the end", w_arr_too_long, LF_ERR_FORMAT);
    kv_case("string array count 2^63", w_str_arr_huge, LF_ERR_FORMAT);
    kv_case("string array element length 2^64-1", w_str_arr_elem, LF_ERR_FORMAT);
    kv_case("unknown value type 13", w_unknown_type, LF_ERR_FORMAT);
    kv_case("unknown value type 2^32-1", w_unknown_type_max, LF_ERR_FORMAT);
    kv_case("unknown array element type", w_unknown_elem, LF_ERR_FORMAT);
    kv_case("array of arrays", w_nested_array, LF_ERR_FORMAT);
}

/* A file with one tensor info as given, then the data section padded to 32 and
 * data_bytes of zeros. */
static void tensor_case(const char *what, uint32_t n_dims, uint64_t e0, uint64_t e1, uint64_t e2, uint64_t e3,
                        uint32_t type, uint64_t offset, size_t data_bytes, int want_code) {
    uint64_t ne[5] = {e0, e1, e2, e3, 1};
    gguf_buf b = {0};
    gb_header(&b, 3, 1, 0);
    /* written by hand: the writer's gb_tensor_info would read n_dims entries of ne */
    gb_str(&b, "blk.0.hostile.weight");
    gb_u32(&b, n_dims);
    for (uint32_t d = 0; d < n_dims && d < 5; d++) gb_u64(&b, ne[d]);
    gb_u32(&b, type);
    gb_u64(&b, offset);
    gb_pad(&b, 32);
    for (size_t i = 0; i < data_bytes; i++) gb_u8(&b, 0);
    expect_parse_fail(&b, want_code, what);
    gb_free(&b);
}

static void test_bad_tensors(void) {
    const uint64_t big = 1ull << 32;
    tensor_case("0 dimensions", 0, 8, 1, 1, 1, GW_TENSOR_F32, 0, 64, LF_ERR_FORMAT);
    tensor_case("5 dimensions", 5, 8, 1, 1, 1, GW_TENSOR_F32, 0, 64, LF_ERR_FORMAT);
    tensor_case("2^32-1 dimensions", 0xFFFFFFFFu, 8, 1, 1, 1, GW_TENSOR_F32, 0, 64, LF_ERR_FORMAT);
    tensor_case("ne[0] = 0", 2, 0, 4, 1, 1, GW_TENSOR_F32, 0, 64, LF_ERR_FORMAT);
    tensor_case("ne[1] = 0", 2, 4, 0, 1, 1, GW_TENSOR_F32, 0, 64, LF_ERR_FORMAT);
    tensor_case("ne[3] = 0", 4, 4, 1, 1, 0, GW_TENSOR_F32, 0, 64, LF_ERR_FORMAT);
    tensor_case("bytes overflow (2^32 x 2^32 F32)", 2, big, big, 1, 1, GW_TENSOR_F32, 0, 64, LF_ERR_FORMAT);
    tensor_case("row count overflows", 4, 1, 1ull << 40, 1ull << 40, 1, GW_TENSOR_F32, 0, 64, LF_ERR_FORMAT);
    tensor_case("row bytes overflow", 1, 1ull << 62, 1, 1, 1, GW_TENSOR_F32, 0, 64, LF_ERR_FORMAT);
    tensor_case("ne[0] = 2^64-1", 1, UINT64_MAX, 1, 1, 1, GW_TENSOR_F32, 0, 64, LF_ERR_FORMAT);
    tensor_case("Q8_0 row of 2^64-32 elements", 1, UINT64_MAX - 31, 1, 1, 1, GW_TENSOR_Q8_0, 0, 64, LF_ERR_FORMAT);
    tensor_case("unknown tensor type 99", 1, 8, 1, 1, 1, 99, 0, 64, LF_ERR_UNSUPPORTED);
    tensor_case("tensor type 2^32-1", 1, 8, 1, 1, 1, 0xFFFFFFFFu, 0, 64, LF_ERR_UNSUPPORTED);
    tensor_case("activation-only type Q8_1", 1, 32, 1, 1, 1, 9, 0, 64, LF_ERR_UNSUPPORTED);
    tensor_case("Q8_0 row not a whole block", 1, 31, 1, 1, 1, GW_TENSOR_Q8_0, 0, 64, LF_ERR_FORMAT);
    tensor_case("offset not aligned", 1, 8, 1, 1, 1, GW_TENSOR_F32, 4, 64, LF_ERR_FORMAT);
    tensor_case("data one byte past EOF", 1, 8, 1, 1, 1, GW_TENSOR_F32, 0, 31, LF_ERR_FORMAT);
    tensor_case("aligned offset past EOF", 1, 8, 1, 1, 1, GW_TENSOR_F32, 64, 64, LF_ERR_FORMAT);
    tensor_case("offset + data_offset wraps", 1, 8, 1, 1, 1, GW_TENSOR_F32, UINT64_MAX - 31, 64, LF_ERR_FORMAT);
    tensor_case("offset + size wraps", 2, 1ull << 40, 1ull << 20, 1, 1, GW_TENSOR_F32, 0, 64, LF_ERR_FORMAT);
    tensor_case("no data section at all", 1, 8, 1, 1, 1, GW_TENSOR_F32, 0, 0, LF_ERR_FORMAT);
}

/* Two F32 tensors "blk.0.attn_q.weight" ([n0] at off0) and "blk.0.attn_k.weight" ([n1]
 * at off1) over a data section of data_bytes, alignment 32. */
static void two_tensors(gguf_buf *b, uint64_t n0, uint64_t off0, uint64_t n1, uint64_t off1, size_t data_bytes) {
    gb_header(b, 3, 2, 0);
    gb_tensor_info(b, "blk.0.attn_q.weight", 1, (uint64_t[]){n0}, GW_TENSOR_F32, off0);
    gb_tensor_info(b, "blk.0.attn_k.weight", 1, (uint64_t[]){n1}, GW_TENSOR_F32, off1);
    gb_pad(b, 32);
    for (size_t i = 0; i < data_bytes; i++) gb_u8(b, (uint8_t)i);
}

/* Overlapping data ranges fail naming both tensors and their bytes; want is the expected
 * message after the file name. */
static void overlap_case(const char *what, uint64_t n0, uint64_t off0, uint64_t n1, uint64_t off1, const char *want) {
    gguf_buf b = {0};
    two_tensors(&b, n0, off0, n1, off1, 256);
    expect_parse_fail(&b, LF_ERR_FORMAT, what);
    gguf_file *f = NULL;
    lf_error err = {0};
    gguf_parse(b.p, b.n, "hostile.gguf", &f, &err);
    CHECK_MSG(strstr(err.message, want), "%s: message '%s' lacks '%s'", what, err.message, want);
    gguf_close(f);
    gb_free(&b);
}

static void test_overlaps(void) {
    overlap_case("same offset", 8, 0, 8, 0,
                 "tensor 'blk.0.attn_q.weight' (bytes 0..32) overlaps tensor 'blk.0.attn_k.weight' (bytes 0..32)");
    overlap_case("runs into the next", 16, 0, 8, 32,
                 "tensor 'blk.0.attn_q.weight' (bytes 0..64) overlaps tensor 'blk.0.attn_k.weight' (bytes 32..64)");
    /* listed after the tensor it overlaps: the check goes by offset, not by order */
    overlap_case("listed out of order", 8, 64, 24, 0,
                 "tensor 'blk.0.attn_k.weight' (bytes 0..96) overlaps tensor 'blk.0.attn_q.weight' (bytes 64..96)");
    overlap_case("one inside the other", 8, 32, 64, 0,
                 "tensor 'blk.0.attn_k.weight' (bytes 0..256) overlaps tensor 'blk.0.attn_q.weight' (bytes 32..64)");
    /* a Q8_0 tensor (34 bytes) retyped as F32 (128 bytes) now runs into its neighbour */
    gguf_buf b = {0};
    gb_header(&b, 3, 2, 0);
    gb_tensor_info(&b, "w.retyped", 1, (uint64_t[]){32}, GW_TENSOR_F32, 0);
    gb_tensor_info(&b, "w.next", 1, (uint64_t[]){32}, GW_TENSOR_Q8_0, 64);
    gb_pad(&b, 32);
    for (int i = 0; i < 128; i++) gb_u8(&b, 0);
    expect_parse_fail(&b, LF_ERR_FORMAT, "retyped tensor");
    gb_free(&b);

    /* touching ranges, in either order, are fine */
    struct { uint64_t n0, off0, n1, off1; } ok[] = {{8, 0, 8, 32}, {8, 32, 8, 0}, {16, 64, 16, 0}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        gguf_buf g = {0};
        two_tensors(&g, ok[i].n0, ok[i].off0, ok[i].n1, ok[i].off1, 128);
        gguf_file *f = NULL;
        lf_error err = {0};
        CHECK_MSG(gguf_parse(g.p, g.n, "adjacent.gguf", &f, &err) == LF_OK, "adjacent %zu: %s", i, err.message);
        if (f) {
            const gguf_tensor_info *k = gguf_find_tensor(f, "blk.0.attn_k.weight");
            CHECK(k && k->offset == ok[i].off1 && k->data == (const unsigned char *)g.p + f->data_offset + ok[i].off1);
            CHECK(f->tensors[0].name.len == 19 && memcmp(f->tensors[0].name.data, "blk.0.attn_q.weight", 19) == 0);
        }
        gguf_close(f);
        gb_free(&g);
    }
}

/* general.alignment with a bad value or type. */
static void alignment_case(const char *what, uint32_t type, uint64_t value) {
    gguf_buf b = {0};
    gb_header(&b, 3, 1, 1);
    gb_key(&b, "general.alignment", type);
    if (type == GW_UINT64) gb_u64(&b, value);
    else if (type == GW_STRING) gb_str(&b, "32");
    else gb_u32(&b, (uint32_t)value);
    uint64_t ne[1] = {8};
    gb_tensor_info(&b, "t", 1, ne, GW_TENSOR_F32, 0);
    gb_pad(&b, 64);
    for (int i = 0; i < 64; i++) gb_u8(&b, 0);
    expect_parse_fail(&b, LF_ERR_FORMAT, what);
    gb_free(&b);
}

static void test_bad_alignment(void) {
    alignment_case("alignment 0", GW_UINT32, 0);
    alignment_case("alignment 3", GW_UINT32, 3);
    alignment_case("alignment 48", GW_UINT32, 48);
    alignment_case("alignment 2^31", GW_UINT32, 1u << 31);
    alignment_case("alignment as uint64", GW_UINT64, 32);
    alignment_case("alignment as int32", GW_INT32, 32);
    alignment_case("alignment as string", GW_STRING, 0);
}

/* ------------------------------------------------------------------ model level */

static int load_model(const gw_model *m, const char *file, lf_model **out, lf_error *err) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, file);
    gguf_buf b = {0};
    gguf_fixture_tiny_model(&b, m);
    CHECK(gb_write_file(&b, path));
    gb_free(&b);
    *err = (lf_error){0};
    return lf_model_load(path, NULL, out, err);
}

/* Loads a broken model and expects code (0 = any error) and a message naming the file and
 * containing `needle`. */
static void expect_model_fail(const gw_model *m, const char *file, int code, const char *needle) {
    lf_model *model = (lf_model *)1;
    lf_error err;
    int rc = load_model(m, file, &model, &err);
    CHECK_MSG(rc != LF_OK && (code == 0 || rc == code), "%s: rc %d (want %d): %s", file, rc, code, err.message);
    CHECK_MSG(model == NULL, "%s: out not cleared", file);
    CHECK_MSG(strstr(err.message, file) && (!needle || strstr(err.message, needle)), "%s: message '%s' lacks '%s'",
              file, err.message, needle ? needle : "");
    if (rc == LF_OK) lf_model_free(model);
}

static void test_model_valid(void) {
    gw_model m = gw_model_default();
    m.vocab = GW_VOCAB_SPM;
    lf_model *model = NULL;
    lf_error err;
    CHECK_MSG(load_model(&m, "tiny_spm.gguf", &model, &err) == LF_OK, "%s", err.message);
    if (model) {
        lf_model_info info;
        lf_model_get_info(model, &info);
        CHECK(info.n_layers == 1 && info.dim == 32 && info.hidden_dim == 48 && info.n_heads == 2);
        CHECK(info.n_kv_heads == 1 && info.head_dim == 16 && info.vocab_size == 272);
        CHECK(info.tied_embeddings && strcmp(info.format, "gguf v3") == 0);
        const lf_tokenizer *tok = lf_model_tokenizer(model);
        CHECK(tok && lf_tokenizer_vocab_size(tok) == GW_SPM_VOCAB_SIZE);
        lf_model_free(model);
    }
    m.vocab = GW_VOCAB_BPE;
    CHECK_MSG(load_model(&m, "tiny_bpe.gguf", &model, &err) == LF_OK, "%s", err.message);
    if (model) {
        const lf_tokenizer *tok = lf_model_tokenizer(model);
        CHECK(tok && lf_tokenizer_vocab_size(tok) == GW_BPE_VOCAB_SIZE);
        CHECK(tok && lf_token_eos(tok) == GW_BPE_VOCAB_SIZE - 1);
        lf_model_free(model);
    }
}

static void test_model_hostile(void) {
    gw_model m = gw_model_default();
    m.arch = "gpt-neox";
    expect_model_fail(&m, "neox.gguf", LF_ERR_UNSUPPORTED, "gpt-neox");

    m = gw_model_default();
    m.omit = "blk.0.ffn_up.weight";
    expect_model_fail(&m, "missing.gguf", LF_ERR_FORMAT, "blk.0.ffn_up.weight");
    m.omit = "token_embd.weight";
    expect_model_fail(&m, "no_embd.gguf", LF_ERR_FORMAT, "token_embd.weight");
    m.omit = "output_norm.weight";
    expect_model_fail(&m, "no_norm.gguf", LF_ERR_FORMAT, "output_norm.weight");

    m = gw_model_default();
    m.reshape = "blk.0.attn_k.weight";
    expect_model_fail(&m, "shape_k.gguf", LF_ERR_FORMAT, "blk.0.attn_k.weight");
    m.reshape = "blk.0.ffn_norm.weight";
    expect_model_fail(&m, "shape_norm.gguf", LF_ERR_FORMAT, "blk.0.ffn_norm.weight");

    m = gw_model_default();
    m.block_count = 2; /* tensors for one layer only */
    expect_model_fail(&m, "two_layers.gguf", LF_ERR_FORMAT, "blk.1.");
    m.block_count = 100000000;
    expect_model_fail(&m, "absurd_layers.gguf", LF_ERR_FORMAT, NULL);
    m.block_count = 0;
    expect_model_fail(&m, "zero_layers.gguf", LF_ERR_FORMAT, NULL);
    m.block_count = 0xFFFFFFFFu;
    expect_model_fail(&m, "max_layers.gguf", LF_ERR_FORMAT, NULL);

    m = gw_model_default();
    m.head_count_kv = 3; /* 2 heads are not a multiple of 3 */
    expect_model_fail(&m, "kv_heads.gguf", LF_ERR_FORMAT, NULL);

    m = gw_model_default();
    m.vocab = GW_VOCAB_SPM;
    m.vocab_rows = GW_SPM_VOCAB_SIZE - 1;
    expect_model_fail(&m, "vocab_big.gguf", LF_ERR_FORMAT, "token_embd");
    m.vocab = GW_VOCAB_BPE;
    m.vocab_rows = 16;
    expect_model_fail(&m, "vocab_big_bpe.gguf", LF_ERR_FORMAT, "token_embd");
}

/* Rewrites the uint32 value of metadata key `key` in a written file, so the metadata can
 * lie about values the writer needs to size the tensors (head counts). */
static bool patch_u32_kv(gguf_buf *b, const char *key, uint32_t value) {
    size_t klen = strlen(key);
    for (size_t i = 0; i + 8 + klen + 8 <= b->n; i++) {
        uint64_t len;
        memcpy(&len, b->p + i, 8);
        if (len == klen && memcmp(b->p + i + 8, key, klen) == 0) {
            memcpy(b->p + i + 8 + klen + 4, &value, 4);
            return true;
        }
    }
    return false;
}

static void test_model_patched_heads(void) {
    struct { const char *key; uint32_t value; const char *file; } cases[] = {
        {"llama.attention.head_count", 0, "zero_heads.gguf"},
        {"llama.attention.head_count_kv", 0, "zero_kv_heads.gguf"},
        {"llama.attention.head_count", 0xFFFFFFFFu, "max_heads.gguf"},
        {"llama.attention.head_count", 3, "three_heads.gguf"},
        {"llama.embedding_length", 0, "zero_dim.gguf"},
        {"llama.feed_forward_length", 0, "zero_ffn.gguf"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gw_model m = gw_model_default();
        gguf_buf b = {0};
        gguf_fixture_tiny_model(&b, &m);
        CHECK(patch_u32_kv(&b, cases[i].key, cases[i].value));
        char path[256];
        snprintf(path, sizeof path, "%s/%s", tmpdir, cases[i].file);
        CHECK(gb_write_file(&b, path));
        gb_free(&b);
        lf_model *model = (lf_model *)1;
        lf_error err = {0};
        int rc = lf_model_load(path, NULL, &model, &err);
        CHECK_MSG(rc == LF_ERR_FORMAT && model == NULL && strstr(err.message, path), "%s: rc %d: %s", cases[i].file,
                  rc, err.message);
        if (rc == LF_OK) lf_model_free(model);
    }
}

static void test_model_paths(void) {
    lf_model *model = (lf_model *)1;
    lf_error err = {0};
    int rc = lf_model_load("/nonexistent/model.gguf", NULL, &model, &err);
    CHECK_MSG(rc == LF_ERR_IO && model == NULL && strstr(err.message, "/nonexistent/model.gguf"), "rc %d: %s", rc,
              err.message);
    model = (lf_model *)1;
    rc = lf_model_load(tmpdir, NULL, &model, &err);
    CHECK_MSG(rc != LF_OK && model == NULL && strstr(err.message, tmpdir), "directory: rc %d: %s", rc, err.message);
    char path[256];
    snprintf(path, sizeof path, "%s/empty.gguf", tmpdir);
    gguf_buf empty = {0};
    CHECK(gb_write_file(&empty, path));
    rc = lf_model_load(path, NULL, &model, &err);
    CHECK_MSG(rc != LF_OK && strstr(err.message, path), "empty file: rc %d: %s", rc, err.message);
    CHECK(lf_model_load(NULL, NULL, &model, &err) == LF_ERR_ARG);
}

/* `test_gguf --dump DIR` writes the valid fixtures as fuzz seeds and exits. */
static int dump_fixtures(const char *dir) {
    struct { const char *file; int kind; uint32_t version, alignment; gw_vocab vocab; } seeds[] = {
        {"all_types_v3.gguf", 0, 3, 0, GW_VOCAB_NONE},   {"all_types_v2.gguf", 0, 2, 0, GW_VOCAB_NONE},
        {"all_types_a64.gguf", 0, 3, 64, GW_VOCAB_NONE}, {"all_types_a1.gguf", 0, 3, 1, GW_VOCAB_NONE},
        {"tiny_model.gguf", 1, 3, 0, GW_VOCAB_NONE},     {"tiny_model_spm.gguf", 1, 3, 0, GW_VOCAB_SPM},
        {"tiny_model_bpe.gguf", 1, 3, 0, GW_VOCAB_BPE},   {"two_tensors.gguf", 2, 3, 0, GW_VOCAB_NONE},
    };
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        gguf_buf b = {0};
        if (seeds[i].kind == 0) {
            gguf_fixture_all_types(&b, seeds[i].version, seeds[i].alignment);
        } else if (seeds[i].kind == 2) { /* touching data ranges, listed out of offset order */
            two_tensors(&b, 8, 32, 8, 0, 64);
        } else {
            gw_model m = gw_model_default();
            m.vocab = seeds[i].vocab;
            gguf_fixture_tiny_model(&b, &m);
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, seeds[i].file);
        bool ok = gb_write_file(&b, path);
        gb_free(&b);
        if (!ok) {
            fprintf(stderr, "error: cannot write %s\n", path);
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--dump") == 0) return dump_fixtures(argv[2]);
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_valid(3, 0);
    test_valid(2, 0);
    test_valid(3, 64);
    test_valid(3, 1);
    test_valid(2, 4096);
    test_truncations();
    test_bad_header();
    test_bad_metadata();
    test_bad_tensors();
    test_bad_alignment();
    test_overlaps();
    test_model_valid();
    test_model_hostile();
    test_model_patched_heads();
    test_model_paths();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", tmpdir);
    TEST_MAIN_END();
}
