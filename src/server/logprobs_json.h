/* Token log-probabilities in OpenAI's response shapes. Chat: {"content": [{token,
 * logprob, bytes, top_logprobs: [{token, logprob, bytes}]}]}. Legacy completions:
 * {tokens, token_logprobs, top_logprobs: [{token: logprob}], text_offset}, null standing
 * for the logprob of a first prompt token (echo). */
#ifndef LF_SERVER_LOGPROBS_JSON_H
#define LF_SERVER_LOGPROBS_JSON_H

#include <jansson.h>
#include <stdbool.h>

#include "llamafast.h"
#include "server/job.h"

typedef struct logprobs_json {
    bool chat;
    const lf_tokenizer *tok;
    json_t *content;                                     /* chat */
    json_t *tokens, *token_logprobs, *top, *text_offset; /* legacy */
    size_t offset; /* bytes of text before the next token (legacy text_offset) */
    bool failed;   /* out of memory: the object is unusable */
} logprobs_json;

void logprobs_json_init(logprobs_json *b, bool chat, const lf_tokenizer *tok);
/* Appends a token's entry. */
void logprobs_json_add(logprobs_json *b, const token_logprob *lp);
/* The object of the entries added since the last take (NULL when out of memory); the
 * text offsets go on from where they were. */
json_t *logprobs_json_take(logprobs_json *b);
void logprobs_json_free(logprobs_json *b);

#endif
