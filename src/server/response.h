/* The JSON objects of completion responses, as the OpenAI API shapes them:
 * chat.completion / text_completion, their streamed chunks, and usage. */
#ifndef LF_SERVER_RESPONSE_H
#define LF_SERVER_RESPONSE_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "server/job.h"

/* What every object of one response repeats. */
typedef struct response_meta {
    bool chat;
    char id[64];
    time_t created;
    const char *model;
} response_meta;

typedef struct response_usage {
    int prompt_tokens, completion_tokens;
} response_usage;

/* The whole answer: texts[i], logprobs[i] (taken; NULL, or logprobs NULL: null) and
 * finish[i] for each of n choices. */
json_t *response_final(const response_meta *m, const char *const *texts, json_t *const *logprobs,
                       const finish_reason *finish, int n, response_usage usage);
/* One streamed chunk of a choice: text (NULL: none), log-probabilities (taken; NULL:
 * null), the assistant role (chat, first chunk), or the finish reason (NULL: none).
 * With_usage adds "usage": null, as OpenAI does when the client asked for usage. */
json_t *response_chunk(const response_meta *m, int choice, const char *text, json_t *logprobs, bool role,
                       const char *finish, bool with_usage);
/* The last chunk when the client asked for usage: no choices, the token counts. */
json_t *response_usage_chunk(const response_meta *m, response_usage usage);

#endif
