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

#define ETAG_MAX 200

/* One transfer: what the responses said and where the body goes. */
typedef struct transfer {
    /* the current response of the redirect chain */
    long status;
    int n_responses;
    int64_t content_length, range_start, range_total;
    char etag[ETAG_MAX + 1]; /* strong ETag, quotes included; "" none or weak */
    /* hub headers, kept across the chain (they come with the redirect to the CDN) */
    int64_t linked_size;
    char linked_etag[ETAG_MAX + 1], first_etag[ETAG_MAX + 1];
    /* body into a file ... */
    int fd;
    int64_t offset;                     /* bytes of the .part before this request */
    const char *validator_path;         /* see http_download */
    char resume_etag[ETAG_MAX + 1];     /* the ETag the .part's bytes were fetched under */
    bool body_started, range_mismatch, object_changed, local_error;
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

/* A strong entity tag (RFC 9110 8.8.3: '"' etagc* '"', no W/) into out, else "" into out:
 * only a strong one says two responses carry the same bytes, and it is checked here so
 * that nothing else reaches a request header or a message. */
static void keep_strong_etag(const char *v, size_t len, char out[ETAG_MAX + 1]) {
    out[0] = 0;
    if (len < 2 || len > ETAG_MAX || v[0] != '"' || v[len - 1] != '"') return;
    for (size_t i = 1; i + 1 < len; i++)
        if ((unsigned char)v[i] < 0x21 || v[i] == '"' || (unsigned char)v[i] > 0x7e) return;
    memcpy(out, v, len);
    out[len] = 0;
}

/* The lower-case hex digest of n digits an ETag holds ("abc..."), else "". */
static void etag_digest(const char *etag, size_t n, char *out) {
    out[0] = 0;
    if (strlen(etag) != n + 2) return;
    for (size_t i = 0; i < n; i++) {
        char c = etag[i + 1];
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!hex) {
            out[0] = 0;
            return;
        }
        out[i] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    }
    out[n] = 0;
}

/* What identifies the object a response chain ends in: the hub's X-Linked-Etag when it
 * redirected to a CDN (whose own ETag means nothing to the hub), else the last ETag. */
static const char *chain_etag(const transfer *t) { return t->linked_etag[0] ? t->linked_etag : t->etag; }

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
        t->etag[0] = 0;
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
    else if (header_is(line, name_len, "x-linked-etag")) keep_strong_etag(v, vlen, t->linked_etag);
    else if (header_is(line, name_len, "etag")) {
        keep_strong_etag(v, vlen, t->etag);
        if (t->n_responses == 1) memcpy(t->first_etag, t->etag, sizeof t->etag);
    }
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

/* Empties the .part and forgets which object it held. */
static bool start_over(transfer *t) {
    unlink(t->validator_path);
    t->resume_etag[0] = 0;
    t->offset = 0;
    if (ftruncate(t->fd, 0) != 0 || lseek(t->fd, 0, SEEK_SET) != 0) {
        t->local_error = true;
        t->local_errno = errno;
        return false;
    }
    return true;
}

/* Decides, before the first byte of a body, whether it continues the .part or replaces
 * it; false stops the transfer. */
static bool begin_body(transfer *t) {
    const char *etag = chain_etag(t);
    if (t->status == 206 && t->range_start != t->offset) {
        t->range_mismatch = true; /* resumed elsewhere than asked: the next attempt starts over */
        start_over(t);
        return false;
    }
    if (t->offset > 0 && t->status == 206) {
        if (t->resume_etag[0] && !strcmp(etag, t->resume_etag)) return true;
        /* the server sent the rest of another object (it ignored If-Range, or the CDN
         * behind a redirect never saw it): nothing of the .part can be kept */
        t->object_changed = true;
        start_over(t);
        return false;
    }
    /* a whole object (200: it changed, or the server ignores Range): the ETag goes to disk
     * before its first byte, so that the .part is never ahead of its validator */
    if (t->offset > 0 && !start_over(t)) return false;
    unlink(t->validator_path);
    if (!etag[0]) return true;
    int fd = open(t->validator_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    bool ok = fd >= 0 && write_all(fd, etag, strlen(etag)) && write_all(fd, "\n", 1);
    int e = errno;
    if (fd >= 0 && close(fd) != 0) ok = false;
    if (!ok) {
        t->local_error = true;
        t->local_errno = e;
        return false;
    }
    memcpy(t->resume_etag, etag, sizeof t->resume_etag);
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
        if (!begin_body(t)) return 0;
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

/* Whether two URLs share scheme, host and port (where a bearer token may go). */
static bool same_origin(const char *a, const char *b) {
    static const CURLUPart parts[] = {CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT};
    CURLU *ua = curl_url(), *ub = curl_url();
    bool same = ua && ub && curl_url_set(ua, CURLUPART_URL, a, 0) == CURLUE_OK &&
                curl_url_set(ub, CURLUPART_URL, b, 0) == CURLUE_OK;
    for (size_t i = 0; same && i < sizeof parts / sizeof parts[0]; i++) {
        char *pa = NULL, *pb = NULL;
        curl_url_get(ua, parts[i], &pa, CURLU_DEFAULT_PORT);
        curl_url_get(ub, parts[i], &pb, CURLU_DEFAULT_PORT);
        same = pa && pb && !strcasecmp(pa, pb);
        curl_free(pa);
        curl_free(pb);
    }
    curl_url_cleanup(ua);
    curl_url_cleanup(ub);
    return same;
}

/* The request headers of one hop: the token to the first server's origin only; a resumed
 * download's Range everywhere, its If-Range to the first server only (a CDN behind the
 * hub has its own ETags). NULL when out of memory. */
static struct curl_slist *hop_headers(const char *url, const char *first_url, int hop, const http_options *opt,
                                      const transfer *t, bool *oom) {
    struct curl_slist *headers = NULL, *next;
    char line[4096];
    *oom = false;
    if (opt->token && *opt->token && (hop == 0 || same_origin(url, first_url))) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", opt->token);
        next = curl_slist_append(headers, line);
        memset(line, 0, sizeof line);
        if (!next) goto fail;
        headers = next;
    }
    if (t->fd >= 0 && t->offset > 0) {
        snprintf(line, sizeof line, "Range: bytes=%lld-", (long long)t->offset);
        if (!(next = curl_slist_append(headers, line))) goto fail;
        headers = next;
        if (hop == 0 && t->resume_etag[0]) {
            snprintf(line, sizeof line, "If-Range: %s", t->resume_etag);
            if (!(next = curl_slist_append(headers, line))) goto fail;
            headers = next;
        }
    }
    return headers;
fail:
    curl_slist_free_all(headers);
    *oom = true;
    return NULL;
}

/* One request and its redirects; fills t. */
static CURLcode perform(const char *url, const http_options *opt, transfer *t, char *curl_err) {
    CURL *c = curl_easy_init();
    if (!c) return CURLE_OUT_OF_MEMORY;
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
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
    char where[8192];
    snprintf(where, sizeof where, "%s", url);
    CURLcode rc = CURLE_OK;
    for (int hop = 0;; hop++) {
        if (hop > 10) {
            rc = CURLE_TOO_MANY_REDIRECTS;
            break;
        }
        bool oom;
        struct curl_slist *headers = hop_headers(where, url, hop, opt, t, &oom);
        if (oom) {
            rc = CURLE_OUT_OF_MEMORY;
            break;
        }
        curl_easy_setopt(c, CURLOPT_URL, where);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_err[0] = 0;
        rc = curl_easy_perform(c);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
        curl_slist_free_all(headers);
        char *next = NULL;
        if (rc != CURLE_OK || t->status < 300 || t->status >= 400 ||
            curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &next) != CURLE_OK || !next)
            break;
        if (strlen(next) >= sizeof where) {
            rc = CURLE_URL_MALFORMAT;
            break;
        }
        memmove(where, next, strlen(next) + 1);
    }
    curl_easy_cleanup(c);
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
    if (t->object_changed) {
        snprintf(msg, cap, "the file changed on the server since the partial download began");
        *retry = true;
        return HTTP_ERR_NETWORK;
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
    bool restarted = false;
    for (int attempt = 0;;) {
        char curl_err[CURL_ERROR_SIZE];
        t->status = 0;
        t->n_responses = 0;
        t->body_started = t->range_mismatch = t->object_changed = false;
        t->linked_size = -1;
        t->etag[0] = t->linked_etag[0] = t->first_etag[0] = 0;
        t->started_at = t->last_shown = now_seconds();
        t->last_quarter = -1;
        if (t->fd >= 0) {
            off_t end = lseek(t->fd, 0, SEEK_END);
            t->offset = end < 0 ? 0 : end;
            if (t->offset > 0 && !t->resume_etag[0]) { /* no ETag, or a weak one: nothing to resume from */
                fprintf(stderr, "%s: no record of which version the partial download holds; starting over\n",
                        t->label);
                if (!start_over(t)) {
                    snprintf(msg, cap, "cannot truncate the partial file: %s", strerror(t->local_errno));
                    return HTTP_ERR_LOCAL;
                }
            }
        } else {
            t->mem_len = 0;
        }
        CURLcode rc = perform(url, opt, t, curl_err);
        *http_code = t->status;
        bool retry;
        int status = classify(rc, t, curl_err, &retry, msg, cap);
        /* 416: the .part already holds the whole file when its size is the total and the
         * object is still the one it was fetched from; else it starts over */
        if (status == HTTP_ERR_STATUS && t->status == 416 && t->fd >= 0) {
            if (t->range_total == t->offset && t->resume_etag[0] && !strcmp(chain_etag(t), t->resume_etag))
                return HTTP_OK;
            if (!start_over(t)) {
                snprintf(msg, cap, "cannot truncate the partial file: %s", strerror(t->local_errno));
                return HTTP_ERR_LOCAL;
            }
            t->object_changed = retry = true;
            snprintf(msg, cap, "the partial download does not match the file on the server");
        }
        if (status == HTTP_OK) return status;
        /* a changed object starts over at once, the first time (no pause, no attempt spent) */
        if (t->object_changed && !restarted) {
            restarted = true;
            fprintf(stderr, "%s: %s; starting over\n", opt->label, msg);
            continue;
        }
        if (!retry || attempt >= opt->retries) return status;
        long delay_ms = 1000L << (attempt < 5 ? attempt : 5);
        print_escaped(stderr, "%s: %s; retrying in %lds (attempt %d of %d)\n", opt->label, msg, delay_ms / 1000,
                      attempt + 2, opt->retries + 1);
        if (!http_sleep_ms(delay_ms)) {
            snprintf(msg, cap, "interrupted");
            return HTTP_ERR_INTERRUPTED;
        }
        attempt++;
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

/* The ETag a .part was started under, from its validator file; "" when there is none
 * or it is not a strong ETag on one line. */
static void read_validator(const char *path, char etag[ETAG_MAX + 1]) {
    etag[0] = 0;
    char buf[ETAG_MAX + 2];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return;
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n >= 2 && buf[n - 1] == '\n') keep_strong_etag(buf, (size_t)n - 1, etag);
}

int http_download(const char *url, const http_options *opt, bool trust_etag, const char *part_path,
                  const char *validator_path, http_file_info *info, long *http_code, char *msg, size_t msg_cap) {
    transfer t;
    init_transfer(&t, opt);
    info->size = -1;
    info->sha256[0] = info->git_oid[0] = 0;
    t.validator_path = validator_path;
    t.fd = open(part_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (t.fd < 0) {
        snprintf(msg, msg_cap, "cannot open %s: %s", part_path, strerror(errno));
        return HTTP_ERR_LOCAL;
    }
    read_validator(validator_path, t.resume_etag);
    int rc = run_with_retries(url, opt, &t, http_code, msg, msg_cap);
    if (rc == HTTP_OK) {
        if (t.linked_size >= 0) info->size = t.linked_size;
        else if (t.range_total >= 0) info->size = t.range_total;
        else if (t.status == 200 && t.content_length >= 0) info->size = t.content_length;
        /* the hub names a file behind a redirect by X-Linked-Etag (its sha256), one it
         * serves itself by its ETag (sha256 for LFS, else the git blob id) */
        if (t.linked_etag[0]) etag_digest(t.linked_etag, 64, info->sha256);
        else if (trust_etag) {
            etag_digest(t.first_etag, 64, info->sha256);
            etag_digest(t.first_etag, 40, info->git_oid);
        }
        off_t end = lseek(t.fd, 0, SEEK_END);
        show_progress(&t, (double)end, (double)info->size, true);
    }
    /* a refused request leaves no empty .part behind */
    if (rc != HTTP_OK && lseek(t.fd, 0, SEEK_END) == 0) {
        unlink(part_path);
        unlink(validator_path);
    }
    if (close(t.fd) != 0 && rc == HTTP_OK) {
        snprintf(msg, msg_cap, "cannot write %s: %s", part_path, strerror(errno));
        rc = HTTP_ERR_LOCAL;
    }
    return rc;
}
