/* src/convert's metadata on small hand-built vocabularies, written with gguf_writer and read
 * back with the GGUF tokenizer loader: a byte-level BPE vocabulary (pre-tokenizer name,
 * merges in rank order, "<|x|>" added tokens made control, empty and missing ids padded as
 * "[PADi]", padding id), a SentencePiece one (scores, unused pieces never winning a merge,
 * add_space_prefix), no tokenizer ("none"), and the refusals: a tokenizer larger than the
 * model, a merge whose piece holds a space, an architecture other than llama/mistral.
 * Also convert_rope_freqs_tensor: a tensor exactly when the factors were computed. */
#include <stdint.h>
#include <unistd.h>

#include "convert/model_metadata.h"
#include "convert/rope_freqs.h"
#include "convert/tokenizer_metadata.h"
#include "format/gguf.h"
#include "test.h"
#include "tokenizer/tokenizer.h"

static char tmpdir[] = "/tmp/test_model_metadata_XXXXXX";

static lf_tokenizer *bpe_vocab(bool space_piece) {
    /* ids: 0 "a", 1 "b", 2 "ab", 3 "" (a gap), 4 "<|x|>" user-defined, 5 "abb" (or "a b", which
 * a third merge then uses) */
    static const char *const pieces[] = {"a", "b", "ab", "", "<|x|>", "abb"};
    lf_tokenizer *t = tokenizer_new(TOKENIZER_BPE);
    lf_error err;
    if (!t || tokenizer_reserve(t, 6, "bpe", &err)) return NULL;
    for (int i = 0; i < 6; i++) {
        const char *s = i == 5 && space_piece ? "a b" : pieces[i];
        uint8_t type = i == 3 ? TOKEN_UNUSED : i == 4 ? TOKEN_USER_DEFINED : TOKEN_NORMAL;
        if (tokenizer_add_piece(t, s, strlen(s), 0, type, "bpe", &err)) return NULL;
    }
    piece_map_build(t);
    merge_map_init(&t->merges, 3);
    merge_map_add(&t->merges, 2, 1, 1, 5); /* "ab b" ranked after "a b" */
    merge_map_add(&t->merges, 0, 1, 0, 2);
    if (space_piece) merge_map_add(&t->merges, 5, 1, 2, 5);
    t->pretok = PRETOK_SMOLLM;
    t->bos = 4, t->eos = 4, t->pad = 1;
    return tokenizer_finish(t, NULL, 0, "bpe", &err) ? NULL : t;
}

static lf_tokenizer *spm_vocab(void) {
    static const char *const pieces[] = {"<unk>", "<s>", "</s>", "\xE2\x96\x81", "a", "\xE2\x96\x81\x61", "aa"}; /* "▁a" */
    static const uint8_t types[] = {TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_CONTROL, TOKEN_NORMAL,
                                    TOKEN_NORMAL, TOKEN_NORMAL, TOKEN_UNUSED};
    lf_tokenizer *t = tokenizer_new(TOKENIZER_SPM);
    lf_error err;
    if (!t || tokenizer_reserve(t, 7, "spm", &err)) return NULL;
    for (int i = 0; i < 7; i++)
        if (tokenizer_add_piece(t, pieces[i], strlen(pieces[i]), -(float)i, types[i], "spm", &err)) return NULL;
    t->unk = 0, t->bos = 1, t->eos = 2, t->add_bos = true, t->add_space_prefix = false;
    return tokenizer_finish(t, NULL, 0, "spm", &err) ? NULL : t;
}

/* Writes the tokenizer's keys for a model of n_vocab rows to a GGUF and reopens it. */
static gguf_file *written(const lf_tokenizer *t, int32_t n_vocab, int *rc, lf_error *err) {
    char path[256];
    snprintf(path, sizeof path, "%s/tok.gguf", tmpdir);
    gguf_writer *w = NULL;
    gguf_file *f = NULL;
    *rc = gguf_writer_open(path, &w, err);
    if (!*rc) *rc = convert_write_tokenizer(t, n_vocab, "test-source", w, err);
    if (!*rc) *rc = gguf_writer_finish(w, err);
    gguf_writer_free(w);
    if (!*rc) *rc = gguf_open(path, &f, err);
    return f;
}

static bool str_is(const gguf_file *f, const char *key, const char *want) {
    gguf_string s;
    return gguf_get_str(f, key, &s) && gguf_string_eq(s, want);
}

static bool array_str_is(const gguf_file *f, const char *key, uint64_t i, const char *want) {
    const gguf_kv *kv = gguf_find_kv(f, key);
    return kv && kv->type == GGUF_TYPE_ARRAY && i < kv->arr_count && gguf_string_eq(kv->arr_strings[i], want);
}

static int64_t array_int(const gguf_file *f, const char *key, uint64_t i) {
    const gguf_kv *kv = gguf_find_kv(f, key);
    int64_t v = -999;
    return kv && gguf_array_get_i64(kv, i, &v) ? v : -999;
}

static void test_bpe(void) {
    lf_tokenizer *t = bpe_vocab(false);
    CHECK(t != NULL);
    if (!t) return;
    lf_error err = {0};
    int rc;
    gguf_file *f = written(t, 8, &rc, &err);
    CHECK_MSG(rc == LF_OK && f, "%s", err.message);
    if (f) {
        CHECK(str_is(f, "tokenizer.ggml.model", "gpt2") && str_is(f, "tokenizer.ggml.pre", "smollm"));
        const gguf_kv *tokens = gguf_find_kv(f, "tokenizer.ggml.tokens");
        CHECK(tokens && tokens->arr_count == 8);
        CHECK(array_str_is(f, "tokenizer.ggml.tokens", 2, "ab"));
        CHECK(array_str_is(f, "tokenizer.ggml.tokens", 3, "[PAD3]") && array_int(f, "tokenizer.ggml.token_type", 3) == 5);
        CHECK(array_str_is(f, "tokenizer.ggml.tokens", 7, "[PAD7]") && array_int(f, "tokenizer.ggml.token_type", 7) == 5);
        CHECK(array_int(f, "tokenizer.ggml.token_type", 4) == TOKEN_CONTROL);
        CHECK(array_str_is(f, "tokenizer.ggml.merges", 0, "a b") && array_str_is(f, "tokenizer.ggml.merges", 1, "ab b"));
        CHECK(gguf_find_kv(f, "tokenizer.ggml.scores") == NULL);
        uint32_t pad = 0;
        bool add_space = true;
        CHECK(gguf_get_u32(f, "tokenizer.ggml.padding_token_id", &pad) && pad == 1);
        CHECK(gguf_get_bool(f, "tokenizer.ggml.add_space_prefix", &add_space) && !add_space);
        CHECK(gguf_find_kv(f, "tokenizer.ggml.unknown_token_id") == NULL);
        lf_tokenizer *back = NULL;
        CHECK_MSG(lf_tokenizer_from_gguf(f, &back, &err) == LF_OK, "%s", err.message);
        if (back) {
            int32_t ids[8];
            size_t n = 0;
            CHECK(lf_tokenize(back, "abb", 3, LF_TOKENIZE_NO_BOS, ids, 8, &n, &err) == LF_OK && n == 1 && ids[0] == 5);
            CHECK(back->pretok == PRETOK_SMOLLM && back->pad == 1);
        }
        lf_tokenizer_free(back);
        gguf_close(f);
    }
    /* the model must have a row for every token */
    f = written(t, 5, &rc, &err);
    CHECK_MSG(rc == LF_ERR_FORMAT && strstr(err.message, "test-source") && strstr(err.message, "6 tokens"), "%s",
              err.message);
    gguf_close(f);
    lf_tokenizer_free(t);
    t = bpe_vocab(true);
    f = written(t, 6, &rc, &err);
    CHECK_MSG(rc == LF_ERR_UNSUPPORTED && strstr(err.message, "space"), "%s", err.message);
    gguf_close(f);
    lf_tokenizer_free(t);
}

static void test_spm(void) {
    lf_tokenizer *t = spm_vocab();
    CHECK(t != NULL);
    if (!t) return;
    lf_error err = {0};
    int rc;
    gguf_file *f = written(t, 7, &rc, &err);
    CHECK_MSG(rc == LF_OK && f, "%s", err.message);
    if (f) {
        CHECK(str_is(f, "tokenizer.ggml.model", "llama") && str_is(f, "tokenizer.ggml.pre", "default"));
        const gguf_kv *scores = gguf_find_kv(f, "tokenizer.ggml.scores");
        double s4 = 0, s6 = 0;
        CHECK(scores && gguf_array_get_f64(scores, 4, &s4) && s4 == -4.0);
        CHECK(scores && gguf_array_get_f64(scores, 6, &s6) && s6 <= -1e8); /* unused: last in any merge */
        CHECK(gguf_find_kv(f, "tokenizer.ggml.merges") == NULL);
        uint32_t unk = 9;
        bool add_bos = false, add_space = true;
        CHECK(gguf_get_u32(f, "tokenizer.ggml.unknown_token_id", &unk) && unk == 0);
        CHECK(gguf_get_bool(f, "tokenizer.ggml.add_bos_token", &add_bos) && add_bos);
        CHECK(gguf_get_bool(f, "tokenizer.ggml.add_space_prefix", &add_space) && !add_space);
        lf_tokenizer *back = NULL;
        CHECK_MSG(lf_tokenizer_from_gguf(f, &back, &err) == LF_OK, "%s", err.message);
        if (back) {
            int32_t ids[8];
            size_t n = 0;
            CHECK(lf_tokenize(back, "a a", 3, 0, ids, 8, &n, &err) == LF_OK && n == 3 && ids[0] == 1 && ids[1] == 4 &&
                  ids[2] == 5);
        }
        lf_tokenizer_free(back);
        gguf_close(f);
    }
    lf_tokenizer_free(t);
    f = written(NULL, 7, &rc, &err);
    CHECK(rc == LF_OK && f && str_is(f, "tokenizer.ggml.model", "none") && !gguf_find_kv(f, "tokenizer.ggml.tokens"));
    gguf_close(f);
}

static void test_model(void) {
    float factors[4] = {1, 2, 4, 8};
    lf_tensor_view views[1] = {{.name = "token_embd.weight"}};
    lf_model m = {.cfg = {.rope_dim = 8}, .tensors = views, .n_tensors = 1, .name = "m", .architecture = "gpt2"};
    lf_tensor_view v;
    CHECK(!convert_rope_freqs_tensor(&m, &v));
    m.rope_freq_factors = factors;
    CHECK(convert_rope_freqs_tensor(&m, &v) && !strcmp(v.name, "rope_freqs.weight") && v.ne[0] == 4 && v.n_dims == 1 &&
          v.type == LF_TYPE_F32 && v.nbytes == 16 && v.data == factors);
    snprintf(views[0].name, sizeof views[0].name, "rope_freqs.weight"); /* a GGUF source carries it already */
    CHECK(!convert_rope_freqs_tensor(&m, &v));
    char path[256];
    snprintf(path, sizeof path, "%s/model.gguf", tmpdir);
    gguf_writer *w = NULL;
    lf_error err = {0};
    CHECK(gguf_writer_open(path, &w, &err) == LF_OK);
    CHECK(convert_write_model_metadata(&m, w, &err) == LF_ERR_UNSUPPORTED && strstr(err.message, "'gpt2'"));
    gguf_writer_free(w);
}

int main(void) {
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_bpe();
    test_spm();
    test_model();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    TEST_MAIN_END();
}
