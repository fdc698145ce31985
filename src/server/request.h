/* The body of a completion request (chat or plain), parsed and checked: every field the
 * OpenAI API defines that we honour, with its type and range validated. */
#ifndef LF_SERVER_REQUEST_H
#define LF_SERVER_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llamafast.h"
#include "server/api_error.h"
#include "server/tool_request.h"

#define REQUEST_MAX_STOPS 4
#define REQUEST_MAX_CHOICES 16 /* n times the number of prompts */

typedef struct completion_request {
    bool chat;
    lf_chat_message *messages; /* chat: role and content strings owned here */
    size_t n_messages;
    char **prompts;            /* plain completions: one or more prompts */
    int n_prompts;
    /* The server's defaults overridden by the fields temperature, top_p (0: greedy),
     * top_k, min_p, typical_p, repeat_penalty, repeat_last_n, presence_penalty,
     * frequency_penalty, logit_bias (-100 bans; token ids are checked against the
     * vocabulary when the request is served) and seed (has_seed: it was given). */
    lf_sampler_params sampling;
    lf_logit_bias *logit_bias; /* the request's own list: sampling.logit_bias then points here */
    bool has_seed;
    int max_tokens;            /* 0 = until the model ends or the context is full */
    int n;                     /* choices per prompt */
    bool stream, include_usage;
    /* llama.cpp's extension: reuse the longest cached prefix of the prompt (default). The
     * logits of a prompt split differently differ slightly, so sampled answers are then
     * reproducible only up to that noise; false prefills the whole prompt every time. */
    bool cache_prompt;
    char *stops[REQUEST_MAX_STOPS];
    int n_stops;
    char *model;               /* as the client named it, or NULL */
    tool_request tools;        /* chat: function calling */
    lf_grammar *grammar;       /* "grammar" or "response_format" compiled, or NULL */
    bool structure_given;      /* either field was given (even response_format text) */
    /* -1: no logprobs; else how many most likely tokens to list beside each token's own
     * (chat: top_logprobs 0..20 with logprobs true; completions: logprobs 0..5) */
    int logprobs;
    bool echo;                 /* completions: the prompt starts the text (and its logprobs) */
} completion_request;

/* OpenAI's: temperature 1, top_p 1, the other stages and the penalties off. */
lf_sampler_params request_default_sampling(void);
/* Parses a /v1/chat/completions (chat) or /v1/completions body; sampling holds the
 * defaults of the fields left out (NULL: OpenAI's). On failure returns -1 with err set
 * to a 400 naming the field; *out is then empty (request_free is safe). */
int request_parse(const char *body, size_t len, bool chat, const lf_sampler_params *sampling,
                  completion_request *out, api_error *err);
void request_free(completion_request *r);

#endif
