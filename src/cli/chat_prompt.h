/* The prompt of the next answer: the conversation rendered with the chat template and
 * tokenized, made to fit the context by dropping the oldest turns. */
#ifndef LF_CLI_CHAT_PROMPT_H
#define LF_CLI_CHAT_PROMPT_H

#include "cli/chat_conversation.h"
#include "llamafast.h"

typedef struct chat_prompt_request {
    const lf_model *model;
    const char *tmpl; /* NULL: the model's own template */
    int n_ctx;        /* context size */
    int reserve;      /* positions to leave free for the answer */
} chat_prompt_request;

/* Renders c with the generation prompt into ids (room for n_ctx + 1) and sets *n_ids.
 * When the prompt leaves fewer than reserve positions free, the oldest turns are dropped
 * from c until it fits (the system prompt stays); *dropped counts them. When even the
 * newest turn alone does not fit, c is left as it was and LF_ERR_CONTEXT_FULL comes back
 * with a message saying so; template and tokenizer errors come back as they are. */
int chat_prompt_build(const chat_prompt_request *req, chat_conversation *c, int32_t *ids, int *n_ids, int *dropped,
                      lf_error *err);

#endif
