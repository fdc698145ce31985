#include "chat/jinja_value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

jv jv_cstr(const char *s) { return jv_str(s, strlen(s)); }

bool jv_is_cstr(jv s, const char *text) { return s.u.s.n == strlen(text) && memcmp(s.u.s.p, text, s.u.s.n) == 0; }

jv jv_str_copy(jinja_rt *rt, const char *p, size_t n) {
    jinja_charge(rt, n / 64);
    return jv_str(jinja_strndup(rt, p, n), n);
}

jv jv_new_list(jinja_rt *rt, size_t cap) {
    jv v = {.type = JV_LIST};
    v.u.list = jinja_alloc(rt, sizeof *v.u.list);
    if (cap) {
        v.u.list->items = jinja_alloc_array(rt, cap, sizeof(jv));
        v.u.list->cap = cap;
    }
    return v;
}

jv jv_new_dict(jinja_rt *rt, jv_type type) {
    jv v = {.type = type};
    v.u.dict = jinja_alloc(rt, sizeof *v.u.dict);
    return v;
}

/* Doubles an arena array; the old block is simply abandoned to the arena. */
static void *grow(jinja_rt *rt, void *old, size_t n, size_t *cap, size_t elem) {
    size_t new_cap = *cap ? *cap * 2 : 4;
    void *p = jinja_alloc_array(rt, new_cap, elem);
    if (n) memcpy(p, old, n * elem);
    *cap = new_cap;
    return p;
}

void jv_list_push(jinja_rt *rt, jv list, jv item) {
    jv_list *l = list.u.list;
    if (l->n == l->cap) l->items = grow(rt, l->items, l->n, &l->cap, sizeof(jv));
    l->items[l->n++] = item;
}

jv jv_pair(jinja_rt *rt, jv a, jv b) {
    jv pair = jv_new_list(rt, 2);
    pair.u.list->tuple = true;
    jv_list_push(rt, pair, a);
    jv_list_push(rt, pair, b);
    return pair;
}

jv *jv_dict_find(jinja_rt *rt, jv dict, jv key) {
    jv_dict *d = dict.u.dict;
    jinja_charge(rt, d->n / 4);
    for (size_t i = 0; i < d->n; i++)
        if (jv_equal(d->keys[i], key)) return &d->values[i];
    return NULL;
}

void jv_dict_set(jinja_rt *rt, jv dict, jv key, jv value) {
    jv *slot = jv_dict_find(rt, dict, key);
    if (slot) {
        *slot = value;
        return;
    }
    jv_dict *d = dict.u.dict;
    if (d->n == d->cap) {
        size_t cap = d->cap;
        d->keys = grow(rt, d->keys, d->n, &cap, sizeof(jv));
        d->values = grow(rt, d->values, d->n, &d->cap, sizeof(jv));
    }
    d->keys[d->n] = key;
    d->values[d->n++] = value;
}

const char *jv_type_name(jv v) {
    switch (v.type) {
    case JV_UNDEFINED: return "Undefined";
    case JV_NONE: return "NoneType";
    case JV_BOOL: return "bool";
    case JV_INT: return "int";
    case JV_FLOAT: return "float";
    case JV_STR: return "str";
    case JV_LIST: return v.u.list->tuple ? "tuple" : "list";
    case JV_DICT: return "dict";
    case JV_NAMESPACE: return "Namespace";
    case JV_FUNCTION: return "function";
    }
    return "?";
}

bool jv_truthy(jv v) {
    switch (v.type) {
    case JV_UNDEFINED:
    case JV_NONE: return false;
    case JV_BOOL: return v.u.b;
    case JV_INT: return v.u.i != 0;
    case JV_FLOAT: return v.u.f != 0;
    case JV_STR: return v.u.s.n != 0;
    case JV_LIST: return v.u.list->n != 0;
    case JV_DICT: return v.u.dict->n != 0;
    case JV_NAMESPACE:
    case JV_FUNCTION: return true;
    }
    return false;
}

bool jv_is_number(jv v) { return v.type == JV_BOOL || v.type == JV_INT || v.type == JV_FLOAT; }

static double as_double(jv v) {
    return v.type == JV_FLOAT ? v.u.f : v.type == JV_INT ? (double)v.u.i : (double)v.u.b;
}
static int64_t as_int(jv v) { return v.type == JV_INT ? v.u.i : (int64_t)v.u.b; }

bool jv_equal(jv a, jv b) {
    if (jv_is_number(a) && jv_is_number(b)) {
        if (a.type == JV_FLOAT || b.type == JV_FLOAT) return as_double(a) == as_double(b);
        return as_int(a) == as_int(b);
    }
    if (a.type != b.type) return false;
    switch (a.type) {
    case JV_UNDEFINED:
    case JV_NONE: return true;
    case JV_STR: return a.u.s.n == b.u.s.n && memcmp(a.u.s.p, b.u.s.p, a.u.s.n) == 0;
    case JV_LIST:
        if (a.u.list->n != b.u.list->n || a.u.list->tuple != b.u.list->tuple) return false;
        for (size_t i = 0; i < a.u.list->n; i++)
            if (!jv_equal(a.u.list->items[i], b.u.list->items[i])) return false;
        return true;
    case JV_DICT:
        if (a.u.dict->n != b.u.dict->n) return false;
        for (size_t i = 0; i < a.u.dict->n; i++) {
            bool found = false;
            for (size_t j = 0; j < b.u.dict->n && !found; j++)
                found = jv_equal(a.u.dict->keys[i], b.u.dict->keys[j]) &&
                        jv_equal(a.u.dict->values[i], b.u.dict->values[j]);
            if (!found) return false;
        }
        return true;
    default: return a.u.dict == b.u.dict; /* namespaces and functions: identity */
    }
}

int jv_compare(jinja_rt *rt, int line, jv a, jv b) {
    if (jv_is_number(a) && jv_is_number(b)) {
        if (a.type == JV_FLOAT || b.type == JV_FLOAT) {
            double x = as_double(a), y = as_double(b);
            return (x > y) - (x < y);
        }
        int64_t x = as_int(a), y = as_int(b);
        return (x > y) - (x < y);
    }
    if (a.type == JV_STR && b.type == JV_STR) {
        /* Byte order of UTF-8 is code point order, as Python compares. */
        size_t n = a.u.s.n < b.u.s.n ? a.u.s.n : b.u.s.n;
        int c = memcmp(a.u.s.p, b.u.s.p, n);
        if (c) return c < 0 ? -1 : 1;
        return (a.u.s.n > b.u.s.n) - (a.u.s.n < b.u.s.n);
    }
    if (a.type == JV_LIST && b.type == JV_LIST && a.u.list->tuple == b.u.list->tuple) {
        size_t n = a.u.list->n < b.u.list->n ? a.u.list->n : b.u.list->n;
        for (size_t i = 0; i < n; i++) {
            jv x = a.u.list->items[i], y = b.u.list->items[i];
            if (!jv_equal(x, y)) return jv_compare(rt, line, x, y);
        }
        return (a.u.list->n > b.u.list->n) - (a.u.list->n < b.u.list->n);
    }
    jinja_fail(rt, line, "cannot compare '%s' with '%s'", jv_type_name(a), jv_type_name(b));
}

void jv_buf_put(jv_buf *b, const char *s, size_t n) {
    if (n > b->cap - b->n) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap - b->n < n) {
            if (cap > SIZE_MAX / 2) jinja_fail(b->rt, 0, "template output too large");
            cap *= 2;
        }
        char *p = jinja_alloc(b->rt, cap);
        if (b->n) memcpy(p, b->p, b->n);
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
    jinja_charge(b->rt, n / 64 + 1);
}

jv jv_buf_value(jv_buf *b) { return jv_str(b->p ? b->p : "", b->n); }

/* Python's repr of a float: the shortest digits that read back to the same double,
 * positional for decimal exponents -4..15, else d.ddde+XX. */
static void append_float(jv_buf *b, double f) {
    if (isnan(f) || isinf(f)) {
        jv_buf_puts(b, isnan(f) ? "nan" : f < 0 ? "-inf" : "inf");
        return;
    }
    char sci[40], out[400];
    int prec = 0;
    for (; prec < 17; prec++) {
        snprintf(sci, sizeof sci, "%.*e", prec, f);
        if (strtod(sci, NULL) == f) break;
    }
    int exp10 = atoi(strchr(sci, 'e') + 1);
    if (exp10 < -4 || exp10 >= 16) {
        /* Python prints two exponent digits at least, as C does; only "e+16" style. */
        jv_buf_puts(b, sci);
        return;
    }
    int decimals = prec - exp10;
    snprintf(out, sizeof out, "%.*f", decimals > 0 ? decimals : 0, f);
    jv_buf_puts(b, out);
    if (decimals <= 0) jv_buf_puts(b, ".0");
}

static void append_int(jv_buf *b, int64_t i) {
    char s[24];
    snprintf(s, sizeof s, "%lld", (long long)i);
    jv_buf_puts(b, s);
}

static void append_repr_string(jv_buf *b, const char *p, size_t n) {
    /* Python quotes with ' unless the text holds ' and no ". */
    char quote = memchr(p, '\'', n) && !memchr(p, '"', n) ? '"' : '\'';
    jv_buf_put(b, &quote, 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        char esc[8];
        if (c == '\\' || c == (unsigned char)quote) {
            esc[0] = '\\';
            esc[1] = (char)c;
            jv_buf_put(b, esc, 2);
        } else if (c == '\n') {
            jv_buf_puts(b, "\\n");
        } else if (c == '\r') {
            jv_buf_puts(b, "\\r");
        } else if (c == '\t') {
            jv_buf_puts(b, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", c);
            jv_buf_puts(b, esc);
        } else {
            jv_buf_put(b, (const char *)&c, 1);
        }
    }
    jv_buf_put(b, &quote, 1);
}

static void append_value(jv_buf *b, jv v, bool repr) {
    jinja_enter(b->rt, 0);
    switch (v.type) {
    case JV_UNDEFINED:
        if (repr) jv_buf_puts(b, "Undefined");
        break;
    case JV_NONE: jv_buf_puts(b, "None"); break;
    case JV_BOOL: jv_buf_puts(b, v.u.b ? "True" : "False"); break;
    case JV_INT: append_int(b, v.u.i); break;
    case JV_FLOAT: append_float(b, v.u.f); break;
    case JV_STR:
        if (repr)
            append_repr_string(b, v.u.s.p, v.u.s.n);
        else
            jv_buf_put(b, v.u.s.p, v.u.s.n);
        break;
    case JV_LIST:
        jv_buf_puts(b, v.u.list->tuple ? "(" : "[");
        for (size_t i = 0; i < v.u.list->n; i++) {
            if (i) jv_buf_puts(b, ", ");
            append_value(b, v.u.list->items[i], true);
        }
        jv_buf_puts(b, !v.u.list->tuple ? "]" : v.u.list->n == 1 ? ",)" : ")");
        break;
    case JV_DICT:
    case JV_NAMESPACE:
        jv_buf_puts(b, v.type == JV_NAMESPACE ? "<Namespace {" : "{");
        for (size_t i = 0; i < v.u.dict->n; i++) {
            if (i) jv_buf_puts(b, ", ");
            append_value(b, v.u.dict->keys[i], true);
            jv_buf_puts(b, ": ");
            append_value(b, v.u.dict->values[i], true);
        }
        jv_buf_puts(b, v.type == JV_NAMESPACE ? "}>" : "}");
        break;
    case JV_FUNCTION: jv_buf_puts(b, "<function>"); break;
    }
    jinja_leave(b->rt);
}

void jv_append_str(jv_buf *b, jv v) { append_value(b, v, false); }
void jv_append_repr(jv_buf *b, jv v) { append_value(b, v, true); }

jv jv_to_str(jinja_rt *rt, jv v) {
    if (v.type == JV_STR) return v;
    jv_buf b = {.rt = rt};
    jv_append_str(&b, v);
    return jv_buf_value(&b);
}
