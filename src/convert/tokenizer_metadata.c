/* The vocabulary as llama.cpp's converter lays it out:
 *   SentencePiece (tokenizer.model, tokenizer.bin, SentencePiece-style tokenizer.json):
 *     model "llama", pre "default", tokens with scores and types;
 *   byte-level BPE (tokenizer.json, tiktoken): model "gpt2", pre the name llama.cpp gives
 *     the pre-tokenizer, tokens with types, merges in rank order.
 * Both: BOS/EOS/UNK/padding ids, add_bos_token/add_eos_token, add_space_prefix. */
#include "convert/tokenizer_metadata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define PAD_TEXT_MAX 24

/* llama.cpp's names (src/llama-vocab.cpp) for the pre-tokenizers lf_tokenizer runs. */
static const char *pretokenizer_name(pretokenizer_kind k) {
    switch (k) {
    case PRETOK_GPT2: return "gpt-2";
    case PRETOK_LLAMA3: return "llama-bpe";
    case PRETOK_SMOLLM: return "smollm";
    }
    return NULL;
}

/* convert_hf_to_gguf.py makes an added token that is not flagged special a control token
 * all the same when it is spelled like one ("<|...|>"): llama.cpp then does not split
 * plain text on it. */
static bool looks_special(const char *s, uint32_t len) {
    return len >= 4 && !memcmp(s, "<|", 2) && !memcmp(s + len - 2, "|>", 2);
}

static uint8_t token_type(const lf_tokenizer *t, int32_t id) {
    uint8_t type = t->types[id];
    if (type == TOKEN_USER_DEFINED && t->kind == TOKENIZER_BPE && looks_special(piece_text(t, id), piece_len(t, id)))
        return TOKEN_CONTROL;
    return type;
}

/* Absent and empty tokens become "[PADi]" as the converter writes them: llama.cpp maps
 * text to id, and many empty texts would all be one token. */
static bool is_pad(const lf_tokenizer *t, int32_t id) {
    return id >= t->n_vocab || piece_len(t, id) == 0;
}

static int write_tokens(const lf_tokenizer *t, int32_t n, gguf_writer *w, lf_error *err) {
    const char **strs = malloc((size_t)n * sizeof *strs);
    uint64_t *lens = malloc((size_t)n * sizeof *lens);
    int32_t *types = malloc((size_t)n * sizeof *types);
    float *scores = malloc((size_t)n * sizeof *scores);
    char(*pads)[PAD_TEXT_MAX] = NULL;
    int32_t n_pads = 0;
    for (int32_t id = 0; id < n; id++) n_pads += is_pad(t, id);
    if (n_pads) pads = malloc((size_t)n_pads * sizeof *pads);
    int rc = LF_OK;
    if (!strs || !lens || !types || !scores || (n_pads && !pads)) rc = lf_fail(err, LF_ERR_NOMEM, "out of memory");
    for (int32_t id = 0, p = 0; !rc && id < n; id++) {
        if (is_pad(t, id)) {
            lens[id] = (uint64_t)snprintf(pads[p], PAD_TEXT_MAX, "[PAD%d]", (int)id);
            strs[id] = pads[p++];
            types[id] = TOKEN_UNUSED;
            scores[id] = -1000.0f;
            continue;
        }
        strs[id] = piece_text(t, id);
        lens[id] = piece_len(t, id);
        types[id] = token_type(t, id);
        /* llama.cpp's SentencePiece merges by score whatever the type: a piece lf_tokenizer
         * never produces (unused) must never win a merge there either */
        scores[id] = types[id] == TOKEN_UNUSED ? -1e9f : t->scores[id];
    }
    if (!rc) rc = gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", strs, lens, (uint64_t)n, err);
    if (!rc && t->kind == TOKENIZER_SPM)
        rc = gguf_writer_add_array(w, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, scores, (uint64_t)n, err);
    if (!rc) rc = gguf_writer_add_array(w, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, types, (uint64_t)n, err);
    free(strs);
    free(lens);
    free(types);
    free(scores);
    free(pads);
    return rc;
}

typedef struct ranked_merge {
    int32_t rank, left, right;
} ranked_merge;

static int compare_merges(const void *a, const void *b) {
    const ranked_merge *x = a, *y = b;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    if (x->left != y->left) return x->left < y->left ? -1 : 1;
    return (x->right > y->right) - (x->right < y->right);
}

/* The merge map's pairs in rank order as "left right". A tiktoken vocabulary's merges are
 * every split of every token, ranked by the token (lf_tokenizer's equivalent of tiktoken's
 * rule): written all, they make llama.cpp merge exactly as lf_tokenizer does. */
static int write_merges(const lf_tokenizer *t, const char *source, gguf_writer *w, lf_error *err) {
    const merge_map *mm = &t->merges;
    if (!mm->keys || mm->count == 0)
        return lf_fail(err, LF_ERR_FORMAT, "%s: the byte-level vocabulary has no merges", source);
    ranked_merge *list = malloc((size_t)mm->count * sizeof *list);
    if (!list) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory for %u merges", source, mm->count);
    uint32_t n = 0;
    for (uint64_t i = 0; i <= mm->mask && n < mm->count; i++)
        if (mm->keys[i] != UINT64_MAX)
            list[n++] = (ranked_merge){mm->ranks[i], (int32_t)(mm->keys[i] >> 32), (int32_t)(mm->keys[i] & 0xFFFFFFFFu)};
    qsort(list, n, sizeof *list, compare_merges);
    size_t bytes = 0;
    for (uint32_t i = 0; i < n; i++) bytes += piece_len(t, list[i].left) + piece_len(t, list[i].right) + 1;
    char *text = malloc(bytes ? bytes : 1);
    const char **strs = malloc((size_t)n * sizeof *strs);
    uint64_t *lens = malloc((size_t)n * sizeof *lens);
    int rc = text && strs && lens ? LF_OK : lf_fail(err, LF_ERR_NOMEM, "%s: out of memory for merges", source);
    char *p = text;
    for (uint32_t i = 0; !rc && i < n; i++) {
        uint32_t ll = piece_len(t, list[i].left), rl = piece_len(t, list[i].right);
        const char *l = piece_text(t, list[i].left), *r = piece_text(t, list[i].right);
        /* GGUF merges are split at the space; a piece holding one cannot be written */
        if (memchr(l, ' ', ll) || memchr(r, ' ', rl))
            rc = lf_fail(err, LF_ERR_UNSUPPORTED, "%s: merge of tokens %d and %d: a piece with a space cannot be a GGUF merge",
                         source, list[i].left, list[i].right);
        strs[i] = p;
        lens[i] = (uint64_t)ll + 1 + rl;
        memcpy(p, l, ll);
        p[ll] = ' ';
        memcpy(p + ll + 1, r, rl);
        p += lens[i];
    }
    if (!rc) rc = gguf_writer_add_str_array(w, "tokenizer.ggml.merges", strs, lens, n, err);
    free(list);
    free(text);
    free(strs);
    free(lens);
    return rc;
}

static int write_special_ids(const lf_tokenizer *t, gguf_writer *w, lf_error *err) {
    const struct {
        const char *key;
        int32_t id;
    } ids[] = {{"tokenizer.ggml.bos_token_id", t->bos},
               {"tokenizer.ggml.eos_token_id", t->eos},
               {"tokenizer.ggml.unknown_token_id", t->unk},
               {"tokenizer.ggml.padding_token_id", t->pad}};
    int rc = LF_OK;
    for (size_t i = 0; i < sizeof ids / sizeof ids[0] && !rc; i++)
        if (ids[i].id >= 0) rc = gguf_writer_add_u32(w, ids[i].key, (uint32_t)ids[i].id, err);
    if (!rc) rc = gguf_writer_add_bool(w, "tokenizer.ggml.add_bos_token", t->add_bos, err);
    /* lf_tokenizer never appends EOS; saying so keeps llama.cpp from guessing */
    if (!rc) rc = gguf_writer_add_bool(w, "tokenizer.ggml.add_eos_token", false, err);
    return rc;
}

int convert_write_tokenizer(const lf_tokenizer *t, int32_t n_vocab, const char *source, gguf_writer *w,
                            lf_error *err) {
    if (!t) {
        lf_log(LF_LOG_WARN, "%s: no tokenizer; the output takes and gives token ids only (give one with --tokenizer-path)",
               source);
        return gguf_writer_add_str(w, "tokenizer.ggml.model", "none", err);
    }
    if (t->n_vocab > n_vocab)
        return lf_fail(err, LF_ERR_FORMAT, "%s: the tokenizer has %d tokens, the model only %d", source, t->n_vocab,
                       n_vocab);
    bool spm = t->kind == TOKENIZER_SPM;
    const char *pre = spm ? "default" : pretokenizer_name(t->pretok);
    if (!pre) return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: the pre-tokenizer has no llama.cpp equivalent", source);
    if (spm && t->space_prefix_metaspace)
        lf_log(LF_LOG_WARN,
               "%s: Metaspace adds no \"\xE2\x96\x81\" before text that starts with a space%s; a GGUF cannot say so, "
               "so llama.cpp and llama-fast tokenize such text with one",
               source, t->space_prefix_first_only ? " (nor after special tokens)" : "");
    int rc = gguf_writer_add_str(w, "tokenizer.ggml.model", spm ? "llama" : "gpt2", err);
    if (!rc) rc = gguf_writer_add_str(w, "tokenizer.ggml.pre", pre, err);
    if (!rc) rc = write_tokens(t, n_vocab, w, err);
    if (!rc && !spm) rc = write_merges(t, source, w, err);
    if (!rc) rc = write_special_ids(t, w, err);
    /* byte-level BPE never adds one (llama.cpp ignores the key there; llama-fast too) */
    if (!rc) rc = gguf_writer_add_bool(w, "tokenizer.ggml.add_space_prefix", spm && t->add_space_prefix, err);
    return rc;
}
