/* The HTTP/1.1 server under the API: one I/O thread holds every connection that is idle
 * or still sending its request (so thousands of slow or idle clients cost a socket each,
 * not a thread), and a worker thread answers each complete request.
 *
 * What bounds a client: a whole request (head and body) must arrive within the timeout
 * of its first byte, an idle keep-alive connection is closed after the timeout, and
 * connections are limited per client address and in all. When a limit is reached, the
 * longest-waiting connection that is idle or still sending (of that address, or of any
 * for the global limit) is closed to make room; only when every connection is being
 * answered is a new one refused (503). A request that does not parse gets its 4xx/5xx
 * status and the connection closes. */
#ifndef LF_SERVER_HTTP_SERVER_H
#define LF_SERVER_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "server/http_conn.h"

typedef struct http_server http_server;

typedef struct http_server_options {
    const char *host;
    int port;                /* 0: any free port */
    int max_connections;     /* in all */
    int max_per_client;      /* per client address */
    int timeout_s;           /* to receive a request; idle keep-alive; to write */
    size_t max_body;         /* larger bodies: 413 */
    /* Answers one complete request (runs on a worker thread). */
    void (*handle)(void *user, http_conn *c);
    void *user;
} http_server_options;

/* Binds the listening socket (nothing is accepted yet). NULL after writing why into
 * why[0, cap). */
http_server *http_server_bind(const http_server_options *o, char *why, size_t cap);
/* The port bound, and whether its address is a loopback one (127.0.0.0/8 or ::1). */
int http_server_port(const http_server *s);
bool http_server_is_loopback(const http_server *s);
/* Starts serving on a thread of its own. -1 after writing why. */
int http_server_start(http_server *s, char *why, size_t cap);
/* Stops accepting, gives requests being answered up to drain_ms to finish, then closes
 * every connection and frees the server. */
void http_server_stop(http_server *s, int drain_ms);

#endif
