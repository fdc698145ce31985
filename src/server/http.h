/* Answers in the API's shapes on a connection: JSON bodies and OpenAI error objects. */
#ifndef LF_SERVER_HTTP_H
#define LF_SERVER_HTTP_H

#include <jansson.h>
#include <stdbool.h>

#include "server/api_error.h"
#include "server/http_conn.h"

/* Sends a whole response. Returns 0, or -1 when the client cannot be written to. */
int http_send(http_conn *c, int status, const char *content_type, const char *body, size_t len);
/* Sends body as JSON and drops the reference. */
int http_send_json(http_conn *c, int status, json_t *body);
/* Sends {"error": {"message", "type", "param", "code"}} with e's status; extra is more
 * header lines ("Name: value\r\n") or NULL. */
int http_send_error(http_conn *c, const api_error *e, const char *extra);

#endif
