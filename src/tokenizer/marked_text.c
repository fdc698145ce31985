/* Marking the text of chat messages so that it stays text in a rendered prompt whose
 * special tokens are parsed (see tokenizer.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenizer_internal.h"

static unsigned char ascii_lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c; }
static unsigned char ascii_other_case(unsigned char c) {
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c >= 'a' && c <= 'z' ? (unsigned char)(c & ~0x20) : c;
}

static bool same_ignoring_ascii_case(const char *a, const char *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i])) return false;
    return true;
}

/* Whether a control token's text starts at s[i] (ASCII case ignored). */
static bool control_at(const lf_tokenizer *t, const char *s, size_t len, size_t i) {
    unsigned char firsts[2] = {(unsigned char)s[i], ascii_other_case((unsigned char)s[i])};
    for (int f = 0; f < (firsts[1] != firsts[0] ? 2 : 1); f++)
        for (uint32_t k = t->special_first[firsts[f]]; k < t->special_first[firsts[f] + 1]; k++) {
            int32_t id = t->specials[k];
            uint32_t n = piece_len(t, id);
            if (t->types[id] == TOKEN_CONTROL && n <= len - i && same_ignoring_ascii_case(s + i, piece_text(t, id), n))
                return true;
        }
    return false;
}

char *tokenizer_mark_text(const lf_tokenizer *t, const char *s) {
    size_t len = strlen(s), extra = 0;
    for (size_t i = 0; i < len; i++) extra += ((unsigned char)s[i] == MARK_LEAD) + control_at(t, s, len, i);
    if (extra > (SIZE_MAX - len - 1) / 2) return NULL;
    char *out = malloc(len + 2 * extra + 1), *o = out;
    if (!out) return NULL;
    for (size_t i = 0; i < len; i++) {
        *o++ = s[i];
        if ((unsigned char)s[i] == MARK_LEAD) *o++ = (char)MARK_LEAD;
        if (control_at(t, s, len, i)) {
            *o++ = (char)MARK_LEAD;
            *o++ = (char)MARK_BREAK;
        }
    }
    *o = 0;
    return out;
}

size_t tokenizer_unmark(char *s, size_t n) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] != MARK_LEAD) {
            s[o++] = s[i];
            continue;
        }
        /* A unit the template cut in two (by slicing the message) loses its lead only. */
        if (i + 1 < n && (unsigned char)s[i + 1] == MARK_LEAD) s[o++] = s[i];
        if (i + 1 < n && ((unsigned char)s[i + 1] == MARK_LEAD || (unsigned char)s[i + 1] == MARK_BREAK)) i++;
    }
    return o;
}
