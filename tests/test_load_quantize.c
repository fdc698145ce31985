/* Weights converted at load (lf_model_params.quantize / .dtype): torchchat's schemes read
 * as block types (every key, the errors each bad scheme gets, the file form), and the
 * converted matrices byte for byte what lf_quantize_row makes of the source rows. */
#include <stdint.h>
#include <unistd.h>

#include "gguf_fixture.h"
#include "model/model.h"
#include "model/quant_scheme.h"
#include "test.h"

static lf_quant_scheme scheme_of(const char *json, int *rc, lf_error *err) {
    lf_quant_scheme s;
    *err = (lf_error){0};
    *rc = lf_quant_scheme_parse(json, &s, err);
    return s;
}

/* The roles' types of a scheme that must parse. */
static void expect(const char *json, int linear, int output, int embedding, int dtype) {
    int rc;
    lf_error err;
    lf_quant_scheme s = scheme_of(json, &rc, &err);
    CHECK_MSG(rc == LF_OK, "%s: %s", json, err.message);
    CHECK_MSG(s.role_type[LF_ROLE_LINEAR] == linear && s.role_type[LF_ROLE_OUTPUT] == output &&
                  s.role_type[LF_ROLE_EMBEDDING] == embedding && s.dtype == dtype,
              "%s: linear %d output %d embedding %d dtype %d", json, s.role_type[LF_ROLE_LINEAR],
              s.role_type[LF_ROLE_OUTPUT], s.role_type[LF_ROLE_EMBEDDING], s.dtype);
}

/* A scheme that must be refused with a message containing each of the words. */
static void refuse(const char *json, const char *word1, const char *word2) {
    int rc;
    lf_error err;
    scheme_of(json, &rc, &err);
    CHECK_MSG(rc != LF_OK, "%s was accepted", json);
    CHECK_MSG(strstr(err.message, word1) && (!word2 || strstr(err.message, word2)), "%s: message '%s' lacks '%s'/'%s'",
              json, err.message, word1, word2 ? word2 : "");
}

#define K LF_TYPE_KEEP
static void test_keys(void) {
    expect("{\"linear:int8\": {\"groupsize\": 0}}", LF_TYPE_Q8_0, LF_TYPE_Q8_0, K, K);
    expect("{\"linear:int8\": {\"bitwidth\": 8, \"groupsize\": 32}}", LF_TYPE_Q8_0, LF_TYPE_Q8_0, K, K);
    expect("{\"linear:int8\": {\"bitwidth\": 4, \"groupsize\": 32}}", LF_TYPE_Q4_0, LF_TYPE_Q4_0, K, K);
    expect("{\"linear:int8\": {\"groupsize\": 0, \"node_type\": \"!output\"}}", LF_TYPE_Q8_0, K, K, K);
    expect("{\"linear:int8\": {\"groupsize\": 0, \"node_type\": \"output\"}}", K, LF_TYPE_Q8_0, K, K);
    expect("{\"linear:int4\": {\"groupsize\": 32}}", LF_TYPE_Q4_0, LF_TYPE_Q4_0, K, K);
    expect("{\"linear:int4\": {\"groupsize\": 32, \"has_weight_zeros\": true}}", LF_TYPE_Q4_1, LF_TYPE_Q4_1, K, K);
    expect("{\"linear:int4\": {\"groupsize\": 256, \"inner_k_tiles\": 8}}", LF_TYPE_Q4_K, LF_TYPE_Q4_K, K, K);
    expect("{\"linear:int4\": {}}", LF_TYPE_Q4_K, LF_TYPE_Q4_K, K, K); /* torchao's default group of 256 */
    expect("{\"linear:a8w4dq\": {\"groupsize\": 32}}", LF_TYPE_Q4_0, LF_TYPE_Q4_0, K, K);
    expect("{\"linear:a8wxdq\": {\"bitwidth\": 5, \"groupsize\": 32, \"has_weight_zeros\": true}}", LF_TYPE_Q5_1,
           LF_TYPE_Q5_1, K, K);
    expect("{\"linear:a8wxdq\": {\"bitwidth\": 5, \"groupsize\": 32}}", LF_TYPE_Q5_0, LF_TYPE_Q5_0, K, K);
    expect("{\"linear:a8wxdq\": {\"bitwidth\": 6, \"groupsize\": 256}}", LF_TYPE_Q6_K, LF_TYPE_Q6_K, K, K);
    expect("{\"linear:a8wxdq\": {\"bitwidth\": 5, \"groupsize\": 256}}", LF_TYPE_Q5_K, LF_TYPE_Q5_K, K, K);
    expect("{\"linear:a8wxdq\": {\"bitwidth\": 3, \"groupsize\": 256}}", LF_TYPE_Q3_K, LF_TYPE_Q3_K, K, K);
    expect("{\"linear:a8wxdq\": {\"bitwidth\": 2, \"groupsize\": 256}}", LF_TYPE_Q2_K, LF_TYPE_Q2_K, K, K);
    expect("{\"embedding\": {\"bitwidth\": 8, \"groupsize\": 0}}", K, K, LF_TYPE_Q8_0, K);
    expect("{\"embedding\": {}}", K, K, LF_TYPE_Q8_0, K);
    expect("{\"embedding\": {\"bitwidth\": 4, \"groupsize\": 32, \"packed\": true}}", K, K, LF_TYPE_Q4_0, K);
    expect("{\"embedding:wx\": {\"bitwidth\": 4, \"groupsize\": 0, \"has_weight_zeros\": true}}", K, K, LF_TYPE_Q4_1, K);
    expect("{\"precision\": {\"dtype\": \"bf16\"}}", K, K, K, LF_TYPE_BF16);
    expect("{\"precision\": {\"dtype\": \"float16\"}, \"executor\": {\"accelerator\": \"cpu\"}}", K, K, K, LF_TYPE_F16);
    expect("{\"linear:int8\": {\"groupsize\": null}}", LF_TYPE_Q8_0, LF_TYPE_Q8_0, K, K);
    expect("  {}", K, K, K, K);
    /* keys apply in order, as torchchat's quantizers do: the first takes the linears */
    expect("{\"linear:int8\": {\"groupsize\": 0}, \"linear:int4\": {\"groupsize\": 32}, "
           "\"embedding\": {\"bitwidth\": 8, \"groupsize\": 0}}",
           LF_TYPE_Q8_0, LF_TYPE_Q8_0, LF_TYPE_Q8_0, K);
    expect("{\"linear:int8\": {\"node_type\": \"!output\"}, \"linear:int4\": {\"groupsize\": 32}}", LF_TYPE_Q8_0,
           LF_TYPE_Q4_0, K, K);
}

static void test_refusals(void) {
    refuse("{", "quantize scheme", NULL);
    refuse("{\"linear:int4\": {'groupsize': 32}}", "quantize scheme", "'");
    refuse("[1, 2]", "[1, 2]", NULL); /* not '{': read as a file name, which does not exist */
    refuse("{\"linear:int3\": {}}", "linear:int3", "linear:int4");
    refuse("{\"linear:gptq\": {\"groupsize\": 32}}", "linear:gptq", "calibration");
    refuse("{\"linear:hqq\": {}}", "linear:hqq", NULL);
    refuse("{\"linear:int4\": {\"groupsiz\": 32}}", "groupsiz", "groupsize");
    refuse("{\"linear:int4\": {\"groupsize\": 64}}", "groupsize", "256 (Q4_K)");
    refuse("{\"linear:int4\": {\"groupsize\": 128}}", "groupsize\" 128", "32 (Q4_0)");
    refuse("{\"linear:int8\": {\"groupsize\": 256}}", "groupsize", "0 (per channel, as Q8_0), 32 (Q8_0)");
    refuse("{\"linear:int4\": {\"groupsize\": -32}}", "groupsize", NULL);
    refuse("{\"linear:int4\": {\"groupsize\": \"32\"}}", "groupsize", NULL);
    refuse("{\"linear:int4\": {\"groupsize\": 1e999}}", "quantize scheme", NULL);
    refuse("{\"linear:int4\": 32}", "linear:int4", "object");
    refuse("{\"linear:int8\": {\"bitwidth\": 5}}", "bitwidth", "4 or 8");
    refuse("{\"embedding\": {\"bitwidth\": 2}}", "bitwidth", NULL);
    refuse("{\"linear:a8wxdq\": {\"bitwidth\": 7, \"groupsize\": 32}}", "7-bit", NULL);
    refuse("{\"linear:a8wxdq\": {\"groupsize\": 32}}", "bitwidth", NULL);
    refuse("{\"linear:a8wxdq\": {\"bitwidth\": 4}}", "groupsize", NULL);
    refuse("{\"linear:a8w4dq\": {\"groupsize\": 32, \"has_weight_zeros\": true}}", "has_weight_zeros", NULL);
    refuse("{\"linear:int4\": {\"has_weight_zeros\": 1}}", "has_weight_zeros", NULL);
    refuse("{\"linear:int8\": {\"node_type\": \"attention\"}}", "node_type", "!output");
    refuse("{\"precision\": {\"dtype\": \"fp64\"}}", "fp64", "bf16");
    refuse("{\"precision\": {}}", "dtype", NULL);
    refuse("{\"executor\": {\"accelerator\": \"cuda\"}}", "accelerator", "CPU");
    refuse("{\"linear:int4\": {\"groupsize\": 32}, \"linear:int4\": {\"groupsize\": 256}}", "quantize scheme", NULL);
    refuse("/nonexistent/scheme.json", "/nonexistent/scheme.json", NULL);
}

static void test_file_and_dtype(void) {
    char path[] = "/tmp/lf_scheme_XXXXXX";
    int fd = mkstemp(path);
    const char *json = "{\n  \"linear:int4\": {\"groupsize\": 32},\n  \"embedding\": {\"bitwidth\": 8}\n}\n";
    CHECK(fd >= 0 && write(fd, json, strlen(json)) == (ssize_t)strlen(json));
    close(fd);
    expect(path, LF_TYPE_Q4_0, LF_TYPE_Q4_0, LF_TYPE_Q8_0, K);
    unlink(path);

    static const struct { const char *name; lf_type type; } dtypes[] = {
        {"f32", LF_TYPE_F32}, {"fp32", LF_TYPE_F32}, {"float32", LF_TYPE_F32}, {"float", LF_TYPE_F32},
        {"f16", LF_TYPE_F16}, {"fp16", LF_TYPE_F16}, {"float16", LF_TYPE_F16}, {"half", LF_TYPE_F16},
        {"bf16", LF_TYPE_BF16}, {"bfloat16", LF_TYPE_BF16},
    };
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++) {
        lf_type t = LF_TYPE_Q4_0;
        CHECK_MSG(lf_dtype_parse(dtypes[i].name, "dtype", &t, NULL) == LF_OK && t == dtypes[i].type, "%s", dtypes[i].name);
    }
    lf_error err = {0};
    lf_type t;
    CHECK(lf_dtype_parse("q4_0", "--dtype", &t, &err) == LF_ERR_ARG && strstr(err.message, "--dtype"));
    lf_quant_scheme s;
    CHECK(lf_quant_scheme_from_params("{\"precision\": {\"dtype\": \"bf16\"}}", "f16", &s, &err) == LF_ERR_ARG &&
          strstr(err.message, "precision"));
    CHECK(lf_quant_scheme_from_params("{\"precision\": {\"dtype\": \"bf16\"}}", "bfloat16", &s, NULL) == LF_OK &&
          s.dtype == LF_TYPE_BF16);
    CHECK(lf_quant_scheme_from_params(NULL, NULL, &s, NULL) == LF_OK && !lf_quant_scheme_active(&s));

    char buf[256];
    CHECK(lf_quantize_scheme_describe("{\"linear:int4\": {\"groupsize\": 32}}", "bf16", buf, sizeof buf, NULL) == LF_OK &&
          strstr(buf, "linear Q4_0") && strstr(buf, "embedding as loaded") && strstr(buf, "BF16"));
    CHECK(lf_quantize_scheme_describe("{\"linear:int4\": {\"groupsize\": 33}}", NULL, buf, sizeof buf, &err) != LF_OK);
    CHECK(strstr(lf_quantize_scheme_table(), "Q4_K") != NULL);

    lf_type out;
    CHECK(lf_quant_row_type(LF_TYPE_Q4_K, 512, &out) && out == LF_TYPE_Q4_K);
    CHECK(lf_quant_row_type(LF_TYPE_Q4_K, 576, &out) && out == LF_TYPE_Q5_0);
    CHECK(lf_quant_row_type(LF_TYPE_Q5_K, 576, &out) && out == LF_TYPE_Q5_1);
    CHECK(lf_quant_row_type(LF_TYPE_Q6_K, 576, &out) && out == LF_TYPE_Q8_0);
    CHECK(lf_quant_row_type(LF_TYPE_Q2_K, 576, &out) && out == LF_TYPE_Q4_0);
    CHECK(lf_quant_row_type(LF_TYPE_Q3_K, 48, &out) && out == LF_TYPE_F16);
    CHECK(!lf_quant_row_type(LF_TYPE_Q4_0, 48, &out));
    CHECK(lf_quant_row_type(LF_TYPE_BF16, 48, &out) && out == LF_TYPE_BF16);
}

/* ------------------------------------------------------------------ conversion */
static char model_path[64];

static void write_model(uint32_t dim, uint32_t hidden) {
    gguf_buf b = {0};
    gw_model gm = gw_model_default();
    gm.dim = dim;
    gm.hidden = hidden;
    gguf_fixture_tiny_model(&b, &gm);
    snprintf(model_path, sizeof model_path, "/tmp/lf_loadq_XXXXXX");
    int fd = mkstemp(model_path);
    close(fd);
    CHECK(gb_write_file(&b, model_path));
    gb_free(&b);
}

static lf_model *load(const char *quantize, const char *dtype, lf_error *err) {
    lf_model_params p = lf_model_default_params();
    p.quantize = quantize;
    p.dtype = dtype;
    p.n_threads = 3;
    lf_model *m = NULL;
    *err = (lf_error){0};
    if (lf_model_load(model_path, &p, &m, err) != LF_OK) return NULL;
    return m;
}

/* Whether w holds exactly lf_quantize_row(w->type) of the rows of src. */
static bool same_as_quantized(const lf_weight *w, const lf_weight *src) {
    float *row = malloc((size_t)src->cols * sizeof *row);
    unsigned char *want = malloc(w->row_bytes);
    bool same = w->rows == src->rows && w->cols == src->cols;
    for (int64_t r = 0; same && r < src->rows; r++) {
        lf_dequantize_row(src->type, (const char *)src->data + (size_t)r * src->row_bytes, row, src->cols);
        same = lf_quantize_row(w->type, row, src->cols, want) &&
               memcmp(want, (const char *)w->data + (size_t)r * w->row_bytes, w->row_bytes) == 0;
    }
    free(row);
    free(want);
    return same;
}

static void test_conversion(void) {
    write_model(64, 128);
    lf_error err;
    lf_model *plain = load(NULL, NULL, &err);
    CHECK_MSG(plain != NULL, "%s", err.message);
    if (!plain) return;
    CHECK(plain->tied_embeddings && plain->tok_embd.type == LF_TYPE_F32 && plain->layers[0].wq.type == LF_TYPE_Q8_0);

    lf_model *m = load("{\"linear:int4\": {\"groupsize\": 32}, \"embedding\": {\"bitwidth\": 8, \"groupsize\": 0}}", NULL, &err);
    CHECK_MSG(m != NULL, "%s", err.message);
    if (m) {
        const lf_layer_weights *L = &m->layers[0], *P = &plain->layers[0];
        const lf_weight *got[] = {&L->wq, &L->wk, &L->wv, &L->wo, &L->ffn_gate, &L->ffn_up, &L->ffn_down};
        const lf_weight *src[] = {&P->wq, &P->wk, &P->wv, &P->wo, &P->ffn_gate, &P->ffn_up, &P->ffn_down};
        for (int i = 0; i < 7; i++)
            CHECK_MSG(got[i]->type == LF_TYPE_Q4_0 && same_as_quantized(got[i], src[i]), "matrix %d", i);
        CHECK(m->tok_embd.type == LF_TYPE_Q8_0 && same_as_quantized(&m->tok_embd, &plain->tok_embd));
        /* tied, but linear:int4 takes the output: it gets a Q4_0 copy of its own */
        CHECK(m->output.type == LF_TYPE_Q4_0 && m->output.data != m->tok_embd.data &&
              same_as_quantized(&m->output, &plain->tok_embd));
        CHECK(L->attn_norm[0] == P->attn_norm[0] && L->attn_norm[1] == P->attn_norm[1]);
        lf_model_info info;
        lf_model_get_info(m, &info);
        CHECK_MSG(!strcmp(info.weight_type, "Q4_0"), "%s", info.weight_type);
        const char *name, *type;
        int64_t dims[4];
        int nd;
        bool found = false;
        for (int i = 0; lf_model_tensor(m, i, &name, &type, dims, &nd); i++)
            if (!strcmp(name, "blk.0.ffn_up.weight")) found = !strcmp(type, "Q4_0");
        CHECK(found);
        lf_model_free(m);
    }

    /* one type for both roles: the tied matrix stays one */
    m = load("{\"linear:int8\": {}, \"embedding\": {}}", NULL, &err);
    CHECK_MSG(m && m->output.data == m->tok_embd.data && m->tok_embd.type == LF_TYPE_Q8_0, "%s", err.message);
    lf_model_free(m);
    /* the output quantized, the table left: the table keeps the file's bytes */
    m = load("{\"linear:int8\": {\"node_type\": \"output\"}}", NULL, &err);
    CHECK_MSG(m && m->output.type == LF_TYPE_Q8_0 && m->tok_embd.type == LF_TYPE_F32 &&
                  m->layers[0].wk.type == LF_TYPE_F32 && same_as_quantized(&m->output, &plain->tok_embd),
              "%s", err.message);
    lf_model_free(m);

    /* --dtype: float matrices only; the Q8_0 one and the norms stay */
    m = load(NULL, "bf16", &err);
    CHECK_MSG(m != NULL, "%s", err.message);
    if (m) {
        CHECK(m->layers[0].wk.type == LF_TYPE_BF16 && same_as_quantized(&m->layers[0].wk, &plain->layers[0].wk));
        CHECK(m->tok_embd.type == LF_TYPE_BF16 && m->output.data == m->tok_embd.data);
        CHECK(m->layers[0].wq.type == LF_TYPE_Q8_0 &&
              !memcmp(m->layers[0].wq.data, plain->layers[0].wq.data, plain->layers[0].wq.row_bytes * 64));
        lf_model_free(m);
    }
    m = load("{\"embedding\": {\"bitwidth\": 8, \"groupsize\": 0}}", "f16", &err);
    CHECK_MSG(m && m->tok_embd.type == LF_TYPE_Q8_0 && m->output.type == LF_TYPE_F16 &&
                  m->layers[0].ffn_down.type == LF_TYPE_F16 && same_as_quantized(&m->output, &plain->tok_embd),
              "%s", err.message);
    lf_model_free(m);

    /* K-quants on rows of 64 fall back as llama.cpp does: Q4_K -> Q5_0 */
    m = load("{\"linear:int4\": {\"groupsize\": 256}}", NULL, &err);
    CHECK_MSG(m && m->layers[0].wk.type == LF_TYPE_Q5_0 && m->layers[0].ffn_down.type == LF_TYPE_Q5_0 &&
                  same_as_quantized(&m->layers[0].ffn_down, &plain->layers[0].ffn_down),
              "%s", err.message);
    lf_model_free(m);

    /* bad schemes: the load fails naming the field */
    CHECK(!load("{\"linear:int4\": {\"groupsize\": 48}}", NULL, &err) && strstr(err.message, "groupsize"));
    CHECK(!load(NULL, "int4", &err) && strstr(err.message, "int4"));
    lf_model_free(plain);
    unlink(model_path);

    /* rows of 48 cannot be Q4_0: refused naming the tensor */
    write_model(32, 48);
    CHECK(!load("{\"linear:int4\": {\"groupsize\": 32}}", NULL, &err) && strstr(err.message, "blk.0.ffn_down.weight") &&
          strstr(err.message, "48"));
    m = load("{\"linear:int4\": {\"groupsize\": 32, \"node_type\": \"!output\"}}", NULL, &err);
    CHECK(!m && strstr(err.message, "node_type")); /* only linear:int8 takes node_type */
    unlink(model_path);
}

typedef struct progress_log {
    int calls, cancel_after;
    uint64_t last_done, last_total;
    bool monotonic;
} progress_log;

static bool on_progress(uint64_t done, uint64_t total, void *user) {
    progress_log *p = user;
    p->monotonic &= done >= p->last_done && done <= total;
    p->last_done = done;
    p->last_total = total;
    return ++p->calls != p->cancel_after;
}

static void test_progress(void) {
    write_model(64, 128);
    lf_model_params p = lf_model_default_params();
    p.quantize = "{\"linear:int8\": {}, \"embedding\": {}}";
    p.progress = on_progress;
    progress_log log = {.monotonic = true};
    p.progress_user = &log;
    lf_model *m = NULL;
    lf_error err = {0};
    CHECK_MSG(lf_model_load(model_path, &p, &m, &err) == LF_OK, "%s", err.message);
    /* the Q8_0 attn_q stays; every other matrix converts (the tied output with the table) */
    uint64_t want = 272 * 64 + 64 * 32 * 2 + 64 * 64 + 128 * 64 * 3;
    CHECK_MSG(log.calls >= 2 && log.monotonic && log.last_done == want && log.last_total == want,
              "calls %d done %llu total %llu", log.calls, (unsigned long long)log.last_done,
              (unsigned long long)log.last_total);
    lf_model_free(m);
    log = (progress_log){.monotonic = true, .cancel_after = 2};
    m = NULL;
    CHECK(lf_model_load(model_path, &p, &m, &err) == LF_ERR_CANCELLED && m == NULL);
    unlink(model_path);
}

/* A weight that is not finite cannot be quantized: the load says which tensor. */
static void test_non_finite(void) {
    gguf_buf b = {0};
    gw_model gm = gw_model_default();
    gm.dim = 64;
    gm.hidden = 128;
    gguf_fixture_tiny_model(&b, &gm);
    float first[2] = {-0.01f, -0.01f + 0.0003f}; /* token_embd.weight is the first tensor, a ramp */
    unsigned char *at = memmem(b.p, b.n, first, sizeof first);
    CHECK(at != NULL);
    if (at) {
        float inf = INFINITY;
        memcpy(at + 4 * 64 * 3 + 8, &inf, 4); /* row 3 */
    }
    snprintf(model_path, sizeof model_path, "/tmp/lf_loadq_XXXXXX");
    int fd = mkstemp(model_path);
    close(fd);
    CHECK(gb_write_file(&b, model_path));
    gb_free(&b);
    lf_error err;
    CHECK(!load("{\"embedding\": {}}", NULL, &err) && strstr(err.message, "token_embd.weight") &&
          strstr(err.message, "row 3"));
    CHECK(!load(NULL, "bf16", &err) && strstr(err.message, "token_embd.weight") && strstr(err.message, "BF16"));
    unlink(model_path);
}

int main(void) {
    test_keys();
    test_refusals();
    test_file_and_dtype();
    test_conversion();
    test_progress();
    test_non_finite();
    TEST_MAIN_END();
}
