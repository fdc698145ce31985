/* jinja2's builtin tests ("x is defined", "x is string", ...). */
#include <string.h>

#include "chat/jinja_eval.h"
#include "chat/jinja_text.h"

static jv arg0(jinja_ctx *c, const jinja_args *a, const char *test) {
    if (a->n_pos < 1) jinja_fail(c->rt, a->line, "test '%s' needs an argument", test);
    return a->pos[0];
}

static bool test_defined(jinja_ctx *c, jv v, const jinja_args *a) { (void)c, (void)a; return v.type != JV_UNDEFINED; }
static bool test_undefined(jinja_ctx *c, jv v, const jinja_args *a) { (void)c, (void)a; return v.type == JV_UNDEFINED; }
static bool test_none(jinja_ctx *c, jv v, const jinja_args *a) { (void)c, (void)a; return v.type == JV_NONE; }
static bool test_string(jinja_ctx *c, jv v, const jinja_args *a) { (void)c, (void)a; return v.type == JV_STR; }
static bool test_mapping(jinja_ctx *c, jv v, const jinja_args *a) { (void)c, (void)a; return v.type == JV_DICT; }
static bool test_boolean(jinja_ctx *c, jv v, const jinja_args *a) { (void)c, (void)a; return v.type == JV_BOOL; }
static bool test_true(jinja_ctx *c, jv v, const jinja_args *a) { (void)c, (void)a; return v.type == JV_BOOL && v.u.b; }
static bool test_false(jinja_ctx *c, jv v, const jinja_args *a) { (void)c, (void)a; return v.type == JV_BOOL && !v.u.b; }
static bool test_number(jinja_ctx *c, jv v, const jinja_args *a) { (void)c, (void)a; return jv_is_number(v); }
static bool test_integer(jinja_ctx *c, jv v, const jinja_args *a) { (void)c, (void)a; return v.type == JV_INT; }
static bool test_float(jinja_ctx *c, jv v, const jinja_args *a) { (void)c, (void)a; return v.type == JV_FLOAT; }
static bool test_callable(jinja_ctx *c, jv v, const jinja_args *a) { (void)c, (void)a; return v.type == JV_FUNCTION; }
/* Undefined iterates as empty and has a length, so jinja counts it iterable and a sequence. */
static bool test_iterable(jinja_ctx *c, jv v, const jinja_args *a) {
    (void)c, (void)a;
    return v.type == JV_UNDEFINED || v.type == JV_STR || v.type == JV_LIST || v.type == JV_DICT;
}
static bool test_eq(jinja_ctx *c, jv v, const jinja_args *a) { return jv_equal(v, arg0(c, a, "eq")); }
static bool test_ne(jinja_ctx *c, jv v, const jinja_args *a) { return !jv_equal(v, arg0(c, a, "ne")); }
static bool test_lt(jinja_ctx *c, jv v, const jinja_args *a) { return jv_compare(c->rt, a->line, v, arg0(c, a, "lt")) < 0; }
static bool test_le(jinja_ctx *c, jv v, const jinja_args *a) { return jv_compare(c->rt, a->line, v, arg0(c, a, "le")) <= 0; }
static bool test_gt(jinja_ctx *c, jv v, const jinja_args *a) { return jv_compare(c->rt, a->line, v, arg0(c, a, "gt")) > 0; }
static bool test_ge(jinja_ctx *c, jv v, const jinja_args *a) { return jv_compare(c->rt, a->line, v, arg0(c, a, "ge")) >= 0; }

/* Python's "is": the same value of the same type (True is not 1). */
static bool test_sameas(jinja_ctx *c, jv v, const jinja_args *a) {
    jv other = arg0(c, a, "sameas");
    return v.type == other.type && jv_equal(v, other);
}

static bool test_in(jinja_ctx *c, jv v, const jinja_args *a) {
    jv container = arg0(c, a, "in");
    if (container.type == JV_STR && v.type == JV_STR)
        return v.u.s.n == 0 || memmem(container.u.s.p, container.u.s.n, v.u.s.p, v.u.s.n) != NULL;
    jv items = jinja_iterate(c, container, a->line);
    for (size_t i = 0; i < items.u.list->n; i++)
        if (jv_equal(items.u.list->items[i], v)) return true;
    return false;
}

/* value % d == want, with Python's % (floats too; -3 % 2 == 1). */
static bool remainder_is(jinja_ctx *c, jv value, jv d, int64_t want, int line) {
    return jv_equal(jinja_binary_op(c, '%', value, d, line), jv_int(want));
}
static bool test_odd(jinja_ctx *c, jv v, const jinja_args *a) { return remainder_is(c, v, jv_int(2), 1, a->line); }
static bool test_even(jinja_ctx *c, jv v, const jinja_args *a) { return remainder_is(c, v, jv_int(2), 0, a->line); }
static bool test_divisibleby(jinja_ctx *c, jv v, const jinja_args *a) {
    return remainder_is(c, v, arg0(c, a, "divisibleby"), 0, a->line);
}

/* str.islower()/isupper(): some cased character, and all of them in that case. */
static bool has_case(jv v, bool lower) {
    if (v.type != JV_STR) return false;
    bool cased = false;
    for (size_t i = 0; i < v.u.s.n;) {
        uint32_t cp = jinja_utf8_next(v.u.s.p, v.u.s.n, &i);
        if (!jinja_is_cased_letter(cp)) continue;
        cased = true;
        if ((lower ? jinja_lower(cp) : jinja_upper(cp)) != cp) return false;
    }
    return cased;
}
static bool test_lower(jinja_ctx *c, jv v, const jinja_args *a) { (void)c, (void)a; return has_case(v, true); }
static bool test_upper(jinja_ctx *c, jv v, const jinja_args *a) { (void)c, (void)a; return has_case(v, false); }

static const jinja_test_def tests[] = {
    {"!=", test_ne, 1},
    {"<", test_lt, 1},
    {"<=", test_le, 1},
    {"==", test_eq, 1},
    {">", test_gt, 1},
    {">=", test_ge, 1},
    {"boolean", test_boolean, 0},
    {"callable", test_callable, 0},
    {"defined", test_defined, 0},
    {"divisibleby", test_divisibleby, 1},
    {"eq", test_eq, 1},
    {"equalto", test_eq, 1},
    {"even", test_even, 0},
    {"false", test_false, 0},
    {"float", test_float, 0},
    {"ge", test_ge, 1},
    {"greaterthan", test_gt, 1},
    {"gt", test_gt, 1},
    {"in", test_in, 1},
    {"integer", test_integer, 0},
    {"iterable", test_iterable, 0},
    {"le", test_le, 1},
    {"lessthan", test_lt, 1},
    {"lower", test_lower, 0},
    {"lt", test_lt, 1},
    {"mapping", test_mapping, 0},
    {"ne", test_ne, 1},
    {"none", test_none, 0},
    {"number", test_number, 0},
    {"odd", test_odd, 0},
    {"sameas", test_sameas, 1},
    {"sequence", test_iterable, 0},
    {"string", test_string, 0},
    {"true", test_true, 0},
    {"undefined", test_undefined, 0},
    {"upper", test_upper, 0},
};

const jinja_test_def *jinja_find_test(jv name) {
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        if (jv_is_cstr(name, tests[i].name)) return &tests[i];
    return NULL;
}

bool jinja_apply_test(jinja_ctx *c, const jinja_test_def *test, jv value, const jinja_args *args) {
    if (args->n_pos + args->n_kw != test->n_args)
        jinja_fail(c->rt, args->line, "test '%s' takes %zu argument%s (%zu given)", test->name, test->n_args,
                   test->n_args == 1 ? "" : "s", args->n_pos + args->n_kw);
    return test->fn(c, value, args);
}
