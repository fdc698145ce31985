/* Streaming detokenizer: decode(encode(s)) == s on a hand-written and a seeded random
 * corpus for SentencePiece (tokenizer.model), GPT-2 and SmolLM2 vocabularies; a
 * multi-byte character split over byte tokens is held back until complete. */
#include <stdint.h>

#include "llamafast.h"
#include "test.h"

static const char *const corpus[] = {
    "Hello world", " Hello world", "  two leading", "trailing  ", "\t tab\n newline\r\n",
    "na\xc3\xafve caf\xc3\xa9", "\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe4\xb8\x96\xe7\x95\x8c",
    "\xf0\x9f\xa6\x99 llama \xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7",
    "int main(void) { return 0; }\n", "3.14159 2,000", "'quoted' \"double\"", " ", "x",
    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "\xef\xbd\x86\xef\xbd\x95\xef\xbd\x8c\xef\xbd\x8c",
};

/* Random strings of code points from mixed scripts (xorshift, fixed seed). */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint32_t next_random(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static size_t put_utf8(uint32_t cp, char *out) {
    if (cp < 0x80) return out[0] = (char)cp, 1;
    if (cp < 0x800) return out[0] = (char)(0xC0 | cp >> 6), out[1] = (char)(0x80 | (cp & 63)), 2;
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 63));
        out[2] = (char)(0x80 | (cp & 63));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 63));
    out[2] = (char)(0x80 | (cp >> 6 & 63));
    out[3] = (char)(0x80 | (cp & 63));
    return 4;
}

static size_t random_text(char *out) {
    static const uint32_t bases[] = {0x20, 0x61, 0x30, 0xE0, 0x4E00, 0x3040, 0x0410, 0x1F600, 0x0A};
    static const uint32_t spans[] = {1, 26, 10, 32, 200, 80, 64, 64, 1};
    size_t n = 0, len = 1 + next_random() % 40;
    for (size_t i = 0; i < len; i++) {
        size_t k = next_random() % 9;
        n += put_utf8(bases[k] + next_random() % spans[k], out + n);
    }
    out[n] = '\0';
    return n;
}

/* Encodes without BOS, decodes token by token, and compares. */
static bool round_trips(const lf_tokenizer *tok, const char *s, size_t len) {
    int32_t ids[1024];
    size_t n = 0;
    if (lf_tokenize(tok, s, len, LF_TOKENIZE_NO_BOS, ids, 1024, &n, NULL) != LF_OK || n > 1024)
        return false;
    char text[8192], piece[256];
    size_t used = 0;
    lf_detokenizer d;
    lf_detokenizer_init(&d, tok);
    for (size_t i = 0; i <= n; i++) {
        int k = i < n ? lf_detokenizer_push(&d, ids[i], piece, sizeof piece)
                      : lf_detokenizer_flush(&d, piece, sizeof piece);
        if (k < 0 || used + (size_t)k >= sizeof text) return false;
        memcpy(text + used, piece, (size_t)k);
        used += (size_t)k;
    }
    return used == len && memcmp(text, s, len) == 0;
}

static void check_round_trips(const char *path) {
    lf_tokenizer *tok = NULL;
    lf_error err;
    int rc = lf_tokenizer_load(path, &tok, &err);
    CHECK_MSG(rc == LF_OK, "%s: %s", path, err.message);
    if (rc != LF_OK) return;
    int ok = 0, total = 0;
    for (size_t i = 0; i < sizeof corpus / sizeof *corpus; i++, total++) {
        bool same = round_trips(tok, corpus[i], strlen(corpus[i]));
        CHECK_MSG(same, "%s: round trip of \"%s\"", path, corpus[i]);
        ok += same;
    }
    rng_state = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 200; i++, total++) {
        char s[256];
        size_t n = random_text(s);
        bool same = round_trips(tok, s, n);
        CHECK_MSG(same, "%s: round trip of random string %d \"%s\"", path, i, s);
        ok += same;
    }
    printf("%s: %d/%d round trips\n", path, ok, total);
    lf_tokenizer_free(tok);
}

/* "🦙" = F0 9F A6 99 is four byte tokens in Llama 2 (<0xF0> = id 243, …). */
static void check_streaming(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/tokenizers/llama2/tokenizer.model", test_data_dir());
    lf_tokenizer *tok = NULL;
    if (lf_tokenizer_load(path, &tok, NULL) != LF_OK) {
        CHECK(!"tokenizer.model loads");
        return;
    }
    static const int32_t llama_ids[] = {1, 29871, 243, 162, 169, 156}; /* BOS "▁" F0 9F A6 99 */
    lf_detokenizer d;
    lf_detokenizer_init(&d, tok);
    char out[64];
    CHECK(lf_detokenizer_push(&d, llama_ids[0], out, sizeof out) == 0);  /* BOS prints nothing */
    CHECK(lf_detokenizer_push(&d, llama_ids[1], out, sizeof out) == 0);  /* the dummy prefix */
    CHECK(lf_detokenizer_push(&d, llama_ids[2], out, sizeof out) == 0 && out[0] == '\0');
    CHECK(lf_detokenizer_push(&d, llama_ids[3], out, sizeof out) == 0);
    CHECK(lf_detokenizer_push(&d, llama_ids[4], out, sizeof out) == 0);
    CHECK(lf_detokenizer_push(&d, llama_ids[5], out, sizeof out) == 4 &&
          memcmp(out, "\xf0\x9f\xa6\x99", 5) == 0);
    /* A later word keeps its space; the dummy prefix is dropped only at the start. */
    CHECK(lf_detokenizer_push(&d, 15043, out, sizeof out) == 6 && !strcmp(out, " Hello"));
    /* An incomplete character at the end of the stream becomes U+FFFD on flush. */
    CHECK(lf_detokenizer_push(&d, 243, out, sizeof out) == 0);
    CHECK(lf_detokenizer_flush(&d, out, sizeof out) == 3 && !strcmp(out, "\xef\xbf\xbd"));
    CHECK(lf_detokenizer_flush(&d, out, sizeof out) == 0);
    /* A stray continuation byte is replaced at once. */
    CHECK(lf_detokenizer_push(&d, 162, out, sizeof out) == 3 && !strcmp(out, "\xef\xbf\xbd"));
    /* Sentencepiece decodes [15043, 3186] as "Hello world". */
    lf_detokenizer_init(&d, tok);
    CHECK(lf_detokenizer_push(&d, 15043, out, sizeof out) == 5 && !strcmp(out, "Hello"));
    CHECK(lf_detokenizer_push(&d, 3186, out, sizeof out) == 6 && !strcmp(out, " world"));
    lf_tokenizer_free(tok);
}

int main(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/tokenizers/llama2/tokenizer.model", test_data_dir());
    check_round_trips(path);
    snprintf(path, sizeof path, "%s/tokenizers/llama2/tokenizer.bin", test_data_dir());
    check_round_trips(path);
    snprintf(path, sizeof path, "%s/vocab/ggml-vocab-gpt-2.gguf", test_data_dir());
    check_round_trips(path);
    const char *model = getenv("MODEL") ? getenv("MODEL") : "models/SmolLM2-135M-Instruct.Q4_1.gguf";
    check_round_trips(model);
    check_streaming();
    TEST_MAIN_END();
}
