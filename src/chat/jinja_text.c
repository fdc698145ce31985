#include "chat/jinja_text.h"

#include <stdlib.h>

size_t jinja_utf8_encode(uint32_t cp, char *out) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

uint32_t jinja_utf8_next(const char *s, size_t n, size_t *i) {
    const unsigned char *u = (const unsigned char *)s;
    unsigned char c = u[*i];
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len <= 1 || *i + len > n) {
        (*i)++;
        return c;
    }
    uint32_t cp = c & (0x7F >> len);
    for (size_t k = 1; k < len; k++) {
        if ((u[*i + k] & 0xC0) != 0x80) {
            (*i)++;
            return c;
        }
        cp = (cp << 6) | (u[*i + k] & 0x3F);
    }
    /* an overlong form (C0 80 for NUL), a surrogate or a value beyond Unicode is not a
     * character: its first byte stands alone, so a case change cannot turn it into one */
    static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[len] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
        (*i)++;
        return c;
    }
    *i += len;
    return cp;
}

size_t jinja_utf8_length(const char *s, size_t n) {
    size_t count = 0;
    for (size_t i = 0; i < n; count++) jinja_utf8_next(s, n, &i);
    return count;
}

size_t jinja_utf8_offset(const char *s, size_t n, size_t k) {
    size_t i = 0;
    for (size_t c = 0; c < k && i < n; c++) jinja_utf8_next(s, n, &i);
    return i;
}

bool jinja_is_space(uint32_t cp) {
    return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Lower-case ranges that map to upper case by a fixed offset. */
static const struct {
    uint32_t lo, hi;
    int32_t delta;
} lower_ranges[] = {
    {'a', 'z', -32},     {0xE0, 0xF6, -32},    {0xF8, 0xFE, -32},    {0x3B1, 0x3C1, -32},
    {0x3C3, 0x3C9, -32}, {0x430, 0x44F, -32},  {0x450, 0x45F, -80},
};

uint32_t jinja_upper(uint32_t cp) {
    for (size_t i = 0; i < sizeof lower_ranges / sizeof lower_ranges[0]; i++)
        if (cp >= lower_ranges[i].lo && cp <= lower_ranges[i].hi) return (uint32_t)((int32_t)cp + lower_ranges[i].delta);
    return cp;
}

uint32_t jinja_lower(uint32_t cp) {
    for (size_t i = 0; i < sizeof lower_ranges / sizeof lower_ranges[0]; i++) {
        int32_t d = lower_ranges[i].delta;
        if (cp >= (uint32_t)((int32_t)lower_ranges[i].lo + d) && cp <= (uint32_t)((int32_t)lower_ranges[i].hi + d))
            return (uint32_t)((int32_t)cp - d);
    }
    return cp;
}

bool jinja_is_cased_letter(uint32_t cp) { return jinja_upper(cp) != cp || jinja_lower(cp) != cp; }

double jinja_parse_double(const char *s) { return strtod(s, NULL); }
