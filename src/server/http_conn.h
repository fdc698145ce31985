/* One client connection of the HTTP server and the response written on it. While a
 * request is being answered the connection belongs to the one worker thread that
 * answers it; these functions are for that thread. */
#ifndef LF_SERVER_HTTP_CONN_H
#define LF_SERVER_HTTP_CONN_H

#include <stdbool.h>
#include <stddef.h>

#include "server/http_chunked.h"
#include "server/http_head.h"

typedef enum conn_state {
    CONN_IDLE,       /* between requests (or before the first byte) */
    CONN_READING,    /* a request's head or body is arriving */
    CONN_PROCESSING, /* a worker answers the request */
    CONN_DRAINING,   /* refused: what the client still sends is read and dropped */
} conn_state;

typedef struct http_conn {
    int fd;
    char client[64];        /* the peer's address (IPv6: its /64), for per-client limits */
    conn_state state;
    double since_ms;        /* when the connection entered its state */
    double deadline_ms;     /* IDLE/READING: closed at this time */
    char *buf;              /* bytes received and not yet consumed */
    size_t len, cap;
    http_head *head;        /* the current request's head (valid when have_head) */
    bool have_head;
    size_t head_bytes;      /* bytes of buf the head took */
    chunked_decoder chunks; /* a chunked body's decoding so far */
    size_t body_len;        /* the complete request's body (decoded) */
    size_t request_bytes;   /* and the bytes of buf the whole request took */
    bool continue_sent;     /* "100 Continue" went out for this request */
    /* response state, for the worker */
    bool head_only;         /* HEAD: headers without the body */
    bool responded;         /* a response (or its start) went out */
    bool streaming;         /* a chunked (or close-delimited) body is open */
    bool must_close;        /* the connection ends after this response */
    int status;             /* of the response that went out (0: none yet) */
    int prompt_tokens, generated_tokens; /* the request's, for its log line and metrics */
    int write_timeout_ms;
    char extra_headers[512]; /* added to every response of this request (CORS) */
    struct http_server *server;
    struct http_conn *next; /* in the one list of the server that holds it */
} http_conn;

/* The current request's body and its length. */
const char *http_conn_body(const http_conn *c, size_t *len);
/* A request header field (case-insensitive name), or NULL. */
const char *http_conn_field(const http_conn *c, const char *name);
/* Adds "Name: value" to every response of the current request. -1 when it does not fit. */
int http_conn_add_header(http_conn *c, const char *name, const char *value);

/* Sends a whole response; extra is more header lines ("Name: value\r\n"...) or NULL.
 * Returns 0, or -1 when the client cannot be written to (the connection is then closed). */
int http_conn_respond(http_conn *c, int status, const char *content_type, const char *body, size_t len,
                      const char *extra);
/* Starts a body of unknown length (chunked on HTTP/1.1, else ended by closing). */
int http_conn_stream_begin(http_conn *c, int status, const char *content_type, const char *extra);
int http_conn_stream_write(http_conn *c, const char *data, size_t len);
int http_conn_stream_end(http_conn *c);

/* True when the client has closed its side (it will not read an answer). */
bool http_conn_client_gone(const http_conn *c);
/* The same for a connection's socket descriptor (false for -1). */
bool http_socket_peer_gone(int fd);

/* Writes all of data before the write timeout, without blocking longer on a client that
 * does not read. Returns 0 or -1. */
int http_conn_write_all(http_conn *c, const char *data, size_t len);

/* The reason phrase of a status code. */
const char *http_status_text(int status);

#endif
