/* RFC 4180 CSV records (MMLU's data files): fields separated by commas, optionally quoted
 * with "" standing for one quote inside a quoted field, records ended by LF or CRLF (also
 * inside quotes, where line breaks are data). Every field must be valid UTF-8. */
#ifndef LF_FORMAT_CSV_H
#define LF_FORMAT_CSV_H

#include <stddef.h>

#include "llamafast.h"

#define LF_CSV_MAX_FIELDS 64
#define LF_CSV_MAX_RECORD (1 << 20) /* bytes of one record's text */

typedef struct lf_csv_reader {
    const char *data, *name; /* name: for messages */
    size_t size, pos;
    int line;                /* 1-based line of the next record's start */
    char *buf;               /* the unquoted fields of the last record, NUL-separated */
    size_t buf_cap;
} lf_csv_reader;

void lf_csv_init(lf_csv_reader *r, const void *data, size_t size, const char *name);
/* Reads the next record: *n_fields fields (at most LF_CSV_MAX_FIELDS), each a
 * NUL-terminated string valid until the next call, and *line the line it starts on.
 * Returns 1 for a record, 0 at the end, or an lf_status naming the name and line (an
 * unterminated quote, text after a closing quote, a NUL byte, invalid UTF-8, too many
 * fields, a record longer than LF_CSV_MAX_RECORD). Blank lines are skipped. */
int lf_csv_next(lf_csv_reader *r, const char **fields, int *n_fields, int *line, lf_error *err);
void lf_csv_free(lf_csv_reader *r);

#endif
