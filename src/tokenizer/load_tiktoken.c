/* tiktoken rank files, as Meta ships Llama 3's tokenizer.model: one line per token,
 * "<base64 of the token's bytes> <rank>", the rank being the token id and its merge
 * priority. tiktoken merges, within each pre-tokenized word, the adjacent pair whose
 * concatenation has the lowest rank; the byte-level BPE of lf_tokenizer does the same
 * when every split (a, b) of every token ab becomes a merge ranked rank(ab). Pieces are
 * stored in GPT-2's byte-to-unicode alphabet like every byte-level vocabulary here. The
 * pre-tokenizer is Llama 3's (whole words in the vocabulary are taken without merging,
 * as tiktoken does), and Meta's 256 special tokens follow the ranks (ids n .. n + 255). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/error.h"
#include "tokenizer/tokenizer_internal.h"
#include "tokenizer/unicode_internal.h"

#define MAX_TOKEN_BYTES 128
#define N_SPECIAL 256

/* A first line that opens with "<base64> " is enough: the loader checks the rest, so a
 * broken rank file gets a rank-file message (neither a llama2.c nor a SentencePiece file
 * opens so: they start with a small binary length or with protobuf tag 0x0A). */
bool lf_tokenizer_is_tiktoken(const void *data, size_t size) {
    const char *p = data, *end = p + size;
    const char *q = p;
    while (q < end && lf_base64_value((unsigned char)*q, LF_BASE64_STANDARD) >= 0) q++;
    while (q < end && *q == '=') q++;
    return q > p && q < end && *q == ' ';
}

/* A token's raw bytes as a piece in the byte-to-unicode alphabet. */
static size_t byte_level_piece(const unsigned char *b, int n, char *out) {
    size_t len = 0;
    for (int i = 0; i < n; i++) len += utf8_encode(byte_to_codepoint(b[i]), (unsigned char *)out + len);
    return len;
}

typedef struct rank_line {
    const char *b64;
    size_t b64_len;
} rank_line;

/* Splits the file into lines indexed by rank; every rank 0 .. n-1 exactly once. */
static int read_lines(const char *p, size_t size, const char *name, rank_line **out, int32_t *n_out, lf_error *err) {
    int32_t n = 0;
    for (size_t i = 0; i < size; i++) n += p[i] == '\n';
    if (size && p[size - 1] != '\n') n++;
    if (n <= 0 || n > TOKENIZER_MAX_VOCAB - N_SPECIAL)
        return lf_fail(err, LF_ERR_FORMAT, "%s: tiktoken rank file: implausible count of %d lines", name, n);
    rank_line *lines = calloc((size_t)n, sizeof *lines);
    if (!lines) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", name);
    const char *s = p, *end = p + size;
    for (int32_t line = 1; s < end; line++) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *e = nl ? nl : end, *sp = memchr(s, ' ', (size_t)(e - s));
        long long rank = -1;
        if (sp && sp + 1 < e) {
            rank = 0;
            for (const char *d = sp + 1; d < e && rank >= 0; d++)
                rank = *d >= '0' && *d <= '9' && rank < TOKENIZER_MAX_VOCAB ? rank * 10 + (*d - '0') : -1;
        }
        if (rank < 0 || rank >= n || lines[rank].b64) {
            free(lines);
            return lf_fail(err, LF_ERR_FORMAT,
                           "%s: tiktoken rank file: line %d is not \"<base64> <rank>\" with a new rank below %d", name,
                           line, n);
        }
        lines[rank] = (rank_line){s, (size_t)(sp - s)};
        s = e + 1;
    }
    *out = lines;
    *n_out = n;
    return LF_OK;
}

static int add_pieces(lf_tokenizer *t, const rank_line *lines, int32_t n, const char *name, lf_error *err) {
    unsigned char raw[MAX_TOKEN_BYTES];
    char piece[4 * MAX_TOKEN_BYTES];
    for (int32_t id = 0; id < n; id++) {
        /* the file's tokens are padded to groups of four */
        long len = lines[id].b64_len % 4 ? -1
                                          : lf_base64_decode(lines[id].b64, lines[id].b64_len, LF_BASE64_STANDARD, raw,
                                                             sizeof raw);
        if (len <= 0)
            return lf_fail(err, LF_ERR_FORMAT, "%s: tiktoken rank file: rank %d: bad base64, or a token over %d bytes",
                           name, id, MAX_TOKEN_BYTES);
        int rc = tokenizer_add_piece(t, piece, byte_level_piece(raw, (int)len, piece), 0.0f, TOKEN_NORMAL, name, err);
        if (rc) return rc;
    }
    /* Meta's special tokens (Llama 3.1 names; Llama 3.0 calls some of them reserved) */
    static const char *const named[] = {"<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                                        "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>",
                                        "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>",
                                        "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"};
    int n_named = (int)(sizeof named / sizeof named[0]);
    for (int i = 0; i < N_SPECIAL; i++) {
        char buf[48];
        const char *s = i < n_named ? named[i] : buf;
        if (i >= n_named) snprintf(buf, sizeof buf, "<|reserved_special_token_%d|>", i - n_named + 3);
        int rc = tokenizer_add_piece(t, s, strlen(s), 0.0f, TOKEN_CONTROL, name, err);
        if (rc) return rc;
    }
    return LF_OK;
}

/* Every rank a different byte string, and each of the 256 bytes a rank of its own: a
 * byte without one would vanish from the text it is in. */
static int check_ranks(const lf_tokenizer *t, int32_t n, const char *name, lf_error *err) {
    for (int32_t id = 0; id < n; id++) {
        int32_t first = piece_map_find(t, piece_text(t, id), piece_len(t, id));
        if (first != id)
            return lf_fail(err, LF_ERR_FORMAT, "%s: tiktoken rank file: ranks %d and %d are the same bytes", name,
                           first, id);
    }
    for (int b = 0; b < 256; b++) {
        unsigned char byte = (unsigned char)b;
        char piece[4];
        int32_t id = piece_map_find(t, piece, byte_level_piece(&byte, 1, piece));
        if (id < 0 || id >= n)
            return lf_fail(err, LF_ERR_FORMAT,
                           "%s: tiktoken rank file: byte 0x%02X has no rank (a rank file ranks all 256 single bytes)",
                           name, b);
    }
    return LF_OK;
}

/* The number of splits of token id into two tokens a, b; with add, each becomes the merge
 * (a, b) -> id ranked id. */
static uint32_t for_each_split(lf_tokenizer *t, int32_t id, bool add) {
    const char *s = piece_text(t, id);
    uint32_t len = piece_len(t, id), found = 0;
    for (uint32_t k = 1; k < len; k++) {
        if (((unsigned char)s[k] & 0xC0) == 0x80) continue; /* inside a UTF-8 character */
        int32_t a = piece_map_find(t, s, k), b = piece_map_find(t, s + k, len - k);
        if (a < 0 || b < 0) continue;
        found++;
        if (add) merge_map_add(&t->merges, a, b, id, id);
    }
    return found;
}

/* Every split (a, b) of every token ab into two tokens merges with rank(ab). The splits
 * are counted first: the merge map holds only as many merges as it was sized for. */
static int add_merges(lf_tokenizer *t, int32_t n, const char *name, lf_error *err) {
    uint64_t splits = 0;
    for (int32_t id = 0; id < n; id++) splits += for_each_split(t, id, false);
    if (splits > UINT32_MAX / 4 || merge_map_init(&t->merges, (uint32_t)splits))
        return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory for %llu merges", name, (unsigned long long)splits);
    for (int32_t id = 0; id < n; id++) for_each_split(t, id, true);
    return LF_OK;
}

int lf_tokenizer_from_tiktoken(const void *data, size_t size, const char *name, lf_tokenizer **out, lf_error *err) {
    *out = NULL;
    rank_line *lines = NULL;
    int32_t n = 0;
    int rc = read_lines(data, size, name, &lines, &n, err);
    if (rc) return rc;
    lf_tokenizer *t = tokenizer_new(TOKENIZER_BPE);
    if (!t) rc = lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", name);
    if (!rc) rc = tokenizer_reserve(t, n + N_SPECIAL, name, err);
    if (!rc) rc = add_pieces(t, lines, n, name, err);
    free(lines);
    if (!rc && piece_map_build(t)) rc = lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", name);
    if (!rc) rc = check_ranks(t, n, name, err);
    if (!rc) rc = add_merges(t, n, name, err);
    if (!rc) {
        t->pretok = PRETOK_LLAMA3;
        t->bos = n, t->eos = n + 1;
        t->add_bos = true;
        int32_t eog[] = {n + 8, n + 9}; /* <|eom_id|>, <|eot_id|> */
        rc = tokenizer_finish(t, eog, 2, name, err);
    }
    if (rc) {
        lf_tokenizer_free(t);
        return rc;
    }
    *out = t;
    return LF_OK;
}
