#include "grammar/gbnf_writer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void gw_printf(gbnf_writer *w, const char *fmt, ...) {
    if (w->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(w->s ? w->s + w->n : NULL, w->s ? w->cap - w->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            w->oom = true;
            return;
        }
        if (w->s && w->n + (size_t)k < w->cap) {
            w->n += (size_t)k;
            return;
        }
        size_t cap = (w->cap + (size_t)k + 1) * 2;
        char *s = realloc(w->s, cap);
        if (!s) {
            w->oom = true;
            return;
        }
        w->s = s, w->cap = cap;
    }
}

void gw_char(gbnf_writer *w, uint32_t cp) {
    if (cp == '"' || cp == '\\' || cp == '[' || cp == ']' || cp == '-') gw_printf(w, "\\%c", (char)cp);
    else if (cp < 0x20 || cp == 0x7F || cp == '^') gw_printf(w, "\\x%02X", (unsigned)cp);
    else if (cp < 0x80) gw_printf(w, "%c", (char)cp);
    else gw_printf(w, "\\U%08X", (unsigned)cp);
}

void gw_literal(gbnf_writer *w, const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    gw_printf(w, "\"");
    for (size_t i = 0; i < len;) {
        uint32_t cp = p[i];
        int n = cp < 0x80 ? 1 : (cp & 0xE0) == 0xC0 ? 2 : (cp & 0xF0) == 0xE0 ? 3 : 4;
        if (cp >= 0x80) {
            cp &= n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07;
            for (int k = 1; k < n && i + (size_t)k < len; k++) cp = cp << 6 | (p[i + (size_t)k] & 0x3F);
        }
        gw_char(w, cp);
        i += (size_t)n;
    }
    gw_printf(w, "\"");
}

void gw_free(gbnf_writer *w) {
    free(w->s);
    *w = (gbnf_writer){0};
}
