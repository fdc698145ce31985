#include "chat/jinja_lexer.h"

#include <stdbool.h>
#include <string.h>

#include "chat/jinja_text.h"

typedef struct lexer {
    jinja_rt *rt;
    const char *s;
    size_t n, pos;
    int line;
    jtok *toks;
    size_t n_toks, cap;
} lexer;

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

static jtok *emit(lexer *lx, jtok_type type, const char *p, size_t n) {
    if (lx->n_toks == lx->cap) {
        size_t cap = lx->cap ? lx->cap * 2 : 64;
        jtok *t = jinja_alloc_array(lx->rt, cap, sizeof *t);
        if (lx->n_toks) memcpy(t, lx->toks, lx->n_toks * sizeof *t);
        lx->toks = t;
        lx->cap = cap;
    }
    jtok *t = &lx->toks[lx->n_toks++];
    *t = (jtok){.type = type, .line = lx->line, .p = p, .n = n};
    return t;
}

/* Advances over [pos, to), counting lines. */
static void advance(lexer *lx, size_t to) {
    for (; lx->pos < to; lx->pos++) lx->line += lx->s[lx->pos] == '\n';
}

static int hex_value(char c) {
    if (is_digit(c)) return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int simple_escape(char c) {
    switch (c) {
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case 'a': return '\a';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'v': return '\v';
    case '\\': case '\'': case '"': return c;
    default: return -1;
    }
}

/* A string literal: its value is the text between the quotes decoded like Python's
 * "unicode-escape" codec (\n, \t, \\, \', \", \xhh, \uhhhh, \Uhhhhhhhh, octal; other
 * backslashes stay as they are). */
static void lex_string(lexer *lx) {
    const char *s = lx->s;
    char quote = s[lx->pos];
    size_t start = lx->pos + 1, end = start;
    while (end < lx->n && s[end] != quote) end += s[end] == '\\' ? 2 : 1;
    if (end >= lx->n) jinja_fail(lx->rt, lx->line, "unterminated string literal");
    char *out = jinja_alloc(lx->rt, end - start + 1);
    size_t n = 0;
    for (size_t i = start; i < end; i++) {
        if (s[i] != '\\') {
            out[n++] = s[i];
            continue;
        }
        char c = s[++i];
        int simple = simple_escape(c);
        if (simple >= 0) {
            out[n++] = (char)simple;
        } else if (c == '\n') {
            /* backslash-newline: a line continuation, nothing is kept */
        } else if (c >= '0' && c <= '7') {
            unsigned v = 0;
            for (int k = 0; k < 3 && i < end && s[i] >= '0' && s[i] <= '7'; k++) v = v * 8 + (unsigned)(s[i++] - '0');
            i--;
            n += jinja_utf8_encode(v, out + n);
        } else if (c == 'x' || c == 'u' || c == 'U') {
            int digits = c == 'x' ? 2 : c == 'u' ? 4 : 8;
            uint32_t v = 0;
            for (int k = 0; k < digits; k++) {
                int h = i + 1 + (size_t)k < end ? hex_value(s[i + 1 + k]) : -1;
                if (h < 0) jinja_fail(lx->rt, lx->line, "truncated \\%c escape in string literal", c);
                v = v * 16 + (uint32_t)h;
            }
            if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
                jinja_fail(lx->rt, lx->line, "invalid code point in \\%c escape", c);
            i += (size_t)digits;
            n += jinja_utf8_encode(v, out + n);
        } else {
            out[n++] = '\\';
            out[n++] = c;
        }
    }
    emit(lx, JT_STRING, out, n);
    advance(lx, end + 1);
}

static void lex_number(lexer *lx, bool after_dot) {
    const char *s = lx->s;
    size_t i = lx->pos;
    char digits[128];
    size_t nd = 0;
    bool is_float = false;
    /* digits with optional single underscores between them */
#define TAKE_DIGITS()                                                                  \
    while (i < lx->n && (is_digit(s[i]) || (s[i] == '_' && i + 1 < lx->n && is_digit(s[i + 1])))) { \
        if (s[i] != '_' && nd < sizeof digits - 8) digits[nd++] = s[i];                \
        i++;                                                                           \
    }
    TAKE_DIGITS();
    if (!after_dot && i + 1 < lx->n && s[i] == '.' && is_digit(s[i + 1])) {
        is_float = true;
        digits[nd++] = s[i++];
        TAKE_DIGITS();
    }
    if (!after_dot && i < lx->n && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < lx->n && (s[j] == '+' || s[j] == '-')) j++;
        if (j < lx->n && is_digit(s[j])) {
            is_float = true;
            digits[nd++] = 'e';
            if (s[i + 1] == '-' || s[i + 1] == '+') digits[nd++] = s[i + 1];
            i = j;
            TAKE_DIGITS();
        }
    }
#undef TAKE_DIGITS
    if (nd >= sizeof digits - 8) jinja_fail(lx->rt, lx->line, "number literal too long");
    digits[nd] = 0;
    jtok *t = emit(lx, is_float ? JT_FLOAT : JT_INT, s + lx->pos, i - lx->pos);
    if (is_float) {
        t->f = jinja_parse_double(digits);
    } else {
        int64_t v = 0;
        for (size_t k = 0; k < nd; k++)
            if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, digits[k] - '0', &v))
                jinja_fail(lx->rt, lx->line, "integer literal too large");
        t->i = v;
    }
    advance(lx, i);
}

static const char *const operators[] = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~",
                                        "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"};

/* The tokens of one {{ }} or {% %} tag, up to and including its closing delimiter. */
static bool lex_tag(lexer *lx, bool is_block) {
    const char *s = lx->s;
    const char close = is_block ? '%' : '}';
    int brackets = 0;
    for (;;) {
        while (lx->pos < lx->n && is_space(s[lx->pos])) advance(lx, lx->pos + 1);
        if (lx->pos >= lx->n)
            jinja_fail(lx->rt, lx->line, "unexpected end of template, expected '%s'", is_block ? "%}" : "}}");
        size_t p = lx->pos;
        char sign = s[p] == '-' || s[p] == '+' ? s[p] : 0;
        size_t d = p + (sign ? 1 : 0);
        /* Jinja does not look for the closing delimiter inside brackets. */
        if (brackets == 0 && d + 1 < lx->n && s[d] == close && s[d + 1] == '}') {
            emit(lx, is_block ? JT_BLOCK_END : JT_VAR_END, s + p, d + 2 - p);
            advance(lx, d + 2);
            if (sign == '-') {
                while (lx->pos < lx->n && is_space(s[lx->pos])) advance(lx, lx->pos + 1);
            } else if (is_block && sign != '+' && lx->pos < lx->n && s[lx->pos] == '\n') {
                advance(lx, lx->pos + 1); /* trim_blocks */
            }
            return lx->s[lx->pos - 1] == '\n';
        }
        char c = s[p];
        if (is_name_start(c)) {
            size_t e = p;
            while (e < lx->n && is_name_char(s[e])) e++;
            emit(lx, JT_NAME, s + p, e - p);
            advance(lx, e);
        } else if (is_digit(c)) {
            bool after_dot = lx->n_toks && lx->toks[lx->n_toks - 1].type == JT_OP &&
                             lx->toks[lx->n_toks - 1].p[0] == '.';
            lex_number(lx, after_dot);
        } else if (c == '\'' || c == '"') {
            lex_string(lx);
        } else {
            size_t k = 0, count = sizeof operators / sizeof operators[0];
            for (; k < count; k++) {
                size_t len = strlen(operators[k]);
                if (p + len <= lx->n && memcmp(s + p, operators[k], len) == 0) break;
            }
            if (k == count) jinja_fail(lx->rt, lx->line, "unexpected character '%c' in tag", c);
            const char *op = operators[k];
            if (strchr("([{", op[0])) brackets++;
            if (strchr(")]}", op[0]) && brackets > 0) brackets--;
            emit(lx, JT_OP, op, strlen(op));
            advance(lx, p + strlen(op));
        }
    }
}

/* Skips a comment whose body starts at lx->pos; returns whether it ended a line. */
static bool skip_comment(lexer *lx) {
    const char *s = lx->s;
    size_t i = lx->pos;
    while (i + 1 < lx->n && !(s[i] == '#' && s[i + 1] == '}')) i++;
    if (i + 1 >= lx->n) jinja_fail(lx->rt, lx->line, "missing end of comment tag");
    char sign = i > lx->pos && (s[i - 1] == '-' || s[i - 1] == '+') ? s[i - 1] : 0;
    advance(lx, i + 2);
    if (sign == '-') {
        while (lx->pos < lx->n && is_space(s[lx->pos])) advance(lx, lx->pos + 1);
    } else if (sign != '+' && lx->pos < lx->n && s[lx->pos] == '\n') {
        advance(lx, lx->pos + 1);
    }
    return s[lx->pos - 1] == '\n';
}

/* Jinja reads templates with universal newlines and drops one trailing newline
 * (keep_trailing_newline=False). */
static char *normalize_newlines(jinja_rt *rt, const char *src, size_t len, size_t *out_len) {
    char *out = jinja_alloc(rt, len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (src[i] == '\r') {
            out[n++] = '\n';
            if (i + 1 < len && src[i + 1] == '\n') i++;
        } else {
            out[n++] = src[i];
        }
    }
    if (n && out[n - 1] == '\n') n--;
    *out_len = n;
    return out;
}

jtok *jinja_lex(jinja_rt *rt, const char *src, size_t len, size_t *n_tokens) {
    lexer lx = {.rt = rt, .line = 1};
    lx.s = normalize_newlines(rt, src, len, &lx.n);
    const char *s = lx.s;
    bool line_starting = true;
    while (lx.pos < lx.n) {
        jinja_charge(rt, 1);
        const char *tag = NULL;
        for (size_t i = lx.pos; i + 1 < lx.n && !tag; i++)
            if (s[i] == '{' && (s[i + 1] == '{' || s[i + 1] == '%' || s[i + 1] == '#')) tag = s + i;
        size_t text_end = tag ? (size_t)(tag - s) : lx.n;
        size_t keep = text_end;
        char kind = tag ? tag[1] : 0;
        char sign = tag && text_end + 2 < lx.n && (tag[2] == '-' || tag[2] == '+') ? tag[2] : 0;
        if (sign == '-') {
            while (keep > lx.pos && is_space(s[keep - 1])) keep--;
        } else if (tag && sign != '+' && kind != '{') {
            /* lstrip_blocks: blanks between the line start and a block or comment tag go */
            size_t line_start = keep;
            while (line_start > lx.pos && s[line_start - 1] != '\n') line_start--;
            bool blank = line_start < keep;
            for (size_t i = line_start; i < keep && blank; i++) blank = is_space(s[i]);
            if (blank && (line_start > lx.pos || line_starting)) keep = line_start;
        }
        if (keep > lx.pos) emit(&lx, JT_TEXT, s + lx.pos, keep - lx.pos);
        if (!tag) {
            advance(&lx, lx.n);
            break;
        }
        advance(&lx, text_end + 2 + (sign ? 1 : 0));
        if (kind == '#') {
            line_starting = skip_comment(&lx);
        } else {
            emit(&lx, kind == '%' ? JT_BLOCK_BEGIN : JT_VAR_BEGIN, tag, 2);
            lx.toks[lx.n_toks - 1].line = lx.line;
            line_starting = lex_tag(&lx, kind == '%');
        }
    }
    emit(&lx, JT_EOF, "", 0);
    *n_tokens = lx.n_toks;
    return lx.toks;
}
