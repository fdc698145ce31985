/* GBNF (llama.cpp's grammar syntax) → compiled grammar. Rules `name ::= body`; bodies of
 * alternatives `|`, sequences, "literals", [classes] (ranges, ^ negation), `.`, (groups),
 * postfix * + ? {m} {m,} {m,n} {,n}; escapes \x.. \u.... \U........ \t \r \n \\ \" \[ \]
 * \- \/; # comments. Newlines end a rule except after `::=`, after `|` and inside groups.
 * Repetitions become helper rules (x* = r ::= x r | ε), so the matcher knows only
 * sequences, alternatives and references. Left recursion is refused: the matcher expands
 * references before reading a character and would never finish. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "grammar/grammar.h"

#define REPEAT_UNBOUNDED UINT32_MAX
#define MAX_NESTING 200

typedef struct rule_def {
    grammar_elem *v;
    uint32_t n, cap;
    char *name;
    const char *first_ref; /* where the rule is first used (for "undefined rule") */
    bool defined;
} rule_def;

typedef struct parser {
    const char *src, *p;
    rule_def *rules;
    uint32_t n_rules, cap_rules, total;
    int depth;
    lf_error *err;
} parser;

static int fail_at(parser *ps, const char *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_at(parser *ps, const char *at, const char *fmt, ...) {
    int line = 1, col = 1;
    for (const char *q = ps->src; q < at; q++) {
        if (*q == '\n') line++, col = 1;
        else if (((unsigned char)*q & 0xC0) != 0x80) col++;
    }
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return lf_fail(ps->err, LF_ERR_ARG, "grammar: line %d, column %d: %s", line, col, msg);
}

static int push(parser *ps, uint32_t rule, uint32_t type, uint32_t value) {
    rule_def *r = &ps->rules[rule];
    if (++ps->total > GRAMMAR_MAX_ELEMS) return fail_at(ps, ps->p, "the grammar is too large (more than %u elements)", GRAMMAR_MAX_ELEMS);
    if (r->n == r->cap) {
        uint32_t cap = r->cap ? r->cap * 2 : 16;
        grammar_elem *v = realloc(r->v, cap * sizeof *v);
        if (!v) return lf_fail(ps->err, LF_ERR_NOMEM, "out of memory");
        r->v = v, r->cap = cap;
    }
    r->v[r->n++] = (grammar_elem){type, value};
    return 0;
}

static int add_rule(parser *ps, const char *name, size_t len, uint32_t *id) {
    if (ps->n_rules >= GRAMMAR_MAX_RULES) return fail_at(ps, ps->p, "too many rules (at most %u)", GRAMMAR_MAX_RULES);
    if (ps->n_rules == ps->cap_rules) {
        uint32_t cap = ps->cap_rules ? ps->cap_rules * 2 : 32;
        rule_def *r = realloc(ps->rules, cap * sizeof *r);
        if (!r) return lf_fail(ps->err, LF_ERR_NOMEM, "out of memory");
        ps->rules = r, ps->cap_rules = cap;
    }
    rule_def *r = &ps->rules[ps->n_rules];
    *r = (rule_def){.name = malloc(len + 1)};
    if (!r->name) return lf_fail(ps->err, LF_ERR_NOMEM, "out of memory");
    memcpy(r->name, name, len);
    r->name[len] = 0;
    *id = ps->n_rules++;
    return 0;
}

/* A group or repetition's helper rule, named after the rule it serves. */
static int add_helper_rule(parser *ps, uint32_t parent, uint32_t *id) {
    char name[96];
    int n = snprintf(name, sizeof name, "%.60s-%u", ps->rules[parent].name, ps->n_rules);
    int rc = add_rule(ps, name, (size_t)n, id);
    if (!rc) ps->rules[*id].defined = true;
    return rc;
}

static int find_or_add_rule(parser *ps, const char *name, size_t len, uint32_t *id) {
    for (uint32_t i = 0; i < ps->n_rules; i++)
        if (strlen(ps->rules[i].name) == len && !memcmp(ps->rules[i].name, name, len)) return *id = i, 0;
    return add_rule(ps, name, len, id);
}

static bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static void skip_space(parser *ps, bool newline_ok) {
    for (;;) {
        char c = *ps->p;
        if (c == ' ' || c == '\t' || ((c == '\n' || c == '\r') && newline_ok)) ps->p++;
        else if (c == '#') {
            while (*ps->p && *ps->p != '\n' && *ps->p != '\r') ps->p++;
        } else return;
    }
}

static int hex_value(parser *ps, int digits, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < digits; i++) {
        char c = ps->p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return fail_at(ps, ps->p + i, "expected %d hex digits in an escape", digits);
        v = v * 16 + (uint32_t)d;
    }
    if (v > 0x10FFFF) return fail_at(ps, ps->p, "escape U+%X is beyond U+10FFFF", v);
    ps->p += digits;
    *out = v;
    return 0;
}

/* One character of a literal or class: an escape or one UTF-8 code point. */
static int parse_char(parser *ps, uint32_t *cp) {
    const unsigned char *s = (const unsigned char *)ps->p;
    if (s[0] == '\\') {
        ps->p += 2;
        switch (s[1]) {
        case 'x': return hex_value(ps, 2, cp);
        case 'u': return hex_value(ps, 4, cp);
        case 'U': return hex_value(ps, 8, cp);
        case 't': return *cp = '\t', 0;
        case 'r': return *cp = '\r', 0;
        case 'n': return *cp = '\n', 0;
        case '\\': case '"': case '[': case ']': case '-': case '/': return *cp = s[1], 0;
        default: return fail_at(ps, (const char *)s, "unknown escape '\\%c'", s[1] ? s[1] : '0');
        }
    }
    int len = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    uint32_t v = len == 1 ? s[0] : len == 2 ? s[0] & 0x1Fu : len == 3 ? s[0] & 0x0Fu : s[0] & 0x07u;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) len = 0;
        else v = v << 6 | (s[i] & 0x3Fu);
    }
    if (!len || v > 0x10FFFF) return fail_at(ps, ps->p, "invalid UTF-8");
    ps->p += len;
    *cp = v;
    return 0;
}

static int parse_literal(parser *ps, uint32_t rule) {
    const char *open = ps->p++;
    while (*ps->p != '"') {
        uint32_t cp;
        if (!*ps->p || *ps->p == '\n') return fail_at(ps, open, "unterminated string literal");
        if (parse_char(ps, &cp) || push(ps, rule, GE_CHAR, cp)) return -1;
    }
    ps->p++;
    return 0;
}

static int parse_class(parser *ps, uint32_t rule) {
    const char *open = ps->p++;
    uint32_t type = GE_CHAR;
    if (*ps->p == '^') ps->p++, type = GE_CHAR_NOT;
    if (*ps->p == ']') return fail_at(ps, open, "empty character class");
    while (*ps->p != ']') {
        uint32_t lo, hi;
        if (!*ps->p) return fail_at(ps, open, "unterminated character class");
        if (parse_char(ps, &lo) || push(ps, rule, type, lo)) return -1;
        type = GE_CHAR_ALT;
        if (ps->p[0] == '-' && ps->p[1] && ps->p[1] != ']') {
            const char *at = ps->p++;
            if (parse_char(ps, &hi)) return -1;
            if (hi < lo) return fail_at(ps, at, "range U+%X-U+%X runs backwards", lo, hi);
            if (push(ps, rule, GE_RANGE_UPPER, hi)) return -1;
        }
    }
    ps->p++;
    return 0;
}

static int parse_count(parser *ps, uint32_t *out) {
    uint32_t v = 0;
    if (*ps->p < '0' || *ps->p > '9') return fail_at(ps, ps->p, "expected a number in {m,n}");
    while (*ps->p >= '0' && *ps->p <= '9') {
        v = v * 10 + (uint32_t)(*ps->p++ - '0');
        if (v > GRAMMAR_MAX_REPEAT) return fail_at(ps, ps->p, "repetition count above %u", GRAMMAR_MAX_REPEAT);
    }
    *out = v;
    return 0;
}

static int parse_braces(parser *ps, uint32_t *min, uint32_t *max) {
    const char *open = ps->p++;
    skip_space(ps, false);
    *min = 0, *max = REPEAT_UNBOUNDED;
    if (*ps->p != ',' && parse_count(ps, min)) return -1;
    skip_space(ps, false);
    if (*ps->p == ',') {
        ps->p++;
        skip_space(ps, false);
        if (*ps->p != '}' && parse_count(ps, max)) return -1;
        skip_space(ps, false);
    } else *max = *min;
    if (*ps->p != '}') return fail_at(ps, open, "expected '}' closing the repetition");
    ps->p++;
    if (*max < *min) return fail_at(ps, open, "repetition {%u,%u} has its maximum below its minimum", *min, *max);
    return 0;
}

static int push_all(parser *ps, uint32_t rule, const grammar_elem *sym, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        if (push(ps, rule, sym[i].type, sym[i].value)) return -1;
    return 0;
}

/* Replaces the symbol at rule[start..] by min copies followed by optional ones:
 * unbounded: r ::= sym r | ε;  up to k more: r1 ::= sym r2 | ε, ..., rk ::= sym | ε. */
static int repeat_symbol(parser *ps, uint32_t rule, uint32_t start, uint32_t min, uint32_t max) {
    uint32_t n = ps->rules[rule].n - start;
    grammar_elem *sym = malloc(n * sizeof *sym);
    if (!sym) return lf_fail(ps->err, LF_ERR_NOMEM, "out of memory");
    memcpy(sym, ps->rules[rule].v + start, n * sizeof *sym);
    ps->rules[rule].n = start;
    ps->total -= n;
    int rc = 0;
    for (uint32_t i = 0; i < min && !rc; i++) rc = push_all(ps, rule, sym, n);
    uint32_t next = UINT32_MAX, extra = max == REPEAT_UNBOUNDED ? 1 : max - min;
    for (uint32_t k = 0; k < extra && !rc; k++) {
        uint32_t r;
        if ((rc = add_helper_rule(ps, rule, &r))) break;
        uint32_t tail = max == REPEAT_UNBOUNDED ? r : next;
        rc = push_all(ps, r, sym, n) || (tail != UINT32_MAX && push(ps, r, GE_REF, tail)) || push(ps, r, GE_ALT, 0) ||
             push(ps, r, GE_END, 0);
        next = r;
    }
    if (!rc && extra) rc = push(ps, rule, GE_REF, next);
    free(sym);
    return rc;
}

static int parse_alternates(parser *ps, uint32_t rule, bool nested);

static int parse_group(parser *ps, uint32_t rule) {
    const char *open = ps->p++;
    uint32_t g;
    if (++ps->depth > MAX_NESTING) return fail_at(ps, open, "groups nested deeper than %d", MAX_NESTING);
    if (add_helper_rule(ps, rule, &g) || parse_alternates(ps, g, true)) return -1;
    ps->depth--;
    if (*ps->p != ')') return fail_at(ps, open, "'(' is never closed");
    ps->p++;
    return push(ps, rule, GE_REF, g);
}

static int parse_sequence(parser *ps, uint32_t rule, bool nested) {
    uint32_t last = UINT32_MAX; /* where the last symbol starts, for a postfix operator */
    for (;;) {
        skip_space(ps, nested);
        const char *at = ps->p;
        char c = *at;
        uint32_t start = ps->rules[rule].n, min, max;
        int rc;
        if (!c || c == '|' || c == ')' || c == '\n' || c == '\r') return 0;
        if (c == '"') rc = parse_literal(ps, rule);
        else if (c == '[') rc = parse_class(ps, rule);
        else if (c == '(') rc = parse_group(ps, rule);
        else if (c == '.') ps->p++, rc = push(ps, rule, GE_ANY, 0);
        else if (is_name_char(c)) {
            while (is_name_char(*ps->p)) ps->p++;
            uint32_t ref;
            rc = find_or_add_rule(ps, at, (size_t)(ps->p - at), &ref);
            if (!rc && !ps->rules[ref].first_ref) ps->rules[ref].first_ref = at;
            if (!rc) rc = push(ps, rule, GE_REF, ref);
        } else if (c == '*' || c == '+' || c == '?' || c == '{') {
            if (last == UINT32_MAX || last == ps->rules[rule].n) return fail_at(ps, at, "'%c' follows nothing to repeat", c);
            if (c == '{') rc = parse_braces(ps, &min, &max);
            else ps->p++, rc = 0, min = c == '+', max = c == '?' ? 1 : REPEAT_UNBOUNDED;
            if (!rc) rc = repeat_symbol(ps, rule, last, min, max);
            start = UINT32_MAX; /* a repeated symbol cannot be repeated again directly */
        } else if (c == ':' && at[1] == ':' && at[2] == '=') return fail_at(ps, at, "'::=' inside a rule body (a rule must start on a new line)");
        else return fail_at(ps, at, "unexpected character '%c'", c);
        if (rc) return -1;
        last = start;
    }
}

static int parse_alternates(parser *ps, uint32_t rule, bool nested) {
    if (parse_sequence(ps, rule, nested)) return -1;
    while (*ps->p == '|') {
        ps->p++;
        skip_space(ps, true);
        if (push(ps, rule, GE_ALT, 0) || parse_sequence(ps, rule, nested)) return -1;
    }
    return push(ps, rule, GE_END, 0);
}

static int parse_rules(parser *ps) {
    skip_space(ps, true);
    while (*ps->p) {
        const char *at = ps->p;
        while (is_name_char(*ps->p)) ps->p++;
        if (ps->p == at) return fail_at(ps, at, *at == ')' ? "unmatched ')'" : "expected a rule name");
        uint32_t id;
        if (find_or_add_rule(ps, at, (size_t)(ps->p - at), &id)) return -1;
        if (ps->rules[id].defined) return fail_at(ps, at, "rule '%s' is defined twice", ps->rules[id].name);
        ps->rules[id].defined = true;
        skip_space(ps, false);
        if (strncmp(ps->p, "::=", 3)) return fail_at(ps, ps->p, "expected '::=' after rule name '%s'", ps->rules[id].name);
        ps->p += 3;
        skip_space(ps, true);
        if (parse_alternates(ps, id, false)) return -1;
        if (*ps->p == ')') return fail_at(ps, ps->p, "unmatched ')'");
        skip_space(ps, true);
    }
    return 0;
}

/* Which rules can match the empty string (a fixpoint over the rules). */
static void find_nullable(const parser *ps, bool *nullable) {
    for (bool changed = true; changed;) {
        changed = false;
        for (uint32_t r = 0; r < ps->n_rules; r++) {
            bool alt_ok = true;
            for (uint32_t i = 0; i < ps->rules[r].n && !nullable[r]; i++) {
                grammar_elem e = ps->rules[r].v[i];
                if (grammar_is_end(e.type)) {
                    if (alt_ok) nullable[r] = changed = true;
                    alt_ok = true;
                } else if (e.type == GE_REF ? !nullable[e.value] : grammar_is_char(e.type))
                    alt_ok = false;
            }
        }
    }
}

/* The rules r can start with are the references preceded only by nullable symbols in an
 * alternative. Finds the first such reference at an element index >= from: stores it in
 * *ref and returns the index to continue from, or UINT32_MAX when there is none. */
static uint32_t first_refs(const parser *ps, const bool *nullable, uint32_t r, uint32_t from, uint32_t *ref) {
    const rule_def *d = &ps->rules[r];
    bool leading = true;
    for (uint32_t i = 0; i < d->n; i++) {
        grammar_elem e = d->v[i];
        if (grammar_is_end(e.type)) leading = true;
        else if (e.type == GE_REF && leading) {
            if (i >= from) return *ref = e.value, i + 1;
            leading = nullable[e.value];
        } else if (grammar_is_char(e.type)) leading = false;
    }
    return UINT32_MAX;
}

/* A rule reaching itself before any character is read: left recursion. Iterative
 * depth-first search over the "starts with" edges. */
static int check_left_recursion(parser *ps) {
    uint32_t n = ps->n_rules;
    bool *nullable = calloc(n, 1);
    uint8_t *state = calloc(n, 1); /* 0 new, 1 on the path, 2 done */
    uint32_t *path = malloc(n * sizeof *path), *next = malloc(n * sizeof *next);
    int rc = 0;
    if (!nullable || !state || !path || !next) rc = lf_fail(ps->err, LF_ERR_NOMEM, "out of memory");
    if (!rc) find_nullable(ps, nullable);
    for (uint32_t root = 0; root < n && !rc; root++) {
        if (state[root]) continue;
        int64_t d = 0;
        path[0] = root, next[0] = 0, state[root] = 1;
        while (d >= 0 && !rc) {
            uint32_t ref, at = first_refs(ps, nullable, path[d], next[d], &ref);
            if (at == UINT32_MAX) {
                state[path[d--]] = 2;
                continue;
            }
            next[d] = at;
            if (state[ref] == 1)
                rc = lf_fail(ps->err, LF_ERR_ARG,
                             "grammar: rule '%s' is left-recursive (it can reach itself before reading a character)",
                             ps->rules[ref].name);
            else if (state[ref] == 0) {
                path[++d] = ref, next[d] = 0, state[ref] = 1;
            }
        }
    }
    free(nullable);
    free(state);
    free(path);
    free(next);
    return rc;
}

static int flatten(parser *ps, uint32_t root, lf_grammar *g) {
    uint32_t n_alts = 0;
    for (uint32_t r = 0; r < ps->n_rules; r++)
        for (uint32_t i = 0; i < ps->rules[r].n; i++) n_alts += grammar_is_end(ps->rules[r].v[i].type);
    g->n_rules = ps->n_rules, g->root = root, g->n_el = ps->total;
    g->el = malloc((size_t)g->n_el * sizeof *g->el);
    g->rule_start = malloc((size_t)g->n_rules * sizeof *g->rule_start);
    g->alt_first = malloc(((size_t)g->n_rules + 1) * sizeof *g->alt_first);
    g->alt_start = malloc((size_t)n_alts * sizeof *g->alt_start);
    if (!g->el || !g->rule_start || !g->alt_first || !g->alt_start) return lf_fail(ps->err, LF_ERR_NOMEM, "out of memory");
    uint32_t at = 0, alt = 0;
    for (uint32_t r = 0; r < ps->n_rules; r++) {
        g->rule_start[r] = at;
        g->alt_first[r] = alt;
        g->alt_start[alt++] = at;
        for (uint32_t i = 0; i < ps->rules[r].n; i++) {
            g->el[at++] = ps->rules[r].v[i];
            if (ps->rules[r].v[i].type == GE_ALT) g->alt_start[alt++] = at;
        }
    }
    g->alt_first[ps->n_rules] = alt;
    return 0;
}

void grammar_free_parts(lf_grammar *g) {
    free(g->el);
    free(g->rule_start);
    free(g->alt_first);
    free(g->alt_start);
}

void lf_grammar_free(lf_grammar *g) {
    if (!g) return;
    grammar_free_parts(g);
    free(g);
}

int lf_grammar_parse(const char *text, const char *root, lf_grammar **out, lf_error *err) {
    *out = NULL;
    if (!text) return lf_fail(err, LF_ERR_ARG, "grammar: no text");
    if (!root) root = "root";
    parser ps = {.src = text, .p = text, .err = err};
    lf_grammar *g = calloc(1, sizeof *g);
    int rc = g ? parse_rules(&ps) : lf_fail(err, LF_ERR_NOMEM, "out of memory");
    uint32_t root_id = UINT32_MAX;
    for (uint32_t r = 0; r < ps.n_rules && !rc; r++) {
        if (!ps.rules[r].defined) rc = fail_at(&ps, ps.rules[r].first_ref, "rule '%s' is used but never defined", ps.rules[r].name);
        else if (!strcmp(ps.rules[r].name, root)) root_id = r;
    }
    if (!rc && root_id == UINT32_MAX) rc = lf_fail(err, LF_ERR_ARG, "grammar: no rule named '%s' (the start rule)", root);
    if (!rc) rc = check_left_recursion(&ps);
    if (!rc) rc = flatten(&ps, root_id, g);
    for (uint32_t r = 0; r < ps.n_rules; r++) {
        free(ps.rules[r].v);
        free(ps.rules[r].name);
    }
    free(ps.rules);
    if (rc) {
        lf_grammar_free(g);
        return rc < 0 ? rc : LF_ERR_ARG;
    }
    *out = g;
    return LF_OK;
}
