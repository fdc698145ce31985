#include "server/http_chunked.h"

#include <string.h>

/* Longest chunk-size line (size and extensions) and trailer line accepted. */
#define LINE_MAX_BYTES 4096

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The line at buf[d->raw, len): its length without CRLF in *n, or -1 when incomplete,
 * -2 when too long or with a bare CR. */
static int next_line(const chunked_decoder *d, const char *buf, size_t len, size_t *n, size_t *with_end) {
    const char *p = buf + d->raw, *lf = memchr(p, '\n', len - d->raw);
    if (!lf) return len - d->raw > LINE_MAX_BYTES ? -2 : -1;
    size_t k = (size_t)(lf - p);
    *with_end = k + 1;
    if (k && p[k - 1] == '\r') k--;
    if (k > LINE_MAX_BYTES || memchr(p, '\r', k)) return -2;
    *n = k;
    return 0;
}

chunked_result chunked_decode(chunked_decoder *d, char *buf, size_t len, size_t max) {
    for (;;) {
        size_t n = 0, step = 0;
        int rc;
        switch (d->state) {
        case CHUNK_SIZE: {
            if ((rc = next_line(d, buf, len, &n, &step))) return rc == -1 ? CHUNKED_MORE : CHUNKED_BAD;
            const char *p = buf + d->raw;
            uint64_t size = 0;
            size_t i = 0;
            for (; i < n && hex_value(p[i]) >= 0; i++) {
                if (i == 15) return CHUNKED_BAD;
                size = size * 16 + (uint64_t)hex_value(p[i]);
            }
            if (!i || (i < n && p[i] != ';' && p[i] != ' ' && p[i] != '\t')) return CHUNKED_BAD;
            if (size > max - d->out) return CHUNKED_TOO_LARGE;
            d->raw += step;
            d->left = size;
            d->state = size ? CHUNK_DATA : CHUNK_TRAILER;
            break;
        }
        case CHUNK_DATA: {
            size_t have = len - d->raw, take = have < d->left ? have : (size_t)d->left;
            if (!take) return CHUNKED_MORE;
            memmove(buf + d->out, buf + d->raw, take);
            d->out += take, d->raw += take, d->left -= take;
            if (!d->left) d->state = CHUNK_DATA_END;
            break;
        }
        case CHUNK_DATA_END:
            if ((rc = next_line(d, buf, len, &n, &step))) return rc == -1 ? CHUNKED_MORE : CHUNKED_BAD;
            if (n) return CHUNKED_BAD;
            d->raw += step;
            d->state = CHUNK_SIZE;
            break;
        case CHUNK_TRAILER:
            if ((rc = next_line(d, buf, len, &n, &step))) return rc == -1 ? CHUNKED_MORE : CHUNKED_BAD;
            d->raw += step;
            if (!n) d->state = CHUNK_DONE;
            break;
        case CHUNK_DONE: return CHUNKED_DONE;
        }
    }
}
