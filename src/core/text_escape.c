/* Text made safe to show on a terminal (lf_escape_text, lf_vformat_escaped in llamafast.h). */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "llamafast.h"

#include "core/utf8_char.h"

/* Output cut only between whole units (a character or an escape), so a cut message is
 * still valid UTF-8 and escaping it again changes nothing. len counts what the whole
 * output needs, as snprintf does. */
typedef struct out_text {
    char *dst;
    size_t cap, written, len;
    bool full;
} out_text;

static void put(out_text *o, const char *s, size_t n) {
    if (!o->full && o->written + n < o->cap) {
        memcpy(o->dst + o->written, s, n);
        o->written += n;
    } else {
        o->full = true;
    }
    o->len += n;
}

size_t lf_utf8_char_length(const unsigned char *s, size_t n) {
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) {
        len = 2;
    } else if (c < 0xF0) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c < 0xF5) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return len;
}

/* One spelling for every byte shown escaped, so the output needs no decoding rules. */
static void put_hex_escapes(out_text *o, const unsigned char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    char buf[4 * 2];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        buf[k++] = '\\', buf[k++] = 'x';
        buf[k++] = hex[s[i] >> 4], buf[k++] = hex[s[i] & 15];
    }
    put(o, buf, k);
}

static void put_escaped(out_text *o, const char *text, size_t n) {
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < n;) {
        size_t u = lf_utf8_char_length(s + i, n - i);
        bool c0 = u == 1 && (s[i] < 0x20 || s[i] == 0x7F);
        bool c1 = u == 2 && s[i] == 0xC2 && s[i + 1] < 0xA0;
        if (u == 0 || c0 || c1) {
            if (u == 0) u = 1;
            put_hex_escapes(o, s + i, u);
        } else {
            put(o, text + i, u);
        }
        i += u;
    }
}

static void finish(out_text *o) {
    if (o->cap) o->dst[o->written] = '\0';
}

size_t lf_escape_text(char *dst, size_t cap, const char *src, size_t len) {
    out_text o = {dst, cap, 0, 0, false};
    put_escaped(&o, src, len);
    finish(&o);
    return o.len;
}

/* The format is the program's own text: copied whole characters at a time, unescaped. */
static void put_literal(out_text *o, const char *text, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t u = lf_utf8_char_length((const unsigned char *)text + i, n - i);
        if (u == 0) u = 1;
        put(o, text + i, u);
        i += u;
    }
}

static void put_spaces(out_text *o, size_t n) {
    for (size_t i = 0; i < n; i++) put(o, " ", 1);
}

typedef enum length_mod { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_J, LEN_Z, LEN_T, LEN_LONG_DOUBLE } length_mod;

typedef struct conversion {
    char flags[8];
    int width, precision; /* -1: not given */
    length_mod len;
    char conv;
} conversion;

static int parse_count(const char **p) {
    long v = 0;
    while (**p >= '0' && **p <= '9') {
        if (v < INT_MAX / 10) v = v * 10 + (**p - '0');
        (*p)++;
    }
    return (int)v;
}

static length_mod parse_length(const char **p) {
    static const struct {
        const char *text;
        length_mod len;
    } mods[] = {{"hh", LEN_HH}, {"h", LEN_H}, {"ll", LEN_LL}, {"l", LEN_L},
                {"j", LEN_J},   {"z", LEN_Z}, {"t", LEN_T},   {"L", LEN_LONG_DOUBLE}};
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++) {
        size_t n = strlen(mods[i].text);
        if (!strncmp(*p, mods[i].text, n)) {
            *p += n;
            return mods[i].len;
        }
    }
    return LEN_NONE;
}

/* Reads the conversion after a '%', taking '*' widths and precisions from args; false for
 * one not handled (%n, wide characters and strings, anything unknown). */
static bool parse_conversion(const char **p, va_list *args, conversion *c) {
    const char *s = *p;
    size_t nf = 0;
    for (; *s && strchr("-+ #0", *s); s++)
        if (nf < sizeof c->flags - 2) c->flags[nf++] = *s;
    c->width = -1;
    if (*s == '*') {
        s++;
        c->width = va_arg(*args, int);
        if (c->width < 0) {
            c->flags[nf++] = '-';
            c->width = c->width == INT_MIN ? INT_MAX : -c->width;
        }
    } else if (*s >= '0' && *s <= '9') {
        c->width = parse_count(&s);
    }
    c->flags[nf] = '\0';
    c->precision = -1;
    if (*s == '.') {
        s++;
        if (*s == '*') {
            s++;
            int v = va_arg(*args, int);
            c->precision = v < 0 ? -1 : v;
        } else {
            c->precision = parse_count(&s);
        }
    }
    c->len = parse_length(&s);
    c->conv = *s;
    if (!*s || !strchr("diouxXfFeEgGaAcsp%", *s)) return false;
    *p = s + 1;
    return c->len == LEN_NONE || !strchr("csp%", c->conv);
}

static long long signed_arg(va_list *args, length_mod len) {
    switch (len) {
    case LEN_HH: return (signed char)va_arg(*args, int);
    case LEN_H: return (short)va_arg(*args, int);
    case LEN_L: return va_arg(*args, long);
    case LEN_LL: return va_arg(*args, long long);
    case LEN_J: return va_arg(*args, intmax_t);
    case LEN_Z: return (long long)va_arg(*args, size_t);
    case LEN_T: return va_arg(*args, ptrdiff_t);
    default: return va_arg(*args, int);
    }
}

static unsigned long long unsigned_arg(va_list *args, length_mod len) {
    switch (len) {
    case LEN_HH: return (unsigned char)va_arg(*args, unsigned);
    case LEN_H: return (unsigned short)va_arg(*args, unsigned);
    case LEN_L: return va_arg(*args, unsigned long);
    case LEN_LL: return va_arg(*args, unsigned long long);
    case LEN_J: return va_arg(*args, uintmax_t);
    case LEN_Z: return va_arg(*args, size_t);
    case LEN_T: return (unsigned long long)va_arg(*args, ptrdiff_t);
    default: return va_arg(*args, unsigned);
    }
}

/* Numbers hold no control bytes: libc formats them, every integer as long long so one
 * spec serves all the integer length modifiers. */
static void put_number(out_text *o, const conversion *c, va_list *args) {
    char spec[48], num[512];
    int n = snprintf(spec, sizeof spec, "%%%s", c->flags);
    if (c->width >= 0) n += snprintf(spec + n, sizeof spec - (size_t)n, "%d", c->width);
    if (c->precision >= 0) n += snprintf(spec + n, sizeof spec - (size_t)n, ".%d", c->precision);
    if (strchr("di", c->conv)) {
        snprintf(spec + n, sizeof spec - (size_t)n, "ll%c", c->conv);
        snprintf(num, sizeof num, spec, signed_arg(args, c->len));
    } else if (strchr("ouxX", c->conv)) {
        snprintf(spec + n, sizeof spec - (size_t)n, "ll%c", c->conv);
        snprintf(num, sizeof num, spec, unsigned_arg(args, c->len));
    } else if (c->conv == 'p') {
        snprintf(spec + n, sizeof spec - (size_t)n, "p");
        snprintf(num, sizeof num, spec, va_arg(*args, void *));
    } else if (c->len == LEN_LONG_DOUBLE) {
        snprintf(spec + n, sizeof spec - (size_t)n, "L%c", c->conv);
        snprintf(num, sizeof num, spec, va_arg(*args, long double));
    } else {
        snprintf(spec + n, sizeof spec - (size_t)n, "%c", c->conv);
        snprintf(num, sizeof num, spec, va_arg(*args, double));
    }
    put(o, num, strlen(num));
}

/* Width pads by the bytes of the text before escaping, as printf counts them. */
static void put_text_arg(out_text *o, const conversion *c, const char *s, size_t n) {
    size_t pad = c->width > 0 && (size_t)c->width > n ? (size_t)c->width - n : 0;
    bool left = strchr(c->flags, '-') != NULL;
    if (!left) put_spaces(o, pad);
    put_escaped(o, s, n);
    if (left) put_spaces(o, pad);
}

static void put_conversion(out_text *o, const conversion *c, va_list *args) {
    if (c->conv == '%') {
        put(o, "%", 1);
    } else if (c->conv == 'c') {
        char ch = (char)va_arg(*args, int);
        put_text_arg(o, c, &ch, 1);
    } else if (c->conv == 's') {
        const char *s = va_arg(*args, const char *);
        if (!s) s = "(null)";
        put_text_arg(o, c, s, c->precision >= 0 ? strnlen(s, (size_t)c->precision) : strlen(s));
    } else {
        put_number(o, c, args);
    }
}

int lf_vformat_escaped(char *dst, size_t cap, const char *fmt, va_list ap) {
    out_text o = {dst, cap, 0, 0, false};
    va_list args;
    va_copy(args, ap);
    bool ok = true;
    for (const char *p = fmt; *p && ok;) {
        if (*p != '%') {
            size_t n = strcspn(p, "%");
            put_literal(&o, p, n);
            p += n;
            continue;
        }
        p++;
        conversion c;
        ok = parse_conversion(&p, &args, &c);
        if (ok) put_conversion(&o, &c, &args);
    }
    va_end(args);
    finish(&o);
    return ok && o.len <= INT_MAX ? (int)o.len : -1;
}
