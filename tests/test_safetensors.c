/* safetensors reader: files built here byte by byte per the format's specification
 * (8-byte little-endian header length, JSON header, data), read back tensor by tensor;
 * every corruption of the header (truncation, bad lengths, offsets, shapes, dtypes,
 * overlaps, holes, duplicates) refused with a message naming the problem; sharded directories
 * with model.safetensors.index.json, including indexes that lie or reach outside. */
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/safetensors.h"
#include "kernels/kernels.h"
#include "test.h"

/* A file: header JSON text, padded with spaces to a multiple of 8 as the reference
 * writer does (pad = false leaves it as is), then data. Caller frees. */
static unsigned char *build(const char *header, const void *data, size_t data_len, bool pad, size_t *size) {
    size_t h = strlen(header), padded = pad ? (h + 7) / 8 * 8 : h;
    unsigned char *p = calloc(1, 8 + padded + data_len + 1);
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    memcpy(p + 8, header, h);
    memset(p + 8 + h, ' ', padded - h);
    if (data_len) memcpy(p + 8 + padded, data, data_len);
    *size = 8 + padded + data_len;
    return p;
}

static const safetensors_tensor *find(const safetensors_file *f, const char *name) {
    for (int i = 0; i < f->n_tensors; i++)
        if (!strcmp(f->tensors[i].name, name)) return &f->tensors[i];
    return NULL;
}

/* 6 F32 + 4 F16 + 4 BF16 values: 24 + 8 + 8 bytes. */
static const char GOOD_HEADER[] =
    "{\"__metadata__\":{\"format\":\"pt\"},"
    "\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
    "\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[24,32]},"
    "\"b\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[32,40]},"
    "\"ids\":{\"dtype\":\"I64\",\"shape\":[0],\"data_offsets\":[40,40]}}";

static void good_data(unsigned char d[40]) {
    float w[6] = {1, -2, 3.5f, 0.25f, -8, 1e-3f};
    uint16_t h[4] = {0x3C00, 0xC000, 0x3800, 0x0000};   /* 1, -2, 0.5, 0 */
    uint16_t b[4] = {0x3F80, 0x4040, 0xBF00, 0x4120};   /* 1, 3, -0.5, 10 */
    memcpy(d, w, 24);
    memcpy(d + 24, h, 8);
    memcpy(d + 32, b, 8);
}

static void test_good_file(void) {
    unsigned char d[40];
    good_data(d);
    size_t n;
    unsigned char *p = build(GOOD_HEADER, d, sizeof d, true, &n);
    safetensors_file *f = NULL;
    lf_error err = {0};
    CHECK_MSG(safetensors_parse(p, n, "good", &f, &err) == LF_OK, "%s", err.message);
    if (!f) return free(p);
    CHECK(f->n_tensors == 4);
    const safetensors_tensor *w = find(f, "w"), *h = find(f, "h"), *b = find(f, "b"), *ids = find(f, "ids");
    CHECK(w && h && b && ids);
    if (w && h && b && ids) {
        size_t data_start = n - 40;
        CHECK(w->type == LF_TYPE_F32 && w->n_dims == 2 && w->shape[0] == 2 && w->shape[1] == 3 && w->nbytes == 24);
        CHECK(w->data == p + data_start && w->offset == 0);
        CHECK(((const float *)w->data)[2] == 3.5f && ((const float *)w->data)[5] == 1e-3f);
        CHECK(h->type == LF_TYPE_F16 && h->n_dims == 1 && h->shape[0] == 4);
        CHECK(lf_f16_to_f32(((const uint16_t *)h->data)[1]) == -2.0f);
        CHECK(b->type == LF_TYPE_BF16 && !strcmp(b->dtype, "BF16") && b->shape[1] == 2);
        CHECK(lf_bf16_to_f32(((const uint16_t *)b->data)[3]) == 10.0f);
        CHECK(ids->type == -1 && !strcmp(ids->dtype, "I64") && ids->nbytes == 0);
    }
    safetensors_close(f);
    free(p);
}

/* parse must fail with code and a message containing want. */
static void expect_bad(const char *label, const unsigned char *p, size_t n, int code, const char *want) {
    safetensors_file *f = NULL;
    lf_error err = {0};
    int rc = safetensors_parse(p, n, label, &f, &err);
    CHECK_MSG(rc == code && f == NULL, "%s: rc %d (want %d): %s", label, rc, code, err.message);
    CHECK_MSG(strstr(err.message, want) && strstr(err.message, label), "%s: message '%s' lacks '%s'", label,
              err.message, want);
    safetensors_close(f);
}

static void expect_bad_header(const char *label, const char *header, size_t data_len, const char *want) {
    unsigned char d[64] = {0};
    size_t n;
    unsigned char *p = build(header, d, data_len, true, &n);
    expect_bad(label, p, n, LF_ERR_FORMAT, want);
    free(p);
}

static void test_truncations(void) {
    unsigned char d[40];
    good_data(d);
    size_t n;
    unsigned char *p = build(GOOD_HEADER, d, sizeof d, true, &n);
    expect_bad("empty", p, 0, LF_ERR_FORMAT, "too short");
    expect_bad("seven bytes", p, 7, LF_ERR_FORMAT, "too short");
    expect_bad("header cut", p, 8 + 20, LF_ERR_FORMAT, "does not fit");
    expect_bad("data cut", p, n - 1, LF_ERR_FORMAT, "truncated");
    /* every shorter length fails cleanly, never reads past the end */
    int ok = 0;
    for (size_t len = 0; len < n; len++) {
        unsigned char *copy = malloc(len ? len : 1);
        memcpy(copy, p, len);
        safetensors_file *f = NULL;
        lf_error err = {0};
        ok += safetensors_parse(copy, len, "cut", &f, &err) == LF_ERR_FORMAT && !f && err.message[0];
        free(copy);
    }
    CHECK_MSG(ok == (int)n, "%d of %zu truncations failed cleanly", ok, n);
    /* a header length of 2^64-1 */
    unsigned char huge[16];
    memset(huge, 0xFF, 8);
    memcpy(huge + 8, "{}      ", 8);
    expect_bad("huge length", huge, sizeof huge, LF_ERR_FORMAT, "does not fit");
    free(p);
}

static void test_bad_headers(void) {
    expect_bad_header("not json", "{\"w\":", 0, "invalid JSON");
    expect_bad_header("array", "[1,2]", 0, "not a JSON object");
    expect_bad_header("unknown dtype", "{\"w\":{\"dtype\":\"F12\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "unknown dtype 'F12'");
    expect_bad_header("size mismatch", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", 16, "needs 16");
    expect_bad_header("end beyond", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 12, "ends at byte 16");
    expect_bad_header("begin after end", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 16, "bad data_offsets");
    expect_bad_header("negative offset", "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[-1,0]}}", 16, "bad data_offsets");
    expect_bad_header("one offset", "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0]}}", 16, "two data_offsets");
    expect_bad_header("negative dim", "{\"w\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0, "bad shape");
    expect_bad_header("float dim", "{\"w\":{\"dtype\":\"U8\",\"shape\":[1.5],\"data_offsets\":[0,0]}}", 0, "bad shape");
    expect_bad_header("overflowing shape",
                      "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],\"data_offsets\":[0,0]}}", 0,
                      "bad shape");
    expect_bad_header("size overflow", "{\"w\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904],\"data_offsets\":[0,0]}}",
                      0, "needs");
    expect_bad_header("too many dims", "{\"w\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}",
                      1, "9 dimensions");
    expect_bad_header("not an entry", "{\"w\":3}", 0, "not an object");
    expect_bad_header("no dtype", "{\"w\":{\"shape\":[1],\"data_offsets\":[0,1]}}", 1, "dtype");
    expect_bad_header("overlap",
                      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                      "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
                      "tensor 'a' (bytes 0..8) overlaps tensor 'b' (bytes 4..12)");
    expect_bad_header("same bytes",
                      "{\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                      "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "overlaps tensor");
    /* the format allows no bytes outside a tensor: between two, or after the last */
    expect_bad_header("gap",
                      "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                      "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12,
                      "data bytes 4..8 belong to no tensor");
    expect_bad_header("leading gap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
                      "data bytes 0..4 belong to no tensor");
    expect_bad_header("trailing bytes", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8,
                      "data bytes 4..8 after the last tensor");
    expect_bad_header("no tensors, some data", "{}", 4, "data bytes 0..4 after the last tensor");
    expect_bad_header("duplicate name",
                      "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                      "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2, "duplicate");
    expect_bad_header("empty name", "{\"\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, "empty");
    expect_bad_header("nul in name", "{\"a\\u0000b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, "NUL");
    /* a header whose first byte is not '{' */
    size_t n;
    unsigned char *p = build(" {}", NULL, 0, false, &n);
    expect_bad("leading space", p, n, LF_ERR_FORMAT, "not a JSON object");
    free(p);
}

static void write_file(const char *path, const void *p, size_t n) {
    FILE *fp = fopen(path, "wb");
    fwrite(p, 1, n, fp);
    fclose(fp);
}

static void write_text(const char *dir, const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_file(path, text, strlen(text));
}

/* A two-shard directory: a.safetensors holds x, b.safetensors holds y and z. */
static void write_shards(const char *dir) {
    float v[4] = {1, 2, 3, 4};
    size_t n;
    char path[512];
    unsigned char *p = build("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", v, 8, true, &n);
    snprintf(path, sizeof path, "%s/a.safetensors", dir);
    write_file(path, p, n);
    free(p);
    p = build("{\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
              "\"z\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", v + 2, 8, true, &n);
    snprintf(path, sizeof path, "%s/b.safetensors", dir);
    write_file(path, p, n);
    free(p);
}

static void expect_set_fails(const char *dir, const char *index, const char *want) {
    write_text(dir, "model.safetensors.index.json", index);
    safetensors_set set;
    lf_error err = {0};
    int rc = safetensors_set_open(dir, &set, &err);
    CHECK_MSG(rc != LF_OK && strstr(err.message, want), "index %s: rc %d, '%s' lacks '%s'", index, rc, err.message,
              want);
    CHECK(set.n_files == 0 && set.files == NULL);
}

static void test_sets(void) {
    char dir[] = "/tmp/lf_test_safetensors_XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return;
    }
    safetensors_set set;
    lf_error err = {0};
    CHECK(safetensors_set_open(dir, &set, &err) == LF_ERR_IO && strstr(err.message, "model.safetensors"));

    unsigned char d[40];
    good_data(d);
    size_t n;
    unsigned char *p = build(GOOD_HEADER, d, sizeof d, true, &n);
    char path[512];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    write_file(path, p, n);
    free(p);
    CHECK_MSG(safetensors_set_open(dir, &set, &err) == LF_OK, "%s", err.message);
    CHECK(set.n_files == 1);
    const safetensors_tensor *w = safetensors_set_find(&set, "w");
    CHECK(w && ((const float *)w->data)[1] == -2.0f);
    CHECK(safetensors_set_find(&set, "nope") == NULL);
    safetensors_set_close(&set);
    unlink(path);

    write_shards(dir);
    write_text(dir, "model.safetensors.index.json",
               "{\"metadata\":{\"total_size\":16},\"weight_map\":{\"x\":\"a.safetensors\",\"y\":\"b.safetensors\","
               "\"z\":\"b.safetensors\"}}");
    CHECK_MSG(safetensors_set_open(dir, &set, &err) == LF_OK, "%s", err.message);
    CHECK(set.n_files == 2);
    const safetensors_tensor *x = safetensors_set_find(&set, "x"), *z = safetensors_set_find(&set, "z");
    CHECK(x && z && ((const float *)x->data)[1] == 2.0f && ((const float *)z->data)[0] == 4.0f);
    safetensors_set_close(&set);

    expect_set_fails(dir, "{\"weight_map\":{\"x\":\"b.safetensors\"}}", "'x' is not in b.safetensors");
    expect_set_fails(dir, "{\"weight_map\":{\"x\":\"../a.safetensors\"}}", "not a file name");
    expect_set_fails(dir, "{\"weight_map\":{\"x\":\"/etc/passwd\"}}", "not a file name");
    expect_set_fails(dir, "{\"weight_map\":{\"x\":\"missing.safetensors\"}}", "missing.safetensors");
    expect_set_fails(dir, "{\"weight_map\":{\"x\":7}}", "not a file name");
    expect_set_fails(dir, "{\"weight_map\":{}}", "empty");
    expect_set_fails(dir, "{\"weight_map\":[]}", "weight_map");
    expect_set_fails(dir, "{\"weight_map\":", "invalid JSON");
    /* the same tensor in two shards */
    float v[2] = {5, 6};
    p = build("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", v, 8, true, &n);
    snprintf(path, sizeof path, "%s/c.safetensors", dir);
    write_file(path, p, n);
    free(p);
    expect_set_fails(dir, "{\"weight_map\":{\"x\":\"a.safetensors\",\"y\":\"c.safetensors\"}}", "'y' is not in");
    expect_set_fails(dir, "{\"weight_map\":{\"x\":\"a.safetensors\",\"y\":\"b.safetensors\",\"w\":\"c.safetensors\"}}",
                     "'w' is not in");
    write_text(dir, "model.safetensors.index.json", "{\"weight_map\":{\"x\":\"a.safetensors\",\"q\":\"c.safetensors\"}}");
    CHECK(safetensors_set_open(dir, &set, &err) != LF_OK && strstr(err.message, "'q' is not in c.safetensors"));
    const char *names[] = {"a.safetensors", "b.safetensors", "c.safetensors", "model.safetensors.index.json"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* The same tensor listed by two shards, which an index that maps it once cannot catch. */
static void test_duplicate_across_shards(void) {
    char dir[] = "/tmp/lf_test_safetensors_XXXXXX";
    if (!mkdtemp(dir)) return;
    write_shards(dir);
    float v[2] = {5, 6};
    size_t n;
    unsigned char *p = build("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                             "\"u\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}", v, 8, true, &n);
    char path[512];
    snprintf(path, sizeof path, "%s/c.safetensors", dir);
    write_file(path, p, n);
    free(p);
    write_text(dir, "model.safetensors.index.json", "{\"weight_map\":{\"x\":\"a.safetensors\",\"u\":\"c.safetensors\"}}");
    safetensors_set set;
    lf_error err = {0};
    CHECK_MSG(safetensors_set_open(dir, &set, &err) != LF_OK && strstr(err.message, "'x' is in two shards"), "%s",
              err.message);
    const char *names[] = {"a.safetensors", "b.safetensors", "c.safetensors", "model.safetensors.index.json"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

int main(void) {
    test_good_file();
    test_truncations();
    test_bad_headers();
    test_sets();
    test_duplicate_across_shards();
    TEST_MAIN_END();
}
