/* Attribute, item and slice access and iteration with jinja2's rules: obj.name tries
 * the attribute (a method) before the item, obj[key] the item before the attribute, and
 * a failed lookup is Undefined rather than an error. */
#include <string.h>

#include "chat/jinja_eval.h"
#include "chat/jinja_text.h"

static const char *object_name(jv v) {
    switch (v.type) {
    case JV_STR: return "str object";
    case JV_LIST: return "list object";
    case JV_DICT: return "dict object";
    case JV_NONE: return "None";
    default: return jv_type_name(v);
    }
}

static jv no_attribute(jinja_ctx *c, jv obj, jv name) {
    return jv_undefined(jinja_message(c, "'%s' has no attribute '%.*s'", object_name(obj), JINJA_SHORT(name)));
}

/* A Python index into a sequence of length n (negative counts from the end); -1 if out of range. */
static int64_t python_index(jv key, size_t n) {
    int64_t i = key.type == JV_BOOL ? key.u.b : key.u.i;
    if (i < 0) i += (int64_t)n;
    return i >= 0 && (uint64_t)i < n ? i : -1;
}

static jv string_at(jinja_ctx *c, jv s, int64_t cp_index) {
    size_t start = jinja_utf8_offset(s.u.s.p, s.u.s.n, (size_t)cp_index), end = start;
    jinja_utf8_next(s.u.s.p, s.u.s.n, &end);
    return jv_str_copy(c->rt, s.u.s.p + start, end - start);
}

jv jinja_getitem(jinja_ctx *c, jv obj, jv key, int line) {
    jinja_require_defined(c, obj, line);
    bool int_key = key.type == JV_INT || key.type == JV_BOOL;
    if (obj.type == JV_LIST && int_key) {
        int64_t i = python_index(key, obj.u.list->n);
        if (i >= 0) return obj.u.list->items[i];
        return jv_undefined("list index out of range");
    }
    if (obj.type == JV_STR && int_key) {
        int64_t i = python_index(key, jinja_utf8_length(obj.u.s.p, obj.u.s.n));
        if (i >= 0) return string_at(c, obj, i);
        return jv_undefined("string index out of range");
    }
    if (obj.type == JV_DICT || obj.type == JV_NAMESPACE) {
        jv *v = jv_dict_find(c->rt, obj, key);
        if (v) return *v;
    }
    if (key.type == JV_STR && obj.type != JV_NAMESPACE) {
        jv method = jinja_find_method(c, obj, key);
        if (method.type != JV_UNDEFINED) return method;
    }
    if (key.type == JV_STR) return no_attribute(c, obj, key);
    jv_buf key_text = {.rt = c->rt};
    jv_append_repr(&key_text, key);
    return jv_undefined(jinja_message(c, "'%s' has no element %.*s", object_name(obj), JINJA_SHORT(jv_buf_value(&key_text))));
}

jv jinja_getattr(jinja_ctx *c, jv obj, jv name, int line) {
    jinja_require_defined(c, obj, line);
    if (obj.type != JV_NAMESPACE) {
        jv method = jinja_find_method(c, obj, name);
        if (method.type != JV_UNDEFINED) return method;
    }
    if (obj.type == JV_DICT || obj.type == JV_NAMESPACE) {
        jv *v = jv_dict_find(c->rt, obj, name);
        if (v) return *v;
    }
    return no_attribute(c, obj, name);
}

jv jinja_iterate(jinja_ctx *c, jv v, int line) {
    switch (v.type) {
    case JV_UNDEFINED: return jv_new_list(c->rt, 0);
    case JV_LIST: return v;
    case JV_DICT: {
        jv keys = jv_new_list(c->rt, v.u.dict->n);
        for (size_t i = 0; i < v.u.dict->n; i++) jv_list_push(c->rt, keys, v.u.dict->keys[i]);
        return keys;
    }
    case JV_STR: {
        jv chars = jv_new_list(c->rt, 0);
        for (size_t i = 0; i < v.u.s.n;) {
            size_t start = i;
            jinja_utf8_next(v.u.s.p, v.u.s.n, &i);
            jv_list_push(c->rt, chars, jv_str(v.u.s.p + start, i - start));
        }
        return chars;
    }
    default: jinja_fail(c->rt, line, "'%s' object is not iterable", jv_type_name(v));
    }
}

/* obj[start:stop:step] with Python's rules (None bounds, negative indexes, clamping). */
jv jinja_slice(jinja_ctx *c, jv obj, const jv bounds[3], int line) {
    jinja_require_defined(c, obj, line);
    int64_t val[3];
    bool given[3];
    for (int k = 0; k < 3; k++) {
        jv v = bounds[k];
        given[k] = v.type != JV_NONE;
        if (given[k] && v.type != JV_INT && v.type != JV_BOOL)
            jinja_fail(c->rt, line, "slice indices must be integers or None");
        val[k] = given[k] ? (v.type == JV_BOOL ? v.u.b : v.u.i) : 0;
    }
    int64_t step = given[2] ? val[2] : 1;
    if (step == 0) jinja_fail(c->rt, line, "slice step cannot be zero");
    bool is_str = obj.type == JV_STR;
    /* jinja2 turns a failed subscript into Undefined */
    if (!is_str && obj.type != JV_LIST) return jv_undefined(jinja_message(c, "'%s' object is not subscriptable", jv_type_name(obj)));
    int64_t len = (int64_t)(is_str ? jinja_utf8_length(obj.u.s.p, obj.u.s.n) : obj.u.list->n);
    int64_t lo = step < 0 ? -1 : 0, hi = step < 0 ? len - 1 : len;
    int64_t start = step < 0 ? hi : lo, stop = step < 0 ? lo : hi;
    for (int k = 0; k < 2; k++) {
        if (!given[k]) continue;
        int64_t x = val[k] < 0 ? val[k] + len : val[k];
        x = x < lo ? lo : x > hi ? hi : x;
        if (k == 0) start = x;
        else stop = x;
    }
    jv out = jv_new_list(c->rt, 0);
    jv_buf text = {.rt = c->rt};
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
        jinja_charge(c->rt, 1);
        if (is_str) {
            jv ch = string_at(c, obj, i);
            jv_buf_put(&text, ch.u.s.p, ch.u.s.n);
        } else {
            jv_list_push(c->rt, out, obj.u.list->items[i]);
        }
    }
    return is_str ? jv_buf_value(&text) : out;
}
