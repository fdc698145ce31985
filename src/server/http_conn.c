#include "server/http_conn.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "llamafast.h"

const char *http_status_text(int status) {
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

const char *http_conn_body(const http_conn *c, size_t *len) {
    *len = c->body_len;
    return c->buf + c->head_bytes;
}

const char *http_conn_field(const http_conn *c, const char *name) {
    return c->head ? http_head_field(c->head, name) : NULL;
}

int http_conn_add_header(http_conn *c, const char *name, const char *value) {
    size_t used = strlen(c->extra_headers);
    int n = snprintf(c->extra_headers + used, sizeof c->extra_headers - used, "%s: %s\r\n", name, value);
    if (n < 0 || (size_t)n >= sizeof c->extra_headers - used) {
        c->extra_headers[used] = 0;
        return -1;
    }
    return 0;
}

int http_conn_write_all(http_conn *c, const char *data, size_t len) {
    double deadline = lf_time_ms() + c->write_timeout_ms;
    while (len) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
        if (n > 0) {
            data += n, len -= (size_t)n;
            deadline = lf_time_ms() + c->write_timeout_ms; /* a reader that keeps reading is served */
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int left = (int)(deadline - lf_time_ms());
            struct pollfd p = {.fd = c->fd, .events = POLLOUT};
            if (left > 0 && poll(&p, 1, left) >= 0 && !(p.revents & (POLLERR | POLLHUP))) continue;
        }
        c->must_close = true;
        return -1;
    }
    return 0;
}

/* Status line and header fields; length < 0: a body of unknown length follows. */
static int write_head(http_conn *c, int status, const char *content_type, long long length, const char *extra) {
    char date[64], head[2048];
    time_t t = time(NULL);
    struct tm tm;
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&t, &tm));
    bool chunked = length < 0 && c->head && c->head->minor >= 1;
    if (length < 0 && !chunked) c->must_close = true;
    if (!c->head || !c->head->keep_alive) c->must_close = true;
    char length_line[64] = "";
    if (length >= 0) snprintf(length_line, sizeof length_line, "Content-Length: %lld\r\n", length);
    int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nDate: %s\r\n%s%s%s%s%s%s%s%s\r\n", status,
                     http_status_text(status), date, content_type ? "Content-Type: " : "",
                     content_type ? content_type : "", content_type ? "\r\n" : "", length_line,
                     chunked ? "Transfer-Encoding: chunked\r\n" : "", c->must_close ? "Connection: close\r\n" : "",
                     c->extra_headers, extra ? extra : "");
    if (n < 0 || (size_t)n >= sizeof head) return -1;
    c->responded = true;
    c->status = status;
    return http_conn_write_all(c, head, (size_t)n);
}

int http_conn_respond(http_conn *c, int status, const char *content_type, const char *body, size_t len,
                      const char *extra) {
    if (c->responded) return -1;
    if (write_head(c, status, content_type, (long long)len, extra)) return -1;
    return c->head_only ? 0 : http_conn_write_all(c, body, len);
}

int http_conn_stream_begin(http_conn *c, int status, const char *content_type, const char *extra) {
    if (c->responded) return -1;
    c->streaming = true;
    return write_head(c, status, content_type, -1, extra);
}

int http_conn_stream_write(http_conn *c, const char *data, size_t len) {
    if (!c->streaming || c->head_only || !len) return c->streaming ? 0 : -1;
    if (!(c->head && c->head->minor >= 1)) return http_conn_write_all(c, data, len);
    char size[32];
    int n = snprintf(size, sizeof size, "%zx\r\n", len);
    return http_conn_write_all(c, size, (size_t)n) || http_conn_write_all(c, data, len) ||
                   http_conn_write_all(c, "\r\n", 2)
               ? -1
               : 0;
}

int http_conn_stream_end(http_conn *c) {
    if (!c->streaming) return -1;
    c->streaming = false;
    if (c->head_only || !(c->head && c->head->minor >= 1)) return 0;
    return http_conn_write_all(c, "0\r\n\r\n", 5);
}

bool http_socket_peer_gone(int fd) {
    struct pollfd p = {.fd = fd, .events = POLLRDHUP};
    return fd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

bool http_conn_client_gone(const http_conn *c) { return http_socket_peer_gone(c->fd); }
