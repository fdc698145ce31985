/* POST /tokenize and /detokenize, in llama.cpp's server's shapes. */
#ifndef LF_SERVER_TOKEN_ROUTES_H
#define LF_SERVER_TOKEN_ROUTES_H

#include "server/http_conn.h"
#include "server/server_state.h"

/* {"content": str, "add_special": bool, "parse_special": bool, "with_pieces": bool} ->
 * {"tokens": [id...]} or, with pieces, {"tokens": [{"id", "piece"}...]} (a piece that is
 * not valid UTF-8 is an array of its bytes, as llama.cpp sends it). */
int tokenize_handle(server_state *st, http_conn *c, const char *body, size_t len);
/* {"tokens": [id...]} -> {"content": str}; an id outside the vocabulary is a 400. */
int detokenize_handle(server_state *st, http_conn *c, const char *body, size_t len);

#endif
