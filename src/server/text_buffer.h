/* A growable byte string. */
#ifndef LF_SERVER_TEXT_BUFFER_H
#define LF_SERVER_TEXT_BUFFER_H

#include <stddef.h>

typedef struct text_buffer {
    char *data; /* NUL-terminated once anything was appended */
    size_t len, cap;
} text_buffer;

/* Returns -1 when out of memory (the buffer is unchanged). */
int text_append(text_buffer *b, const char *s, size_t len);
void text_free(text_buffer *b);

#endif
