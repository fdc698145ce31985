/* libmicrohttpd glue: the daemon, request bodies (bounded), and sending responses. */
#ifndef LF_SERVER_HTTP_H
#define LF_SERVER_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>

#include "server/api_error.h"
#include "server/server_state.h"

/* Starts listening on host:port (port 0: any free port) with a thread per connection.
 * Returns NULL after printing why; *bound_port receives the port. */
struct MHD_Daemon *http_start(server_state *st, const char *host, int port, int *bound_port);

/* Queues a response (copied) with the given status and content type. */
enum MHD_Result http_send(struct MHD_Connection *c, unsigned status, const char *content_type, const char *body,
                          size_t len);
/* Queues body as JSON and drops the reference. */
enum MHD_Result http_send_json(struct MHD_Connection *c, unsigned status, json_t *body);
/* Queues {"error": {"message", "type", "param", "code"}} with e's status. */
enum MHD_Result http_send_error(struct MHD_Connection *c, const api_error *e);
/* That error as a response to add headers to; NULL when out of memory. */
struct MHD_Response *http_error_response(const api_error *e);
/* True when the client has closed its side of the connection (it will not read an answer). */
bool http_client_gone(struct MHD_Connection *c);
/* Queues r (NULL: out of memory) and drops our reference to it. */
enum MHD_Result http_queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r);

#endif
