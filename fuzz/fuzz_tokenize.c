/* libFuzzer target for lf_tokenize on real vocabularies: the fuzz input is the text.
 * Tokenizers are loaded once: the Llama 2 SentencePiece tokenizer.model and the GPT-2
 * vocab GGUF from the shared test data (LF_TEST_DATA, default ../shared/data), and the
 * SmolLM2 model's byte-level BPE vocabulary when models/SmolLM2-135M-Instruct.Q4_1.gguf
 * (or LF_FUZZ_MODEL) exists. Checked on every input, with and without special-token
 * parsing: ids lie in the vocabulary; a call with too little room reports the same count
 * and prefix as one with enough; and byte-level BPE gives back exactly the input when it
 * is valid UTF-8, specials are not parsed and the vocabulary has a piece for every byte of
 * it (SmolLM2's has none for 0x1D, which encoding drops). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_tokenizer_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fuzz_tok {
    lf_tokenizer *tok;
    bool byte_level;     /* detokenizing gives back the exact input bytes */
    bool has_byte[256];  /* the byte alone is one token that detokenizes to itself */
} fuzz_tok;

static fuzz_tok toks[3];
static int n_toks;

static void load(const char *path, bool byte_level, bool required) {
    lf_error err;
    lf_tokenizer *tok = NULL;
    if (lf_tokenizer_load(path, &tok, &err) != LF_OK) {
        fprintf(stderr, "fuzz_tokenize: %s\n", err.message);
        if (required) exit(1);
        return;
    }
    fuzz_tok *ft = &toks[n_toks++];
    *ft = (fuzz_tok){.tok = tok, .byte_level = byte_level};
    for (int b = 0; b < 256; b++) {
        char c = (char)b, back[8];
        int32_t id;
        size_t n = 0;
        ft->has_byte[b] = lf_tokenize(tok, &c, 1, LF_TOKENIZE_NO_BOS, &id, 1, &n, NULL) == LF_OK && n == 1 &&
                          lf_token_to_bytes(tok, id, back, sizeof back) == 1 && back[0] == c;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    const char *data = getenv("LF_TEST_DATA") ? getenv("LF_TEST_DATA") : "../shared/data";
    const char *model = getenv("LF_FUZZ_MODEL") ? getenv("LF_FUZZ_MODEL") : "models/SmolLM2-135M-Instruct.Q4_1.gguf";
    char path[4096];
    snprintf(path, sizeof path, "%s/tokenizers/llama2/tokenizer.model", data);
    load(path, false, true);
    snprintf(path, sizeof path, "%s/vocab/ggml-vocab-gpt-2.gguf", data);
    load(path, true, true);
    FILE *fp = fopen(model, "rb");
    if (fp) {
        fclose(fp);
        load(model, true, false);
    }
    return 0;
}

/* Strict UTF-8: no overlong forms, surrogates or code points above U+10FFFF. */
static bool valid_utf8(const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        size_t k = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (k == 0 || i + k > n) return false;
        uint32_t cp = k == 1 ? c : c & (0x7F >> k);
        for (size_t j = 1; j < k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return false;
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += k;
    }
    return true;
}

static bool every_byte_has_piece(const fuzz_tok *ft, const uint8_t *data, size_t size) {
    for (size_t i = 0; i < size; i++)
        if (!ft->has_byte[data[i]]) return false;
    return true;
}

static void check(const fuzz_tok *ft, const uint8_t *data, size_t size, int flags, bool utf8) {
    size_t n = 0;
    int32_t small[16];
    if (lf_tokenize(ft->tok, (const char *)data, size, flags | LF_TOKENIZE_NO_BOS, small, 16, &n, NULL) != LF_OK)
        return;
    int32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    size_t n2 = 0;
    if (!ids) return;
    if (lf_tokenize(ft->tok, (const char *)data, size, flags | LF_TOKENIZE_NO_BOS, ids, n, &n2, NULL) != LF_OK ||
        n2 != n || memcmp(ids, small, (n < 16 ? n : 16) * sizeof *ids) != 0)
        __builtin_trap();
    size_t cap = 3 * size + 64;
    char *out = malloc(cap);
    if (out) {
        size_t len = fuzz_detokenize(ft->tok, ids, n, out, cap);
        if (ft->byte_level && utf8 && flags == 0 && every_byte_has_piece(ft, data, size) && (len != size || memcmp(out, data, size) != 0)) {
            fprintf(stderr, "byte-level round trip changed the text: %zu bytes in, %zu out\n", size, len);
            __builtin_trap();
        }
        free(out);
    }
    free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bool utf8 = valid_utf8(data, size);
    for (int i = 0; i < n_toks; i++) {
        check(&toks[i], data, size, 0, utf8);
        check(&toks[i], data, size, LF_TOKENIZE_PARSE_SPECIAL, utf8);
    }
    return 0;
}
