/* Building an lf_tokenizer from pieces (shared by every loader), freeing it, and the
 * small public getters. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "tokenizer/tokenizer_internal.h"

lf_tokenizer *tokenizer_new(tokenizer_kind kind) {
    lf_tokenizer *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->kind = kind;
    t->pretok = PRETOK_GPT2;
    t->bos = t->eos = t->unk = t->pad = -1;
    for (int b = 0; b < 256; b++) t->byte_token[b] = -1;
    return t;
}

int tokenizer_reserve(lf_tokenizer *t, int32_t n, const char *name, lf_error *err) {
    if (n <= 0) return lf_fail(err, LF_ERR_FORMAT, "%s: vocabulary is empty", name);
    if (n > TOKENIZER_MAX_VOCAB)
        return lf_fail(err, LF_ERR_FORMAT, "%s: vocabulary of %d tokens is implausibly large",
                       name, n);
    t->offsets = malloc(((size_t)n + 1) * sizeof *t->offsets);
    t->scores = malloc((size_t)n * sizeof *t->scores);
    t->types = malloc((size_t)n);
    if (!t->offsets || !t->scores || !t->types)
        return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory for %d tokens", name, n);
    t->offsets[0] = 0;
    t->n_vocab = 0;
    return LF_OK;
}

/* The text arena grows geometrically; its capacity is kept implicitly as the next power
 * of two at or above the used size, so no extra field is needed. */
static size_t arena_capacity(size_t used) {
    size_t cap = 256;
    while (cap < used) cap *= 2;
    return cap;
}

int tokenizer_add_piece(lf_tokenizer *t, const char *s, size_t len, float score, uint8_t type,
                        const char *name, lf_error *err) {
    uint32_t used = t->offsets[t->n_vocab];
    if (len > UINT32_MAX - used)
        return lf_fail(err, LF_ERR_FORMAT, "%s: token texts exceed 4 GiB", name);
    size_t new_used = (size_t)used + len;
    if (!t->text || arena_capacity(new_used) != arena_capacity(used)) {
        char *p = realloc(t->text, arena_capacity(new_used));
        if (!p) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory for token texts", name);
        t->text = p;
    }
    if (len) memcpy(t->text + used, s, len);
    if (type < TOKEN_NORMAL || type > TOKEN_BYTE) type = TOKEN_NORMAL;
    t->scores[t->n_vocab] = score;
    t->types[t->n_vocab] = type;
    t->n_vocab++;
    t->offsets[t->n_vocab] = (uint32_t)new_used;
    return LF_OK;
}

/* SentencePiece byte tokens are spelled "<0xNN>" with upper-case hex digits. */
static int parse_byte_piece(const char *s, uint32_t len) {
    if (len != 6 || memcmp(s, "<0x", 3) != 0 || s[5] != '>') return -1;
    int v = 0;
    for (int i = 3; i < 5; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

static void find_byte_tokens(lf_tokenizer *t) {
    for (int b = 0; b < 256; b++) {
        if (t->kind == TOKENIZER_SPM) {
            char name[7];
            static const char hex[] = "0123456789ABCDEF";
            memcpy(name, "<0x", 3);
            name[3] = hex[b >> 4];
            name[4] = hex[b & 15];
            name[5] = '>';
            int32_t id = piece_map_find(t, name, 6);
            t->byte_token[b] = id >= 0 && t->types[id] == TOKEN_BYTE ? id : -1;
        } else {
            char utf8[2];
            uint32_t cp = byte_to_codepoint((uint8_t)b);
            size_t n = 1;
            if (cp < 0x80) {
                utf8[0] = (char)cp;
            } else { /* every mapped code point is below U+0800 */
                utf8[0] = (char)(0xC0 | (cp >> 6));
                utf8[1] = (char)(0x80 | (cp & 0x3F));
                n = 2;
            }
            t->byte_token[b] = piece_map_find(t, utf8, n);
        }
    }
}

/* Sort key of a special token; plain data so qsort needs no global context. */
typedef struct special_key {
    unsigned char first;
    uint32_t len;
    int32_t id;
} special_key;

static int compare_specials(const void *a, const void *b) {
    const special_key *x = a, *y = b;
    if (x->first != y->first) return x->first < y->first ? -1 : 1;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static bool is_special(const lf_tokenizer *t, int32_t id) {
    return (t->types[id] == TOKEN_CONTROL || t->types[id] == TOKEN_USER_DEFINED) &&
           piece_len(t, id) > 0;
}

static int collect_specials(lf_tokenizer *t) {
    size_t n = 0;
    for (int32_t id = 0; id < t->n_vocab; id++) n += is_special(t, id);
    special_key *keys = malloc((n ? n : 1) * sizeof *keys);
    t->specials = malloc((n ? n : 1) * sizeof *t->specials);
    if (!keys || !t->specials) {
        free(keys);
        return LF_ERR_NOMEM;
    }
    n = 0;
    for (int32_t id = 0; id < t->n_vocab; id++)
        if (is_special(t, id))
            keys[n++] = (special_key){(unsigned char)piece_text(t, id)[0], piece_len(t, id), id};
    qsort(keys, n, sizeof *keys, compare_specials);
    size_t i = 0;
    for (int b = 0; b <= 256; b++) {
        while (i < n && keys[i].first < b) i++;
        t->special_first[b] = (uint32_t)i;
    }
    for (i = 0; i < n; i++) t->specials[i] = keys[i].id;
    free(keys);
    return LF_OK;
}

static void add_eog(lf_tokenizer *t, int32_t id) {
    for (int i = 0; i < t->n_eog; i++)
        if (t->eog[i] == id) return;
    if (t->n_eog < TOKENIZER_MAX_EOG) t->eog[t->n_eog++] = id;
}

int tokenizer_check_id(const lf_tokenizer *t, long long id, const char *file, const char *key, lf_error *err) {
    if (id >= 0 && id < t->n_vocab) return LF_OK;
    return lf_fail(err, LF_ERR_FORMAT, "%s: %s %lld is outside the vocabulary (ids 0..%d)", file, key, id,
                   t->n_vocab - 1);
}

/* Chat models end a turn with one of these control tokens even when the metadata
 * names another EOS (SmolLM2's <|endoftext|> vs <|im_end|>, Llama 3's <|eot_id|>). */
static const char *const end_of_turn_texts[] = {
    "<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<|end|>", "<|endoftext|>", "<|end_of_text|>",
    "<end_of_turn>",
};

int tokenizer_finish(lf_tokenizer *t, const int32_t *extra_eog, int n_extra_eog,
                     const char *name, lf_error *err) {
    /* the loaders check the ids against their files' keys; this is the last line */
    int32_t *ids[] = {&t->bos, &t->eos, &t->unk, &t->pad};
    static const char *const id_names[] = {"BOS token id", "EOS token id", "unknown token id", "padding token id"};
    int rc = LF_OK;
    for (int i = 0; i < 4 && !rc; i++) {
        if (*ids[i] < 0) *ids[i] = -1;
        else rc = tokenizer_check_id(t, *ids[i], name, id_names[i], err);
    }
    for (int i = 0; i < n_extra_eog && !rc; i++)
        if (extra_eog[i] >= 0) rc = tokenizer_check_id(t, extra_eog[i], name, "end-of-generation token id", err);
    if (rc) return rc;
    if (piece_map_build(t) != LF_OK || collect_specials(t) != LF_OK)
        return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory for the vocabulary index", name);
    find_byte_tokens(t);
    if (t->eos >= 0) add_eog(t, t->eos);
    for (int i = 0; i < n_extra_eog; i++)
        if (extra_eog[i] >= 0) add_eog(t, extra_eog[i]);
    for (size_t i = 0; i < sizeof end_of_turn_texts / sizeof *end_of_turn_texts; i++) {
        int32_t id = piece_map_find(t, end_of_turn_texts[i], strlen(end_of_turn_texts[i]));
        if (id >= 0 && t->types[id] == TOKEN_CONTROL) add_eog(t, id);
    }
    return LF_OK;
}

int tokenizer_parse_byte_piece(const lf_tokenizer *t, int32_t id) {
    return parse_byte_piece(piece_text(t, id), piece_len(t, id));
}

void lf_tokenizer_free(lf_tokenizer *tok) {
    if (!tok) return;
    free(tok->text);
    free(tok->offsets);
    free(tok->scores);
    free(tok->types);
    free(tok->specials);
    piece_map_free(&tok->pieces);
    merge_map_free(&tok->merges);
    free(tok);
}

int32_t lf_tokenizer_vocab_size(const lf_tokenizer *tok) { return tok ? tok->n_vocab : 0; }
int32_t lf_token_bos(const lf_tokenizer *tok) { return tok ? tok->bos : -1; }
bool tokenizer_adds_bos(const lf_tokenizer *t) { return t->add_bos && t->bos >= 0; }
int32_t lf_token_eos(const lf_tokenizer *tok) { return tok ? tok->eos : -1; }

bool lf_token_is_end_of_generation(const lf_tokenizer *tok, int32_t id) {
    if (!tok || id < 0) return false;
    for (int i = 0; i < tok->n_eog; i++)
        if (tok->eog[i] == id) return true;
    return false;
}
