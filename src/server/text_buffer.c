#include "server/text_buffer.h"

#include <stdlib.h>
#include <string.h>

int text_append(text_buffer *b, const char *s, size_t len) {
    if (b->len + len + 1 > b->cap) {
        size_t cap = (b->len + len + 1) * 2;
        char *p = realloc(b->data, cap);
        if (!p) return -1;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len] = 0;
    return 0;
}

void text_free(text_buffer *b) {
    free(b->data);
    *b = (text_buffer){0};
}
