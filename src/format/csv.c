#include "format/csv.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/utf8_char.h"

void lf_csv_init(lf_csv_reader *r, const void *data, size_t size, const char *name) {
    *r = (lf_csv_reader){.data = data, .name = name, .size = size, .line = 1};
}

void lf_csv_free(lf_csv_reader *r) {
    free(r->buf);
    r->buf = NULL;
    r->buf_cap = 0;
}

/* A record's unquoted text is never longer than its bytes in the file, plus one NUL
 * per field. */
static int reserve(lf_csv_reader *r, size_t need, lf_error *err) {
    if (need <= r->buf_cap) return LF_OK;
    size_t cap = r->buf_cap ? r->buf_cap : 256;
    while (cap < need) cap *= 2;
    char *b = realloc(r->buf, cap);
    if (!b) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", r->name);
    r->buf = b;
    r->buf_cap = cap;
    return LF_OK;
}

static int bad(const lf_csv_reader *r, int line, const char *what, lf_error *err) {
    return lf_fail(err, LF_ERR_FORMAT, "%s:%d: %s", r->name, line, what);
}

int lf_csv_next(lf_csv_reader *r, const char **fields, int *n_fields, int *line, lf_error *err) {
    const unsigned char *d = (const unsigned char *)r->data;
    while (r->pos < r->size && (d[r->pos] == '\n' || d[r->pos] == '\r')) { /* blank lines */
        if (d[r->pos] == '\n') r->line++;
        r->pos++;
    }
    if (r->pos >= r->size) return 0;
    *line = r->line;
    size_t out = 0;
    int n = 0, rc;
    bool quoted = false, was_quoted = false, field_start = true;
    size_t starts[LF_CSV_MAX_FIELDS];
    for (;;) {
        if ((rc = reserve(r, out + 8, err))) return rc;
        if (field_start) {
            if (n == LF_CSV_MAX_FIELDS) return bad(r, *line, "more than 64 fields in a record", err);
            starts[n++] = out;
            field_start = false;
            was_quoted = false;
            if (r->pos < r->size && d[r->pos] == '"') {
                quoted = was_quoted = true;
                r->pos++;
            }
        }
        if (r->pos >= r->size) {
            if (quoted) return bad(r, *line, "unterminated quoted field", err);
            break;
        }
        unsigned char c = d[r->pos];
        if (c == 0) return bad(r, r->line, "NUL byte", err);
        if (quoted) {
            if (c == '"') {
                if (r->pos + 1 < r->size && d[r->pos + 1] == '"') {
                    r->buf[out++] = '"';
                    r->pos += 2;
                } else {
                    quoted = false;
                    r->pos++;
                }
                continue;
            }
        } else if (c == ',' || c == '\n' || c == '\r') {
            r->buf[out++] = '\0';
            if (c == ',') {
                r->pos++;
                field_start = true;
                continue;
            }
            if (c == '\r' && (r->pos + 1 >= r->size || d[r->pos + 1] != '\n'))
                return bad(r, r->line, "carriage return not followed by a line feed", err);
            r->pos += c == '\r' ? 2 : 1;
            r->line++;
            *n_fields = n;
            for (int i = 0; i < n; i++) fields[i] = r->buf + starts[i];
            return 1;
        } else if (c == '"' || was_quoted) {
            return bad(r, r->line, was_quoted ? "text after a closing quote" : "quote inside an unquoted field", err);
        }
        size_t u = lf_utf8_char_length(d + r->pos, r->size - r->pos);
        if (!u) return bad(r, r->line, "invalid UTF-8", err);
        if (c == '\n') r->line++;
        if (out + u > LF_CSV_MAX_RECORD) return bad(r, *line, "record longer than 1 MiB", err);
        if ((rc = reserve(r, out + u + 8, err))) return rc;
        memcpy(r->buf + out, d + r->pos, u);
        out += u;
        r->pos += u;
    }
    r->buf[out++] = '\0';
    *n_fields = n;
    for (int i = 0; i < n; i++) fields[i] = r->buf + starts[i];
    return 1;
}
