/* Methods of str and dict that templates call (message.content.strip(),
 * message.items(), ...). Lists have none: the sandbox transformers uses forbids
 * mutating them. */
#include <string.h>

#include "chat/jinja_eval.h"
#include "chat/jinja_strings.h"
#include "chat/jinja_text.h"

static const char *const no_keywords[] = {NULL};

static jv opt_str(jinja_ctx *c, const jinja_args *a, size_t i, const char *what) {
    jv v = jinja_arg(a, i, NULL, jv_none());
    return v.type == JV_NONE ? v : jinja_expect_str(c, v, what, a->line);
}

static int64_t opt_int(jinja_ctx *c, const jinja_args *a, size_t i, int64_t fallback) {
    jv v = jinja_arg(a, i, NULL, jv_none());
    if (v.type == JV_NONE) return fallback;
    if (v.type != JV_INT) jinja_fail(c->rt, a->line, "an integer argument is required, not '%s'", jv_type_name(v));
    return v.u.i;
}

static jv strip_method(jinja_ctx *c, jv s, const jinja_args *a, bool left, bool right) {
    jinja_check_args(c, a, "strip", 1, no_keywords);
    return jinja_str_strip(c->rt, s, opt_str(c, a, 0, "strip chars"), left, right);
}
static jv str_strip(jinja_ctx *c, jv s, const jinja_args *a) { return strip_method(c, s, a, true, true); }
static jv str_lstrip(jinja_ctx *c, jv s, const jinja_args *a) { return strip_method(c, s, a, true, false); }
static jv str_rstrip(jinja_ctx *c, jv s, const jinja_args *a) { return strip_method(c, s, a, false, true); }

static jv str_split(jinja_ctx *c, jv s, const jinja_args *a) {
    static const char *const kw[] = {"sep", "maxsplit", NULL};
    jinja_check_args(c, a, "split", 2, kw);
    jv sep = jinja_arg(a, 0, "sep", jv_none());
    if (sep.type != JV_NONE) jinja_expect_str(c, sep, "separator", a->line);
    jv maxsplit = jinja_arg(a, 1, "maxsplit", jv_int(-1));
    if (maxsplit.type != JV_INT) jinja_fail(c->rt, a->line, "split: maxsplit must be an integer");
    return jinja_str_split(c->rt, a->line, s, sep, maxsplit.u.i);
}

/* startswith/endswith take a string or a tuple of strings. */
static jv affix_method(jinja_ctx *c, jv s, const jinja_args *a, bool (*match)(jv, jv)) {
    jinja_check_args(c, a, "startswith", 1, no_keywords);
    jv what = jinja_arg(a, 0, NULL, jv_undefined("startswith() takes exactly one argument"));
    if (what.type == JV_LIST) {
        for (size_t i = 0; i < what.u.list->n; i++)
            if (match(s, jinja_expect_str(c, what.u.list->items[i], "prefix", a->line))) return jv_bool(true);
        return jv_bool(false);
    }
    return jv_bool(match(s, jinja_expect_str(c, what, "prefix", a->line)));
}
static jv str_startswith(jinja_ctx *c, jv s, const jinja_args *a) { return affix_method(c, s, a, jinja_str_starts); }
static jv str_endswith(jinja_ctx *c, jv s, const jinja_args *a) { return affix_method(c, s, a, jinja_str_ends); }

static jv str_replace(jinja_ctx *c, jv s, const jinja_args *a) {
    jinja_check_args(c, a, "replace", 3, no_keywords);
    if (a->n_pos < 2) jinja_fail(c->rt, a->line, "replace() takes at least 2 arguments");
    jv old = jinja_expect_str(c, a->pos[0], "replace argument", a->line);
    jv new_text = jinja_expect_str(c, a->pos[1], "replace argument", a->line);
    return jinja_str_replace(c->rt, s, old, new_text, opt_int(c, a, 2, -1));
}

#define CASE_METHOD(fn, name, mode)                              \
    static jv fn(jinja_ctx *c, jv s, const jinja_args *a) {      \
        jinja_check_args(c, a, name, 0, no_keywords);            \
        return jinja_str_case(c->rt, s, mode);                   \
    }
CASE_METHOD(str_upper, "upper", JINJA_UPPER)
CASE_METHOD(str_lower, "lower", JINJA_LOWER)
CASE_METHOD(str_title, "title", JINJA_TITLE_METHOD)
CASE_METHOD(str_capitalize, "capitalize", JINJA_CAPITALIZE)
#undef CASE_METHOD

static jv str_join(jinja_ctx *c, jv s, const jinja_args *a) {
    jinja_check_args(c, a, "join", 1, no_keywords);
    jv items = jinja_iterate(c, jinja_arg(a, 0, NULL, jv_none()), a->line);
    jv_buf out = {.rt = c->rt};
    for (size_t i = 0; i < items.u.list->n; i++) {
        if (i) jv_buf_put(&out, s.u.s.p, s.u.s.n);
        jv item = jinja_expect_str(c, items.u.list->items[i], "join item", a->line);
        jv_buf_put(&out, item.u.s.p, item.u.s.n);
    }
    return jv_buf_value(&out);
}

/* str.find(sub): code point index of the first occurrence, or -1. */
static jv str_find(jinja_ctx *c, jv s, const jinja_args *a) {
    jinja_check_args(c, a, "find", 1, no_keywords);
    jv sub = jinja_expect_str(c, jinja_arg(a, 0, NULL, jv_none()), "find argument", a->line);
    const char *hit = sub.u.s.n ? memmem(s.u.s.p, s.u.s.n, sub.u.s.p, sub.u.s.n) : s.u.s.p;
    return jv_int(hit ? (int64_t)jinja_utf8_length(s.u.s.p, (size_t)(hit - s.u.s.p)) : -1);
}

jv jinja_dict_items(jinja_ctx *c, jv d) {
    jv pairs = jv_new_list(c->rt, d.u.dict->n);
    for (size_t i = 0; i < d.u.dict->n; i++) jv_list_push(c->rt, pairs, jv_pair(c->rt, d.u.dict->keys[i], d.u.dict->values[i]));
    return pairs;
}

static jv dict_items(jinja_ctx *c, jv d, const jinja_args *a) {
    jinja_check_args(c, a, "items", 0, no_keywords);
    return jinja_dict_items(c, d);
}

static jv dict_column(jinja_ctx *c, jv d, const jinja_args *a, bool keys) {
    jinja_check_args(c, a, keys ? "keys" : "values", 0, no_keywords);
    jv out = jv_new_list(c->rt, d.u.dict->n);
    for (size_t i = 0; i < d.u.dict->n; i++) jv_list_push(c->rt, out, keys ? d.u.dict->keys[i] : d.u.dict->values[i]);
    return out;
}
static jv dict_keys(jinja_ctx *c, jv d, const jinja_args *a) { return dict_column(c, d, a, true); }
static jv dict_values(jinja_ctx *c, jv d, const jinja_args *a) { return dict_column(c, d, a, false); }

static jv dict_get(jinja_ctx *c, jv d, const jinja_args *a) {
    jinja_check_args(c, a, "get", 2, no_keywords);
    if (a->n_pos < 1) jinja_fail(c->rt, a->line, "get expected at least 1 argument");
    jv *v = jv_dict_find(c->rt, d, a->pos[0]);
    return v ? *v : jinja_arg(a, 1, NULL, jv_none());
}

static const struct {
    jv_type type;
    const char *name;
    jinja_builtin fn;
} methods[] = {
    {JV_STR, "capitalize", str_capitalize}, {JV_STR, "endswith", str_endswith}, {JV_STR, "find", str_find},
    {JV_STR, "join", str_join},             {JV_STR, "lower", str_lower},       {JV_STR, "lstrip", str_lstrip},
    {JV_STR, "replace", str_replace},       {JV_STR, "rstrip", str_rstrip},     {JV_STR, "split", str_split},
    {JV_STR, "startswith", str_startswith}, {JV_STR, "strip", str_strip},       {JV_STR, "title", str_title},
    {JV_STR, "upper", str_upper},           {JV_DICT, "get", dict_get},         {JV_DICT, "items", dict_items},
    {JV_DICT, "keys", dict_keys},           {JV_DICT, "values", dict_values},
};

jv jinja_find_method(jinja_ctx *c, jv obj, jv name) {
    if (name.type != JV_STR) return jv_undefined(NULL);
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (methods[i].type == obj.type && jv_is_cstr(name, methods[i].name))
            return jinja_function(c, methods[i].name, methods[i].fn, obj);
    return jv_undefined(NULL);
}
