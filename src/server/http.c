#include "server/http.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/print_escaped.h"
#include "server/routes.h"
#include "server/text_buffer.h"

/* Connections served at once (each has a thread); beyond that MHD refuses to accept. */
#define MAX_CONNECTIONS 512
/* Idle keep-alive connections are closed after this many seconds. */
#define IDLE_TIMEOUT_SECONDS 300

/* The state of one request while its body arrives. */
typedef struct http_request {
    text_buffer body;
    bool too_large;
} http_request;

enum MHD_Result http_queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r) {
    if (!r) return MHD_NO;
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

enum MHD_Result http_send(struct MHD_Connection *c, unsigned status, const char *content_type, const char *body,
                          size_t len) {
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (r) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    return http_queue(c, status, r);
}

enum MHD_Result http_send_json(struct MHD_Connection *c, unsigned status, json_t *body) {
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) {
        static const char oom[] = "{\"error\":{\"message\":\"out of memory\",\"type\":\"server_error\",\"param\":null,"
                                  "\"code\":null}}";
        return http_send(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "application/json", oom, sizeof oom - 1);
    }
    enum MHD_Result rc = http_send(c, status, "application/json", text, strlen(text));
    free(text);
    return rc;
}

struct MHD_Response *http_error_response(const api_error *e) {
    json_t *body = json_pack("{s:{s:s, s:s, s:s?, s:s?}}", "error", "message", e->message, "type",
                             api_error_type(e->status), "param", e->param, "code", e->code);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    struct MHD_Response *r = text ? MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE) : NULL;
    if (r) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    else free(text);
    return r;
}

enum MHD_Result http_send_error(struct MHD_Connection *c, const api_error *e) {
    return http_queue(c, (unsigned)e->status, http_error_response(e));
}

bool http_client_gone(struct MHD_Connection *c) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct pollfd p = {.fd = info ? info->connect_fd : -1, .events = POLLRDHUP};
    return info && poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static enum MHD_Result too_large(server_state *st, struct MHD_Connection *c) {
    api_error e;
    api_fail(&e, 413, NULL, "request_too_large", "the request body is larger than %zu bytes", st->max_body);
    return http_send_error(c, &e);
}

/* Called by MHD first with the headers, then with each piece of the body, then once
 * more (no data) when the body is complete. Bodies beyond max_body are never stored. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size,
                                  void **con_cls) {
    (void)version;
    server_state *st = cls;
    http_request *rq = *con_cls;
    if (!rq) {
        if (!(rq = calloc(1, sizeof *rq))) return MHD_NO;
        *con_cls = rq;
        const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length && strtoull(length, NULL, 10) > st->max_body) {
            rq->too_large = true;
            return too_large(st, c); /* before the body is read: MHD closes the connection */
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (!rq->too_large && rq->body.len + *upload_size <= st->max_body) {
            if (text_append(&rq->body, upload_data, *upload_size)) return MHD_NO;
        } else {
            rq->too_large = true;
            text_free(&rq->body);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->too_large) return too_large(st, c);
    return routes_dispatch(st, c, url, method, rq->body.data ? rq->body.data : "", rq->body.len);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
    (void)cls, (void)c, (void)toe;
    http_request *rq = *con_cls;
    if (!rq) return;
    text_free(&rq->body);
    free(rq);
    *con_cls = NULL;
}

struct MHD_Daemon *http_start(server_state *st, const char *host, int port, int *bound_port) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, &ai);
    if (rc) {
        print_escaped(stderr, "error: --host %s: %s\n", host, gai_strerror(rc));
        return NULL;
    }
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_request, st, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_SECONDS, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!d) {
        print_escaped(stderr, "error: cannot listen on %s:%d (address in use, or not an address of this machine?)\n",
                      host, port);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *bound_port = info ? info->port : port;
    return d;
}
