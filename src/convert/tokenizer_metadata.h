/* tokenizer.ggml.* for a tokenizer loaded from tokenizer.json, a SentencePiece or tiktoken
 * tokenizer.model, or a llama2.c tokenizer.bin: what llama.cpp's convert_hf_to_gguf.py writes
 * for the same vocabulary, so that both llama.cpp and llama-fast read it back as it was. */
#ifndef LF_CONVERT_TOKENIZER_METADATA_H
#define LF_CONVERT_TOKENIZER_METADATA_H

#include "format/gguf_write.h"
#include "tokenizer/tokenizer_internal.h"

/* n_vocab is the model's vocabulary (token_embd rows): llama.cpp needs one token per row,
 * so ids the tokenizer lacks are written as "[PADi]", unused. t NULL writes model "none". */
int convert_write_tokenizer(const lf_tokenizer *t, int32_t n_vocab, const char *source, gguf_writer *w,
                            lf_error *err);

#endif
