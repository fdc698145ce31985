/* Base64 decoding (RFC 4648) for the two places files carry it: tiktoken rank files
 * (standard alphabet, padded) and wheel RECORD digests (URL-safe alphabet, unpadded). */
#ifndef LF_CORE_BASE64_H
#define LF_CORE_BASE64_H

#include <stddef.h>

typedef enum lf_base64_alphabet { LF_BASE64_STANDARD, LF_BASE64_URLSAFE } lf_base64_alphabet;

/* The value 0..63 of character c in the alphabet, or -1. */
int lf_base64_value(unsigned char c, lf_base64_alphabet alphabet);

/* Decodes s[0, n) into out[0, cap). One or two '=' may end the text when they complete
 * its last group of four; without them the last group may have two or three characters.
 * Returns the number of bytes, or -1 for a character outside the alphabet, a misplaced
 * '=', a one-character last group or more than cap bytes. */
long lf_base64_decode(const char *s, size_t n, lf_base64_alphabet alphabet, unsigned char *out, size_t cap);

#endif
