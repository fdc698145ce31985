/* The lf_tokenizer structure and the helpers shared by the tokenizer's files.
 * One vocabulary representation serves both algorithms: SentencePiece BPE (pieces use
 * U+2581 "▁" for spaces, merges chosen by piece score) and byte-level BPE (pieces are
 * written in GPT-2's byte-to-unicode alphabet, merges ranked by their order). */
#ifndef LF_TOKENIZER_INTERNAL_H
#define LF_TOKENIZER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenizer/tokenizer.h"

/* Token types as numbered by SentencePiece and GGUF's tokenizer.ggml.token_type. */
enum {
    TOKEN_NORMAL = 1,
    TOKEN_UNKNOWN = 2,
    TOKEN_CONTROL = 3,
    TOKEN_USER_DEFINED = 4,
    TOKEN_UNUSED = 5,
    TOKEN_BYTE = 6
};

typedef enum tokenizer_kind { TOKENIZER_SPM, TOKENIZER_BPE } tokenizer_kind;

/* Byte-level BPE pre-tokenizers (how text is cut into words before merging). */
typedef enum pretokenizer_kind {
    PRETOK_GPT2,   /* GPT-2 regex */
    PRETOK_LLAMA3, /* Llama 3 regex (also merges skipped for whole-word pieces) */
    PRETOK_SMOLLM  /* every \p{N} alone, then the GPT-2 regex (HF Digits + ByteLevel) */
} pretokenizer_kind;

/* Open-addressing hash set of token ids keyed by their piece text. */
typedef struct piece_map {
    int32_t *slots; /* token id, or -1 when empty */
    uint32_t mask;  /* capacity - 1 (capacity is a power of two) */
} piece_map;

/* Open-addressing map (left id, right id) -> (rank, merged id) for byte-level BPE. */
typedef struct merge_map {
    uint64_t *keys; /* left << 32 | right; UINT64_MAX when empty */
    int32_t *ranks;
    int32_t *results;
    uint32_t mask;
    uint32_t count;
} merge_map;

#define TOKENIZER_MAX_EOG 16
/* Far above any real vocabulary (Gemma's 256k); keeps hash table sizes in 32 bits. */
#define TOKENIZER_MAX_VOCAB (1 << 24)

struct lf_tokenizer {
    tokenizer_kind kind;
    pretokenizer_kind pretok;
    int32_t n_vocab;
    char *text;        /* every piece's bytes, back to back */
    uint32_t *offsets; /* n_vocab + 1 offsets into text */
    float *scores;
    uint8_t *types;
    piece_map pieces;
    merge_map merges;
    /* SPM: id of the <0xNN> byte token (-1 if absent).
     * BPE: id of the one-character piece the byte maps to (-1 if absent). */
    int32_t byte_token[256];
    /* Control and user-defined tokens, sorted by first byte then longest first, so
     * special_first[b] .. special_first[b + 1] are the candidates starting with byte b. */
    int32_t *specials;
    uint32_t special_first[257];
    int32_t bos, eos, unk;
    int32_t pad; /* only carried to GGUF metadata (tokenizer.ggml.padding_token_id) */
    int32_t eog[TOKENIZER_MAX_EOG];
    int n_eog;
    bool add_bos;
    bool add_space_prefix; /* SPM: "Hello" is encoded as "▁Hello" */
    /* Hugging Face Metaspace: no prefix where the text already starts with a space; with
     * prepend_scheme "first", none after special tokens either */
    bool space_prefix_metaspace, space_prefix_first_only;
};

/* ---- tokenizer.c: construction */
lf_tokenizer *tokenizer_new(tokenizer_kind kind);
/* Allocates room for n tokens; pieces are then added in id order. */
int tokenizer_reserve(lf_tokenizer *t, int32_t n, const char *name, lf_error *err);
/* Appends the next token (id = number of tokens added so far). */
int tokenizer_add_piece(lf_tokenizer *t, const char *s, size_t len, float score, uint8_t type,
                        const char *name, lf_error *err);
/* Once every piece is added: builds the lookup tables and checks the special ids (an id
 * outside the vocabulary is an error). extra_eog lists further end-of-generation ids (-1
 * entries are ignored). */
int tokenizer_finish(lf_tokenizer *t, const int32_t *extra_eog, int n_extra_eog,
                     const char *name, lf_error *err);

/* LF_OK when id names a token; else LF_ERR_FORMAT, "FILE: KEY ID is outside the vocabulary". */
int tokenizer_check_id(const lf_tokenizer *t, long long id, const char *file, const char *key, lf_error *err);

/* Byte value of a "<0xNN>" piece, or -1 when the piece is not spelled that way. */
int tokenizer_parse_byte_piece(const lf_tokenizer *t, int32_t id);

static inline const char *piece_text(const lf_tokenizer *t, int32_t id) {
    return t->text + t->offsets[id];
}
static inline uint32_t piece_len(const lf_tokenizer *t, int32_t id) {
    return t->offsets[id + 1] - t->offsets[id];
}

/* ---- piece_map.c */
int piece_map_build(lf_tokenizer *t);
/* Id of the piece with exactly these bytes, or -1. */
int32_t piece_map_find(const lf_tokenizer *t, const char *s, size_t len);
void piece_map_free(piece_map *m);

/* ---- merge_map.c */
int merge_map_init(merge_map *m, uint32_t expected);
/* Keeps the first (lowest) rank when a pair is added twice. */
void merge_map_add(merge_map *m, int32_t left, int32_t right, int32_t rank, int32_t result);
bool merge_map_find(const merge_map *m, int32_t left, int32_t right, int32_t *rank,
                    int32_t *result);
void merge_map_free(merge_map *m);

/* ---- id_vec: growable list of token ids (tokenize.c) */
typedef struct id_vec {
    int32_t *ids;
    size_t n, cap;
} id_vec;
int id_vec_push(id_vec *v, int32_t id);

/* ---- marked_text.c: tokenizer_mark_text writes MARK_LEAD MARK_BREAK after the first
 * byte of a control token's text, and MARK_LEAD MARK_LEAD for a MARK_LEAD of the text.
 * A MARK_LEAD starts a two-byte unit wherever it appears. */
#define MARK_LEAD 0xFF
#define MARK_BREAK 0xFE
static inline bool marker_at(const char *s, size_t len, size_t i) {
    return i + 1 < len && (unsigned char)s[i] == MARK_LEAD && (unsigned char)s[i + 1] == MARK_BREAK;
}

/* ---- spm_encode.c: one fragment of text (no special tokens inside) */
int spm_encode(const lf_tokenizer *t, const char *text, size_t len, bool add_prefix, id_vec *out);

/* ---- bpe_encode.c: one fragment; pre-tokenizes it and merges every word */
int bpe_encode(const lf_tokenizer *t, const char *text, size_t len, id_vec *out);

/* ---- byte_unicode.c: GPT-2's reversible byte <-> printable code point mapping */
uint32_t byte_to_codepoint(uint8_t b);
/* The byte a code point stands for, or -1 when it is not in the mapping. */
int codepoint_to_byte(uint32_t cp);

/* ---- loaders */
/* GGUF tokenizer.ggml.pre; an unknown name warns (naming file) and gets GPT-2's. */
void tokenizer_parse_pretokenizer(lf_tokenizer *t, const char *name, size_t len, const char *file);
/* The pieces of a merge "A B" (exactly one space between two non-empty pieces); false
 * when it is not spelled so. */
bool tokenizer_split_merge(const char *s, size_t len, const char **left, size_t *left_len, const char **right,
                           size_t *right_len);
/* ids = {left, right, joined}: the tokens of both pieces and of their concatenation;
 * false when one of the three is not in the vocabulary, *why saying which. */
bool tokenizer_merge_ids(const lf_tokenizer *t, const char *left, size_t left_len, const char *right,
                         size_t right_len, int32_t ids[3], const char **why);

#endif
