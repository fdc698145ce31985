/* Tokenizer from GGUF metadata (tokenizer.ggml.*): model "llama" is SentencePiece BPE
 * (tokens, scores, token_type), model "gpt2" is byte-level BPE (tokens, token_type,
 * merges, pre). Every array is checked against the token count. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "tokenizer/tokenizer_internal.h"

static const gguf_kv *find_array(const gguf_file *f, const char *key, gguf_value_type type,
                                 uint64_t n, bool required, int *rc, lf_error *err) {
    const gguf_kv *kv = gguf_find_kv(f, key);
    if (!kv) {
        if (required) *rc = lf_fail(err, LF_ERR_FORMAT, "%s: %s is missing", f->name, key);
        return NULL;
    }
    if (kv->type != GGUF_TYPE_ARRAY || kv->arr_type != type) {
        *rc = lf_fail(err, LF_ERR_FORMAT, "%s: %s is not an array of %s", f->name, key,
                      gguf_type_name(type));
        return NULL;
    }
    if (n && kv->arr_count != n) {
        *rc = lf_fail(err, LF_ERR_FORMAT, "%s: %s has %llu entries for %llu tokens", f->name,
                      key, (unsigned long long)kv->arr_count, (unsigned long long)n);
        return NULL;
    }
    return kv;
}

/* Every tokenizer.ggml.*_token_id key (BOS, EOS, EOT, padding, ...), used or not, must name
 * a token: an id outside the vocabulary means the metadata does not belong to it. */
static int check_special_ids(const lf_tokenizer *t, const gguf_file *f, lf_error *err) {
    static const char prefix[] = "tokenizer.ggml.", suffix[] = "_token_id";
    const size_t np = sizeof prefix - 1, ns = sizeof suffix - 1;
    for (uint64_t i = 0; i < f->n_kv; i++) {
        gguf_string k = f->kvs[i].key;
        if (k.len < np + ns || memcmp(k.data, prefix, np) || memcmp(k.data + k.len - ns, suffix, ns)) continue;
        int64_t id;
        if (!gguf_kv_as_i64(&f->kvs[i], &id) || id < 0 || id >= t->n_vocab) {
            char value[80];
            gguf_kv_value_text(&f->kvs[i], value, sizeof value);
            return lf_fail(err, LF_ERR_FORMAT, "%s: %.*s %s is not a token id of the vocabulary (ids 0..%d)", f->name,
                           (int)(k.len > 100 ? 100 : k.len), k.data, value, t->n_vocab - 1);
        }
    }
    return LF_OK;
}

/* The id under key (checked by check_special_ids), else the fallback when the vocabulary
 * has it, else none. */
static int32_t optional_id(const lf_tokenizer *t, const gguf_file *f, const char *key, int32_t fallback) {
    int32_t v;
    if (gguf_get_i32(f, key, &v)) return v;
    return fallback < t->n_vocab ? fallback : -1;
}

static bool optional_bool(const gguf_file *f, const char *key, bool fallback) {
    bool v;
    return gguf_get_bool(f, key, &v) ? v : fallback;
}

static int add_pieces(lf_tokenizer *t, const gguf_file *f, const gguf_kv *tokens,
                      lf_error *err) {
    int rc = LF_OK;
    uint64_t n = tokens->arr_count;
    const gguf_kv *scores = find_array(f, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, n, false,
                                       &rc, err);
    const gguf_kv *types = NULL;
    if (rc == LF_OK) types = gguf_find_kv(f, "tokenizer.ggml.token_type");
    if (types && (types->type != GGUF_TYPE_ARRAY || types->arr_count != n))
        rc = lf_fail(err, LF_ERR_FORMAT, "%s: tokenizer.ggml.token_type does not match the tokens",
                     f->name);
    for (uint64_t i = 0; rc == LF_OK && i < n; i++) {
        double score = 0;
        int64_t type = TOKEN_NORMAL;
        if (scores) gguf_array_get_f64(scores, i, &score);
        if (types && !gguf_array_get_i64(types, i, &type))
            rc = lf_fail(err, LF_ERR_FORMAT, "%s: tokenizer.ggml.token_type is not numeric",
                         f->name);
        if (rc == LF_OK && (type < TOKEN_NORMAL || type > TOKEN_BYTE))
            rc = lf_fail(err, LF_ERR_FORMAT, "%s: token %llu has unknown type %lld", f->name,
                         (unsigned long long)i, (long long)type);
        if (rc == LF_OK)
            rc = tokenizer_add_piece(t, tokens->arr_strings[i].data,
                                     (size_t)tokens->arr_strings[i].len, (float)score,
                                     (uint8_t)type, f->name, err);
    }
    return rc;
}

static int add_merges(lf_tokenizer *t, const gguf_file *f, lf_error *err) {
    int rc = LF_OK;
    const gguf_kv *merges =
        find_array(f, "tokenizer.ggml.merges", GGUF_TYPE_STRING, 0, true, &rc, err);
    if (!merges) return rc;
    if (merges->arr_count > INT32_MAX || merge_map_init(&t->merges, (uint32_t)merges->arr_count))
        return lf_fail(err, LF_ERR_NOMEM, "%s: cannot index %llu merges", f->name,
                       (unsigned long long)merges->arr_count);
    for (uint64_t i = 0; i < merges->arr_count; i++) {
        gguf_string s = merges->arr_strings[i];
        const char *l, *r, *why = "is not two pieces separated by one space";
        size_t ll, rl;
        int32_t ids[3];
        if (!tokenizer_split_merge(s.data, (size_t)s.len, &l, &ll, &r, &rl) ||
            !tokenizer_merge_ids(t, l, ll, r, rl, ids, &why))
            return lf_fail(err, LF_ERR_FORMAT, "%s: tokenizer.ggml.merges[%llu] \"%.*s\": %s", f->name,
                           (unsigned long long)i, (int)(s.len > 100 ? 100 : s.len), s.data, why);
        merge_map_add(&t->merges, ids[0], ids[1], (int32_t)i, ids[2]);
    }
    return LF_OK;
}

int lf_tokenizer_from_gguf(const gguf_file *f, lf_tokenizer **out, lf_error *err) {
    *out = NULL;
    gguf_string model;
    if (!gguf_get_str(f, "tokenizer.ggml.model", &model))
        return lf_fail(err, LF_ERR_FORMAT, "%s: no tokenizer (tokenizer.ggml.model missing)",
                       f->name);
    tokenizer_kind kind;
    if (gguf_string_eq(model, "llama")) kind = TOKENIZER_SPM;
    else if (gguf_string_eq(model, "gpt2")) kind = TOKENIZER_BPE;
    else
        return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: tokenizer model \"%.*s\" is not supported",
                       f->name, (int)(model.len > 64 ? 64 : model.len), model.data);
    int rc = LF_OK;
    const gguf_kv *tokens =
        find_array(f, "tokenizer.ggml.tokens", GGUF_TYPE_STRING, 0, true, &rc, err);
    if (!tokens) return rc;
    if (tokens->arr_count == 0 || tokens->arr_count > TOKENIZER_MAX_VOCAB)
        return lf_fail(err, LF_ERR_FORMAT, "%s: implausible vocabulary size %llu", f->name,
                       (unsigned long long)tokens->arr_count);
    lf_tokenizer *t = tokenizer_new(kind);
    if (!t) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", f->name);
    rc = tokenizer_reserve(t, (int32_t)tokens->arr_count, f->name, err);
    if (rc == LF_OK) rc = add_pieces(t, f, tokens, err);
    if (rc == LF_OK && kind == TOKENIZER_BPE) {
        /* merges are looked up by piece, so the piece index must exist first */
        rc = piece_map_build(t) == LF_OK ? LF_OK
                                         : lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", f->name);
        if (rc == LF_OK) rc = add_merges(t, f, err);
        gguf_string pre = {"", 0};
        gguf_get_str(f, "tokenizer.ggml.pre", &pre);
        if (rc == LF_OK) tokenizer_parse_pretokenizer(t, pre.data, (size_t)pre.len, f->name);
    }
    if (rc == LF_OK) rc = check_special_ids(t, f, err);
    if (rc == LF_OK) {
        bool spm = kind == TOKENIZER_SPM;
        t->bos = optional_id(t, f, "tokenizer.ggml.bos_token_id", spm ? 1 : -1);
        t->eos = optional_id(t, f, "tokenizer.ggml.eos_token_id", spm ? 2 : -1);
        t->unk = optional_id(t, f, "tokenizer.ggml.unknown_token_id", spm ? 0 : -1);
        t->pad = optional_id(t, f, "tokenizer.ggml.padding_token_id", -1);
        t->add_bos = optional_bool(f, "tokenizer.ggml.add_bos_token", spm);
        t->add_space_prefix = optional_bool(f, "tokenizer.ggml.add_space_prefix", spm);
        int32_t eog[] = {optional_id(t, f, "tokenizer.ggml.eot_token_id", -1),
                         optional_id(t, f, "tokenizer.ggml.eom_token_id", -1)};
        rc = tokenizer_finish(t, eog, 2, f->name, err);
    }
    if (rc != LF_OK) {
        lf_tokenizer_free(t);
        return rc;
    }
    *out = t;
    return LF_OK;
}
