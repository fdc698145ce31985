/* Hugging Face tokenizers: tokenizer.json (the `tokenizers` library's serialization) with
 * the special tokens of tokenizer_config.json, generation_config.json and config.json
 * beside it. Two families map onto lf_tokenizer: byte-level BPE (GPT-2, Llama 3, SmolLM2:
 * ByteLevel pre-tokenizer and decoder) and SentencePiece-style BPE (Llama 2, Mistral:
 * spaces as U+2581, byte fallback). */
#ifndef LF_TOKENIZER_LOAD_HF_H
#define LF_TOKENIZER_LOAD_HF_H

#include <jansson.h>
#include <stdbool.h>

#include "tokenizer/tokenizer_internal.h"

/* What the files beside tokenizer.json say about special tokens. */
typedef struct hf_special_tokens {
    const char *bos_text, *eos_text; /* tokenizer_config.json bos_token/eos_token, or NULL */
    const char *unk_text, *pad_text; /* its unk_token/pad_token (only for GGUF metadata), or NULL */
    const char *text_file;           /* the tokenizer_config.json they come from */
    int32_t bos_id, eos_id;          /* generation_config.json / config.json ids, or -1 */
    int add_bos;                     /* tokenizer_config.json add_bos_token: 1, 0, or -1 when absent */
    int32_t eog[TOKENIZER_MAX_EOG];  /* every eos_token_id listed (end of generation) */
    int n_eog;
    const char *bos_file, *eog_file[TOKENIZER_MAX_EOG]; /* the file of each id, for messages */
} hf_special_tokens;

/* The text -> tokens pipeline of tokenizer.json as lf_tokenizer's settings. */
typedef struct hf_pipeline {
    tokenizer_kind kind;
    pretokenizer_kind pretok;  /* byte-level */
    bool ignore_merges_wanted; /* byte-level: the vocabulary asks for ignore_merges */
    bool add_space_prefix;     /* SentencePiece-style: "▁" before the text */
    bool metaspace, first_only; /* added by Metaspace; prepend_scheme "first" */
    const char *template_bos;  /* post_processor's leading special token, or NULL */
} hf_pipeline;

/* Reads normalizer, pre_tokenizer, decoder and post_processor; refuses pipelines whose
 * tokens would differ from the library's, naming the part. */
int hf_pipeline_read(const json_t *root, const char *name, hf_pipeline *p, lf_error *err);

/* Builds the tokenizer from a parsed tokenizer.json. sp may be NULL. */
int lf_tokenizer_from_hf_json(const json_t *root, const char *name, const hf_special_tokens *sp,
                              lf_tokenizer **out, lf_error *err);

/* A directory, or a .json file (tokenizer.json, or config.json / tokenizer_config.json,
 * which stand for the tokenizer.json beside them). */
bool lf_tokenizer_is_hf_path(const char *path);
int lf_tokenizer_from_hf_path(const char *path, lf_tokenizer **out, lf_error *err);

#endif
