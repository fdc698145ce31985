#include "grammar/regex_gbnf.h"

#include <stdbool.h>
#include <string.h>

#include "core/error.h"
#include "grammar/grammar.h"

#define MAX_NESTING 100
#define MAX_CLASS_RANGES 64

typedef struct regex_reader {
    const char *src, *p, *where;
    gbnf_writer *w;
    lf_error *err;
    int depth;
} regex_reader;

typedef struct char_range {
    uint32_t lo, hi;
} char_range;

static int refuse(regex_reader *r, const char *what) {
    return lf_fail(r->err, LF_ERR_UNSUPPORTED, "%s: pattern \"%s\": %s at offset %d is not supported", r->where, r->src,
                   what, (int)(r->p - r->src));
}

static uint32_t read_utf8(regex_reader *r) {
    const unsigned char *s = (const unsigned char *)r->p;
    int n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : 4;
    uint32_t cp = n == 1 ? s[0] : s[0] & (n == 2 ? 0x1Fu : n == 3 ? 0x0Fu : 0x07u);
    for (int i = 1; i < n && s[i]; i++) cp = cp << 6 | (s[i] & 0x3Fu);
    for (int i = 0; i < n && *r->p; i++) r->p++;
    return cp;
}

/* One character as JSON string text, as a GBNF literal. */
static void json_char_literal(gbnf_writer *w, uint32_t cp) {
    static const char short_escape[] = {['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};
    gw_printf(w, "\"");
    if (cp == '"' || cp == '\\') gw_printf(w, "\\\\\\%c", (char)cp);
    else if (cp < sizeof short_escape && short_escape[cp]) gw_printf(w, "\\\\%c", short_escape[cp]);
    else if (cp < 0x20) gw_printf(w, "\\\\u%04x", (unsigned)cp);
    else gw_char(w, cp);
    gw_printf(w, "\" ");
}

static int hex_escape(regex_reader *r, int digits, uint32_t *cp) {
    uint32_t v = 0;
    for (int i = 0; i < digits; i++) {
        char c = *r->p;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return refuse(r, "a malformed \\x or \\u escape");
        v = v * 16 + (uint32_t)d;
        r->p++;
    }
    *cp = v;
    return 0;
}

/* The ranges of a shorthand class \d \w \s (s points at the letter, lower case). */
static int shorthand(char c, char_range *out) {
    if (c == 'd') return out[0] = (char_range){'0', '9'}, 1;
    if (c == 's') return out[0] = (char_range){' ', ' '}, out[1] = (char_range){'\t', '\t'}, 2;
    out[0] = (char_range){'0', '9'}, out[1] = (char_range){'A', 'Z'}, out[2] = (char_range){'_', '_'};
    out[3] = (char_range){'a', 'z'};
    return 4;
}

/* An escape after the backslash: a single code point (*n = 0) or shorthand ranges. */
static int read_escape(regex_reader *r, uint32_t *cp, char_range *ranges, int *n, bool *negated) {
    char c = *r->p;
    *n = 0, *negated = false;
    if (!c) return refuse(r, "a trailing backslash");
    r->p++;
    switch (c) {
    case 'd': case 'w': case 's': *n = shorthand(c, ranges); return 0;
    case 'D': case 'W': case 'S': *n = shorthand((char)(c + 32), ranges), *negated = true; return 0;
    case 'n': return *cp = '\n', 0;
    case 't': return *cp = '\t', 0;
    case 'r': return *cp = '\r', 0;
    case 'f': return *cp = '\f', 0;
    case 'v': return *cp = '\v', 0;
    case 'x': return hex_escape(r, 2, cp);
    case 'u': return hex_escape(r, 4, cp);
    case 'b': case 'B': r->p--; return refuse(r, "a word boundary (\\b, \\B)");
    case 'p': case 'P': r->p--; return refuse(r, "a Unicode property class (\\p)");
    case 'k': r->p--; return refuse(r, "a named backreference (\\k)");
    default:
        if (c >= '0' && c <= '9') {
            r->p--;
            return refuse(r, "a backreference");
        }
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            r->p--;
            return refuse(r, "an unknown escape");
        }
        r->p--;
        *cp = read_utf8(r);
        return 0;
    }
}

static void class_item(gbnf_writer *w, uint32_t lo, uint32_t hi) {
    gw_char(w, lo);
    if (hi != lo) gw_printf(w, "-"), gw_char(w, hi);
}

/* A class as JSON string text. Control characters (which JSON escapes) are left out; the
 * quote and the backslash are matched in their escaped forms. */
static void emit_class(gbnf_writer *w, const char_range *rg, int n, bool negated) {
    if (negated) {
        gw_printf(w, "[^");
        for (int i = 0; i < n; i++) class_item(w, rg[i].lo, rg[i].hi);
        gw_printf(w, "\\x00-\\x1F\\\"\\\\] ");
        return;
    }
    bool quote = false, backslash = false;
    gbnf_writer items = {0};
    for (int i = 0; i < n; i++) {
        uint32_t lo = rg[i].lo > 0x20 ? rg[i].lo : 0x20, hi = rg[i].hi;
        quote |= lo <= '"' && '"' <= hi;
        backslash |= lo <= '\\' && '\\' <= hi;
        const char_range pieces[] = {{lo, hi < '"' - 1 ? hi : '"' - 1},
                                     {lo > '"' + 1 ? lo : '"' + 1, hi < '\\' - 1 ? hi : '\\' - 1},
                                     {lo > '\\' + 1 ? lo : '\\' + 1, hi}};
        for (int k = 0; k < 3; k++)
            if (pieces[k].lo <= pieces[k].hi) class_item(&items, pieces[k].lo, pieces[k].hi);
    }
    gw_printf(w, "(");
    const char *sep = "";
    if (items.n) gw_printf(w, "[%.*s]", (int)items.n, items.s), sep = " | ";
    if (quote) gw_printf(w, "%s\"\\\\\\\"\"", sep), sep = " | ";
    if (backslash) gw_printf(w, "%s\"\\\\\\\\\"", sep), sep = " | ";
    if (!*sep) gw_printf(w, "[^\\x00-\\U0010FFFF]"); /* an empty class matches nothing */
    gw_printf(w, ") ");
    w->oom |= items.oom;
    gw_free(&items);
}

static int read_class(regex_reader *r) {
    char_range rg[MAX_CLASS_RANGES];
    int n = 0;
    bool negated = *++r->p == '^';
    if (negated) r->p++;
    while (*r->p != ']') {
        uint32_t lo, hi;
        char_range sh[4];
        int n_sh;
        bool sh_negated;
        if (!*r->p) return refuse(r, "an unterminated class");
        if (*r->p == '\\') {
            r->p++;
            if (read_escape(r, &lo, sh, &n_sh, &sh_negated)) return -1;
            if (sh_negated) return refuse(r, "a negated shorthand (\\D, \\W, \\S) inside a class");
            if (n + n_sh > MAX_CLASS_RANGES) return refuse(r, "a class of more than 64 items");
            for (int i = 0; i < n_sh; i++) rg[n++] = sh[i];
            if (n_sh) continue;
        } else lo = read_utf8(r);
        hi = lo;
        if (r->p[0] == '-' && r->p[1] && r->p[1] != ']') {
            r->p++;
            if (*r->p == '\\') {
                r->p++;
                if (read_escape(r, &hi, sh, &n_sh, &sh_negated)) return -1;
                if (n_sh) return refuse(r, "a shorthand class as the end of a range");
            } else hi = read_utf8(r);
            if (hi < lo) return refuse(r, "a range that runs backwards");
        }
        if (n == MAX_CLASS_RANGES) return refuse(r, "a class of more than 64 items");
        rg[n++] = (char_range){lo, hi};
    }
    r->p++;
    emit_class(r->w, rg, n, negated);
    return 0;
}

static int read_count(regex_reader *r, uint32_t *out) {
    uint32_t v = 0;
    if (*r->p < '0' || *r->p > '9') return refuse(r, "a malformed {m,n} quantifier");
    while (*r->p >= '0' && *r->p <= '9') {
        v = v * 10 + (uint32_t)(*r->p++ - '0');
        if (v > GRAMMAR_MAX_REPEAT) return refuse(r, "a repetition count above 1000");
    }
    *out = v;
    return 0;
}

static int read_quantifier(regex_reader *r) {
    char c = *r->p;
    if (c == '*' || c == '+' || c == '?') {
        r->p++;
        gw_printf(r->w, "%c ", c);
    } else if (c == '{') {
        uint32_t m, n;
        r->p++;
        if (read_count(r, &m)) return -1;
        n = m;
        if (*r->p == ',') {
            r->p++;
            n = UINT32_MAX;
            if (*r->p != '}' && read_count(r, &n)) return -1;
        }
        if (*r->p != '}') return refuse(r, "a malformed {m,n} quantifier");
        r->p++;
        if (n < m) return refuse(r, "a {m,n} quantifier with n < m");
        if (n == UINT32_MAX) gw_printf(r->w, "{%u,} ", m);
        else gw_printf(r->w, "{%u,%u} ", m, n);
    } else return 0;
    if (*r->p == '?') r->p++; /* lazy: the same whole matches */
    else if (*r->p == '+') return refuse(r, "a possessive quantifier");
    if (*r->p == '*' || *r->p == '+' || *r->p == '?' || *r->p == '{') return refuse(r, "a quantifier after a quantifier");
    return 0;
}

static int read_alternation(regex_reader *r);

static int read_group(regex_reader *r) {
    r->p++;
    if (r->p[0] == '?') {
        if (r->p[1] == ':') r->p += 2;
        else if (r->p[1] == '=' || r->p[1] == '!') return refuse(r, "a lookahead");
        else if (r->p[1] == '<' && (r->p[2] == '=' || r->p[2] == '!')) return refuse(r, "a lookbehind");
        else if (r->p[1] == '<') {
            const char *close = strchr(r->p, '>');
            if (!close) return refuse(r, "a malformed named group");
            r->p = close + 1;
        } else return refuse(r, "a group modifier (?...)");
    }
    if (++r->depth > MAX_NESTING) return refuse(r, "groups nested deeper than 100");
    gw_printf(r->w, "(");
    if (read_alternation(r)) return -1;
    if (*r->p != ')') return refuse(r, "an unclosed group");
    r->p++;
    r->depth--;
    gw_printf(r->w, ") ");
    return 0;
}

static int read_sequence(regex_reader *r) {
    while (*r->p && *r->p != '|' && *r->p != ')') {
        char c = *r->p;
        if (c == '^' && r->p == r->src) {
            r->p++;
            continue;
        }
        if (c == '$' && !r->p[1]) {
            r->p++;
            continue;
        }
        if (c == '^' || c == '$') return refuse(r, "an anchor inside the pattern");
        if (c == '*' || c == '+' || c == '?' || c == '{') return refuse(r, "a quantifier with nothing to repeat");
        int rc = 0;
        if (c == '(') rc = read_group(r);
        else if (c == '[') rc = read_class(r);
        else if (c == '.') r->p++, gw_printf(r->w, "[^\\x00-\\x1F\\\"\\\\] ");
        else if (c == '\\') {
            uint32_t cp;
            char_range sh[4];
            int n_sh;
            bool negated;
            r->p++;
            rc = read_escape(r, &cp, sh, &n_sh, &negated);
            if (!rc && n_sh) emit_class(r->w, sh, n_sh, negated);
            else if (!rc) json_char_literal(r->w, cp);
        } else json_char_literal(r->w, read_utf8(r));
        if (rc || read_quantifier(r)) return -1;
    }
    return 0;
}

static int read_alternation(regex_reader *r) {
    if (read_sequence(r)) return -1;
    while (*r->p == '|') {
        r->p++;
        gw_printf(r->w, "| ");
        if (read_sequence(r)) return -1;
    }
    return 0;
}

int regex_to_gbnf(const char *pattern, const char *where, gbnf_writer *w, lf_error *err) {
    regex_reader r = {.src = pattern, .p = pattern, .where = where, .w = w, .err = err};
    gw_printf(w, "(");
    if (read_alternation(&r)) return LF_ERR_UNSUPPORTED;
    if (*r.p == ')') return refuse(&r, "an unmatched ')'");
    gw_printf(w, ")");
    return LF_OK;
}
