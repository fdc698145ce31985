/* Tokenizer and model metadata that used to be dropped with a warning (or silently) is
 * refused with the file, key and value: special-token ids outside the vocabulary (every
 * tokenizer.ggml.*_token_id of a GGUF; tokenizer_config.json texts, config.json ids and
 * tokenizer.json's unk_token of a Hugging Face directory), malformed merges (GGUF
 * tokenizer.ggml.merges, tokenizer.json model.merges), a GGUF context_length that is 0,
 * negative, above 2^24 or not an integer. An unknown tokenizer.ggml.pre still loads, with
 * a warning through the log callback that names the file. */
#include <jansson.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gguf_fixture.h"
#include "llamafast.h"
#include "test.h"

static char tmpdir[] = "/tmp/test_tokenizer_metadata_XXXXXX";

/* ------------------------------------------------------------------ GGUF */

#define N_VOCAB 262 /* 256 byte pieces, 5 words, <|endoftext|> */

/* An extra metadata key of the test's choosing. */
typedef struct extra_kv {
    const char *key;
    uint32_t type; /* GW_UINT32, GW_INT32, GW_UINT64 or GW_STRING */
    uint64_t value;
} extra_kv;

/* A tokenizer-only GGUF: GPT-2-style vocabulary with the given pre-tokenizer and merges,
 * and at most one extra key. */
static void write_vocab(const char *path, const char *pre, const char *const *merges, int n_merges,
                        const extra_kv *extra) {
    static const char *words[] = {"he", "ll", "\xc4\xa0h", "\xc4\xa0he", "llo"};
    gguf_buf b = {0};
    gb_header(&b, 3, 0, 5 + (extra != NULL));
    gb_kv_str(&b, "tokenizer.ggml.model", "gpt2");
    gb_kv_str(&b, "tokenizer.ggml.pre", pre);
    gb_kv_array(&b, "tokenizer.ggml.tokens", GW_STRING, N_VOCAB);
    char piece[3];
    for (unsigned c = 0; c < 256; c++) gw_bpe_byte_piece(c, piece), gb_str(&b, piece);
    for (int i = 0; i < 5; i++) gb_str(&b, words[i]);
    gb_str(&b, "<|endoftext|>");
    gb_kv_array(&b, "tokenizer.ggml.merges", GW_STRING, (uint64_t)n_merges);
    for (int i = 0; i < n_merges; i++) gb_str(&b, merges[i]);
    gb_kv_u32(&b, "tokenizer.ggml.eos_token_id", N_VOCAB - 1);
    if (extra) {
        gb_key(&b, extra->key, extra->type);
        if (extra->type == GW_STRING) gb_str(&b, "1");
        else if (extra->type == GW_UINT64) gb_u64(&b, extra->value);
        else gb_u32(&b, (uint32_t)extra->value);
    }
    CHECK(gb_write_file(&b, path));
    gb_free(&b);
}

static const char *const good_merges[] = {"h e", "l l", "\xc4\xa0 h", "\xc4\xa0h e", "ll o"};

static char warnings[2048];
static void record_warning(lf_log_level level, const char *message, void *user) {
    (void)user;
    size_t n = strlen(warnings);
    if (level >= LF_LOG_WARN) snprintf(warnings + n, sizeof warnings - n, "%s\n", message);
}

/* Loads path as a tokenizer: OK when want is NULL, else a format error whose message has
 * the path and want. */
static void expect_tokenizer(const char *path, const char *want) {
    lf_tokenizer *tok = NULL;
    lf_error err = {0};
    int rc = lf_tokenizer_load(path, &tok, &err);
    if (!want) {
        CHECK_MSG(rc == LF_OK && tok, "%s: %s", path, err.message);
    } else {
        CHECK_MSG(rc == LF_ERR_FORMAT && !tok, "%s: rc %d, want an error with '%s'", path, rc, want);
        CHECK_MSG(strstr(err.message, path) && strstr(err.message, want), "%s: message '%s' lacks '%s'", path,
                  err.message, want);
    }
    lf_tokenizer_free(tok);
}

static void gguf_path(char *out, size_t cap, const char *file) { snprintf(out, cap, "%s/%s", tmpdir, file); }

static void test_gguf_special_ids(void) {
    char path[256];
    gguf_path(path, sizeof path, "good.gguf");
    write_vocab(path, "gpt2", good_merges, 5, NULL);
    expect_tokenizer(path, NULL);
    struct { const char *file; extra_kv kv; const char *want; } cases[] = {
        {"bos.gguf", {"tokenizer.ggml.bos_token_id", GW_UINT32, N_VOCAB},
         "tokenizer.ggml.bos_token_id 262 is not a token id of the vocabulary (ids 0..261)"},
        {"bos_max.gguf", {"tokenizer.ggml.bos_token_id", GW_UINT32, 0xFFFFFFFFu}, "bos_token_id 4294967295"},
        {"unk.gguf", {"tokenizer.ggml.unknown_token_id", GW_UINT32, 100000}, "unknown_token_id 100000"},
        {"pad.gguf", {"tokenizer.ggml.padding_token_id", GW_UINT32, 5000}, "padding_token_id 5000"},
        {"eot.gguf", {"tokenizer.ggml.eot_token_id", GW_UINT32, N_VOCAB + 1}, "eot_token_id 263"},
        {"eom.gguf", {"tokenizer.ggml.eom_token_id", GW_UINT64, 1ull << 40}, "eom_token_id 1099511627776"},
        {"sep_negative.gguf", {"tokenizer.ggml.seperator_token_id", GW_INT32, (uint32_t)-1}, "seperator_token_id -1"},
        {"bos_string.gguf", {"tokenizer.ggml.bos_token_id", GW_STRING, 0}, "tokenizer.ggml.bos_token_id \"1\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gguf_path(path, sizeof path, cases[i].file);
        write_vocab(path, "gpt2", good_merges, 5, &cases[i].kv);
        expect_tokenizer(path, cases[i].want);
    }
    /* the largest id is fine */
    gguf_path(path, sizeof path, "bos_last.gguf");
    write_vocab(path, "gpt2", good_merges, 5, &(extra_kv){"tokenizer.ggml.bos_token_id", GW_UINT32, N_VOCAB - 1});
    expect_tokenizer(path, NULL);
}

static void test_gguf_merges(void) {
    struct { const char *merge, *want; } cases[] = {
        {"he", "tokenizer.ggml.merges[2] \"he\": is not two pieces separated by one space"},
        {"h  e", "merges[2] \"h  e\": is not two pieces"},
        {"h e l", "is not two pieces"},
        {" h", "is not two pieces"},
        {"h ", "is not two pieces"},
        {"", "merges[2] \"\""},
        {"hex l", "merges[2] \"hex l\": its left piece is not in the vocabulary"},
        {"l lx", "its right piece is not in the vocabulary"},
        {"he ll", "merges[2] \"he ll\": the pieces join into a text that is not in the vocabulary"},
    };
    char path[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *merges[] = {"h e", "l l", cases[i].merge, "ll o"};
        snprintf(path, sizeof path, "%s/merge%zu.gguf", tmpdir, i);
        write_vocab(path, "gpt2", merges, 4, NULL);
        expect_tokenizer(path, cases[i].want);
    }
}

static void test_gguf_unknown_pre(void) {
    char path[256];
    gguf_path(path, sizeof path, "pre.gguf");
    write_vocab(path, "no-such-pre", good_merges, 5, NULL);
    warnings[0] = 0;
    lf_set_log_callback(record_warning, NULL);
    expect_tokenizer(path, NULL);
    lf_set_log_callback(NULL, NULL);
    char want[512];
    snprintf(want, sizeof want, "%s: tokenizer.ggml.pre \"no-such-pre\" is unknown", path);
    CHECK_MSG(strstr(warnings, want), "warnings '%s' lack '%s'", warnings, want);
    /* a known one warns about nothing */
    gguf_path(path, sizeof path, "pre_known.gguf");
    write_vocab(path, "llama-bpe", good_merges, 5, NULL);
    warnings[0] = 0;
    lf_set_log_callback(record_warning, NULL);
    expect_tokenizer(path, NULL);
    lf_set_log_callback(NULL, NULL);
    CHECK_MSG(warnings[0] == 0, "warnings '%s'", warnings);
}

/* A tiny model with context_length written as given: refused with the value, or loaded. */
static void context_case(const char *file, uint32_t type, uint64_t value, const char *want, int want_ctx) {
    gw_model m = gw_model_default();
    m.has_ctx = true, m.ctx_type = type, m.ctx_value = value;
    char path[256];
    gguf_path(path, sizeof path, file);
    gguf_buf b = {0};
    gguf_fixture_tiny_model(&b, &m);
    CHECK(gb_write_file(&b, path));
    gb_free(&b);
    lf_model *model = NULL;
    lf_error err = {0};
    int rc = lf_model_load(path, NULL, &model, &err);
    if (want) {
        CHECK_MSG(rc == LF_ERR_FORMAT && !model && strstr(err.message, path) && strstr(err.message, want),
                  "%s: rc %d '%s' lacks '%s'", file, rc, err.message, want);
    } else {
        lf_model_info info = {0};
        if (model) lf_model_get_info(model, &info);
        CHECK_MSG(rc == LF_OK && info.context_length == want_ctx, "%s: rc %d ctx %d: %s", file, rc,
                  info.context_length, err.message);
    }
    lf_model_free(model);
}

static void test_context_length(void) {
    context_case("ctx_4096.gguf", GW_UINT32, 4096, NULL, 4096);
    context_case("ctx_max.gguf", GW_UINT32, 1u << 24, NULL, 1 << 24);
    context_case("ctx_0.gguf", GW_UINT32, 0, "llama.context_length 0 is not a context length", 0);
    context_case("ctx_2_31.gguf", GW_UINT32, 1u << 31, "llama.context_length 2147483648", 0);
    context_case("ctx_2_30_plus.gguf", GW_UINT32, (1u << 30) + 1, "llama.context_length 1073741825", 0);
    context_case("ctx_2_24_plus.gguf", GW_UINT32, (1u << 24) + 1, "llama.context_length 16777217", 0);
    context_case("ctx_negative.gguf", GW_INT32, (uint32_t)-5, "llama.context_length -5", 0);
    context_case("ctx_u64.gguf", GW_UINT64, 1ull << 40, "llama.context_length 1099511627776", 0);
    context_case("ctx_string.gguf", GW_STRING, 0, "llama.context_length \"4096\"", 0);
    /* no key: the 2048 early converters meant */
    gw_model m = gw_model_default();
    char path[256];
    gguf_path(path, sizeof path, "ctx_none.gguf");
    gguf_buf b = {0};
    gguf_fixture_tiny_model(&b, &m);
    CHECK(gb_write_file(&b, path));
    gb_free(&b);
    lf_model *model = NULL;
    lf_error err = {0};
    CHECK_MSG(lf_model_load(path, NULL, &model, &err) == LF_OK, "%s", err.message);
    lf_model_info info = {0};
    if (model) lf_model_get_info(model, &info);
    CHECK(info.context_length == 2048);
    lf_model_free(model);
}

/* ---------------------------------------------------------- Hugging Face directory */

/* dir/tokenizer.json: byte-level BPE over the same vocabulary as write_vocab, with the
 * given merges (a JSON array text) and unk_token (NULL: none). */
static void write_tokenizer_json(const char *dir, const char *merges_json, const char *unk) {
    json_t *vocab = json_object();
    char piece[3];
    for (unsigned c = 0; c < 256; c++) gw_bpe_byte_piece(c, piece), json_object_set_new(vocab, piece, json_integer(c));
    static const char *words[] = {"he", "ll", "\xc4\xa0h", "\xc4\xa0he", "llo"};
    for (int i = 0; i < 5; i++) json_object_set_new(vocab, words[i], json_integer(256 + i));
    json_t *added = json_pack("[{s:i, s:s, s:b}]", "id", N_VOCAB - 1, "content", "<|endoftext|>", "special", 1);
    json_t *model = json_pack("{s:s, s:o, s:o}", "type", "BPE", "vocab", vocab, "merges",
                              json_loads(merges_json, 0, NULL));
    if (unk) json_object_set_new(model, "unk_token", json_string(unk));
    json_t *root = json_pack("{s:o, s:o, s:{s:s, s:b}, s:{s:s}}", "added_tokens", added, "model", model,
                             "pre_tokenizer", "type", "ByteLevel", "add_prefix_space", 0, "decoder", "type",
                             "ByteLevel");
    char path[512];
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    CHECK(root && json_dump_file(root, path, 0) == 0);
    json_decref(root);
}

static void write_text(const char *dir, const char *file, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *fp = fopen(path, "w");
    CHECK(fp && fputs(text, fp) >= 0);
    if (fp) fclose(fp);
}

/* A fresh directory for one case; returns its path in out. */
static void case_dir(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/%s", tmpdir, name);
    CHECK(mkdir(out, 0755) == 0);
}

static const char good_merges_json[] = "[\"h e\", \"l l\", \"\xc4\xa0 h\", [\"\xc4\xa0h\", \"e\"], \"ll o\"]";

/* The tokenizer of a directory must fail naming dir/file and want. */
static void expect_dir(const char *dir, const char *file, const char *want) {
    lf_tokenizer *tok = NULL;
    lf_error err = {0};
    int rc = lf_tokenizer_load(dir, &tok, &err);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (!want) {
        CHECK_MSG(rc == LF_OK && tok, "%s: %s", dir, err.message);
    } else {
        CHECK_MSG(rc == LF_ERR_FORMAT && !tok && strstr(err.message, path) && strstr(err.message, want),
                  "%s: rc %d, message '%s' lacks '%s' or '%s'", dir, rc, err.message, path, want);
    }
    lf_tokenizer_free(tok);
}

static void test_hf(void) {
    char dir[512];
    case_dir(dir, sizeof dir, "hf_good");
    write_tokenizer_json(dir, good_merges_json, NULL);
    write_text(dir, "tokenizer_config.json", "{\"bos_token\": \"<|endoftext|>\", \"eos_token\": \"<|endoftext|>\"}");
    write_text(dir, "config.json", "{\"bos_token_id\": 261, \"eos_token_id\": [261, 0]}");
    expect_dir(dir, "tokenizer.json", NULL);

    struct { const char *name, *merges; const char *want; } merge_cases[] = {
        {"hf_merge_one_piece", "[\"h e\", \"he\"]", "model.merges[1] \"he\": is not two pieces"},
        {"hf_merge_three", "[\"h e\", [\"l\", \"l\", \"o\"]]", "model.merges[1] [\"l\",\"l\",\"o\"]: is not two pieces"},
        {"hf_merge_number", "[\"h e\", 5]", "model.merges[1] 5: is not two pieces"},
        {"hf_merge_unknown", "[\"h e\", \"q zz\"]", "model.merges[1] \"q zz\": its right piece is not in the vocabulary"},
        {"hf_merge_join", "[[\"he\", \"ll\"]]", "model.merges[0] [\"he\",\"ll\"]: the pieces join into a text"},
    };
    for (size_t i = 0; i < sizeof merge_cases / sizeof merge_cases[0]; i++) {
        case_dir(dir, sizeof dir, merge_cases[i].name);
        write_tokenizer_json(dir, merge_cases[i].merges, NULL);
        expect_dir(dir, "tokenizer.json", merge_cases[i].want);
    }

    case_dir(dir, sizeof dir, "hf_unk");
    write_tokenizer_json(dir, good_merges_json, "<unk>");
    expect_dir(dir, "tokenizer.json", "model.unk_token \"<unk>\" is not in the vocabulary");

    struct { const char *name, *file, *text, *want; } special_cases[] = {
        {"hf_bos_text", "tokenizer_config.json", "{\"bos_token\": \"<s>\"}", "bos_token \"<s>\" is not in the vocabulary"},
        {"hf_eos_text", "tokenizer_config.json", "{\"eos_token\": {\"content\": \"</s>\"}}", "eos_token \"</s>\""},
        {"hf_bos_id", "config.json", "{\"bos_token_id\": 262}", "bos_token_id 262 is outside the vocabulary (ids 0..261)"},
        {"hf_eos_id", "config.json", "{\"eos_token_id\": 99999}", "eos_token_id 99999 is outside the vocabulary"},
        {"hf_eos_list", "generation_config.json", "{\"eos_token_id\": [261, 300]}", "eos_token_id 300"},
    };
    for (size_t i = 0; i < sizeof special_cases / sizeof special_cases[0]; i++) {
        case_dir(dir, sizeof dir, special_cases[i].name);
        write_tokenizer_json(dir, good_merges_json, NULL);
        write_text(dir, special_cases[i].file, special_cases[i].text);
        expect_dir(dir, special_cases[i].file, special_cases[i].want);
    }
}

int main(void) {
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_gguf_special_ids();
    test_gguf_merges();
    test_gguf_unknown_pre();
    test_context_length();
    test_hf();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", tmpdir);
    TEST_MAIN_END();
}
