/* lf_token_to_bytes: the bytes a token stands for in text. */
#include <string.h>

#include "tokenizer/tokenizer_internal.h"
#include "tokenizer/unicode_internal.h"

/* Copies what fits and counts everything. */
typedef struct byte_sink {
    char *buf;
    size_t cap, n;
} byte_sink;

static void sink_put(byte_sink *s, const void *p, size_t n) {
    for (size_t i = 0; i < n; i++, s->n++)
        if (s->n < s->cap) s->buf[s->n] = ((const char *)p)[i];
}

/* SentencePiece pieces: "▁" is a space. */
static void spm_piece_bytes(const char *p, uint32_t len, byte_sink *s) {
    for (uint32_t i = 0; i < len;) {
        if (len - i >= 3 && memcmp(p + i, "\xE2\x96\x81", 3) == 0) {
            sink_put(s, " ", 1);
            i += 3;
        } else {
            sink_put(s, p + i, 1);
            i++;
        }
    }
}

/* Byte-level pieces: each character stands for one byte (characters outside the
 * mapping, which a well-formed vocabulary lacks, are copied as they are). */
static void bpe_piece_bytes(const char *p, uint32_t len, byte_sink *s) {
    for (uint32_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8_decode((const unsigned char *)p + i, len - i, &cp);
        int b = codepoint_to_byte(cp);
        if (b >= 0) {
            unsigned char c = (unsigned char)b;
            sink_put(s, &c, 1);
        } else {
            sink_put(s, p + i, n);
        }
        i += (uint32_t)n;
    }
}

int lf_token_to_bytes(const lf_tokenizer *tok, int32_t id, char *buf, size_t cap) {
    if (!tok || id < 0 || id >= tok->n_vocab || (!buf && cap)) return -1;
    byte_sink s = {buf, cap, 0};
    const char *p = piece_text(tok, id);
    uint32_t len = piece_len(tok, id);
    uint8_t type = tok->types[id];
    int byte = type == TOKEN_BYTE ? tokenizer_parse_byte_piece(tok, id) : -1;
    if (byte >= 0) {
        unsigned char c = (unsigned char)byte;
        sink_put(&s, &c, 1);
    } else if (type == TOKEN_CONTROL || (type == TOKEN_USER_DEFINED && tok->kind == TOKENIZER_BPE)) {
        sink_put(&s, p, len); /* written as is, e.g. "<|im_start|>" */
    } else if (tok->kind == TOKENIZER_SPM) {
        spm_piece_bytes(p, len, &s);
    } else {
        bpe_piece_bytes(p, len, &s);
    }
    return s.n > INT32_MAX ? -1 : (int)s.n;
}
