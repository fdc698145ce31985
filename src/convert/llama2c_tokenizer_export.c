/* lf_export_llama2c_tokenizer: llama2.c's tokenizer.bin, as its tokenizer.py exports a
 * SentencePiece model. Records are built in memory first: the header holds the longest
 * record's length. */
#include <stdlib.h>
#include <string.h>

#include "convert/out_file.h"
#include "core/error.h"
#include "tokenizer/tokenizer_internal.h"

/* tokenizer.py's spelling of token id: BOS and EOS wrapped in newlines, <0xNN> as the
 * character U+00NN (UTF-8 encoded), U+2581 as a space. out has room for 2 * len + 8. */
static size_t spm_record(const lf_tokenizer *t, int32_t id, char *out) {
    if (id == t->bos) return (size_t)(memcpy(out, "\n<s>\n", 5), 5);
    if (id == t->eos) return (size_t)(memcpy(out, "\n</s>\n", 6), 6);
    int byte = tokenizer_parse_byte_piece(t, id);
    if (byte >= 0x80) {
        out[0] = (char)(0xC0 | byte >> 6);
        out[1] = (char)(0x80 | (byte & 0x3F));
        return 2;
    }
    if (byte >= 0) return (size_t)(out[0] = (char)byte, 1);
    const char *p = piece_text(t, id);
    uint32_t len = piece_len(t, id);
    size_t n = 0;
    for (uint32_t i = 0; i < len; i++) {
        if (i + 2 < len && memcmp(p + i, "\xE2\x96\x81", 3) == 0) {
            out[n++] = ' ';
            i += 2;
        } else {
            out[n++] = p[i];
        }
    }
    return n;
}

/* Byte-level BPE has no piece scores; llama2.c merges the pair whose result scores
 * highest, so a token made by an earlier merge scores higher: -(its first merge's
 * rank). Tokens no merge makes (single bytes, special tokens) score below every merge. */
static float *bpe_scores(const lf_tokenizer *t) {
    float *s = malloc((size_t)t->n_vocab * sizeof *s);
    if (!s) return NULL;
    for (int32_t i = 0; i < t->n_vocab; i++) s[i] = -(float)t->merges.count - 1.0f;
    for (uint64_t i = 0; t->merges.keys && i <= t->merges.mask; i++) {
        if (t->merges.keys[i] == UINT64_MAX) continue;
        int32_t r = t->merges.results[i];
        if (r >= 0 && r < t->n_vocab && -(float)t->merges.ranks[i] > s[r]) s[r] = -(float)t->merges.ranks[i];
    }
    return s;
}

int lf_export_llama2c_tokenizer(const lf_tokenizer *t, const char *path, lf_error *err) {
    if (!t || !path) return lf_fail(err, LF_ERR_ARG, "lf_export_llama2c_tokenizer: tokenizer or path is NULL");
    bool spm = t->kind == TOKENIZER_SPM;
    uint64_t cap = 4;
    for (int32_t i = 0; i < t->n_vocab; i++) cap += 8 + 2u * piece_len(t, i) + 8;
    unsigned char *buf = cap <= SIZE_MAX ? malloc((size_t)cap) : NULL;
    float *scores = spm ? t->scores : bpe_scores(t);
    int rc = buf && scores ? LF_OK : lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", path);
    size_t pos = 4;
    uint32_t longest = 0;
    for (int32_t i = 0; !rc && i < t->n_vocab; i++) {
        char *text = (char *)buf + pos + 8;
        int n = spm ? (int)spm_record(t, i, text) : lf_token_to_bytes(t, i, text, 2u * piece_len(t, i) + 8);
        if (n < 0 || (uint64_t)n > 2u * piece_len(t, i) + 8) {
            rc = lf_fail(err, LF_ERR_FORMAT, "%s: token %d has no byte spelling", path, i);
            break;
        }
        uint32_t len = (uint32_t)n;
        memcpy(buf + pos, &scores[i], 4);
        memcpy(buf + pos + 4, &len, 4);
        pos += 8 + len;
        if (len > longest) longest = len;
    }
    memcpy(buf, &longest, 4);
    out_file out = {0};
    if (!rc) rc = out_file_open(&out, path, 0666, err);
    if (!rc) rc = out_file_write(&out, buf, pos, err);
    if (!rc) rc = out_file_commit(&out, err);
    out_file_abort(&out);
    if (!spm) free(scores);
    free(buf);
    return rc;
}
