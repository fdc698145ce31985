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
/* Whether lf_tokenize without flags prepends BOS (the tokenizer's metadata asks for it). */
bool tokenizer_adds_bos(const lf_tokenizer *t);

bool lf_tokenizer_is_tiktoken(const void *data, size_t size);
int lf_tokenizer_from_tiktoken(const void *data, size_t size, const char *name, lf_tokenizer **out, lf_error *err);

/* Text from a chat message (role or content) must stay text when the rendered prompt is
 * tokenized with special tokens parsed, whatever the template does with it. Before
 * rendering, tokenizer_mark_text breaks every spelling of a control token in the text
 * with a marker the template cannot write itself (0xFF never occurs in UTF-8); so in the
 * rendered prompt only the template's own markup still spells a control token. */

/* A malloc'd copy of s with a marker after the first byte of every place where a control
 * token's text starts (ASCII letters matched in either case, as a template may change
 * case), and every 0xFF byte of s escaped; NULL when out of memory. */
char *tokenizer_mark_text(const lf_tokenizer *t, const char *s);
/* Removes the markers and escapes of tokenizer_mark_text from s[0, n) in place and
 * returns the length left. */
size_t tokenizer_unmark(char *s, size_t n);
/* Tokenizes a prompt rendered from marked messages: control tokens are parsed where the
 * text spells them, except where a marker breaks or follows them; the text between them
 * is unmarked and tokenized as plain text. BOS is prepended when the tokenizer asks for
 * one and the prompt does not already start with it. *ids is malloc'd (NULL when *n is
 * 0); returns LF_OK or LF_ERR_NOMEM. */
int tokenizer_encode_marked(const lf_tokenizer *t, const char *text, size_t len, int32_t **ids, size_t *n);

#endif
