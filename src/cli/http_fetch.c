#include "cli/http_fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "frontend/print_escaped.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
}

bool http_init(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: blocking calls return so we notice */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

void http_cleanup(void) { curl_global_cleanup(); }

bool http_interrupted(void) { return interrupted != 0; }

bool http_sleep_ms(long ms) {
    for (; ms > 0 && !interrupted; ms -= 100) {
        struct timespec t = {0, (ms < 100 ? ms : 100) * 1000000L};
        nanosleep(&t, NULL);
    }
    return !interrupted;
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* One transfer: what the responses said and where the body goes. */
typedef struct transfer {
    /* the current response of the redirect chain */
    long status;
    int n_responses;
    int64_t content_length, range_start, range_total;
    /* hub headers, kept across the chain (they come with the redirect to the CDN) */
    int64_t linked_size;
    char linked_sha256[65], first_etag_sha256[65];
    /* body into a file ... */
    int fd;
    int64_t offset; /* bytes of the .part before this request */
    bool body_started, range_mismatch, local_error;
    int local_errno;
    /* ... or into memory */
    char *mem;
    size_t mem_len, mem_cap, mem_max;
    bool too_big;
    /* progress display */
    const char *label;
    bool tty;
    double started_at, last_shown;
    int last_quarter;
} transfer;

static void trim(const char **s, size_t *len) {
    while (*len && (**s == ' ' || **s == '\t')) (*s)++, (*len)--;
    while (*len && ((*s)[*len - 1] == '\r' || (*s)[*len - 1] == '\n' || (*s)[*len - 1] == ' ')) (*len)--;
}

/* A header value that is a sha256 ("abc…", W/"abc…") into out, else leaves out alone. */
static void parse_sha256(const char *v, size_t len, char out[65]) {
    if (len >= 2 && v[0] == 'W' && v[1] == '/') v += 2, len -= 2;
    if (len >= 2 && v[0] == '"' && v[len - 1] == '"') v++, len -= 2;
    if (len != 64) return;
    for (size_t i = 0; i < 64; i++) {
        char c = v[i];
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!hex) return;
        out[i] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    }
    out[64] = 0;
}

static int64_t parse_i64(const char *v, size_t len) {
    char tmp[32];
    if (len == 0 || len >= sizeof tmp) return -1;
    memcpy(tmp, v, len);
    tmp[len] = 0;
    char *end;
    errno = 0;
    long long x = strtoll(tmp, &end, 10);
    return (errno || *end || x < 0) ? -1 : x;
}

static bool header_is(const char *line, size_t name_len, const char *name) {
    return strlen(name) == name_len && strncasecmp(line, name, name_len) == 0;
}

static size_t on_header(char *line, size_t size, size_t count, void *user) {
    transfer *t = user;
    size_t len = size * count;
    if (len >= 5 && !strncmp(line, "HTTP/", 5)) { /* a new response (redirects start over) */
        const char *sp = memchr(line, ' ', len);
        t->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        t->n_responses++;
        t->content_length = t->range_start = t->range_total = -1;
        return len;
    }
    const char *colon = memchr(line, ':', len);
    if (!colon) return len;
    size_t name_len = (size_t)(colon - line);
    const char *v = colon + 1;
    size_t vlen = len - name_len - 1;
    trim(&v, &vlen);
    if (header_is(line, name_len, "content-length")) t->content_length = parse_i64(v, vlen);
    else if (header_is(line, name_len, "x-linked-size")) t->linked_size = parse_i64(v, vlen);
    else if (header_is(line, name_len, "x-linked-etag")) parse_sha256(v, vlen, t->linked_sha256);
    else if (header_is(line, name_len, "etag") && t->n_responses == 1) parse_sha256(v, vlen, t->first_etag_sha256);
    else if (header_is(line, name_len, "content-range") && vlen > 6 && !strncasecmp(v, "bytes ", 6)) {
        /* "bytes FIRST-LAST/TOTAL" or "bytes * /TOTAL" */
        const char *slash = memchr(v, '/', vlen);
        if (slash) t->range_total = parse_i64(slash + 1, vlen - (size_t)(slash + 1 - v));
        const char *dash = memchr(v, '-', vlen);
        if (dash && v[6] != '*') t->range_start = parse_i64(v + 6, (size_t)(dash - v - 6));
    }
    return len;
}

static bool write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static size_t on_body(char *data, size_t size, size_t count, void *user) {
    transfer *t = user;
    size_t len = size * count;
    if (t->status < 200 || t->status >= 300) return len; /* an error page or a redirect: dropped */
    if (t->fd < 0) {
        if (len > t->mem_max - t->mem_len) {
            t->too_big = true;
            return 0;
        }
        if (t->mem_len + len + 1 > t->mem_cap) {
            size_t cap = (t->mem_len + len + 1) * 2;
            char *p = realloc(t->mem, cap);
            if (!p) {
                t->local_error = true;
                t->local_errno = ENOMEM;
                return 0;
            }
            t->mem = p;
            t->mem_cap = cap;
        }
        memcpy(t->mem + t->mem_len, data, len);
        t->mem_len += len;
        t->mem[t->mem_len] = 0;
        return len;
    }
    if (!t->body_started) {
        t->body_started = true;
        if (t->status == 206 && t->range_start != t->offset) {
            t->range_mismatch = true; /* resumed elsewhere than asked: the next attempt starts over */
            if (ftruncate(t->fd, 0) != 0) {
                t->local_error = true;
                t->local_errno = errno;
            }
            return 0;
        }
        if (t->status != 206 && t->offset > 0) { /* the server sent the whole file */
            if (ftruncate(t->fd, 0) != 0 || lseek(t->fd, 0, SEEK_SET) != 0) {
                t->local_error = true;
                t->local_errno = errno;
                return 0;
            }
            t->offset = 0;
        }
    }
    if (!write_all(t->fd, data, len)) {
        t->local_error = true;
        t->local_errno = errno;
        return 0;
    }
    return len;
}

static void format_bytes(double n, char *buf, size_t cap) {
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (n >= 1024 && u < 4) n /= 1024, u++;
    snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", n, units[u]);
}

static void show_progress(transfer *t, double have, double total, bool last) {
    double now = now_seconds(), rate = (have - (double)t->offset) / (now - t->started_at + 1e-9);
    int quarter = total > 0 ? (int)(4 * have / total) : 0;
    /* a terminal gets a bar redrawn five times a second; a log gets a line per quarter
     * (or half minute), the last one when the file is complete */
    bool due = t->tty ? now - t->last_shown >= 0.2 : (quarter != t->last_quarter && quarter < 4) || now - t->last_shown >= 30;
    if (!last && !due) return;
    t->last_shown = now;
    t->last_quarter = quarter;
    char h[32], tot[32], r[32];
    format_bytes(have, h, sizeof h);
    format_bytes(total, tot, sizeof tot);
    format_bytes(rate, r, sizeof r);
    /* the label names a file from the hub: escaped, unlike the line's own \r and erase */
    if (t->tty) fputc('\r', stderr);
    if (total > 0)
        print_escaped(stderr, "%s: %s / %s %3d%%  %s/s", t->label, h, tot, (int)(100 * have / total), r);
    else
        print_escaped(stderr, "%s: %s  %s/s", t->label, h, r);
    fputs(t->tty ? "\033[K" : "\n", stderr);
    if (t->tty && last) fputc('\n', stderr);
}

static int on_progress(void *user, curl_off_t dl_total, curl_off_t dl_now, curl_off_t ul_total, curl_off_t ul_now) {
    (void)ul_total;
    (void)ul_now;
    transfer *t = user;
    if (interrupted) return 1;
    if (t->fd >= 0 && t->status >= 200 && t->status < 300 && dl_now > 0)
        show_progress(t, (double)(t->offset + dl_now), dl_total > 0 ? (double)(t->offset + dl_total) : -1, false);
    return 0;
}

/* One request; fills t. */
static CURLcode perform(const char *url, const http_options *opt, transfer *t, char *curl_err) {
    CURL *c = curl_easy_init();
    if (!c) return CURLE_OUT_OF_MEMORY;
    struct curl_slist *headers = NULL;
    if (opt->token && *opt->token) {
        char auth[4096];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", opt->token);
        headers = curl_slist_append(headers, auth);
        memset(auth, 0, sizeof auth);
    }
    char range[64];
    snprintf(range, sizeof range, "%lld-", (long long)t->offset);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "llama-fast");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L); /* stalled for a minute: give up (and retry) */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);
    /* A plain Range header (not CURLOPT_RESUME_FROM) so that a 200 answer is accepted too. */
    if (t->fd >= 0 && t->offset > 0) curl_easy_setopt(c, CURLOPT_RANGE, range);
    curl_err[0] = 0;
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    return rc;
}

/* Outcome of one attempt; *retry says whether another attempt may succeed. */
static int classify(CURLcode rc, const transfer *t, const char *curl_err, bool *retry, char *msg, size_t cap) {
    *retry = false;
    if (rc == CURLE_ABORTED_BY_CALLBACK || interrupted) {
        snprintf(msg, cap, "interrupted");
        return HTTP_ERR_INTERRUPTED;
    }
    if (t->local_error) {
        snprintf(msg, cap, "cannot store the data: %s", strerror(t->local_errno));
        return HTTP_ERR_LOCAL;
    }
    if (t->too_big) {
        snprintf(msg, cap, "response larger than %zu bytes", t->mem_max);
        return HTTP_ERR_STATUS;
    }
    if (t->range_mismatch) {
        snprintf(msg, cap, "server resumed at byte %lld instead of %lld", (long long)t->range_start,
                 (long long)t->offset);
        *retry = true;
        return HTTP_ERR_NETWORK;
    }
    if (rc != CURLE_OK) {
        snprintf(msg, cap, "%s", curl_err[0] ? curl_err : curl_easy_strerror(rc));
        *retry = rc != CURLE_UNSUPPORTED_PROTOCOL && rc != CURLE_URL_MALFORMAT && rc != CURLE_PEER_FAILED_VERIFICATION &&
                 rc != CURLE_SSL_CACERT_BADFILE && rc != CURLE_TOO_MANY_REDIRECTS;
        return HTTP_ERR_NETWORK;
    }
    if (t->status >= 200 && t->status < 300) return HTTP_OK;
    snprintf(msg, cap, "HTTP status %ld", t->status);
    if (t->status == 401 || t->status == 403) return HTTP_ERR_AUTH;
    if (t->status == 404) return HTTP_ERR_NOT_FOUND;
    *retry = t->status == 429 || t->status >= 500;
    return *retry ? HTTP_ERR_NETWORK : HTTP_ERR_STATUS;
}

/* Runs attempts until one succeeds, fails for good, or the retries are spent. */
static int run_with_retries(const char *url, const http_options *opt, transfer *t, long *http_code, char *msg,
                            size_t cap) {
    for (int attempt = 0;; attempt++) {
        char curl_err[CURL_ERROR_SIZE];
        t->status = 0;
        t->n_responses = 0;
        t->body_started = t->range_mismatch = false;
        t->linked_size = -1;
        t->linked_sha256[0] = t->first_etag_sha256[0] = 0;
        t->started_at = t->last_shown = now_seconds();
        t->last_quarter = -1;
        if (t->fd >= 0) {
            off_t end = lseek(t->fd, 0, SEEK_END);
            t->offset = end < 0 ? 0 : end;
        } else {
            t->mem_len = 0;
        }
        CURLcode rc = perform(url, opt, t, curl_err);
        *http_code = t->status;
        bool retry;
        int status = classify(rc, t, curl_err, &retry, msg, cap);
        /* 416: the .part already holds the whole file when its size is the total */
        if (status == HTTP_ERR_STATUS && t->status == 416 && t->fd >= 0) {
            if (t->range_total == t->offset) return HTTP_OK;
            if (ftruncate(t->fd, 0) != 0) {
                snprintf(msg, cap, "cannot truncate the partial file: %s", strerror(errno));
                return HTTP_ERR_LOCAL;
            }
            retry = true; /* the .part is longer than the file: start over */
        }
        if (status == HTTP_OK || !retry || attempt >= opt->retries) return status;
        long delay_ms = 1000L << (attempt < 5 ? attempt : 5);
        print_escaped(stderr, "%s: %s; retrying in %lds (attempt %d of %d)\n", opt->label, msg, delay_ms / 1000,
                      attempt + 2, opt->retries + 1);
        if (!http_sleep_ms(delay_ms)) {
            snprintf(msg, cap, "interrupted");
            return HTTP_ERR_INTERRUPTED;
        }
    }
}

static void init_transfer(transfer *t, const http_options *opt) {
    memset(t, 0, sizeof *t);
    t->fd = -1;
    t->label = opt->label ? opt->label : "download";
    t->tty = isatty(STDERR_FILENO);
}

int http_get(const char *url, const http_options *opt, size_t max_bytes, char **body, size_t *len, long *http_code,
             char *msg, size_t msg_cap) {
    transfer t;
    init_transfer(&t, opt);
    t.mem_max = max_bytes;
    *body = NULL;
    *len = 0;
    int rc = run_with_retries(url, opt, &t, http_code, msg, msg_cap);
    if (rc == HTTP_OK && !t.mem && !(t.mem = calloc(1, 1))) rc = HTTP_ERR_LOCAL;
    if (rc != HTTP_OK) {
        free(t.mem);
        return rc;
    }
    *body = t.mem;
    *len = t.mem_len;
    return HTTP_OK;
}

int http_download(const char *url, const http_options *opt, bool trust_etag, const char *part_path,
                  http_file_info *info, long *http_code, char *msg, size_t msg_cap) {
    transfer t;
    init_transfer(&t, opt);
    info->size = -1;
    info->sha256[0] = 0;
    t.fd = open(part_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (t.fd < 0) {
        snprintf(msg, msg_cap, "cannot open %s: %s", part_path, strerror(errno));
        return HTTP_ERR_LOCAL;
    }
    int rc = run_with_retries(url, opt, &t, http_code, msg, msg_cap);
    if (rc == HTTP_OK) {
        if (t.linked_size >= 0) info->size = t.linked_size;
        else if (t.range_total >= 0) info->size = t.range_total;
        else if (t.status == 200 && t.content_length >= 0) info->size = t.content_length;
        snprintf(info->sha256, sizeof info->sha256, "%s",
                 t.linked_sha256[0] ? t.linked_sha256 : trust_etag ? t.first_etag_sha256 : "");
        off_t end = lseek(t.fd, 0, SEEK_END);
        show_progress(&t, (double)end, (double)info->size, true);
    }
    /* a refused request leaves no empty .part behind */
    if (rc != HTTP_OK && lseek(t.fd, 0, SEEK_END) == 0) unlink(part_path);
    if (close(t.fd) != 0 && rc == HTTP_OK) {
        snprintf(msg, msg_cap, "cannot write %s: %s", part_path, strerror(errno));
        rc = HTTP_ERR_LOCAL;
    }
    return rc;
}
