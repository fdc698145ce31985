/* The string steps of lm-eval's task definitions, as Python computes them. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "eval/task_items.h"

/* str.isspace at s (ASCII, and U+0085 / U+00A0 in UTF-8); returns its byte length or 0. */
static size_t space_at(const char *s, size_t n) {
    unsigned char c = (unsigned char)s[0];
    if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)) return 1;
    if (n >= 2 && c == 0xC2 && ((unsigned char)s[1] == 0x85 || (unsigned char)s[1] == 0xA0)) return 2;
    return 0;
}

size_t lf_py_rstrip_len(const char *s, size_t n) {
    for (;;) {
        if (n >= 1 && space_at(s + n - 1, 1) == 1) n--;
        else if (n >= 2 && space_at(s + n - 2, 2) == 2) n -= 2;
        else return n;
    }
}

char *lf_py_strip(const char *s) {
    size_t n = strlen(s), start = 0, u;
    while (start < n && (u = space_at(s + start, n - start))) start += u;
    n = start + lf_py_rstrip_len(s + start, n - start);
    char *out = malloc(n - start + 1);
    if (!out) return NULL;
    memcpy(out, s + start, n - start);
    out[n - start] = '\0';
    return out;
}

char *lf_py_capitalize(const char *s) {
    char *out = strdup(s);
    if (!out) return NULL;
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    if (out[0] >= 'a' && out[0] <= 'z') out[0] = (char)(out[0] - 'a' + 'A');
    return out;
}

/* text.strip(); .replace(" [title]", ". "); re.sub("\\[.*?\\]", "", ...);
 * .replace("  ", " ") -- each step one left-to-right pass, as Python's. */
char *lf_hellaswag_preprocess(const char *s) {
    char *a = lf_py_strip(s);
    if (!a) return NULL;
    size_t n = strlen(a);
    char *b = malloc(2 * n + 1); /* " [title]" (8 bytes) becomes 2: never longer */
    if (!b) {
        free(a);
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (!strncmp(a + i, " [title]", 8)) {
            memcpy(b + o, ". ", 2);
            o += 2;
            i += 8;
        } else {
            b[o++] = a[i++];
        }
    }
    b[o] = '\0';
    /* a bracket pair without a newline inside is removed; '.' does not match \n */
    o = 0;
    for (size_t i = 0; b[i];) {
        if (b[i] == '[') {
            size_t j = i + 1;
            while (b[j] && b[j] != ']' && b[j] != '\n') j++;
            if (b[j] == ']') {
                i = j + 1;
                continue;
            }
        }
        a[o++] = b[i++];
    }
    a[o] = '\0';
    o = 0;
    for (size_t i = 0; a[i];) {
        b[o++] = a[i];
        i += (a[i] == ' ' && a[i + 1] == ' ') ? 2 : 1;
    }
    b[o] = '\0';
    free(a);
    return b;
}

int lf_utf8_count(const char *s) {
    int n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

char *lf_concat(int n, ...) {
    va_list ap;
    size_t len = 0;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        const char *p = va_arg(ap, const char *);
        if (p) len += strlen(p);
    }
    va_end(ap);
    char *out = malloc(len + 1);
    if (!out) return NULL;
    size_t o = 0;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        const char *p = va_arg(ap, const char *);
        if (!p) continue;
        size_t l = strlen(p);
        memcpy(out + o, p, l);
        o += l;
    }
    va_end(ap);
    out[o] = '\0';
    return out;
}
