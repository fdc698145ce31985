/* SentencePiece BPE: start from single characters and repeatedly merge the adjacent pair
 * whose concatenation is the highest-scoring piece (leftmost first on ties). Characters
 * that are not pieces fall back to <0xNN> byte tokens, or to the unknown token. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/merge_queue_internal.h"
#include "tokenizer/tokenizer_internal.h"
#include "tokenizer/unicode_internal.h"

static const char SPACE_MARK[] = "\xE2\x96\x81"; /* U+2581, SentencePiece's space */

typedef struct spm_symbol {
    uint32_t start, len; /* bytes of the normalized text; len 0 once merged away */
    int32_t prev, next;  /* neighbours, -1 at the ends */
} spm_symbol;

typedef struct spm_state {
    const lf_tokenizer *tok;
    const char *text;
    spm_symbol *symbols;
    merge_queue queue;
} spm_state;

static bool mergeable(const lf_tokenizer *t, int32_t id) {
    return id >= 0 && (t->types[id] == TOKEN_NORMAL || t->types[id] == TOKEN_USER_DEFINED);
}

static int queue_pair(spm_state *st, int32_t left, int32_t right) {
    if (left < 0 || right < 0) return LF_OK;
    const spm_symbol *l = &st->symbols[left], *r = &st->symbols[right];
    uint32_t len = l->len + r->len;
    int32_t id = piece_map_find(st->tok, st->text + l->start, len);
    if (!mergeable(st->tok, id)) return LF_OK;
    merge_candidate c = {st->tok->scores[id], left, right, len, id};
    return merge_queue_push(&st->queue, c);
}

/* Spaces become U+2581 and, when asked, one is prepended: "Hi there" -> "▁Hi▁there". */
static char *normalize(const char *text, size_t len, bool add_prefix, size_t *out_len) {
    size_t spaces = add_prefix;
    for (size_t i = 0; i < len; i++) spaces += text[i] == ' ';
    if (len > SIZE_MAX / 4) return NULL;
    char *buf = malloc(len + spaces * 2 + 1);
    if (!buf) return NULL;
    size_t n = 0;
    if (add_prefix) {
        memcpy(buf, SPACE_MARK, 3);
        n = 3;
    }
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ') {
            memcpy(buf + n, SPACE_MARK, 3);
            n += 3;
        } else {
            buf[n++] = text[i];
        }
    }
    *out_len = n;
    return buf;
}

static int emit_symbol(const lf_tokenizer *t, const char *s, uint32_t len, id_vec *out) {
    int32_t id = piece_map_find(t, s, len);
    if (mergeable(t, id)) return id_vec_push(out, id);
    bool all_bytes = true;
    for (uint32_t i = 0; i < len; i++) all_bytes &= t->byte_token[(unsigned char)s[i]] >= 0;
    if (all_bytes) {
        for (uint32_t i = 0; i < len; i++) {
            int rc = id_vec_push(out, t->byte_token[(unsigned char)s[i]]);
            if (rc != LF_OK) return rc;
        }
        return LF_OK;
    }
    return t->unk >= 0 ? id_vec_push(out, t->unk) : LF_OK;
}

static int run_merges(spm_state *st, size_t n_symbols) {
    for (size_t i = 0; i + 1 < n_symbols; i++) {
        int rc = queue_pair(st, (int32_t)i, (int32_t)i + 1);
        if (rc != LF_OK) return rc;
    }
    merge_candidate c;
    while (merge_queue_pop(&st->queue, &c)) {
        spm_symbol *l = &st->symbols[c.left], *r = &st->symbols[c.right];
        if (l->len == 0 || l->next != c.right || l->len + r->len != c.len) continue;
        l->len += r->len;
        l->next = r->next;
        if (r->next >= 0) st->symbols[r->next].prev = c.left;
        r->len = 0;
        int rc = queue_pair(st, l->prev, c.left);
        if (rc == LF_OK) rc = queue_pair(st, c.left, l->next);
        if (rc != LF_OK) return rc;
    }
    return LF_OK;
}

int spm_encode(const lf_tokenizer *t, const char *text, size_t len, bool add_prefix,
               id_vec *out) {
    if (len == 0) return LF_OK;
    size_t n_text = 0;
    char *norm = normalize(text, len, add_prefix, &n_text);
    if (!norm || n_text > UINT32_MAX || n_text > INT32_MAX) {
        free(norm);
        return LF_ERR_NOMEM;
    }
    spm_state st = {t, norm, malloc(n_text * sizeof *st.symbols), {0}};
    int rc = st.symbols ? LF_OK : LF_ERR_NOMEM;
    size_t n_symbols = 0;
    for (size_t i = 0; rc == LF_OK && i < n_text;) {
        uint32_t cp;
        size_t n = utf8_decode((const unsigned char *)norm + i, n_text - i, &cp);
        st.symbols[n_symbols] = (spm_symbol){(uint32_t)i, (uint32_t)n, (int32_t)n_symbols - 1,
                                             (int32_t)n_symbols + 1};
        n_symbols++;
        i += n;
    }
    if (rc == LF_OK) {
        st.symbols[n_symbols - 1].next = -1;
        rc = run_merges(&st, n_symbols);
    }
    for (int32_t i = 0; rc == LF_OK && i >= 0; i = st.symbols[i].next)
        rc = emit_symbol(t, norm + st.symbols[i].start, st.symbols[i].len, out);
    merge_queue_free(&st.queue);
    free(st.symbols);
    free(norm);
    return rc;
}
