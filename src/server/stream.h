/* Server-sent events: streams a job's choices as chunks while they are generated. */
#ifndef LF_SERVER_STREAM_H
#define LF_SERVER_STREAM_H

#include <microhttpd.h>

#include "server/job.h"
#include "server/response.h"

/* Queues a chunked text/event-stream response for j (its reference is taken over):
 * chunks as the text comes, a usage chunk when asked, then "data: [DONE]". A client that
 * goes away cancels the job. */
enum MHD_Result stream_start(struct MHD_Connection *c, job *j, const response_meta *meta, int n_choices,
                             int prompt_tokens, bool include_usage);

#endif
