/* Printing for the program and the server: what they show comes from arguments, file
 * names, hub listings and model files, so every message goes through print_escaped. */
#ifndef LF_FRONTEND_PRINT_ESCAPED_H
#define LF_FRONTEND_PRINT_ESCAPED_H

#include <stdio.h>

/* fprintf, except that control bytes and malformed UTF-8 in what the conversions produce
 * are shown as \xHH (lf_vformat_escaped); the format's own text is printed as it is. */
void print_escaped(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
