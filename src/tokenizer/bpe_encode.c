/* Byte-level BPE: pre-tokenize, then within each word start from one symbol per byte
 * (the piece of its GPT-2 mapped character) and repeatedly apply the lowest-ranked
 * merge among adjacent pairs, leftmost first on ties. */
#include <stdlib.h>

#include "tokenizer/merge_queue_internal.h"
#include "tokenizer/pretokenize_internal.h"
#include "tokenizer/tokenizer_internal.h"
#include "tokenizer/unicode_internal.h"

typedef struct bpe_symbol {
    int32_t id;         /* token id, -1 for a byte the vocabulary lacks */
    uint32_t len;       /* bytes of the word it covers; 0 once merged away */
    int32_t prev, next; /* neighbours, -1 at the ends */
} bpe_symbol;

typedef struct bpe_state {
    const lf_tokenizer *tok;
    bpe_symbol *symbols;
    merge_queue queue;
    unsigned char *mapped; /* scratch for a word spelled in the byte-mapped alphabet */
} bpe_state;

static int queue_pair(bpe_state *st, int32_t left, int32_t right) {
    if (left < 0 || right < 0) return LF_OK;
    const bpe_symbol *l = &st->symbols[left], *r = &st->symbols[right];
    int32_t rank, result;
    if (!merge_map_find(&st->tok->merges, l->id, r->id, &rank, &result)) return LF_OK;
    merge_candidate c = {-(double)rank, left, right, l->len + r->len, result};
    return merge_queue_push(&st->queue, c);
}

/* Llama 3 sets ignore_merges: a word that is itself a piece is taken whole. */
static int32_t whole_word_piece(bpe_state *st, const unsigned char *w, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += utf8_encode(byte_to_codepoint(w[i]), st->mapped + n);
    int32_t id = piece_map_find(st->tok, (const char *)st->mapped, n);
    return id >= 0 && st->tok->types[id] == TOKEN_NORMAL ? id : -1;
}

static int encode_word(bpe_state *st, const unsigned char *w, size_t len, id_vec *out) {
    const lf_tokenizer *t = st->tok;
    if (t->pretok == PRETOK_LLAMA3) {
        int32_t id = whole_word_piece(st, w, len);
        if (id >= 0) return id_vec_push(out, id);
    }
    for (size_t i = 0; i < len; i++)
        st->symbols[i] = (bpe_symbol){t->byte_token[w[i]], 1, (int32_t)i - 1,
                                      i + 1 < len ? (int32_t)i + 1 : -1};
    st->queue.n = 0;
    int rc = LF_OK;
    for (size_t i = 0; rc == LF_OK && i + 1 < len; i++)
        rc = queue_pair(st, (int32_t)i, (int32_t)i + 1);
    merge_candidate c;
    while (rc == LF_OK && merge_queue_pop(&st->queue, &c)) {
        bpe_symbol *l = &st->symbols[c.left], *r = &st->symbols[c.right];
        if (l->len == 0 || l->next != c.right || l->len + r->len != c.len) continue;
        l->id = c.result;
        l->len += r->len;
        l->next = r->next;
        if (r->next >= 0) st->symbols[r->next].prev = c.left;
        r->len = 0;
        rc = queue_pair(st, l->prev, c.left);
        if (rc == LF_OK) rc = queue_pair(st, c.left, l->next);
    }
    /* A byte the vocabulary cannot spell is dropped, as Hugging Face's BPE does without an
     * unknown token: GGUF byte-level vocabularies often name <|endoftext|> as "unknown",
     * and emitting it would end the text in the middle of a prompt. */
    for (int32_t i = 0; rc == LF_OK && i >= 0; i = st->symbols[i].next)
        if (st->symbols[i].id >= 0) rc = id_vec_push(out, st->symbols[i].id);
    return rc;
}

int bpe_encode(const lf_tokenizer *t, const char *text, size_t len, id_vec *out) {
    if (len == 0) return LF_OK;
    if (len > SIZE_MAX / 4 / sizeof(bpe_symbol)) return LF_ERR_NOMEM;
    bpe_state st = {t, malloc(len * sizeof *st.symbols), {0}, malloc(len * 2)};
    int rc = st.symbols && st.mapped ? LF_OK : LF_ERR_NOMEM;
    pretokenizer p;
    pretokenizer_init(&p, t->pretok, text, len);
    size_t start, end;
    while (rc == LF_OK && pretokenizer_next(&p, &start, &end))
        rc = encode_word(&st, (const unsigned char *)text + start, end - start, out);
    merge_queue_free(&st.queue);
    free(st.symbols);
    free(st.mapped);
    return rc;
}
