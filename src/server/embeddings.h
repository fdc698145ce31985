/* POST /v1/embeddings: OpenAI's embeddings endpoint on the loaded model (pooled, L2-
 * normalized final hidden states; pooling set by `server --pooling`). */
#ifndef LF_SERVER_EMBEDDINGS_H
#define LF_SERVER_EMBEDDINGS_H

#include "server/http_conn.h"
#include "server/server_state.h"

int embeddings_handle(server_state *st, http_conn *c, const char *body, size_t len);

#endif
