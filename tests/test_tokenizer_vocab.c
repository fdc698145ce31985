/* Tokenizer conformance: llama.cpp's vocab test cases (expected ids made by the
 * reference tokenizers, without BOS), SmolLM2 strings whose ids were produced by Hugging
 * Face tokenizers 0.23 from the model's own vocab and merges, and the metadata ids. */
#include <stdint.h>
#include <time.h>

#include "llamafast.h"
#include "test.h"

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static size_t tokenize(const lf_tokenizer *tok, const char *s, size_t len, int flags,
                       int32_t *ids, size_t cap) {
    size_t n = 0;
    lf_error err;
    if (lf_tokenize(tok, s, len, flags, ids, cap, &n, &err) != LF_OK) return SIZE_MAX;
    return n;
}

/* Every case of ggml-vocab-NAME.gguf.inp must give the ids on its line of .out. */
static void check_vocab_cases(const char *name) {
    char path[1024], inp[1100], outp[1100];
    snprintf(path, sizeof path, "%s/vocab/ggml-vocab-%s.gguf", test_data_dir(), name);
    snprintf(inp, sizeof inp, "%s.inp", path);
    snprintf(outp, sizeof outp, "%s.out", path);
    lf_tokenizer *tok = NULL;
    lf_error err;
    int rc = lf_tokenizer_load(path, &tok, &err);
    CHECK_MSG(rc == LF_OK, "%s: %s", path, err.message);
    size_t in_len, out_len;
    char *in = read_file(inp, &in_len), *out = read_file(outp, &out_len);
    CHECK(in && out);
    if (rc != LF_OK || !in || !out) goto done;
    static const char sep[] = "\n__ggml_vocab_test__\n";
    char *line = out;
    int n_cases = 0, n_ok = 0;
    for (size_t pos = 0; pos < in_len;) {
        char *end = memmem(in + pos, in_len - pos, sep, strlen(sep));
        size_t len = end ? (size_t)(end - (in + pos)) : in_len - pos;
        char *eol = strchr(line, '\n');
        CHECK(eol != NULL);
        if (!eol) break;
        *eol = '\0';
        int32_t want[4096], got[4096];
        size_t n_want = 0;
        for (char *p = line, *q; n_want < 4096; p = q) {
            long v = strtol(p, &q, 10);
            if (q == p) break;
            want[n_want++] = (int32_t)v;
        }
        size_t n = tokenize(tok, in + pos, len, LF_TOKENIZE_NO_BOS, got, 4096);
        bool same = n == n_want && memcmp(got, want, n * sizeof *got) == 0;
        CHECK_MSG(same, "%s case %d (%.40s): %zu ids, want %zu", name, n_cases, in + pos, n,
                  n_want);
        n_cases++;
        n_ok += same;
        line = eol + 1;
        pos += len + (end ? strlen(sep) : 0);
    }
    printf("%s: %d/%d cases match\n", name, n_ok, n_cases);
    CHECK(n_cases == 46);
done:
    free(in);
    free(out);
    lf_tokenizer_free(tok);
}

typedef struct id_case {
    const char *text;
    int flags;
    int32_t ids[24];
    size_t n;
} id_case;

static void check_smollm2(void) {
    const char *model = getenv("MODEL") ? getenv("MODEL") : "models/SmolLM2-135M-Instruct.Q4_1.gguf";
    lf_tokenizer *tok = NULL;
    lf_error err;
    clock_t t0 = clock();
    int rc = lf_tokenizer_load(model, &tok, &err);
    double ms = (double)(clock() - t0) * 1000.0 / CLOCKS_PER_SEC;
    CHECK_MSG(rc == LF_OK, "%s: %s", model, err.message);
    if (rc != LF_OK) return;
    printf("SmolLM2 vocabulary (49152 tokens, 48900 merges) loaded in %.1f ms\n", ms);
    CHECK(ms < 2000);
    CHECK(lf_tokenizer_vocab_size(tok) == 49152);
    CHECK(lf_token_bos(tok) == 1 && lf_token_eos(tok) == 2);
    CHECK(lf_token_is_end_of_generation(tok, 2));     /* <|im_end|> */
    CHECK(lf_token_is_end_of_generation(tok, 0));     /* <|endoftext|> */
    CHECK(!lf_token_is_end_of_generation(tok, 1));    /* <|im_start|> */
    CHECK(!lf_token_is_end_of_generation(tok, 19556));
    static const id_case cases[] = {
        {"Hello world", 0, {19556, 905}, 2},
        {"<|im_start|>user\nHello<|im_end|>\n", LF_TOKENIZE_PARSE_SPECIAL,
         {1, 4093, 198, 19556, 2, 198}, 6},
        {" Hello  world!\n\n", 0, {38699, 216, 905, 17, 1116}, 5},
        {"The year 2024 had 366 days.", 0,
         {504, 713, 216, 34, 32, 34, 36, 761, 216, 35, 38, 38, 2009, 30}, 14},
        {"It's 3.14159, isn't it?", 0,
         {1589, 506, 216, 35, 30, 33, 36, 33, 37, 41, 28, 3247, 982, 357, 47}, 15},
        {"na\xc3\xafve caf\xc3\xa9 \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\xa6\x99", 0,
         {3546, 46494, 37366, 216, 18645, 250, 48392, 138, 15107, 116, 243}, 11},
        {"def f(x):\n    return x*2\n", 0,
         {1604, 275, 24, 104, 727, 472, 1003, 1792, 26, 34, 198}, 11},
        {"   leading\ttabs\t\tand  spaces   ", 0,
         {256, 2899, 197, 100, 7366, 197, 197, 397, 216, 5600, 333}, 11},
        {"I'M DON'T we'll 's", 0, {57, 23, 61, 422, 2154, 23, 68, 392, 3060, 637, 99}, 11},
        {"", 0, {0}, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int32_t got[64];
        size_t n = tokenize(tok, cases[i].text, strlen(cases[i].text),
                            cases[i].flags | LF_TOKENIZE_NO_BOS, got, 64);
        CHECK_MSG(n == cases[i].n && memcmp(got, cases[i].ids, n * sizeof *got) == 0,
                  "SmolLM2 case %zu: %zu ids", i, n);
    }
    /* Without PARSE_SPECIAL the marker is plain text, never the control token. */
    int32_t got[64];
    size_t n = tokenize(tok, "<|im_start|>", 12, 0, got, 64);
    CHECK(n > 1 && n != SIZE_MAX);
    for (size_t i = 0; i < n && n != SIZE_MAX; i++) CHECK(got[i] != 1);
    /* add_bos_token is false for SmolLM2; ADD_BOS forces it. */
    n = tokenize(tok, "Hello", 5, 0, got, 64);
    CHECK(n == 1 && got[0] == 19556);
    n = tokenize(tok, "Hello", 5, LF_TOKENIZE_ADD_BOS, got, 64);
    CHECK(n == 2 && got[0] == 1);
    /* A too-small buffer still reports the full count. */
    n = tokenize(tok, "Hello world", 11, 0, got, 1);
    CHECK(n == 2 && got[0] == 19556);
    lf_tokenizer_free(tok);
}

static void check_llama2_files(void) {
    static const char *const files[] = {"tokenizer.model", "tokenizer.bin"};
    for (int i = 0; i < 2; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/tokenizers/llama2/%s", test_data_dir(), files[i]);
        lf_tokenizer *tok = NULL;
        lf_error err;
        int rc = lf_tokenizer_load(path, &tok, &err);
        CHECK_MSG(rc == LF_OK, "%s: %s", path, err.message);
        if (rc != LF_OK) continue;
        CHECK(lf_tokenizer_vocab_size(tok) == 32000);
        CHECK(lf_token_bos(tok) == 1 && lf_token_eos(tok) == 2);
        CHECK(lf_token_is_end_of_generation(tok, 2) && !lf_token_is_end_of_generation(tok, 1));
        int32_t got[8];
        /* sentencepiece: "Hello world" -> [1, 15043, 3186] (BOS by default) */
        size_t n = tokenize(tok, "Hello world", 11, 0, got, 8);
        CHECK(n == 3 && got[0] == 1 && got[1] == 15043 && got[2] == 3186);
        /* <s> is a control token: parsed only on request */
        n = tokenize(tok, "<s>", 3, LF_TOKENIZE_NO_BOS | LF_TOKENIZE_PARSE_SPECIAL, got, 8);
        CHECK(n == 1 && got[0] == 1);
        n = tokenize(tok, "<s>", 3, LF_TOKENIZE_NO_BOS, got, 8);
        CHECK(n == 3 && got[0] == 529);
        char buf[16];
        CHECK(lf_token_to_bytes(tok, 15043, buf, sizeof buf) == 6 && !memcmp(buf, " Hello", 6));
        CHECK(lf_token_to_bytes(tok, 13, buf, sizeof buf) == 1 && buf[0] == '\n');
        CHECK(lf_token_to_bytes(tok, 15043, buf, 2) == 6 && buf[0] == ' ' && buf[1] == 'H');
        CHECK(lf_token_to_bytes(tok, 32000, buf, sizeof buf) == -1);
        CHECK(lf_token_to_bytes(tok, -1, buf, sizeof buf) == -1);
        lf_tokenizer_free(tok);
    }
}

/* Encoding must scale (heap + hash maps, no quadratic rescans): 1 MB of text. */
static void check_speed(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/vocab/ggml-vocab-llama-spm.gguf", test_data_dir());
    lf_tokenizer *tok = NULL;
    lf_error err;
    if (lf_tokenizer_load(path, &tok, &err) != LF_OK) return;
    static const char unit[] = "The quick brown fox, 1234 \xf0\x9f\xa6\x99 jumps\tover\n";
    size_t len = 1 << 20, ul = strlen(unit);
    char *text = malloc(len);
    for (size_t i = 0; i < len; i++) text[i] = unit[i % ul];
    clock_t t0 = clock();
    size_t n = tokenize(tok, text, len, 0, NULL, 0);
    double ms = (double)(clock() - t0) * 1000.0 / CLOCKS_PER_SEC;
    printf("1 MiB encoded into %zu tokens in %.0f ms\n", n, ms);
    CHECK(n > len / 10 && n != SIZE_MAX);
    CHECK(ms < 20000);
    free(text);
    lf_tokenizer_free(tok);
}

int main(void) {
    check_vocab_cases("llama-spm");
    check_vocab_cases("phi-3");
    check_vocab_cases("gpt-2");
    check_smollm2();
    check_llama2_files();
    check_speed();
    TEST_MAIN_END();
}
