/* The head of an HTTP/1.x request (RFC 9112): request line and header fields, parsed
 * strictly from bytes a client sent. Anything this parser does not accept is answered
 * with the status it gives and the connection closed, so a malformed request never
 * reaches the API and never leaves a connection waiting. */
#ifndef LF_SERVER_HTTP_HEAD_H
#define LF_SERVER_HTTP_HEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A head larger than this is refused (431; 414 when the request line alone is). */
#define HTTP_HEAD_MAX 16384
#define HTTP_MAX_FIELDS 64

typedef struct http_field {
    const char *name, *value; /* NUL-terminated, inside the head's own copy */
} http_field;

typedef struct http_head {
    const char *method, *target;
    int minor;                    /* HTTP/1.minor */
    http_field fields[HTTP_MAX_FIELDS];
    int n_fields;
    bool has_length;
    uint64_t content_length;
    bool chunked;                 /* Transfer-Encoding: chunked */
    bool keep_alive;              /* after the response, per version and Connection */
    bool expect_continue;         /* "Expect: 100-continue" */
    char text[HTTP_HEAD_MAX + 1]; /* the head, cut into NUL-terminated pieces (last: not cleared) */
} http_head;

typedef enum http_head_result {
    HTTP_HEAD_INCOMPLETE = 0, /* no end of head yet: read more */
    HTTP_HEAD_DONE = 1,       /* parsed; *used bytes were the head */
    HTTP_HEAD_BAD = -1,       /* refused: *status and *why say how */
} http_head_result;

/* Parses the head at the start of buf[0, len). Leading empty lines are skipped, as RFC
 * 9112 allows. On HTTP_HEAD_BAD, *status is 400, 414, 431, 501 or 505 and *why a
 * constant text naming the fault. */
http_head_result http_head_parse(const char *buf, size_t len, http_head *h, size_t *used, int *status,
                                 const char **why);

/* The value of the first field called name (case-insensitive), or NULL. */
const char *http_head_field(const http_head *h, const char *name);

#endif
