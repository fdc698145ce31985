/* Text from the model (token pieces, detokenized ids) as JSON strings, which must be
 * valid UTF-8. */
#ifndef LF_SERVER_UTF8_TEXT_H
#define LF_SERVER_UTF8_TEXT_H

#include <jansson.h>
#include <stddef.h>

/* The length of the valid UTF-8 sequence at p (of at most left bytes), or 0 when the
 * bytes there are not one (overlong forms, surrogates, above U+10FFFF, cut short). */
int utf8_sequence_length(const unsigned char *p, size_t left);
/* A JSON string of s[0, n) with each byte that is not part of a valid sequence replaced
 * by U+FFFD; NULL when out of memory. */
json_t *utf8_json_string(const char *s, size_t n);

#endif
