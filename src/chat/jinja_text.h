/* UTF-8 and Python str helpers for the Jinja interpreter: Python strings are sequences
 * of code points, so lengths, indexes, slices and whitespace follow code points. */
#ifndef LF_CHAT_JINJA_TEXT_H
#define LF_CHAT_JINJA_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes cp as UTF-8 (1-4 bytes) and returns the byte count. */
size_t jinja_utf8_encode(uint32_t cp, char *out);
/* Code point at s[*i] (a stray byte counts as one code point), advancing *i. */
uint32_t jinja_utf8_next(const char *s, size_t n, size_t *i);
size_t jinja_utf8_length(const char *s, size_t n);
/* Byte offset of code point index k (n when k is past the end). */
size_t jinja_utf8_offset(const char *s, size_t n, size_t k);
/* str.isspace() of one code point. */
bool jinja_is_space(uint32_t cp);
/* Simple case mappings: ASCII, Latin-1, Greek and Cyrillic letters. */
uint32_t jinja_upper(uint32_t cp);
uint32_t jinja_lower(uint32_t cp);
bool jinja_is_cased_letter(uint32_t cp);
/* strtod of a C-locale decimal literal. */
double jinja_parse_double(const char *s);

#endif
