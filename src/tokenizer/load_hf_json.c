/* tokenizer.json's BPE model: the vocabulary (piece -> id) with the added tokens laid
 * over it, the merges, and the special tokens.
 *   byte-level:          merges go to the merge map, ranked by their order;
 *   SentencePiece-style: lf_tokenizer merges by piece score, so each piece scores minus
 *                        the rank of the first merge that makes it (converted SentencePiece
 *                        vocabularies list merges by score), and longer pieces no merge
 *                        makes are marked unused, since BPE can never produce them. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "format/json_file.h"
#include "tokenizer/load_hf.h"
#include "tokenizer/unicode_internal.h"

typedef struct slot {
    const char *text;
    size_t len;
    uint8_t type;
    bool set;
} slot;

static int read_id(const json_t *v, const char *name, const char *what, int32_t *id, lf_error *err) {
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) >= TOKENIZER_MAX_VOCAB)
        return lf_fail(err, LF_ERR_FORMAT, "%s: %s has no valid token id", name, what);
    *id = (int32_t)json_integer_value(v);
    return LF_OK;
}

/* Ids run from 0 to the largest one in the vocabulary or the added tokens; a gap stays
 * an empty, unused token. */
static int count_ids(const json_t *vocab, const json_t *added, const char *name, int32_t *n, lf_error *err) {
    const char *key;
    const json_t *v;
    int32_t id;
    *n = 0;
    json_object_foreach((json_t *)vocab, key, v) {
        int rc = read_id(v, name, "a vocabulary entry", &id, err);
        if (rc) return rc;
        if (id >= *n) *n = id + 1;
    }
    for (size_t i = 0; i < json_array_size(added); i++) {
        int rc = read_id(lf_json_member(json_array_get(added, i), "id"), name, "an added token", &id, err);
        if (rc) return rc;
        if (id >= *n) *n = id + 1;
    }
    if (*n == 0) return lf_fail(err, LF_ERR_FORMAT, "%s: the vocabulary is empty", name);
    /* gaps are an oddity, not a reason to allocate for millions of absent tokens */
    size_t entries = json_object_size(vocab) + json_array_size(added);
    if ((size_t)*n > 2 * entries + 256)
        return lf_fail(err, LF_ERR_FORMAT, "%s: %zu tokens have ids up to %d", name, entries, *n - 1);
    return LF_OK;
}

static bool upper_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

/* SentencePiece's byte pieces "<0x0A>" (upper-case hex). */
static bool is_byte_piece(const char *s, size_t len) {
    return len == 6 && !memcmp(s, "<0x", 3) && s[5] == '>' && upper_hex(s[3]) && upper_hex(s[4]);
}

static bool multi_char(const char *s, uint32_t len) {
    uint32_t cp;
    return len > 0 && utf8_decode((const unsigned char *)s, len, &cp) < len;
}

static int fill_slots(slot *slots, const json_t *vocab, const json_t *added, const hf_pipeline *p, bool byte_fallback,
                      const char *name, lf_error *err) {
    void *it;
    for (it = json_object_iter((json_t *)vocab); it; it = json_object_iter_next((json_t *)vocab, it)) {
        int32_t id = (int32_t)json_integer_value(json_object_iter_value(it));
        slot *s = &slots[id];
        if (s->set) return lf_fail(err, LF_ERR_FORMAT, "%s: token id %d is in the vocabulary twice", name, id);
        *s = (slot){json_object_iter_key(it), json_object_iter_key_len(it), TOKEN_NORMAL, true};
        if (p->kind == TOKENIZER_SPM && byte_fallback && is_byte_piece(s->text, s->len)) s->type = TOKEN_BYTE;
    }
    for (size_t i = 0; i < json_array_size(added); i++) {
        const json_t *a = json_array_get(added, i), *content = lf_json_member(a, "content");
        int32_t id = (int32_t)json_integer_value(lf_json_member(a, "id"));
        if (!json_is_string(content))
            return lf_fail(err, LF_ERR_FORMAT, "%s: added token %d has no content", name, id);
        slot *s = &slots[id];
        size_t len = json_string_length(content);
        if (s->set && (s->len != len || memcmp(s->text, json_string_value(content), len) != 0))
            return lf_fail(err, LF_ERR_FORMAT, "%s: added token %d '%.60s' is '%.60s' in the vocabulary", name, id,
                           json_string_value(content), s->text);
        bool special = json_is_true(lf_json_member(a, "special"));
        if (json_is_true(lf_json_member(a, "lstrip")) || json_is_true(lf_json_member(a, "rstrip")) ||
            json_is_true(lf_json_member(a, "single_word")))
            lf_log(LF_LOG_WARN, "%s: added token %d's lstrip/rstrip/single_word are not applied", name, id);
        *s = (slot){json_string_value(content), len, special ? TOKEN_CONTROL : TOKEN_USER_DEFINED, true};
    }
    return LF_OK;
}

/* A merge is "left right" or, in newer files, ["left", "right"] (whose pieces may hold
 * spaces). */
static bool merge_parts(const json_t *m, const char **l, size_t *ll, const char **r, size_t *rl) {
    if (json_is_string(m)) return tokenizer_split_merge(json_string_value(m), json_string_length(m), l, ll, r, rl);
    if (!json_is_array(m) || json_array_size(m) != 2 || !json_is_string(json_array_get(m, 0)) ||
        !json_is_string(json_array_get(m, 1)))
        return false;
    *l = json_string_value(json_array_get(m, 0)), *ll = json_string_length(json_array_get(m, 0));
    *r = json_string_value(json_array_get(m, 1)), *rl = json_string_length(json_array_get(m, 1));
    return *ll > 0 && *rl > 0;
}

/* Every merge must be two pieces of the vocabulary that join into a third: the
 * `tokenizers` library refuses a file with any other. */
static int add_merges(lf_tokenizer *t, const json_t *merges, const char *name, lf_error *err) {
    size_t n = json_array_size(merges);
    if (n > INT32_MAX || (t->kind == TOKENIZER_BPE && merge_map_init(&t->merges, (uint32_t)n)))
        return lf_fail(err, LF_ERR_NOMEM, "%s: cannot index %zu merges", name, n);
    bool *scored = calloc((size_t)t->n_vocab, 1);
    if (!scored) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", name);
    int rc = LF_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        const json_t *m = json_array_get(merges, i);
        const char *l, *r, *why = "is not two pieces (\"left right\" or [\"left\", \"right\"])";
        size_t ll, rl;
        int32_t ids[3];
        if (!merge_parts(m, &l, &ll, &r, &rl) || !tokenizer_merge_ids(t, l, ll, r, rl, ids, &why)) {
            char *text = json_dumps(m, JSON_ENCODE_ANY | JSON_COMPACT);
            rc = lf_fail(err, LF_ERR_FORMAT, "%s: model.merges[%zu] %.100s: %s", name, i, text ? text : "", why);
            free(text);
        } else if (t->kind == TOKENIZER_BPE) {
            merge_map_add(&t->merges, ids[0], ids[1], (int32_t)i, ids[2]);
        } else if (!scored[ids[2]]) {
            t->scores[ids[2]] = -(float)i, scored[ids[2]] = true;
        }
    }
    for (int32_t id = 0; !rc && t->kind == TOKENIZER_SPM && id < t->n_vocab; id++)
        if (t->types[id] == TOKEN_NORMAL && !scored[id] && multi_char(piece_text(t, id), piece_len(t, id)))
            t->types[id] = TOKEN_UNUSED;
    free(scored);
    return rc;
}

/* The token a special-token text names, which must be in the vocabulary; none for NULL. */
static int id_of(const lf_tokenizer *t, const char *text, const char *file, const char *what, int32_t *id,
                 lf_error *err) {
    *id = text ? piece_map_find(t, text, strlen(text)) : -1;
    if (text && *id < 0)
        return lf_fail(err, LF_ERR_FORMAT, "%s: %s \"%.60s\" is not in the vocabulary", file, what, text);
    return LF_OK;
}

static int set_specials(lf_tokenizer *t, const json_t *model, const hf_pipeline *p, const hf_special_tokens *sp,
                        const char *name, lf_error *err) {
    int rc = LF_OK;
    if (sp->bos_id >= 0) rc = tokenizer_check_id(t, sp->bos_id, sp->bos_file, "bos_token_id", err);
    for (int i = 0; i < sp->n_eog && !rc; i++)
        rc = tokenizer_check_id(t, sp->eog[i], sp->eog_file[i], "eos_token_id", err);
    if (rc) return rc;
    if (sp->bos_text) rc = id_of(t, sp->bos_text, sp->text_file, "bos_token", &t->bos, err);
    else if (sp->bos_id >= 0) t->bos = sp->bos_id;
    else rc = id_of(t, p->template_bos, name, "the post-processor's special token", &t->bos, err);
    if (rc) return rc;
    if (sp->eos_text) rc = id_of(t, sp->eos_text, sp->text_file, "eos_token", &t->eos, err);
    else t->eos = sp->eos_id;
    const char *unk = json_string_value(lf_json_member(model, "unk_token"));
    if (!rc) rc = id_of(t, unk, name, "model.unk_token", &t->unk, err);
    /* tokenizer_config.json's unk_token and pad_token only describe the vocabulary (the
     * GGUF written from it); one the vocabulary lacks is left out as llama.cpp's converter does */
    if (!rc && t->unk < 0 && sp->unk_text) t->unk = piece_map_find(t, sp->unk_text, strlen(sp->unk_text));
    if (!rc && sp->pad_text) t->pad = piece_map_find(t, sp->pad_text, strlen(sp->pad_text));
    t->add_bos = sp->add_bos >= 0 ? sp->add_bos == 1 : p->template_bos != NULL;
    t->add_space_prefix = p->add_space_prefix;
    t->space_prefix_metaspace = p->metaspace;
    t->space_prefix_first_only = p->first_only;
    t->pretok = p->pretok;
    return rc;
}

static int check_model(const json_t *model, const char *name, bool *byte_fallback, lf_error *err) {
    if (!json_is_object(model)) return lf_fail(err, LF_ERR_FORMAT, "%s: \"model\" is missing", name);
    const char *type = json_string_value(lf_json_member(model, "type"));
    if (type && strcmp(type, "BPE") != 0)
        return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: tokenizer model type '%.40s' is not supported (BPE is)", name, type);
    static const char *const affixes[] = {"continuing_subword_prefix", "end_of_word_suffix"};
    for (int i = 0; i < 2; i++) {
        const char *s = json_string_value(lf_json_member(model, affixes[i]));
        if (s && *s) return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: BPE %s is not supported", name, affixes[i]);
    }
    if (!json_is_object(lf_json_member(model, "vocab")) || !json_is_array(lf_json_member(model, "merges")))
        return lf_fail(err, LF_ERR_FORMAT, "%s: the BPE model needs a \"vocab\" object and a \"merges\" list", name);
    if (lf_json_member(model, "dropout")) lf_log(LF_LOG_WARN, "%s: BPE dropout is not applied", name);
    *byte_fallback = json_is_true(lf_json_member(model, "byte_fallback"));
    return LF_OK;
}

static int build(lf_tokenizer *t, const json_t *root, const hf_pipeline *p, const hf_special_tokens *sp,
                 const char *name, lf_error *err) {
    const json_t *model = lf_json_member(root, "model"), *added = lf_json_member(root, "added_tokens");
    bool byte_fallback = false;
    int rc = check_model(model, name, &byte_fallback, err);
    if (rc) return rc;
    if (added && !json_is_array(added)) return lf_fail(err, LF_ERR_FORMAT, "%s: \"added_tokens\" is not a list", name);
    const json_t *vocab = lf_json_member(model, "vocab");
    int32_t n;
    if ((rc = count_ids(vocab, added, name, &n, err)) || (rc = tokenizer_reserve(t, n, name, err))) return rc;
    slot *slots = calloc((size_t)n, sizeof *slots);
    if (!slots) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", name);
    rc = fill_slots(slots, vocab, added, p, byte_fallback, name, err);
    for (int32_t id = 0; !rc && id < n; id++)
        rc = tokenizer_add_piece(t, slots[id].set ? slots[id].text : "", slots[id].len, 0,
                                 slots[id].set ? slots[id].type : TOKEN_UNUSED, name, err);
    free(slots);
    if (!rc && piece_map_build(t)) rc = lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", name);
    if (!rc) rc = add_merges(t, lf_json_member(model, "merges"), name, err);
    if (!rc) rc = set_specials(t, model, p, sp, name, err);
    if (rc) return rc;
    if (p->kind == TOKENIZER_BPE && (p->pretok == PRETOK_LLAMA3) != p->ignore_merges_wanted)
        lf_log(LF_LOG_WARN, "%s: ignore_merges is %s, which this pre-tokenizer does not do; some words may split differently",
               name, p->ignore_merges_wanted ? "on" : "off");
    return tokenizer_finish(t, sp->eog, sp->n_eog, name, err);
}

int lf_tokenizer_from_hf_json(const json_t *root, const char *name, const hf_special_tokens *sp,
                              lf_tokenizer **out, lf_error *err) {
    *out = NULL;
    hf_special_tokens none = {.bos_id = -1, .eos_id = -1, .add_bos = -1};
    hf_pipeline p;
    int rc = hf_pipeline_read(root, name, &p, err);
    if (rc) return rc;
    lf_tokenizer *t = tokenizer_new(p.kind);
    if (!t) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", name);
    rc = build(t, root, &p, sp ? sp : &none, name, err);
    if (rc) {
        lf_tokenizer_free(t);
        return rc;
    }
    *out = t;
    return LF_OK;
}
