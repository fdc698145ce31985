/* What every tokenizer fuzz target does with a tokenizer that loaded: tokenize a fixed
 * text with and without special-token parsing, check every id is in the vocabulary, and
 * stream the ids back through the detokenizer and lf_token_to_bytes. */
#ifndef LF_FUZZ_TOKENIZER_COMMON_H
#define LF_FUZZ_TOKENIZER_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "llamafast.h"

/* Streams ids through the detokenizer into out (NUL-terminated, truncated at cap); returns
 * the length written. Traps on an id outside the vocabulary. */
static inline size_t fuzz_detokenize(const lf_tokenizer *tok, const int32_t *ids, size_t n, char *out, size_t cap) {
    lf_detokenizer d;
    lf_detokenizer_init(&d, tok);
    size_t len = 0;
    char piece[1024];
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= lf_tokenizer_vocab_size(tok)) __builtin_trap();
        int k = lf_detokenizer_push(&d, ids[i], piece, sizeof piece);
        if (k < 0 || (size_t)k >= sizeof piece) __builtin_trap();
        if (len + (size_t)k < cap) memcpy(out + len, piece, (size_t)k), len += (size_t)k;
    }
    int k = lf_detokenizer_flush(&d, piece, sizeof piece);
    if (k < 0 || (size_t)k >= sizeof piece) __builtin_trap();
    if (len + (size_t)k < cap) memcpy(out + len, piece, (size_t)k), len += (size_t)k;
    if (cap) out[len < cap ? len : cap - 1] = 0;
    return len;
}

static inline void fuzz_exercise_tokenizer(const lf_tokenizer *tok) {
    static const char text[] = "Hello world! <|im_start|>user\n\xc3\xa9t\xc3\xa9 \xe2\x96\x81 12345 <s></s> \xf0\x9f\xa6\x99\xff";
    int32_t ids[256];
    char out[2048];
    for (int flags = 0; flags <= LF_TOKENIZE_PARSE_SPECIAL; flags += LF_TOKENIZE_PARSE_SPECIAL) {
        size_t n = 0;
        if (lf_tokenize(tok, text, sizeof text - 1, flags, ids, 256, &n, NULL) == LF_OK)
            fuzz_detokenize(tok, ids, n < 256 ? n : 256, out, sizeof out);
    }
    int32_t vocab = lf_tokenizer_vocab_size(tok);
    if (vocab <= 0) __builtin_trap();
    char buf[16];
    for (int32_t id = 0; id < vocab && id < 4096; id++) {
        int k = lf_token_to_bytes(tok, id, buf, sizeof buf);
        if (k < -1) __builtin_trap();
    }
    if (lf_token_to_bytes(tok, vocab, buf, sizeof buf) != -1 || lf_token_to_bytes(tok, -1, buf, sizeof buf) != -1)
        __builtin_trap();
    (void)lf_token_bos(tok), (void)lf_token_eos(tok), (void)lf_token_is_end_of_generation(tok, 0);
}

#endif
