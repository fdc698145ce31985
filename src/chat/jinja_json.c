/* transformers' tojson filter: Python's json.dumps(value, ensure_ascii=False,
 * indent=indent, sort_keys=sort_keys) -- not jinja2's own tojson, which escapes HTML
 * characters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/jinja_eval.h"

static void put_json_string(jv_buf *b, jv s) {
    jv_buf_put(b, "\"", 1);
    size_t run = 0; /* bytes copied verbatim in one call */
    for (size_t i = 0; i < s.u.s.n; i++) {
        unsigned char ch = (unsigned char)s.u.s.p[i];
        const char *esc = NULL;
        char hex[8];
        switch (ch) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
            if (ch < 0x20) {
                snprintf(hex, sizeof hex, "\\u%04x", ch);
                esc = hex;
            }
        }
        if (!esc) {
            run++;
            continue;
        }
        jv_buf_put(b, s.u.s.p + i - run, run);
        run = 0;
        jv_buf_puts(b, esc);
    }
    jv_buf_put(b, s.u.s.p + s.u.s.n - run, run);
    jv_buf_put(b, "\"", 1);
}

static void newline_indent(jv_buf *b, int indent, int level) {
    if (indent < 0) return;
    jv_buf_put(b, "\n", 1);
    for (int i = 0; i < indent * level; i++) jv_buf_put(b, " ", 1);
}

/* A dict key as json.dumps writes it: strings as they are, numbers, booleans and None
 * converted to their JSON text. */
static jv key_text(jinja_ctx *c, jv key, int line) {
    jv_buf b = {.rt = c->rt};
    switch (key.type) {
    case JV_STR: return key;
    case JV_BOOL: jv_buf_puts(&b, key.u.b ? "true" : "false"); break;
    case JV_NONE: jv_buf_puts(&b, "null"); break;
    case JV_INT:
    case JV_FLOAT: jv_append_str(&b, key); break;
    default: jinja_fail(c->rt, line, "keys must be str, int, float, bool or None, not %s", jv_type_name(key));
    }
    return jv_buf_value(&b);
}

typedef struct json_entry {
    jv key; /* the key's JSON text */
    size_t index;
} json_entry;

static int compare_entries(const void *x, const void *y) {
    const jv *a = &((const json_entry *)x)->key, *b = &((const json_entry *)y)->key;
    size_t n = a->u.s.n < b->u.s.n ? a->u.s.n : b->u.s.n;
    int cmp = memcmp(a->u.s.p, b->u.s.p, n);
    return cmp ? cmp : (a->u.s.n > b->u.s.n) - (a->u.s.n < b->u.s.n);
}

static void put_json(jinja_ctx *c, jv_buf *b, jv v, int indent, bool sort_keys, int level, int line) {
    jinja_enter(c->rt, line);
    const char *item_sep = indent < 0 ? ", " : ",";
    switch (v.type) {
    case JV_NONE: jv_buf_puts(b, "null"); break;
    case JV_BOOL: jv_buf_puts(b, v.u.b ? "true" : "false"); break;
    case JV_INT: jv_append_str(b, v); break;
    case JV_FLOAT:
        if (isnan(v.u.f)) jv_buf_puts(b, "NaN");
        else if (isinf(v.u.f)) jv_buf_puts(b, v.u.f < 0 ? "-Infinity" : "Infinity");
        else jv_append_str(b, v);
        break;
    case JV_STR: put_json_string(b, v); break;
    case JV_LIST:
        if (v.u.list->n == 0) {
            jv_buf_puts(b, "[]");
            break;
        }
        jv_buf_puts(b, "[");
        for (size_t i = 0; i < v.u.list->n; i++) {
            if (i) jv_buf_puts(b, item_sep);
            newline_indent(b, indent, level + 1);
            put_json(c, b, v.u.list->items[i], indent, sort_keys, level + 1, line);
        }
        newline_indent(b, indent, level);
        jv_buf_puts(b, "]");
        break;
    case JV_DICT: {
        size_t n = v.u.dict->n;
        if (n == 0) {
            jv_buf_puts(b, "{}");
            break;
        }
        json_entry *entries = jinja_alloc_array(c->rt, n, sizeof *entries);
        for (size_t i = 0; i < n; i++) entries[i] = (json_entry){key_text(c, v.u.dict->keys[i], line), i};
        if (sort_keys) qsort(entries, n, sizeof *entries, compare_entries);
        jv_buf_puts(b, "{");
        for (size_t i = 0; i < n; i++) {
            if (i) jv_buf_puts(b, item_sep);
            newline_indent(b, indent, level + 1);
            put_json_string(b, entries[i].key);
            jv_buf_puts(b, ": ");
            put_json(c, b, v.u.dict->values[entries[i].index], indent, sort_keys, level + 1, line);
        }
        newline_indent(b, indent, level);
        jv_buf_puts(b, "}");
        break;
    }
    default: jinja_fail(c->rt, line, "Object of type %s is not JSON serializable", jv_type_name(v));
    }
    jinja_leave(c->rt);
}

jv jinja_to_json(jinja_ctx *c, jv v, int indent, bool sort_keys, int line) {
    jv_buf b = {.rt = c->rt};
    put_json(c, &b, v, indent, sort_keys, 0, line);
    return jv_buf_value(&b);
}
