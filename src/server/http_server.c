#include "server/http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "llamafast.h"
#include "server/api_error.h"

/* Longest a poll waits, so that deadlines are checked at least this often. */
#define POLL_MS 250
/* How long a refused connection is read from before it is closed. */
#define LINGER_MS 2000
/* How long the listener rests when the process is out of descriptors. */
#define ACCEPT_PAUSE_MS 100
/* Connections accepted per loop turn, so a flood cannot starve the others. */
#define ACCEPT_BATCH 64

struct http_server {
    http_server_options o;
    int listen_fd, wake_fd;
    bool loopback;
    size_t max_buffer;      /* a head, a body, and a pipelined head */
    double accept_paused_until;
    pthread_t io_thread;
    bool started;
    /* owned by the I/O thread */
    http_conn *io_conns;
    int n_io;
    struct pollfd *polls;
    http_conn **polled;
    size_t poll_cap;
    /* guarded by mutex */
    pthread_mutex_t mutex;
    pthread_cond_t worker_done;
    http_conn *returned;    /* answered keep-alive connections, back to the I/O thread */
    http_conn *processing;  /* being answered by a worker */
    int n_processing;
    bool stopping;
};

static void set_state(http_server *s, http_conn *c, conn_state st) {
    c->state = st;
    c->since_ms = lf_time_ms();
    c->deadline_ms = c->since_ms + 1e3 * s->o.timeout_s;
}

static void conn_free(http_conn *c) {
    if (!c) return;
    if (c->fd >= 0) close(c->fd);
    free(c->buf);
    free(c->head);
    free(c);
}

/* Reads what is left so that closing does not reset the connection before the client
 * has read our last answer. */
static void drain_and_close(http_conn *c) {
    char junk[4096];
    shutdown(c->fd, SHUT_WR);
    for (int i = 0; i < 16 && recv(c->fd, junk, sizeof junk, MSG_DONTWAIT) > 0; i++) {}
    conn_free(c);
}

static const char *error_code(int status) {
    switch (status) {
    case 408: return "request_timeout";
    case 413: return "request_too_large";
    case 414: return "uri_too_long";
    case 417: return "expectation_failed";
    case 431: return "headers_too_large";
    case 501: return "not_implemented";
    case 503: return "server_busy";
    case 505: return "http_version_not_supported";
    default: return "bad_request";
    }
}

/* A short error answer that must not block the I/O thread: one non-blocking send. why
 * is one of this server's own texts (no JSON escaping needed). */
static void send_error_now(http_conn *c, int status, const char *why) {
    char body[512], msg[1024];
    int nb = snprintf(body, sizeof body,
                      "{\"error\":{\"message\":\"%s\",\"type\":\"%s\",\"param\":null,\"code\":\"%s\"}}\n", why,
                      api_error_type(status), error_code(status));
    int n = snprintf(msg, sizeof msg,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                     "Connection: close\r\n\r\n%s",
                     status, http_status_text(status), nb, body);
    if (n > 0 && (size_t)n < sizeof msg && send(c->fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {}
}

static void io_unlink(http_server *s, http_conn *c) {
    for (http_conn **p = &s->io_conns; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            c->next = NULL;
            s->n_io--;
            return;
        }
}

static void io_close(http_server *s, http_conn *c) {
    io_unlink(s, c);
    conn_free(c);
}

/* Answers a request that cannot be served and ends the connection. The socket stays open
 * a moment, its input read and dropped, because closing it with unread input would reset
 * the connection and could destroy the answer before the client reads it (a client still
 * sending a body too large, say). */
static void io_refuse(http_conn *c, int status, const char *why) {
    send_error_now(c, status, why);
    shutdown(c->fd, SHUT_WR);
    c->state = CONN_DRAINING;
    c->since_ms = lf_time_ms();
    c->deadline_ms = c->since_ms + LINGER_MS;
}

/* Closes a connection to make room for another (a reading one is told why first). */
static void io_evict(http_server *s, http_conn *c, const char *why) {
    io_unlink(s, c);
    if (c->state == CONN_READING) send_error_now(c, 503, why);
    drain_and_close(c);
}

/* ------------------------------------------------------------------ workers */

/* Drops the answered request from the buffer, keeping pipelined bytes. */
static void consume_request(http_conn *c) {
    memmove(c->buf, c->buf + c->request_bytes, c->len - c->request_bytes);
    c->len -= c->request_bytes;
    c->have_head = c->continue_sent = false;
    c->head_bytes = c->body_len = c->request_bytes = 0;
    c->chunks = (chunked_decoder){0};
}

/* Takes c off the list of connections being answered. Called with the mutex held. */
static void processing_remove(http_server *s, http_conn *c) {
    for (http_conn **p = &s->processing; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    s->n_processing--;
}

static void *worker_main(void *arg) {
    http_conn *c = arg;
    http_server *s = c->server;
    c->head_only = !strcmp(c->head->method, "HEAD");
    c->responded = c->streaming = c->must_close = false;
    c->status = c->prompt_tokens = c->generated_tokens = 0;
    c->extra_headers[0] = 0;
    c->write_timeout_ms = 1000 * s->o.timeout_s;
    s->o.handle(s->o.user, c);
    if (!c->responded) http_conn_respond(c, 500, "application/json", "{}", 2, NULL);
    if (c->streaming) c->must_close = true; /* the body was not ended: the client cannot tell */
    consume_request(c);
    pthread_mutex_lock(&s->mutex);
    processing_remove(s, c);
    bool keep = !s->stopping && !c->must_close;
    if (keep) {
        c->next = s->returned;
        s->returned = c;
        /* under the mutex: once it is released, the server may be stopped and freed */
        uint64_t one = 1;
        if (write(s->wake_fd, &one, sizeof one) < 0) {} /* the counter cannot overflow here */
    }
    pthread_cond_broadcast(&s->worker_done);
    pthread_mutex_unlock(&s->mutex);
    if (!keep) drain_and_close(c);
    return NULL;
}

/* Hands a complete request to a new worker thread. */
static void dispatch(http_server *s, http_conn *c) {
    io_unlink(s, c);
    c->state = CONN_PROCESSING;
    pthread_mutex_lock(&s->mutex);
    c->next = s->processing;
    s->processing = c;
    s->n_processing++;
    pthread_mutex_unlock(&s->mutex);
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, worker_main, c);
    pthread_attr_destroy(&attr);
    if (!rc) return;
    pthread_mutex_lock(&s->mutex);
    processing_remove(s, c);
    pthread_mutex_unlock(&s->mutex);
    send_error_now(c, 503, "the server cannot start another request now");
    drain_and_close(c);
}

/* ----------------------------------------------------------- the I/O thread */

/* Parses what c has received; dispatches a complete request, refuses a bad one. */
static void advance(http_server *s, http_conn *c) {
    if (!c->have_head) {
        if (!c->len) return;
        if (c->state == CONN_IDLE) set_state(s, c, CONN_READING);
        if (!c->head && !(c->head = malloc(sizeof *c->head))) return io_refuse(c, 503, "out of memory");
        int status = 0;
        const char *why = NULL;
        http_head_result r = http_head_parse(c->buf, c->len, c->head, &c->head_bytes, &status, &why);
        if (r == HTTP_HEAD_INCOMPLETE) return;
        if (r == HTTP_HEAD_BAD) return io_refuse(c, status, why);
        c->have_head = true;
        if (c->head->content_length > s->o.max_body) return io_refuse(c, 413, "the request body is too large");
    }
    if (c->head->chunked) {
        char *body = c->buf + c->head_bytes;
        chunked_result r = chunked_decode(&c->chunks, body, c->len - c->head_bytes, s->o.max_body);
        if (r == CHUNKED_BAD) return io_refuse(c, 400, "malformed chunked body");
        if (r == CHUNKED_TOO_LARGE) return io_refuse(c, 413, "the request body is too large");
        /* what was decoded is a prefix: the chunk framing it came in is dropped */
        size_t framing = c->chunks.raw - c->chunks.out;
        memmove(body + c->chunks.out, body + c->chunks.raw, c->len - c->head_bytes - c->chunks.raw);
        c->len -= framing;
        c->chunks.raw = c->chunks.out;
        if (r == CHUNKED_DONE) {
            c->body_len = c->chunks.out;
            c->request_bytes = c->head_bytes + c->chunks.raw;
            return dispatch(s, c);
        }
    } else if (c->len - c->head_bytes >= c->head->content_length) {
        c->body_len = (size_t)c->head->content_length;
        c->request_bytes = c->head_bytes + c->body_len;
        return dispatch(s, c);
    }
    if (c->head->expect_continue && !c->continue_sent) {
        static const char go_on[] = "HTTP/1.1 100 Continue\r\n\r\n";
        c->continue_sent = true;
        if (send(c->fd, go_on, sizeof go_on - 1, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof go_on - 1)
            return io_close(s, c);
    }
}

static void on_readable(http_server *s, http_conn *c) {
    if (c->state == CONN_DRAINING) {
        char junk[16384];
        ssize_t n = recv(c->fd, junk, sizeof junk, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) io_close(s, c);
        return;
    }
    if (c->cap - c->len < 4096 && c->cap < s->max_buffer) {
        size_t cap = c->cap ? c->cap * 2 : 8192;
        if (cap > s->max_buffer) cap = s->max_buffer;
        char *b = realloc(c->buf, cap);
        if (!b) return io_refuse(c, 503, "out of memory");
        c->buf = b, c->cap = cap;
    }
    if (c->len == c->cap) return; /* full: only a deadline or a dispatch ends this */
    ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return io_close(s, c);
    if (n > 0) {
        c->len += (size_t)n;
        advance(s, c);
    }
}

/* Counts connections of a client address (idle, reading and being answered). */
static int client_count(http_server *s, const char *client) {
    int n = 0;
    for (http_conn *c = s->io_conns; c; c = c->next) n += !strcmp(c->client, client);
    pthread_mutex_lock(&s->mutex);
    for (http_conn *c = s->processing; c; c = c->next) n += !strcmp(c->client, client);
    pthread_mutex_unlock(&s->mutex);
    return n;
}

/* The longest-waiting idle or reading connection (of client, when not NULL). */
static http_conn *eviction_victim(http_server *s, const char *client) {
    http_conn *v = NULL;
    for (http_conn *c = s->io_conns; c; c = c->next)
        if ((!client || !strcmp(c->client, client)) && (!v || c->since_ms < v->since_ms)) v = c;
    return v;
}

/* Makes room for a new connection of client; false when every one is being answered. */
static bool admit(http_server *s, const char *client) {
    if (client_count(s, client) >= s->o.max_per_client) {
        http_conn *v = eviction_victim(s, client);
        if (!v) return false;
        io_evict(s, v, "too many connections from this address");
    }
    pthread_mutex_lock(&s->mutex);
    int total = s->n_io + s->n_processing;
    pthread_mutex_unlock(&s->mutex);
    if (total >= s->o.max_connections) {
        http_conn *v = eviction_victim(s, NULL);
        if (!v) return false;
        io_evict(s, v, "too many connections");
    }
    return true;
}

/* Who a connection counts against: its IPv4 address, or its IPv6 /64 (one host can
 * have a whole /64 to itself, so single IPv6 addresses would bound nothing). */
static void client_key(const struct sockaddr_storage *addr, char *out, size_t cap) {
    if (addr->ss_family == AF_INET6) {
        struct in6_addr a = ((const struct sockaddr_in6 *)addr)->sin6_addr;
        if (!IN6_IS_ADDR_V4MAPPED(&a)) {
            memset(a.s6_addr + 8, 0, 8);
            char text[INET6_ADDRSTRLEN];
            snprintf(out, cap, "%s/64", inet_ntop(AF_INET6, &a, text, sizeof text) ? text : "?");
            return;
        }
        inet_ntop(AF_INET, a.s6_addr + 12, out, (socklen_t)cap);
        return;
    }
    if (addr->ss_family != AF_INET || !inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, out, (socklen_t)cap))
        snprintf(out, cap, "?");
}

static void accept_new(http_server *s) {
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        struct sockaddr_storage addr;
        socklen_t alen = sizeof addr;
        int fd = accept4(s->listen_fd, (struct sockaddr *)&addr, &alen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            /* out of descriptors or memory: the longest-waiting idle connection makes room;
             * without one the listener (which stays readable) rests, not to spin */
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                http_conn *v = eviction_victim(s, NULL);
                if (v) io_evict(s, v, "too many connections");
                else s->accept_paused_until = lf_time_ms() + ACCEPT_PAUSE_MS;
            }
            return;
        }
        http_conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            return;
        }
        c->fd = fd;
        c->server = s;
        client_key(&addr, c->client, sizeof c->client);
        if (!admit(s, c->client)) {
            send_error_now(c, 503, "too many connections are being answered");
            drain_and_close(c);
            continue;
        }
        set_state(s, c, CONN_IDLE);
        c->next = s->io_conns;
        s->io_conns = c;
        s->n_io++;
    }
}

/* Takes back the connections workers have answered, and serves what they pipelined. */
static void take_returned(http_server *s) {
    uint64_t count;
    if (read(s->wake_fd, &count, sizeof count) < 0) {} /* nothing pending: EAGAIN */
    pthread_mutex_lock(&s->mutex);
    http_conn *list = s->returned;
    s->returned = NULL;
    pthread_mutex_unlock(&s->mutex);
    while (list) {
        http_conn *c = list;
        list = c->next;
        set_state(s, c, CONN_IDLE);
        c->next = s->io_conns;
        s->io_conns = c;
        s->n_io++;
        advance(s, c);
    }
}

static void close_expired(http_server *s, double now) {
    for (http_conn *c = s->io_conns, *next; c; c = next) {
        next = c->next;
        if (now < c->deadline_ms) continue;
        if (c->state == CONN_READING) io_refuse(c, 408, "the request did not arrive in time");
        else io_close(s, c);
    }
}

static int next_timeout(http_server *s, double now) {
    double t = now + POLL_MS;
    for (http_conn *c = s->io_conns; c; c = c->next)
        if (c->deadline_ms < t) t = c->deadline_ms;
    return t <= now ? 0 : (int)(t - now) + 1;
}

static bool stopping(http_server *s) {
    pthread_mutex_lock(&s->mutex);
    bool stop = s->stopping;
    pthread_mutex_unlock(&s->mutex);
    return stop;
}

static void *io_main(void *arg) {
    http_server *s = arg;
    while (!stopping(s)) {
        size_t need = (size_t)s->n_io + 2;
        if (need > s->poll_cap) {
            size_t cap = need * 2;
            struct pollfd *p = realloc(s->polls, cap * sizeof *p);
            if (p) s->polls = p;
            http_conn **q = realloc(s->polled, cap * sizeof *q);
            if (q) s->polled = q;
            if (p && q) s->poll_cap = cap;
        }
        size_t n = 0;
        s->polls[n++] = (struct pollfd){.fd = s->wake_fd, .events = POLLIN};
        s->polls[n++] = (struct pollfd){.fd = lf_time_ms() < s->accept_paused_until ? -1 : s->listen_fd, .events = POLLIN};
        for (http_conn *c = s->io_conns; c && n < s->poll_cap; c = c->next) {
            s->polled[n] = c;
            s->polls[n++] = (struct pollfd){.fd = c->fd, .events = c->state == CONN_DRAINING || c->len < c->cap || c->cap < s->max_buffer ? POLLIN : 0};
        }
        int ready = poll(s->polls, n, next_timeout(s, lf_time_ms()));
        if (ready < 0 && errno != EINTR) break;
        if (ready > 0) {
            if (s->polls[0].revents) take_returned(s);
            /* connections first: the ones accepted below are not in the poll set yet */
            for (size_t i = 2; i < n; i++) {
                if (!s->polls[i].revents) continue;
                if (s->polls[i].revents & POLLIN) on_readable(s, s->polled[i]);
                else io_close(s, s->polled[i]); /* hang-up or error */
            }
            if (s->polls[1].revents & POLLIN) accept_new(s);
        }
        close_expired(s, lf_time_ms());
    }
    while (s->io_conns) io_close(s, s->io_conns);
    pthread_mutex_lock(&s->mutex);
    http_conn *list = s->returned;
    s->returned = NULL;
    pthread_mutex_unlock(&s->mutex);
    for (http_conn *next; list; list = next) next = list->next, conn_free(list);
    return NULL;
}

/* ---------------------------------------------------------------- lifecycle */

static bool is_loopback_addr(const struct sockaddr *a) {
    if (a->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
    if (a->sa_family == AF_INET6) {
        const struct in6_addr *x = &((const struct sockaddr_in6 *)a)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(x) || (IN6_IS_ADDR_V4MAPPED(x) && x->s6_addr[12] == 127);
    }
    return 0;
}

/* Each connection is a descriptor: the soft limit is raised toward what the limits need. */
static void raise_descriptor_limit(int connections) {
    struct rlimit r;
    rlim_t want = (rlim_t)connections + 256;
    if (getrlimit(RLIMIT_NOFILE, &r) || r.rlim_cur >= want) return;
    r.rlim_cur = r.rlim_max == RLIM_INFINITY || r.rlim_max >= want ? want : r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
}

static int bind_listener(http_server *s, char *why, size_t cap) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai;
    char service[16];
    snprintf(service, sizeof service, "%d", s->o.port);
    int rc = getaddrinfo(s->o.host, service, &hints, &ai);
    if (rc) {
        snprintf(why, cap, "--host %s: %s", s->o.host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 1024)) {
        snprintf(why, cap, "cannot listen on %s:%d: %s", s->o.host, s->o.port, strerror(errno));
        if (fd >= 0) close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    s->loopback = is_loopback_addr(ai->ai_addr);
    freeaddrinfo(ai);
    s->listen_fd = fd;
    return 0;
}

static int bound_port_of(int fd) {
    struct sockaddr_storage a;
    socklen_t len = sizeof a;
    if (getsockname(fd, (struct sockaddr *)&a, &len)) return -1;
    return ntohs(a.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&a)->sin6_port
                                         : ((struct sockaddr_in *)&a)->sin_port);
}

static void server_free(http_server *s) {
    if (s->listen_fd >= 0) close(s->listen_fd);
    if (s->wake_fd >= 0) close(s->wake_fd);
    free(s->polls);
    free(s->polled);
    pthread_mutex_destroy(&s->mutex);
    pthread_cond_destroy(&s->worker_done);
    free(s);
}

http_server *http_server_bind(const http_server_options *o, char *why, size_t cap) {
    http_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(why, cap, "out of memory");
        return NULL;
    }
    s->o = *o;
    s->listen_fd = s->wake_fd = -1;
    s->max_buffer = 2 * (size_t)HTTP_HEAD_MAX + o->max_body;
    pthread_mutex_init(&s->mutex, NULL);
    pthread_cond_init(&s->worker_done, NULL);
    raise_descriptor_limit(o->max_connections);
    s->poll_cap = 64;
    s->polls = malloc(s->poll_cap * sizeof *s->polls);
    s->polled = malloc(s->poll_cap * sizeof *s->polled);
    if (!s->polls || !s->polled) snprintf(why, cap, "out of memory");
    else if (!bind_listener(s, why, cap)) {
        s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (s->wake_fd >= 0) return s;
        snprintf(why, cap, "eventfd: %s", strerror(errno));
    }
    server_free(s);
    return NULL;
}

int http_server_port(const http_server *s) { return bound_port_of(s->listen_fd); }

bool http_server_is_loopback(const http_server *s) { return s->loopback; }

int http_server_start(http_server *s, char *why, size_t cap) {
    if (!pthread_create(&s->io_thread, NULL, io_main, s)) {
        s->started = true;
        return 0;
    }
    snprintf(why, cap, "cannot start the server's thread");
    return -1;
}

void http_server_stop(http_server *s, int drain_ms) {
    pthread_mutex_lock(&s->mutex);
    s->stopping = true;
    pthread_mutex_unlock(&s->mutex);
    uint64_t one = 1;
    if (write(s->wake_fd, &one, sizeof one) < 0) {}
    if (s->started) pthread_join(s->io_thread, NULL);
    /* requests being answered get a moment to finish, then their sockets are shut so
     * that workers blocked on a client return */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += drain_ms / 1000;
    until.tv_nsec += (long)(drain_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&s->mutex);
    while (s->n_processing && pthread_cond_timedwait(&s->worker_done, &s->mutex, &until) != ETIMEDOUT) {}
    for (http_conn *c = s->processing; c; c = c->next) shutdown(c->fd, SHUT_RDWR);
    while (s->n_processing) pthread_cond_wait(&s->worker_done, &s->mutex);
    pthread_mutex_unlock(&s->mutex);
    server_free(s);
}
