/* Writes GBNF text (for the JSON Schema and regular expression translators): a growing
 * buffer plus escaping of literals and class items. */
#ifndef LF_GRAMMAR_GBNF_WRITER_H
#define LF_GRAMMAR_GBNF_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gbnf_writer {
    char *s;
    size_t n, cap;
    bool oom; /* set once an append failed; the text is then incomplete */
} gbnf_writer;

void gw_printf(gbnf_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "…": a GBNF literal matching the UTF-8 bytes s[0, len) (code points escaped as needed). */
void gw_literal(gbnf_writer *w, const char *s, size_t len);
/* One code point inside a literal or a class, escaped for GBNF. */
void gw_char(gbnf_writer *w, uint32_t cp);
void gw_free(gbnf_writer *w);

#endif
