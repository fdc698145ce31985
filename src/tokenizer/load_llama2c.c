/* llama2.c tokenizer.bin: int32 max_token_length, then per token a float score, an
 * int32 byte length and the bytes (little-endian). It is a SentencePiece vocabulary
 * exported with '▁' written as ' ', and <s>, </s> wrapped in newlines for display;
 * ids 0, 1, 2 are <unk>, BOS and EOS by llama2.c's convention. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "tokenizer/tokenizer_internal.h"

static uint32_t read_u32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One token record at *pos; advances *pos. */
static int read_record(const unsigned char *d, size_t size, size_t *pos, float *score,
                       const unsigned char **text, uint32_t *len) {
    if (size - *pos < 8) return -1;
    uint32_t bits = read_u32(d + *pos);
    memcpy(score, &bits, sizeof *score);
    *len = read_u32(d + *pos + 4);
    *pos += 8;
    if (*len > size - *pos) return -1;
    *text = d + *pos;
    *pos += *len;
    return 0;
}

/* Restores the SentencePiece spelling: ' ' -> "▁", and "\n<s>\n" -> "<s>". */
static int add_token(lf_tokenizer *t, const unsigned char *s, uint32_t len, float score,
                     char *scratch, const char *name, lf_error *err) {
    int32_t id = t->n_vocab;
    uint8_t type = TOKEN_NORMAL;
    if (id == 0) type = TOKEN_UNKNOWN;
    if (id == 1 || id == 2) {
        type = TOKEN_CONTROL;
        if (len >= 2 && s[0] == '\n' && s[len - 1] == '\n') {
            s++;
            len -= 2;
        }
    }
    size_t n = 0;
    for (uint32_t i = 0; i < len; i++) {
        if (s[i] == ' ' && type == TOKEN_NORMAL) {
            memcpy(scratch + n, "\xE2\x96\x81", 3);
            n += 3;
        } else {
            scratch[n++] = (char)s[i];
        }
    }
    int rc = tokenizer_add_piece(t, scratch, n, score, type, name, err);
    if (rc == LF_OK && type == TOKEN_NORMAL && tokenizer_parse_byte_piece(t, id) >= 0)
        t->types[id] = TOKEN_BYTE;
    return rc;
}

int lf_tokenizer_from_llama2c(const void *data, size_t size, const char *name,
                              int32_t vocab_size, lf_tokenizer **out, lf_error *err) {
    *out = NULL;
    const unsigned char *d = data;
    if (size < 4 || vocab_size < 0)
        return lf_fail(err, LF_ERR_FORMAT, "%s: too short for a llama2.c tokenizer", name);
    uint32_t max_len = read_u32(d);
    /* Count the records first (also validates them). */
    size_t pos = 4, count = 0;
    uint32_t longest = 0;
    while (pos < size && (vocab_size == 0 || count < (size_t)vocab_size)) {
        float score;
        const unsigned char *text;
        uint32_t len;
        if (read_record(d, size, &pos, &score, &text, &len) != 0)
            return lf_fail(err, LF_ERR_FORMAT, "%s: token %zu is truncated", name, count);
        if (len > longest) longest = len;
        count++;
    }
    if (vocab_size > 0 && count < (size_t)vocab_size)
        return lf_fail(err, LF_ERR_FORMAT, "%s: has %zu tokens, the model needs %d", name,
                       count, vocab_size);
    if (count < 3 || count > TOKENIZER_MAX_VOCAB)
        return lf_fail(err, LF_ERR_FORMAT, "%s: implausible token count %zu", name, count);
    if (longest > max_len)
        return lf_fail(err, LF_ERR_FORMAT, "%s: a token of %u bytes exceeds the declared %u",
                       name, longest, max_len);
    char *scratch = malloc((size_t)longest * 3 + 1);
    lf_tokenizer *t = tokenizer_new(TOKENIZER_SPM);
    int rc = t && scratch ? tokenizer_reserve(t, (int32_t)count, name, err)
                          : lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", name);
    pos = 4;
    for (size_t i = 0; rc == LF_OK && i < count; i++) {
        float score;
        const unsigned char *text;
        uint32_t len;
        read_record(d, size, &pos, &score, &text, &len);
        rc = add_token(t, text, len, score, scratch, name, err);
    }
    free(scratch);
    if (rc == LF_OK) {
        t->unk = 0;
        t->bos = 1;
        t->eos = 2;
        t->add_bos = true;
        t->add_space_prefix = true;
        rc = tokenizer_finish(t, NULL, 0, name, err);
    }
    if (rc != LF_OK) {
        lf_tokenizer_free(t);
        return rc;
    }
    *out = t;
    return LF_OK;
}
