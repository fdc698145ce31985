/* The body of a /v1/embeddings request, parsed and checked (OpenAI's shape): input as a
 * string, an array of strings, an array of token ids or an array of such arrays. */
#ifndef LF_SERVER_EMBEDDING_REQUEST_H
#define LF_SERVER_EMBEDDING_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "llamafast.h"
#include "server/api_error.h"

#define EMBEDDING_MAX_INPUTS 256

typedef struct embedding_input {
    int32_t *tokens;
    int n;
} embedding_input;

typedef struct embedding_request {
    embedding_input inputs[EMBEDDING_MAX_INPUTS];
    int n_inputs;
    bool base64;        /* encoding_format "base64": little-endian float32, base64 */
    int dimensions;     /* 0: not given */
    char *model;        /* as the client named it, or NULL */
} embedding_request;

/* Parses the body; strings are tokenized with tok as plain text (special-token markup
 * stays text), token ids must be in [0, n_vocab), and no input may be empty or longer
 * than max_tokens. Fields other than input, model, encoding_format and dimensions are
 * refused. On failure returns -1 with err set (400 naming the field); *out is then empty
 * (embedding_request_free is safe). */
int embedding_request_parse(const char *body, size_t len, const lf_tokenizer *tok, int n_vocab, int max_tokens,
                            embedding_request *out, api_error *err);
void embedding_request_free(embedding_request *r);

#endif
