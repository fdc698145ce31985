/* Well-formedness of UTF-8, shared by the text escaper and the readers of text files. */
#ifndef LF_CORE_UTF8_CHAR_H
#define LF_CORE_UTF8_CHAR_H

#include <stddef.h>

/* Length of the well-formed UTF-8 character at s (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0 when s does not start one (n > 0). */
size_t lf_utf8_char_length(const unsigned char *s, size_t n);

#endif
