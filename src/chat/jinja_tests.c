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

static int64_t integer_of(jinja_ctx *c, jv v, const char *test, int line) {
    if (v.type == JV_INT) return v.u.i;
    if (v.type == JV_BOOL) return v.u.b;
    jinja_fail(c->rt, line, "test '%s' needs an integer, not '%s'", test, jv_type_name(v));
}
static bool test_odd(jinja_ctx *c, jv v, const jinja_args *a) { return integer_of(c, v, "odd", a->line) % 2 != 0; }
static bool test_even(jinja_ctx *c, jv v, const jinja_args *a) { return integer_of(c, v, "even", a->line) % 2 == 0; }
static bool test_divisibleby(jinja_ctx *c, jv v, const jinja_args *a) {
    int64_t d = integer_of(c, arg0(c, a, "divisibleby"), "divisibleby", a->line);
    if (d == 0) jinja_fail(c->rt, a->line, "integer division or modulo by zero");
    return d == -1 || integer_of(c, v, "divisibleby", a->line) % d == 0;
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

static const struct {
    const char *name;
    jinja_test fn;
} tests[] = {
    {"!=", test_ne},          {"<", test_lt},           {"<=", test_le},          {"==", test_eq},
    {">", test_gt},           {">=", test_ge},          {"boolean", test_boolean}, {"callable", test_callable},
    {"defined", test_defined}, {"divisibleby", test_divisibleby}, {"eq", test_eq},  {"equalto", test_eq},
    {"even", test_even},      {"false", test_false},    {"float", test_float},     {"ge", test_ge},
    {"greaterthan", test_gt}, {"gt", test_gt},          {"in", test_in},           {"integer", test_integer},
    {"iterable", test_iterable}, {"le", test_le},       {"lessthan", test_lt},     {"lt", test_lt},
    {"mapping", test_mapping}, {"ne", test_ne},         {"none", test_none},       {"number", test_number},
    {"odd", test_odd},        {"sameas", test_sameas},      {"sequence", test_iterable}, {"string", test_string},
    {"true", test_true},      {"undefined", test_undefined}, {"upper", test_upper},   {"lower", test_lower},
};

jinja_test jinja_find_test(jv name) {
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        if (strlen(tests[i].name) == name.u.s.n && memcmp(tests[i].name, name.u.s.p, name.u.s.n) == 0)
            return tests[i].fn;
    return NULL;
}
