/* POST /v1/chat/completions and /v1/completions: validate, render the chat template,
 * tokenize, queue the choices, and answer at once (JSON) or as they come (SSE). */
#ifndef LF_SERVER_COMPLETION_H
#define LF_SERVER_COMPLETION_H

#include <stdbool.h>

#include "server/http_conn.h"
#include "server/request.h"
#include "server/server_state.h"

/* Returns 0, or -1 when the client went away or cannot be written to. */
int completion_handle(server_state *st, http_conn *c, const char *body, size_t len, bool chat);

/* The rendered text of a chat request's messages and tools (generation prompt added), as
 * /apply-template shows it; the model gets it tokenized by lf_chat_tokenize_tools. NULL
 * with e set when the template fails. Free with free(). */
char *completion_render_chat(const server_state *st, const completion_request *r, api_error *e);

#endif
