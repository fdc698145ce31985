/* jinja2's builtin filters that chat templates use, plus transformers' tojson. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chat/jinja_eval.h"
#include "chat/jinja_strings.h"
#include "chat/jinja_text.h"

static const char *const no_keywords[] = {NULL};

static jv filter_trim(jinja_ctx *c, jv v, const jinja_args *a) {
    static const char *const kw[] = {"chars", NULL};
    jinja_check_args(c, a, "trim", 1, kw);
    return jinja_str_strip(c->rt, jv_to_str(c->rt, v), jinja_arg(a, 0, "chars", jv_none()), true, true);
}

static jv filter_length(jinja_ctx *c, jv v, const jinja_args *a) {
    jinja_check_args(c, a, "length", 0, no_keywords);
    switch (v.type) {
    case JV_UNDEFINED: return jv_int(0);
    case JV_STR: return jv_int((int64_t)jinja_utf8_length(v.u.s.p, v.u.s.n));
    case JV_LIST: return jv_int((int64_t)v.u.list->n);
    case JV_DICT: return jv_int((int64_t)v.u.dict->n);
    default: jinja_fail(c->rt, a->line, "object of type '%s' has no len()", jv_type_name(v));
    }
}

#define CASE_FILTER(fn, name, mode)                                        \
    static jv fn(jinja_ctx *c, jv v, const jinja_args *a) {                \
        jinja_check_args(c, a, name, 0, no_keywords);                      \
        return jinja_str_case(c->rt, jv_to_str(c->rt, v), mode);           \
    }
CASE_FILTER(filter_upper, "upper", JINJA_UPPER)
CASE_FILTER(filter_lower, "lower", JINJA_LOWER)
CASE_FILTER(filter_capitalize, "capitalize", JINJA_CAPITALIZE)
CASE_FILTER(filter_title, "title", JINJA_TITLE_FILTER)
#undef CASE_FILTER

static jv filter_string(jinja_ctx *c, jv v, const jinja_args *a) {
    jinja_check_args(c, a, "string", 0, no_keywords);
    return jv_to_str(c->rt, v);
}

/* |safe marks text as safe for HTML escaping, which chat templates do not use. */
static jv filter_safe(jinja_ctx *c, jv v, const jinja_args *a) {
    jinja_check_args(c, a, "safe", 0, no_keywords);
    return v;
}

/* attribute="a.b" of a map/selectattr/join argument, looked up as jinja does (items
 * first, dotted paths, integer parts as indexes). */
static jv get_attribute_path(jinja_ctx *c, jv item, jv path, int line) {
    path = jinja_expect_str(c, path, "attribute", line);
    const char *p = path.u.s.p, *end = p + path.u.s.n;
    while (p <= end) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        if (!dot) dot = end;
        jv part = jv_str(p, (size_t)(dot - p));
        bool digits = part.u.s.n > 0 && part.u.s.n < 18;
        int64_t index = 0;
        for (size_t i = 0; i < part.u.s.n && digits; i++) {
            digits = part.u.s.p[i] >= '0' && part.u.s.p[i] <= '9';
            index = index * 10 + (part.u.s.p[i] - '0');
        }
        item = jinja_getitem(c, item, digits ? jv_int(index) : part, line);
        p = dot + 1;
    }
    return item;
}

static jv filter_join(jinja_ctx *c, jv v, const jinja_args *a) {
    static const char *const kw[] = {"d", "attribute", NULL};
    jinja_check_args(c, a, "join", 2, kw);
    jv sep = jv_to_str(c->rt, jinja_arg(a, 0, "d", jv_str("", 0)));
    jv attribute = jinja_arg(a, 1, "attribute", jv_none());
    jv items = jinja_iterate(c, v, a->line);
    jv_buf out = {.rt = c->rt};
    for (size_t i = 0; i < items.u.list->n; i++) {
        if (i) jv_buf_put(&out, sep.u.s.p, sep.u.s.n);
        jv item = items.u.list->items[i];
        if (attribute.type != JV_NONE) item = get_attribute_path(c, item, attribute, a->line);
        jv_append_str(&out, item);
    }
    return jv_buf_value(&out);
}

static jv filter_default(jinja_ctx *c, jv v, const jinja_args *a) {
    static const char *const kw[] = {"default_value", "boolean", NULL};
    jinja_check_args(c, a, "default", 2, kw);
    bool boolean = jv_truthy(jinja_arg(a, 1, "boolean", jv_bool(false)));
    if (v.type == JV_UNDEFINED || (boolean && !jv_truthy(v))) return jinja_arg(a, 0, "default_value", jv_str("", 0));
    return v;
}

static jv filter_tojson(jinja_ctx *c, jv v, const jinja_args *a) {
    static const char *const kw[] = {"ensure_ascii", "indent", "separators", "sort_keys", NULL};
    jinja_check_args(c, a, "tojson", 1, kw);
    jv indent = jinja_arg(a, 0, "indent", jv_none());
    if (indent.type != JV_NONE && indent.type != JV_INT) jinja_fail(c->rt, a->line, "tojson: indent must be an integer");
    if (jinja_arg(a, JINJA_KEYWORD_ONLY, "separators", jv_none()).type != JV_NONE || jv_truthy(jinja_arg(a, JINJA_KEYWORD_ONLY, "ensure_ascii", jv_none())))
        jinja_fail(c->rt, a->line, "tojson: only the indent and sort_keys options are supported");
    /* json.dumps puts newlines for any integer indent, negative ones indenting nothing;
     * huge ones end at the work and memory ceilings */
    int64_t width = indent.type != JV_INT ? -1 : indent.u.i < 0 ? 0 : indent.u.i > 1000000 ? 1000000 : indent.u.i;
    return jinja_to_json(c, v, (int)width, jv_truthy(jinja_arg(a, JINJA_KEYWORD_ONLY, "sort_keys", jv_none())), a->line);
}

static jv filter_first(jinja_ctx *c, jv v, const jinja_args *a) {
    jinja_check_args(c, a, "first", 0, no_keywords);
    jv items = jinja_iterate(c, v, a->line);
    return items.u.list->n ? items.u.list->items[0] : jv_undefined("No first item, sequence was empty.");
}

static jv filter_last(jinja_ctx *c, jv v, const jinja_args *a) {
    jinja_check_args(c, a, "last", 0, no_keywords);
    jv items = jinja_iterate(c, v, a->line);
    size_t n = items.u.list->n;
    return n ? items.u.list->items[n - 1] : jv_undefined("No last item, sequence was empty.");
}

static jv filter_replace(jinja_ctx *c, jv v, const jinja_args *a) {
    static const char *const kw[] = {"old", "new", "count", NULL};
    jinja_check_args(c, a, "replace", 3, kw);
    jv old = jinja_arg(a, 0, "old", jv_undefined("replace() missing argument 'old'"));
    jv new_text = jinja_arg(a, 1, "new", jv_undefined("replace() missing argument 'new'"));
    jinja_require_defined(c, old, a->line);
    jinja_require_defined(c, new_text, a->line);
    old = jv_to_str(c->rt, old);
    new_text = jv_to_str(c->rt, new_text);
    jv count = jinja_arg(a, 2, "count", jv_none());
    if (count.type != JV_NONE && count.type != JV_INT) jinja_fail(c->rt, a->line, "replace: count must be an integer");
    return jinja_str_replace(c->rt, jv_to_str(c->rt, v), old, new_text, count.type == JV_INT ? count.u.i : -1);
}

static jv filter_list(jinja_ctx *c, jv v, const jinja_args *a) {
    jinja_check_args(c, a, "list", 0, no_keywords);
    jv items = jinja_iterate(c, v, a->line);
    jv copy = jv_new_list(c->rt, items.u.list->n);
    for (size_t i = 0; i < items.u.list->n; i++) jv_list_push(c->rt, copy, items.u.list->items[i]);
    return copy;
}

static jv filter_items(jinja_ctx *c, jv v, const jinja_args *a) {
    jinja_check_args(c, a, "items", 0, no_keywords);
    if (v.type == JV_UNDEFINED) return jv_new_list(c->rt, 0);
    if (v.type != JV_DICT) jinja_fail(c->rt, a->line, "items: can only get item pairs from a mapping");
    return jinja_dict_items(c, v);
}

/* select/reject(test, args...) and selectattr/rejectattr(attribute, test, args...):
 * without a test the value's truth decides. */
static jv select_items(jinja_ctx *c, jv v, const jinja_args *a, bool by_attribute, bool keep) {
    size_t first_test_arg = by_attribute ? 1 : 0;
    if (a->n_kw) jinja_fail(c->rt, a->line, "select filters take no keyword arguments");
    const jinja_test_def *test = NULL;
    if (a->n_pos > first_test_arg) {
        jv name = jinja_expect_str(c, a->pos[first_test_arg], "test name", a->line);
        test = jinja_find_test(name);
        if (!test) jinja_fail(c->rt, a->line, "no test named '%.*s'", (int)name.u.s.n, name.u.s.p);
    }
    if (by_attribute && a->n_pos == 0) jinja_fail(c->rt, a->line, "selectattr needs an attribute name");
    jinja_args test_args = {.pos = a->pos + first_test_arg + 1, .line = a->line};
    test_args.n_pos = a->n_pos > first_test_arg + 1 ? a->n_pos - first_test_arg - 1 : 0;
    jv items = jinja_iterate(c, v, a->line), out = jv_new_list(c->rt, 0);
    for (size_t i = 0; i < items.u.list->n; i++) {
        jv item = items.u.list->items[i];
        jv subject = by_attribute ? get_attribute_path(c, item, a->pos[0], a->line) : item;
        bool pass = test ? jinja_apply_test(c, test, subject, &test_args) : jv_truthy(subject);
        if (pass == keep) jv_list_push(c->rt, out, item);
    }
    return out;
}
static jv filter_select(jinja_ctx *c, jv v, const jinja_args *a) { return select_items(c, v, a, false, true); }
static jv filter_reject(jinja_ctx *c, jv v, const jinja_args *a) { return select_items(c, v, a, false, false); }
static jv filter_selectattr(jinja_ctx *c, jv v, const jinja_args *a) { return select_items(c, v, a, true, true); }
static jv filter_rejectattr(jinja_ctx *c, jv v, const jinja_args *a) { return select_items(c, v, a, true, false); }

/* map(attribute="x", default=...) or map("filter", args...). */
static jv filter_map(jinja_ctx *c, jv v, const jinja_args *a) {
    jv attribute = jinja_arg(a, JINJA_KEYWORD_ONLY, "attribute", jv_none());
    jv fallback = jinja_arg(a, JINJA_KEYWORD_ONLY, "default", jv_undefined(NULL));
    jinja_builtin filter = NULL;
    jinja_args filter_args = {.line = a->line};
    if (attribute.type == JV_NONE) {
        if (a->n_pos == 0) jinja_fail(c->rt, a->line, "map needs a filter name or attribute=");
        jv name = jinja_expect_str(c, a->pos[0], "filter name", a->line);
        filter = jinja_find_filter(name);
        if (!filter) jinja_fail(c->rt, a->line, "no filter named '%.*s'", (int)name.u.s.n, name.u.s.p);
        filter_args = *a;
        filter_args.pos++;
        filter_args.n_pos--;
    }
    jv items = jinja_iterate(c, v, a->line), out = jv_new_list(c->rt, items.u.list->n);
    for (size_t i = 0; i < items.u.list->n; i++) {
        jv item = items.u.list->items[i], mapped;
        if (filter) {
            mapped = filter(c, item, &filter_args);
        } else {
            mapped = get_attribute_path(c, item, attribute, a->line);
            if (mapped.type == JV_UNDEFINED && fallback.type != JV_UNDEFINED) mapped = fallback;
        }
        jv_list_push(c->rt, out, mapped);
    }
    return out;
}

static jv filter_reverse(jinja_ctx *c, jv v, const jinja_args *a) {
    jinja_check_args(c, a, "reverse", 0, no_keywords);
    jv items = jinja_iterate(c, v, a->line);
    size_t n = items.u.list->n;
    if (v.type == JV_STR) {
        jv_buf out = {.rt = c->rt};
        for (size_t i = n; i-- > 0;) jv_buf_put(&out, items.u.list->items[i].u.s.p, items.u.list->items[i].u.s.n);
        return jv_buf_value(&out);
    }
    jv out = jv_new_list(c->rt, n);
    for (size_t i = n; i-- > 0;) jv_list_push(c->rt, out, items.u.list->items[i]);
    return out;
}

static jv filter_int(jinja_ctx *c, jv v, const jinja_args *a) {
    static const char *const kw[] = {"default", NULL};
    jinja_check_args(c, a, "int", 1, kw);
    jv fallback = jinja_arg(a, 0, "default", jv_int(0));
    switch (v.type) {
    case JV_INT: return v;
    case JV_BOOL: return jv_int(v.u.b);
    case JV_FLOAT: return isfinite(v.u.f) && fabs(v.u.f) < 9e18 ? jv_int((int64_t)v.u.f) : fallback;
    case JV_STR: {
        char buf[32];
        jv t = jinja_str_strip(c->rt, v, jv_none(), true, true);
        if (t.u.s.n == 0 || t.u.s.n >= sizeof buf) return fallback;
        memcpy(buf, t.u.s.p, t.u.s.n);
        buf[t.u.s.n] = 0;
        char *end;
        long long i = strtoll(buf, &end, 10);
        return *end ? fallback : jv_int(i);
    }
    default: return fallback;
    }
}

static jv filter_abs(jinja_ctx *c, jv v, const jinja_args *a) {
    jinja_check_args(c, a, "abs", 0, no_keywords);
    if (v.type == JV_FLOAT) return jv_float(fabs(v.u.f));
    if (v.type == JV_INT && v.u.i != INT64_MIN) return jv_int(v.u.i < 0 ? -v.u.i : v.u.i);
    if (v.type == JV_BOOL) return jv_int(v.u.b);
    jinja_fail(c->rt, a->line, "bad operand type for abs(): '%s'", jv_type_name(v));
}

/* indent(width=4, first=False, blank=False): indents every line but the first. */
static jv filter_indent(jinja_ctx *c, jv v, const jinja_args *a) {
    static const char *const kw[] = {"width", "first", "blank", NULL};
    jinja_check_args(c, a, "indent", 3, kw);
    jv width = jinja_arg(a, 0, "width", jv_int(4));
    bool first = jv_truthy(jinja_arg(a, 1, "first", jv_bool(false)));
    bool blank = jv_truthy(jinja_arg(a, 2, "blank", jv_bool(false)));
    jv pad = width.type == JV_STR ? width : jv_none();
    if (width.type == JV_INT) {
        if (width.u.i < 0 || width.u.i > 1024) jinja_fail(c->rt, a->line, "indent: width out of range");
        char *spaces = jinja_alloc(c->rt, (size_t)width.u.i + 1);
        memset(spaces, ' ', (size_t)width.u.i);
        pad = jv_str(spaces, (size_t)width.u.i);
    }
    if (pad.type != JV_STR) jinja_fail(c->rt, a->line, "indent: width must be an integer or a string");
    jv s = jinja_expect_str(c, v, "indent's value", a->line); /* jinja2 appends "\n" to it */
    jv_buf out = {.rt = c->rt};
    size_t i = 0;
    for (bool first_line = true; i <= s.u.s.n; first_line = false) {
        const char *nl = memchr(s.u.s.p + i, '\n', s.u.s.n - i);
        size_t end = nl ? (size_t)(nl - s.u.s.p) : s.u.s.n;
        bool empty = end == i;
        if (first_line ? first : blank || !empty) jv_buf_put(&out, pad.u.s.p, pad.u.s.n);
        jv_buf_put(&out, s.u.s.p + i, end - i);
        if (!nl) break;
        jv_buf_put(&out, "\n", 1);
        i = end + 1;
    }
    return jv_buf_value(&out);
}

/* The key sort() orders an item by: its attribute, lower-cased unless case_sensitive. */
static jv sort_key(jinja_ctx *c, jv item, jv attribute, bool case_sensitive, int line) {
    if (attribute.type != JV_NONE) item = get_attribute_path(c, item, attribute, line);
    return item.type == JV_STR && !case_sensitive ? jinja_str_case(c->rt, item, JINJA_LOWER) : item;
}

/* Stable merge sort of items[lo, hi) by keys (Python's sort is stable too). */
static void merge_sort(jinja_ctx *c, jv *items, jv *keys, jv *tmp_items, jv *tmp_keys, size_t lo, size_t hi,
                       bool reverse, int line) {
    if (hi - lo < 2) return;
    size_t mid = lo + (hi - lo) / 2;
    merge_sort(c, items, keys, tmp_items, tmp_keys, lo, mid, reverse, line);
    merge_sort(c, items, keys, tmp_items, tmp_keys, mid, hi, reverse, line);
    size_t i = lo, j = mid, k = lo;
    while (i < mid || j < hi) {
        jinja_charge(c->rt, 1);
        bool take_right = i == mid;
        if (i < mid && j < hi) {
            int cmp = jv_compare(c->rt, line, keys[j], keys[i]);
            take_right = reverse ? cmp > 0 : cmp < 0;
        }
        size_t from = take_right ? j++ : i++;
        tmp_items[k] = items[from];
        tmp_keys[k++] = keys[from];
    }
    memcpy(items + lo, tmp_items + lo, (hi - lo) * sizeof *items);
    memcpy(keys + lo, tmp_keys + lo, (hi - lo) * sizeof *keys);
}

static jv filter_sort(jinja_ctx *c, jv v, const jinja_args *a) {
    static const char *const kw[] = {"reverse", "case_sensitive", "attribute", NULL};
    jinja_check_args(c, a, "sort", 3, kw);
    bool reverse = jv_truthy(jinja_arg(a, 0, "reverse", jv_bool(false)));
    bool case_sensitive = jv_truthy(jinja_arg(a, 1, "case_sensitive", jv_bool(false)));
    jv attribute = jinja_arg(a, 2, "attribute", jv_none());
    jv out = filter_list(c, v, &(jinja_args){.line = a->line});
    size_t n = out.u.list->n;
    jv *keys = jinja_alloc_array(c->rt, n + 1, sizeof *keys);
    jv *tmp = jinja_alloc_array(c->rt, 2 * (n + 1), sizeof *tmp);
    for (size_t i = 0; i < n; i++) keys[i] = sort_key(c, out.u.list->items[i], attribute, case_sensitive, a->line);
    merge_sort(c, out.u.list->items, keys, tmp, tmp + n + 1, 0, n, reverse, a->line);
    return out;
}

static const struct {
    const char *name;
    jinja_builtin fn;
} filters[] = {
    {"abs", filter_abs},
    {"capitalize", filter_capitalize},
    {"count", filter_length},
    {"d", filter_default},
    {"default", filter_default},
    {"first", filter_first},
    {"indent", filter_indent},
    {"int", filter_int},
    {"items", filter_items},
    {"join", filter_join},
    {"last", filter_last},
    {"length", filter_length},
    {"list", filter_list},
    {"lower", filter_lower},
    {"map", filter_map},
    {"reject", filter_reject},
    {"rejectattr", filter_rejectattr},
    {"replace", filter_replace},
    {"reverse", filter_reverse},
    {"safe", filter_safe},
    {"select", filter_select},
    {"selectattr", filter_selectattr},
    {"sort", filter_sort},
    {"string", filter_string},
    {"title", filter_title},
    {"tojson", filter_tojson},
    {"trim", filter_trim},
    {"upper", filter_upper},
};

jinja_builtin jinja_find_filter(jv name) {
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
        if (jv_is_cstr(name, filters[i].name))
            return filters[i].fn;
    return NULL;
}
