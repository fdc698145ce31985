/* Server-sent events: streams a job's choices as chunks while they are generated. */
#ifndef LF_SERVER_STREAM_H
#define LF_SERVER_STREAM_H

#include "server/http_conn.h"
#include "server/job.h"
#include "server/response.h"
#include "server/tool_answer.h"

/* Answers with a text/event-stream body for j (its reference is taken over): chunks as
 * the text comes (read for tool calls when tools is not NULL; and a chunk per token's
 * log-probabilities when asked), a usage chunk when asked, then "data: [DONE]". Returns
 * when the job is done or the client has gone (which cancels the job): 0, or -1 in the
 * latter case. */
int stream_start(http_conn *c, job *j, const response_meta *meta, const lf_tokenizer *tok, int n_choices,
                 int prompt_tokens, bool include_usage, const tool_parse *tools);

#endif
