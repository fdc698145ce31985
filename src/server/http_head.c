#include "server/http_head.h"

#include <string.h>
#include <strings.h>

/* The longest request-target accepted (414 beyond). */
#define TARGET_MAX 8192

/* RFC 9110 token characters (methods and field names). */
static bool is_tchar(unsigned char c) {
    if (c >= '0' && c <= '9') return true;
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Bytes allowed in a field value: visible ASCII, obs-text, space and tab. */
static bool is_value_char(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

static http_head_result bad(int *status, const char **why, int code, const char *text) {
    *status = code;
    *why = text;
    return HTTP_HEAD_BAD;
}

/* Length of the line at p (up to its LF) without a final CR; -1 for a CR elsewhere. */
static long line_length(const char *p, size_t n) {
    size_t k = n && p[n - 1] == '\r' ? n - 1 : n;
    return memchr(p, '\r', k) ? -1 : (long)k;
}

/* Whether a request line still arriving can become a valid one: lets garbage be
 * refused before its line ends instead of holding the connection until the deadline. */
static bool plausible_start(const char *p, size_t n) {
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)p[i])) i++;
    if (i < n && p[i] != ' ') return false;
    for (; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 ? c != '\r' : c >= 0x7f) return false;
    }
    return true;
}

static http_head_result parse_request_line(http_head *h, char *line, int *status, const char **why) {
    char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || strchr(sp2 + 1, ' ')) return bad(status, why, 400, "malformed request line");
    *sp1 = *sp2 = 0;
    h->method = line;
    h->target = sp1 + 1;
    const char *version = sp2 + 1;
    if (!*h->method || !*h->target) return bad(status, why, 400, "malformed request line");
    for (const char *m = h->method; *m; m++)
        if (!is_tchar((unsigned char)*m)) return bad(status, why, 400, "malformed request method");
    size_t tlen = strlen(h->target);
    if (tlen > TARGET_MAX) return bad(status, why, 414, "request target too long");
    for (const char *t = h->target; *t; t++)
        if ((unsigned char)*t <= 0x20 || (unsigned char)*t >= 0x7f)
            return bad(status, why, 400, "malformed request target");
    if (h->target[0] != '/' && strcmp(h->target, "*"))
        return bad(status, why, 400, "request target must be a path starting with /");
    if (strncmp(version, "HTTP/", 5) || strlen(version) != 8 || version[6] != '.' ||
        version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
        return bad(status, why, 400, "malformed HTTP version");
    if (version[5] != '1') return bad(status, why, 505, "only HTTP/1.0 and HTTP/1.1 are served");
    h->minor = version[7] - '0';
    h->keep_alive = h->minor >= 1;
    return HTTP_HEAD_DONE;
}

/* Connection: a comma-separated list of options. */
static void read_connection(http_head *h, const char *value) {
    for (const char *p = value; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        size_t n = strcspn(p, ", \t");
        if (n == 5 && !strncasecmp(p, "close", 5)) h->keep_alive = false;
        else if (n == 10 && !strncasecmp(p, "keep-alive", 10) && h->minor == 0) h->keep_alive = true;
        p += n;
    }
}

static http_head_result read_length(http_head *h, const char *value, int *status, const char **why) {
    size_t n = strlen(value);
    if (!n || n > 18 || strspn(value, "0123456789") != n) return bad(status, why, 400, "malformed Content-Length");
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = v * 10 + (uint64_t)(value[i] - '0');
    if (h->has_length && v != h->content_length) return bad(status, why, 400, "conflicting Content-Length fields");
    h->has_length = true;
    h->content_length = v;
    return HTTP_HEAD_DONE;
}

/* Checks one "name: value" line and records what the server acts on. */
static http_head_result parse_field(http_head *h, char *line, int *status, const char **why) {
    if (line[0] == ' ' || line[0] == '\t') return bad(status, why, 400, "folded header line");
    char *colon = strchr(line, ':');
    if (!colon || colon == line) return bad(status, why, 400, "malformed header line");
    *colon = 0;
    for (const char *c = line; *c; c++)
        if (!is_tchar((unsigned char)*c)) return bad(status, why, 400, "malformed header name");
    char *value = colon + 1, *end;
    while (*value == ' ' || *value == '\t') value++;
    for (end = value; *end; end++)
        if (!is_value_char((unsigned char)*end)) return bad(status, why, 400, "control byte in a header value");
    while (end > value && (end[-1] == ' ' || end[-1] == '\t')) *--end = 0;
    if (h->n_fields == HTTP_MAX_FIELDS) return bad(status, why, 431, "too many header fields");
    if (!strcasecmp(line, "Host") && http_head_field(h, "Host")) return bad(status, why, 400, "more than one Host");
    h->fields[h->n_fields++] = (http_field){line, value};
    if (!strcasecmp(line, "Content-Length")) return read_length(h, value, status, why);
    if (!strcasecmp(line, "Transfer-Encoding")) {
        if (strcasecmp(value, "chunked") || h->chunked)
            return bad(status, why, 501, "the only transfer coding served is one chunked");
        h->chunked = true;
    }
    if (!strcasecmp(line, "Connection")) read_connection(h, value);
    if (!strcasecmp(line, "Expect")) {
        if (strcasecmp(value, "100-continue")) return bad(status, why, 417, "unknown Expect");
        h->expect_continue = true;
    }
    return HTTP_HEAD_DONE;
}

http_head_result http_head_parse(const char *buf, size_t len, http_head *h, size_t *used, int *status,
                                 const char **why) {
    size_t start = 0;
    while (start < len && (buf[start] == '\r' || buf[start] == '\n')) {
        if (buf[start] == '\r' && (start + 1 >= len || buf[start + 1] != '\n'))
            return start + 1 >= len ? HTTP_HEAD_INCOMPLETE : bad(status, why, 400, "stray CR");
        start += buf[start] == '\r' ? 2 : 1;
        if (start > HTTP_HEAD_MAX) return bad(status, why, 400, "only empty lines");
    }
    /* find the empty line that ends the head, checking the request line early */
    const char *p = buf + start;
    size_t n = len - start, pos = 0, end = 0;
    bool first = true;
    while (!end) {
        const char *lf = memchr(p + pos, '\n', n - pos);
        if (!lf) {
            if (first && !plausible_start(p, n)) return bad(status, why, 400, "malformed request line");
            if (n >= HTTP_HEAD_MAX) return bad(status, why, first ? 414 : 431, "request head too large");
            return HTTP_HEAD_INCOMPLETE;
        }
        size_t line_end = (size_t)(lf - p);
        if (first && !plausible_start(p, line_end)) return bad(status, why, 400, "malformed request line");
        if (line_end + 1 > HTTP_HEAD_MAX) return bad(status, why, first ? 414 : 431, "request head too large");
        if (line_length(p + pos, line_end - pos) == 0 && !first) end = line_end + 1;
        first = false;
        pos = line_end + 1;
    }
    /* the lines are cut as C strings below */
    if (memchr(p, 0, end)) return bad(status, why, 400, "NUL byte in the request head");
    memset(h, 0, offsetof(http_head, text));
    memcpy(h->text, p, end);
    h->text[end] = 0;
    /* cut into lines, then parse each */
    char *line = h->text;
    http_head_result rc = HTTP_HEAD_DONE;
    for (int i = 0; rc == HTTP_HEAD_DONE; i++) {
        char *lf = strchr(line, '\n');
        long k = line_length(line, (size_t)(lf - line));
        if (k < 0) return bad(status, why, 400, "stray CR");
        line[k] = 0;
        if (k == 0) break;
        rc = i == 0 ? parse_request_line(h, line, status, why) : parse_field(h, line, status, why);
        line = lf + 1;
    }
    if (rc != HTTP_HEAD_DONE) return rc;
    if (h->minor >= 1 && !http_head_field(h, "Host")) return bad(status, why, 400, "HTTP/1.1 request without Host");
    /* both would let a proxy and this server disagree on where the body ends */
    if (h->chunked && h->has_length) return bad(status, why, 400, "both Content-Length and Transfer-Encoding");
    if (h->chunked && h->minor == 0) return bad(status, why, 400, "chunked body in an HTTP/1.0 request");
    *used = start + end;
    return HTTP_HEAD_DONE;
}

const char *http_head_field(const http_head *h, const char *name) {
    for (int i = 0; i < h->n_fields; i++)
        if (!strcasecmp(h->fields[i].name, name)) return h->fields[i].value;
    return NULL;
}
