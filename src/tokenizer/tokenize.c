/* lf_tokenize: optional BOS, then the text is cut at special tokens (user-defined ones
 * always, control ones with LF_TOKENIZE_PARSE_SPECIAL; leftmost, then longest, match)
 * and the plain fragments between them are encoded by the vocabulary's algorithm.
 * tokenizer_encode_marked: the same on a chat prompt rendered from marked messages. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "tokenizer/tokenizer_internal.h"

int id_vec_push(id_vec *v, int32_t id) {
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        int32_t *p = realloc(v->ids, cap * sizeof *p);
        if (!p) return LF_ERR_NOMEM;
        v->ids = p;
        v->cap = cap;
    }
    v->ids[v->n++] = id;
    return LF_OK;
}

/* The special token starting at text[i], or -1. */
static int32_t special_at(const lf_tokenizer *t, const char *text, size_t len, size_t i,
                          bool parse_control) {
    unsigned char b = (unsigned char)text[i];
    for (uint32_t k = t->special_first[b]; k < t->special_first[b + 1]; k++) {
        int32_t id = t->specials[k];
        if (t->types[id] == TOKEN_CONTROL && !parse_control) continue;
        uint32_t n = piece_len(t, id);
        if (n <= len - i && memcmp(text + i, piece_text(t, id), n) == 0) return id;
    }
    return -1;
}

/* SentencePiece (as llama.cpp applies it) prefixes a space to the text at the start and
 * to each fragment that follows a special token. Hugging Face's Metaspace adds none to a
 * fragment that starts with a space, and with prepend_scheme "first" only at the start. */
static int encode_plain(const lf_tokenizer *t, const char *s, size_t n, bool after_special, bool at_start,
                        id_vec *out) {
    if (t->kind == TOKENIZER_SPM) {
        bool prefix = t->add_space_prefix && after_special && (at_start || !t->space_prefix_first_only) &&
                      !(t->space_prefix_metaspace && s[0] == ' ');
        return spm_encode(t, s, n, prefix, out);
    }
    return bpe_encode(t, s, n, out);
}

/* A fragment of marked text is tokenized without its markers (a fragment of nothing but
 * markers gives no tokens). */
static int encode_fragment(const lf_tokenizer *t, const char *s, size_t n, bool marked, bool after_special,
                           bool at_start, id_vec *out) {
    if (!marked) return encode_plain(t, s, n, after_special, at_start, out);
    char *plain = malloc(n);
    if (!plain) return LF_ERR_NOMEM;
    memcpy(plain, s, n);
    size_t len = tokenizer_unmark(plain, n);
    int rc = len ? encode_plain(t, plain, len, after_special, at_start, out) : LF_OK;
    free(plain);
    return rc;
}

/* In marked text no special token starts inside a marker or an escaped byte, and none is
 * taken where a marker follows it (the marker of a one-byte control token). */
static int32_t marked_special_at(const lf_tokenizer *t, const char *text, size_t len, size_t *i) {
    if ((unsigned char)text[*i] == MARK_LEAD) {
        *i += *i + 1 < len && (unsigned char)text[*i + 1] >= MARK_BREAK ? 2 : 1;
        return -1;
    }
    int32_t id = special_at(t, text, len, *i, true);
    if (id < 0 || marker_at(text, len, *i + piece_len(t, id))) {
        ++*i;
        return -1;
    }
    return id;
}

static int encode_all(const lf_tokenizer *t, const char *text, size_t len, int flags, bool marked,
                      id_vec *out) {
    bool add_bos = (flags & LF_TOKENIZE_ADD_BOS) || (t->add_bos && !(flags & LF_TOKENIZE_NO_BOS));
    int rc = LF_OK;
    if (add_bos && t->bos >= 0) rc = id_vec_push(out, t->bos);
    bool parse_control = (flags & LF_TOKENIZE_PARSE_SPECIAL) != 0;
    bool after_special = true;
    size_t fragment = 0;
    for (size_t i = 0; rc == LF_OK && i < len;) {
        int32_t id = marked ? marked_special_at(t, text, len, &i) : special_at(t, text, len, i, parse_control);
        if (id < 0) {
            if (!marked) i++;
            continue;
        }
        if (i > fragment)
            rc = encode_fragment(t, text + fragment, i - fragment, marked, after_special, fragment == 0, out);
        if (rc == LF_OK) rc = id_vec_push(out, id);
        after_special = true;
        i += piece_len(t, id);
        fragment = i;
    }
    if (rc == LF_OK && len > fragment)
        rc = encode_fragment(t, text + fragment, len - fragment, marked, after_special, fragment == 0, out);
    return rc;
}

int lf_tokenize(const lf_tokenizer *tok, const char *text, size_t len, int flags,
                int32_t *ids, size_t cap, size_t *n_out, lf_error *err) {
    if (n_out) *n_out = 0;
    if (!tok || (!text && len) || (!ids && cap) || !n_out)
        return lf_fail(err, LF_ERR_ARG, "lf_tokenize: NULL tokenizer, text, ids or n_out");
    if ((flags & LF_TOKENIZE_ADD_BOS) && (flags & LF_TOKENIZE_NO_BOS))
        return lf_fail(err, LF_ERR_ARG, "lf_tokenize: ADD_BOS and NO_BOS are exclusive");
    id_vec v = {0};
    int rc = encode_all(tok, text, len, flags, false, &v);
    if (rc != LF_OK) {
        free(v.ids);
        return lf_fail(err, rc, "lf_tokenize: out of memory for %zu bytes of text", len);
    }
    if (v.n && cap) memcpy(ids, v.ids, (v.n < cap ? v.n : cap) * sizeof *ids);
    *n_out = v.n;
    free(v.ids);
    return LF_OK;
}

int tokenizer_encode_marked(const lf_tokenizer *t, const char *text, size_t len, int32_t **ids, size_t *n) {
    id_vec v = {0};
    *ids = NULL;
    *n = 0;
    int rc = encode_all(t, text, len, LF_TOKENIZE_NO_BOS, true, &v);
    /* Templates that write bos_token themselves (Llama 2 and 3) get no second one. */
    if (rc == LF_OK && t->add_bos && t->bos >= 0 && !(v.n > 0 && v.ids[0] == t->bos)) {
        rc = id_vec_push(&v, t->bos);
        if (rc == LF_OK) {
            memmove(v.ids + 1, v.ids, (v.n - 1) * sizeof *v.ids);
            v.ids[0] = t->bos;
        }
    }
    if (rc != LF_OK) {
        free(v.ids);
        return rc;
    }
    *ids = v.ids;
    *n = v.n;
    return LF_OK;
}
