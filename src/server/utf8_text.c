#include "server/utf8_text.h"

#include <stdlib.h>
#include <string.h>

int utf8_sequence_length(const unsigned char *p, size_t left) {
    if (left == 0) return 0;
    int n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;
    if (n == 0 || (size_t)n > left) return 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    if (n == 2 && *p < 0xC2) return 0;
    if (n == 3 && ((*p == 0xE0 && p[1] < 0xA0) || (*p == 0xED && p[1] >= 0xA0))) return 0;
    if (n == 4 && ((*p == 0xF0 && p[1] < 0x90) || *p > 0xF4 || (*p == 0xF4 && p[1] >= 0x90))) return 0;
    return n;
}

json_t *utf8_json_string(const char *s, size_t n) {
    /* each invalid byte grows to the 3 bytes of U+FFFD */
    char *out = malloc(3 * n + 1), *q = out;
    if (!out) return NULL;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        int k = utf8_sequence_length(p, (size_t)(end - p));
        if (k) {
            memcpy(q, p, (size_t)k);
            q += k;
            p += k;
        } else {
            memcpy(q, "\xEF\xBF\xBD", 3);
            q += 3;
            p++;
        }
    }
    json_t *j = json_stringn(out, (size_t)(q - out));
    free(out);
    return j;
}
