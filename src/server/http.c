#include "server/http.h"

#include <stdlib.h>
#include <string.h>

int http_send(http_conn *c, int status, const char *content_type, const char *body, size_t len) {
    return http_conn_respond(c, status, content_type, body, len, NULL);
}

static const char oom[] = "{\"error\":{\"message\":\"out of memory\",\"type\":\"server_error\",\"param\":null,"
                          "\"code\":null}}";

int http_send_json(http_conn *c, int status, json_t *body) {
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) return http_send(c, 500, "application/json", oom, sizeof oom - 1);
    int rc = http_send(c, status, "application/json", text, strlen(text));
    free(text);
    return rc;
}

int http_send_error(http_conn *c, const api_error *e, const char *extra) {
    json_t *body = json_pack("{s:{s:s, s:s, s:s?, s:s?}}", "error", "message", e->message, "type",
                             api_error_type(e->status), "param", e->param, "code", e->code);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    int rc = text ? http_conn_respond(c, e->status, "application/json", text, strlen(text), extra)
                  : http_send(c, 500, "application/json", oom, sizeof oom - 1);
    free(text);
    return rc;
}
