/* The log-probability fields of completion requests, in OpenAI's two shapes: chat's
 * "logprobs": bool with "top_logprobs": 0..20, and legacy completions' "logprobs": 0..5
 * with "echo". */
#ifndef LF_SERVER_REQUEST_LOGPROBS_H
#define LF_SERVER_REQUEST_LOGPROBS_H

#include <jansson.h>

#include "server/request.h"

#define LOGPROBS_MAX_TOP 20

/* Sets r->logprobs and r->echo from root; -1 with a 400 naming the field. */
int request_parse_logprobs(json_t *root, bool chat, completion_request *r, api_error *err);

#endif
