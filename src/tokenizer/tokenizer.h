/* Internal constructors of lf_tokenizer (the public API is in llamafast.h). */
#ifndef LF_TOKENIZER_H
#define LF_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/gguf.h"
#include "llamafast.h"

/* From GGUF metadata: tokenizer.ggml.model "llama" (SentencePiece BPE) or "gpt2"
 * (byte-level BPE with the pre-tokenizer named by tokenizer.ggml.pre). */
int lf_tokenizer_from_gguf(const gguf_file *f, lf_tokenizer **out, lf_error *err);
/* From a SentencePiece tokenizer.model (protobuf ModelProto), given as bytes. */
int lf_tokenizer_from_sentencepiece(const void *data, size_t size, const char *name,
                                    lf_tokenizer **out, lf_error *err);
/* From a llama2.c tokenizer.bin. vocab_size > 0 reads exactly that many tokens (the
 * model's vocabulary; a shorter file is an error), 0 reads tokens until the end. */
int lf_tokenizer_from_llama2c(const void *data, size_t size, const char *name,
                              int32_t vocab_size, lf_tokenizer **out, lf_error *err);

/* From a tiktoken rank file (Llama 3's tokenizer.model: "<base64> <rank>" lines), with
 * Llama 3's pre-tokenizer and Meta's 256 special tokens after the ranks. */
bool lf_tokenizer_is_tiktoken(const void *data, size_t size);
int lf_tokenizer_from_tiktoken(const void *data, size_t size, const char *name, lf_tokenizer **out, lf_error *err);

#endif
