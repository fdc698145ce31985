/* llama2.c reader: the real stories260K.bin (v0) against raw floats at offsets computed
 * here; v1/v2 files written by this test (layouts per llama2.c export.py) against the v0
 * tensors; and hostile files (truncations, bad magic/version, absurd and overflowing dims)
 * failing with messages. */
#include <stdint.h>
#include <unistd.h>

#include "format/llama2c.h"
#include "test.h"

/* A model held the way llama2.c keeps it: each weight kind for all layers back to back. */
typedef struct test_model {
    int dim, hidden, n_layers, n_heads, n_kv_heads, vocab, seq_len;
    bool shared;
    float *tok, *rms_att, *wq, *wk, *wv, *wo, *rms_ffn, *w1, *w2, *w3, *rms_final, *freqs, *wcls;
} test_model;

static int kv_dim(const test_model *m) { return m->dim / m->n_heads * m->n_kv_heads; }
static size_t freq_floats(const test_model *m) {
    return (size_t)m->seq_len * (size_t)(m->dim / m->n_heads / 2) * 2;
}

/* A growable byte buffer for writing files. */
typedef struct bytes {
    unsigned char *p;
    size_t n, cap;
} bytes;

static void put(bytes *b, const void *src, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}
static void put_i32(bytes *b, int32_t v) { put(b, &v, 4); }
static void put_f32s(bytes *b, const float *v, size_t n) { put(b, v, n * sizeof(float)); }

static void put_params(bytes *b, const test_model *m, int32_t vocab) {
    int32_t p[7] = {m->dim, m->hidden, m->n_layers, m->n_heads, m->n_kv_heads, vocab, m->seq_len};
    put(b, p, sizeof p);
}

static void put_versioned_header(bytes *b, const test_model *m, int version, int group_size) {
    put_i32(b, 0x616b3432);
    put_i32(b, version);
    put_params(b, m, m->vocab);
    unsigned char shared = m->shared;
    put(b, &shared, 1);
    if (version == 2) put_i32(b, group_size);
    while (b->n < 256) put(b, "", 1);
}

static bytes write_v0(const test_model *m) {
    bytes b = {0};
    size_t L = (size_t)m->n_layers, d = (size_t)m->dim, h = (size_t)m->hidden, kv = (size_t)kv_dim(m);
    put_params(&b, m, m->shared ? m->vocab : -m->vocab);
    put_f32s(&b, m->tok, (size_t)m->vocab * d);
    put_f32s(&b, m->rms_att, L * d);
    put_f32s(&b, m->wq, L * d * d);
    put_f32s(&b, m->wk, L * d * kv);
    put_f32s(&b, m->wv, L * d * kv);
    put_f32s(&b, m->wo, L * d * d);
    put_f32s(&b, m->rms_ffn, L * d);
    put_f32s(&b, m->w1, L * d * h);
    put_f32s(&b, m->w2, L * d * h);
    put_f32s(&b, m->w3, L * d * h);
    put_f32s(&b, m->rms_final, d);
    put_f32s(&b, m->freqs, freq_floats(m));
    if (!m->shared) put_f32s(&b, m->wcls, (size_t)m->vocab * d);
    return b;
}

static bytes write_v1(const test_model *m) {
    bytes b = {0};
    size_t L = (size_t)m->n_layers, d = (size_t)m->dim, h = (size_t)m->hidden, kv = (size_t)kv_dim(m);
    put_versioned_header(&b, m, 1, 0);
    put_f32s(&b, m->rms_att, L * d);
    put_f32s(&b, m->rms_ffn, L * d);
    put_f32s(&b, m->rms_final, d);
    put_f32s(&b, m->tok, (size_t)m->vocab * d);
    put_f32s(&b, m->wq, L * d * d);
    put_f32s(&b, m->wk, L * d * kv);
    put_f32s(&b, m->wv, L * d * kv);
    put_f32s(&b, m->wo, L * d * d);
    put_f32s(&b, m->w1, L * d * h);
    put_f32s(&b, m->w2, L * d * h);
    put_f32s(&b, m->w3, L * d * h);
    if (!m->shared) put_f32s(&b, m->wcls, (size_t)m->vocab * d);
    return b;
}

/* export.py quantize_q80: scale = max|w| / 127 per group, q = round(w / scale) (torch.round
 * rounds half to even, as nearbyintf does by default); int8 values, then the scales. */
static void put_q80(bytes *b, const float *w, size_t n, int gs) {
    signed char *q = malloc(n);
    float *scales = malloc(n / (size_t)gs * sizeof(float));
    for (size_t g = 0; g < n / (size_t)gs; g++) {
        float wmax = 0;
        for (int i = 0; i < gs; i++) wmax = fmaxf(wmax, fabsf(w[g * (size_t)gs + (size_t)i]));
        scales[g] = wmax / 127.0f;
        for (int i = 0; i < gs; i++) {
            size_t j = g * (size_t)gs + (size_t)i;
            q[j] = scales[g] == 0 ? 0 : (signed char)nearbyintf(w[j] / scales[g]);
        }
    }
    put(b, q, n);
    put_f32s(b, scales, n / (size_t)gs);
    free(q);
    free(scales);
}

/* export.py quantizes each layer's matrix as its own tensor. */
static void put_q80_layers(bytes *b, const float *w, size_t L, size_t n_each, int gs) {
    for (size_t l = 0; l < L; l++) put_q80(b, w + l * n_each, n_each, gs);
}

static bytes write_v2(const test_model *m, int gs) {
    bytes b = {0};
    size_t L = (size_t)m->n_layers, d = (size_t)m->dim, h = (size_t)m->hidden, kv = (size_t)kv_dim(m);
    put_versioned_header(&b, m, 2, gs);
    put_f32s(&b, m->rms_att, L * d);
    put_f32s(&b, m->rms_ffn, L * d);
    put_f32s(&b, m->rms_final, d);
    put_q80(&b, m->tok, (size_t)m->vocab * d, gs);
    put_q80_layers(&b, m->wq, L, d * d, gs);
    put_q80_layers(&b, m->wk, L, d * kv, gs);
    put_q80_layers(&b, m->wv, L, d * kv, gs);
    put_q80_layers(&b, m->wo, L, d * d, gs);
    put_q80_layers(&b, m->w1, L, d * h, gs);
    put_q80_layers(&b, m->w2, L, d * h, gs);
    put_q80_layers(&b, m->w3, L, d * h, gs);
    if (!m->shared) put_q80(&b, m->wcls, (size_t)m->vocab * d, gs);
    return b;
}

/* Points the model's arrays at consecutive runs of floats starting at base, in the v0
 * file order — the offsets of a legacy file after its 28-byte header. */
static void map_v0_layout(test_model *m, float *base) {
    size_t L = (size_t)m->n_layers, d = (size_t)m->dim, h = (size_t)m->hidden, kv = (size_t)kv_dim(m);
    float *p = base;
    m->tok = p, p += (size_t)m->vocab * d;
    m->rms_att = p, p += L * d;
    m->wq = p, p += L * d * d;
    m->wk = p, p += L * d * kv;
    m->wv = p, p += L * d * kv;
    m->wo = p, p += L * d * d;
    m->rms_ffn = p, p += L * d;
    m->w1 = p, p += L * d * h;
    m->w2 = p, p += L * d * h;
    m->w3 = p, p += L * d * h;
    m->rms_final = p, p += d;
    m->freqs = p, p += freq_floats(m);
    m->wcls = m->shared ? NULL : p;
}

static const lf_tensor_view *find(const lf_llama2c_file *f, const char *name) {
    for (int i = 0; i < f->n_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

/* What a tensor should hold: its name, dims, and the source floats. */
typedef struct expected_tensor {
    char name[64];
    int64_t ne0, ne1;
    const float *data;
} expected_tensor;

static int expected_tensors(const test_model *m, expected_tensor *out) {
    size_t d = (size_t)m->dim, h = (size_t)m->hidden, kv = (size_t)kv_dim(m);
    int n = 0;
    out[n++] = (expected_tensor){"token_embd.weight", m->dim, m->vocab, m->tok};
    for (int l = 0; l < m->n_layers; l++) {
        struct { const char *kind; int64_t ne0, ne1; const float *data; } k[] = {
            {"attn_norm", m->dim, 1, m->rms_att + l * d},
            {"attn_q", m->dim, m->dim, m->wq + l * d * d},
            {"attn_k", m->dim, (int64_t)kv, m->wk + l * d * kv},
            {"attn_v", m->dim, (int64_t)kv, m->wv + l * d * kv},
            {"attn_output", m->dim, m->dim, m->wo + l * d * d},
            {"ffn_norm", m->dim, 1, m->rms_ffn + l * d},
            {"ffn_gate", m->dim, m->hidden, m->w1 + l * d * h},
            {"ffn_down", m->hidden, m->dim, m->w2 + l * d * h},
            {"ffn_up", m->dim, m->hidden, m->w3 + l * d * h},
        };
        for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
            snprintf(out[n].name, sizeof out[n].name, "blk.%d.%s.weight", l, k[i].kind);
            out[n].ne0 = k[i].ne0, out[n].ne1 = k[i].ne1, out[n].data = k[i].data;
            n++;
        }
    }
    out[n++] = (expected_tensor){"output_norm.weight", m->dim, 1, m->rms_final};
    if (!m->shared) out[n++] = (expected_tensor){"output.weight", m->dim, m->vocab, m->wcls};
    return n;
}

/* Checks config and every tensor; tol = 0 demands bit-exact fp32, else the v2 bound: each
 * value within half a quantization step of its group's max |w| / 127. */
static void check_file(const lf_llama2c_file *f, const test_model *m, int version, int gs) {
    CHECK(f->cfg.version == version);
    CHECK(f->cfg.dim == m->dim && f->cfg.hidden_dim == m->hidden && f->cfg.n_layers == m->n_layers);
    CHECK(f->cfg.n_heads == m->n_heads && f->cfg.n_kv_heads == m->n_kv_heads);
    CHECK(f->cfg.vocab_size == m->vocab && f->cfg.seq_len == m->seq_len);
    CHECK(f->cfg.shared_classifier == m->shared);
    CHECK(f->cfg.group_size == (version == 2 ? gs : 0));
    expected_tensor *want = calloc((size_t)(2 + 9 * m->n_layers + 1), sizeof *want);
    int n = expected_tensors(m, want);
    CHECK_MSG(f->n_tensors == n, "v%d: %d tensors, want %d", version, f->n_tensors, n);
    int bad = 0;
    for (int i = 0; i < n; i++) {
        const lf_tensor_view *t = find(f, want[i].name);
        if (!t) {
            CHECK_MSG(t != NULL, "v%d: missing %s", version, want[i].name);
            continue;
        }
        size_t count = (size_t)(want[i].ne0 * want[i].ne1);
        bool dims_ok = t->type == 0 && t->ne[0] == want[i].ne0 && t->ne[1] == want[i].ne1 &&
                       t->ne[2] == 1 && t->ne[3] == 1 && t->n_dims == (want[i].ne1 == 1 ? 1 : 2) &&
                       t->nbytes == count * sizeof(float);
        CHECK_MSG(dims_ok, "v%d %s: ne {%lld,%lld} want {%lld,%lld}", version, want[i].name,
                  (long long)t->ne[0], (long long)t->ne[1], (long long)want[i].ne0,
                  (long long)want[i].ne1);
        const float *got = t->data;
        bool quantized = version == 2 && want[i].ne1 != 1;
        if (!quantized) {
            bad += memcmp(got, want[i].data, count * sizeof(float)) != 0;
            continue;
        }
        for (size_t g = 0; g < count / (size_t)gs; g++) {
            float wmax = 0;
            for (int j = 0; j < gs; j++) wmax = fmaxf(wmax, fabsf(want[i].data[g * (size_t)gs + (size_t)j]));
            float step = wmax / 127.0f;
            for (int j = 0; j < gs; j++) {
                size_t k = g * (size_t)gs + (size_t)j;
                if (!(fabsf(got[k] - want[i].data[k]) <= step * 0.5001f + 1e-12f)) bad++;
            }
        }
    }
    CHECK_MSG(bad == 0, "v%d: %d tensors/values differ from the source", version, bad);
    free(want);
}

static unsigned char *read_whole(const char *path, size_t *size) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)n);
    *size = fread(p, 1, (size_t)n, fp);
    fclose(fp);
    return p;
}

static bool write_whole(const char *path, const bytes *b) {
    FILE *fp = fopen(path, "wb");
    if (!fp) return false;
    bool ok = fwrite(b->p, 1, b->n, fp) == b->n;
    return fclose(fp) == 0 && ok;
}

/* Writes b to a temporary file, opens it through the mmap path and checks it. */
static void check_roundtrip(const bytes *b, const test_model *m, int version, int gs) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/lf_test_llama2c_%d_v%d.bin", (int)getpid(), version);
    CHECK(write_whole(path, b));
    lf_llama2c_file *f = NULL;
    lf_error err = {0};
    int rc = lf_llama2c_open(path, &f, &err);
    CHECK_MSG(rc == LF_OK, "v%d: %s", version, err.message);
    if (rc == LF_OK) check_file(f, m, version, gs);
    lf_llama2c_close(f);
    remove(path);
}

static void test_stories260k(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/models/stories260K.bin", test_data_dir());
    size_t size = 0;
    unsigned char *raw = read_whole(path, &size);
    CHECK_MSG(raw != NULL, "cannot read %s", path);
    if (!raw) return;
    /* the architecture published with the model, not read back from the file */
    test_model m = {.dim = 64, .hidden = 172, .n_layers = 5, .n_heads = 8, .n_kv_heads = 4,
                    .vocab = 512, .seq_len = 512, .shared = true};
    float *floats = malloc(size - 28);
    memcpy(floats, raw + 28, size - 28);
    map_v0_layout(&m, floats);
    CHECK(size == 28 + (size_t)(m.freqs + freq_floats(&m) - floats) * sizeof(float));
    /* spot values: the first embedding float and the final norm's first weight */
    CHECK(memcmp(raw + 28, m.tok, 4) == 0);
    CHECK(memcmp(raw + 28 + 4 * (32768 + 320 + 20480 + 2 * 10240 + 20480 + 320 + 3 * 55040), m.rms_final, 4) == 0);

    lf_llama2c_file *f = NULL;
    lf_error err = {0};
    int rc = lf_llama2c_open(path, &f, &err);
    CHECK_MSG(rc == LF_OK, "%s", err.message);
    if (rc == LF_OK) {
        check_file(f, &m, 0, 0);
        /* fp32 files are used in place: the view points into the mapping */
        CHECK(f->map.data && (const unsigned char *)f->tensors[0].data == f->map.data + 28);
        CHECK(f->owned == NULL);
    }
    lf_llama2c_close(f);

    bytes v1 = write_v1(&m);
    check_roundtrip(&v1, &m, 1, 0);
    bytes v2 = write_v2(&m, 64); /* hidden 172 is no multiple of 64: groups span rows */
    check_roundtrip(&v2, &m, 2, 64);
    bytes v2_small = write_v2(&m, 16);
    check_roundtrip(&v2_small, &m, 2, 16);

    /* unshared classifiers: a distinct output matrix (the embedding reversed) */
    size_t n_cls = (size_t)m.vocab * (size_t)m.dim;
    float *cls = malloc(n_cls * sizeof(float));
    for (size_t i = 0; i < n_cls; i++) cls[i] = m.tok[n_cls - 1 - i];
    m.shared = false;
    m.wcls = cls;
    bytes v0u = write_v0(&m), v1u = write_v1(&m), v2u = write_v2(&m, 32);
    check_roundtrip(&v0u, &m, 0, 0);
    check_roundtrip(&v1u, &m, 1, 0);
    check_roundtrip(&v2u, &m, 2, 32);
    free(v0u.p), free(v1u.p), free(v2u.p), free(v1.p), free(v2.p), free(v2_small.p);
    free(cls);
    free(floats);
    free(raw);
}

/* A tiny synthetic model with recognisable weights. */
static test_model tiny_model(float *storage, size_t n_storage, bool shared) {
    test_model m = {.dim = 8, .hidden = 12, .n_layers = 2, .n_heads = 2, .n_kv_heads = 1,
                    .vocab = 10, .seq_len = 4, .shared = shared};
    for (size_t i = 0; i < n_storage; i++) storage[i] = (float)((int)(i % 97) - 48) / 16.0f;
    map_v0_layout(&m, storage);
    return m;
}

/* Parses a copy of the first n bytes (heap memory, so aligned and exactly n long). */
static int parse_prefix(const bytes *b, size_t n, lf_error *err) {
    unsigned char *copy = malloc(n ? n : 1);
    memcpy(copy, b->p, n);
    lf_llama2c_file *f = NULL;
    int rc = lf_llama2c_parse(copy, n, "tiny.bin", &f, err);
    lf_llama2c_close(f);
    free(copy);
    return rc;
}

static void test_truncations(void) {
    static float storage[4096];
    for (int shared = 0; shared <= 1; shared++) {
        test_model m = tiny_model(storage, 4096, shared);
        bytes files[3] = {write_v0(&m), write_v1(&m), write_v2(&m, 4)};
        for (int v = 0; v < 3; v++) {
            lf_error err = {0};
            CHECK_MSG(parse_prefix(&files[v], files[v].n, &err) == LF_OK, "v%d: %s", v, err.message);
            int wrong = 0, silent = 0;
            for (size_t n = 0; n < files[v].n; n++) {
                err.message[0] = 0;
                int rc = parse_prefix(&files[v], n, &err);
                wrong += rc != LF_ERR_FORMAT;
                silent += strstr(err.message, "tiny.bin") == NULL;
            }
            CHECK_MSG(wrong == 0 && silent == 0, "v%d: %d truncations accepted, %d without message",
                      v, wrong, silent);
            /* one trailing byte is an error too, reported with both sizes */
            bytes longer = {0};
            put(&longer, files[v].p, files[v].n);
            put(&longer, "", 1);
            CHECK(parse_prefix(&longer, longer.n, &err) == LF_ERR_FORMAT);
            char sizes[64];
            snprintf(sizes, sizeof sizes, "%zu bytes", longer.n);
            CHECK_MSG(strstr(err.message, sizes) != NULL, "%s", err.message);
            free(longer.p);
            free(files[v].p);
        }
    }
}

/* Rewrites one int32 at byte offset off and returns the parse status. */
static int parse_patched(const bytes *b, size_t off, int32_t value, lf_error *err) {
    bytes copy = {0};
    put(&copy, b->p, b->n);
    memcpy(copy.p + off, &value, 4);
    err->message[0] = 0;
    int rc = parse_prefix(&copy, copy.n, err);
    free(copy.p);
    return rc;
}

static void expect_failure(const bytes *b, size_t off, int32_t value, int code, const char *what) {
    lf_error err = {0};
    int rc = parse_patched(b, off, value, &err);
    CHECK_MSG(rc == code && strstr(err.message, "tiny.bin") != NULL,
              "%s: rc %d, message \"%s\"", what, rc, err.message);
}

static void test_hostile_headers(void) {
    static float storage[4096];
    test_model m = tiny_model(storage, 4096, true);
    bytes v0 = write_v0(&m), v1 = write_v1(&m), v2 = write_v2(&m, 4);
    /* v0 params start at byte 0, v1/v2 params at byte 8 */
    const size_t DIM = 0, HIDDEN = 4, LAYERS = 8, HEADS = 12, KV = 16, VOCAB = 20, SEQ = 24;
    expect_failure(&v1, 0, 0x616b3433, LF_ERR_FORMAT, "wrong magic");
    expect_failure(&v1, 4, 3, LF_ERR_UNSUPPORTED, "version 3");
    expect_failure(&v1, 4, 0, LF_ERR_UNSUPPORTED, "version 0 with magic");
    expect_failure(&v2, 4, 1, LF_ERR_FORMAT, "v2 file labelled v1");
    expect_failure(&v0, DIM, 0, LF_ERR_FORMAT, "dim 0");
    expect_failure(&v0, DIM, -8, LF_ERR_FORMAT, "negative dim");
    expect_failure(&v0, DIM, 1 << 30, LF_ERR_FORMAT, "dim 2^30");
    expect_failure(&v0, HIDDEN, INT32_MAX, LF_ERR_FORMAT, "hidden INT32_MAX");
    expect_failure(&v0, LAYERS, 0, LF_ERR_FORMAT, "no layers");
    expect_failure(&v0, LAYERS, 100000, LF_ERR_FORMAT, "100000 layers");
    expect_failure(&v0, HEADS, 3, LF_ERR_FORMAT, "heads not dividing dim");
    expect_failure(&v0, HEADS, 8, LF_ERR_FORMAT, "odd head size");
    expect_failure(&v0, HEADS, 0, LF_ERR_FORMAT, "zero heads");
    expect_failure(&v0, KV, 3, LF_ERR_FORMAT, "kv heads not dividing heads");
    expect_failure(&v0, KV, 0, LF_ERR_FORMAT, "zero kv heads");
    expect_failure(&v0, VOCAB, 0, LF_ERR_FORMAT, "vocab 0");
    expect_failure(&v0, VOCAB, INT32_MIN, LF_ERR_FORMAT, "vocab INT32_MIN");
    expect_failure(&v0, VOCAB, 1 << 25, LF_ERR_FORMAT, "vocab 2^25");
    expect_failure(&v0, VOCAB, 11, LF_ERR_FORMAT, "vocab off by one");
    expect_failure(&v0, SEQ, -1, LF_ERR_FORMAT, "negative seq_len");
    expect_failure(&v1, 8 + VOCAB, -10, LF_ERR_FORMAT, "v1 negative vocab");
    expect_failure(&v2, 37, 0, LF_ERR_FORMAT, "group size 0");
    expect_failure(&v2, 37, 3, LF_ERR_FORMAT, "group size not dividing dim");
    expect_failure(&v2, 37, -4, LF_ERR_FORMAT, "negative group size");
    expect_failure(&v1, 36, 2, LF_ERR_FORMAT, "shared flag 2");

    /* every dimension at its limit: the sizes need more than 32 bits yet must not
     * overflow; the file is reported as truncated with the byte count it would need */
    bytes big = {0};
    put(&big, v0.p, v0.n);
    int32_t huge[7] = {65536, 1 << 20, 1024, 2, 1, 1 << 24, 1 << 24};
    memcpy(big.p, huge, sizeof huge);
    lf_error err = {0};
    CHECK(parse_prefix(&big, big.n, &err) == LF_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "truncated") != NULL, "%s", err.message);
    free(big.p);

    /* unaligned buffers are refused rather than read through misaligned floats */
    unsigned char *shifted = malloc(v1.n + 1);
    memcpy(shifted + 1, v1.p, v1.n);
    lf_llama2c_file *f = NULL;
    CHECK(lf_llama2c_parse(shifted + 1, v1.n, "tiny.bin", &f, &err) == LF_ERR_ARG && f == NULL);
    free(shifted);

    CHECK(lf_llama2c_open("/nonexistent/model.bin", &f, &err) == LF_ERR_IO && f == NULL);
    CHECK(strstr(err.message, "/nonexistent/model.bin") != NULL);
    free(v0.p), free(v1.p), free(v2.p);
}

int main(void) {
    test_stories260k();
    test_truncations();
    test_hostile_headers();
    TEST_MAIN_END();
}
