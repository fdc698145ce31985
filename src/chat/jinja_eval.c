/* Tree-walking evaluator: statements write to an output buffer, expressions produce
 * values, with jinja2's scoping (a for loop's body has its own scope; if does not). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "chat/jinja_eval.h"
#include "chat/jinja_text.h"

typedef enum flow { FLOW_NEXT, FLOW_BREAK, FLOW_CONTINUE } flow;

static jv eval(jinja_ctx *c, jinja_frame *f, const jnode *n);
static flow exec_body(jinja_ctx *c, jinja_frame *f, const jnode_list *body, jv_buf *out);

static jinja_frame *new_frame(jinja_ctx *c, jinja_frame *parent) {
    jinja_frame *f = jinja_alloc(c->rt, sizeof *f);
    f->parent = parent;
    f->vars = jv_new_dict(c->rt, JV_DICT);
    return f;
}

/* A printf-formatted message kept in the arena (for Undefined values' explanations). */
__attribute__((format(printf, 2, 3))) static const char *message(jinja_ctx *c, const char *fmt, ...) {
    char tmp[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    return jinja_strndup(c->rt, tmp, strlen(tmp));
}

/* Length and pointer of a string value for "%.*s", cut to keep messages short. */
#define SHORT(v) (int)((v).u.s.n > 60 ? 60 : (v).u.s.n), (v).u.s.p

void jinja_require_defined(jinja_ctx *c, jv v, int line) {
    if (v.type == JV_UNDEFINED) jinja_fail(c->rt, line, "%s", v.u.s.p ? v.u.s.p : "value is undefined");
}

jv jinja_expect_str(jinja_ctx *c, jv v, const char *what, int line) {
    if (v.type != JV_STR) {
        jinja_require_defined(c, v, line);
        jinja_fail(c->rt, line, "%s must be a string, not '%s'", what, jv_type_name(v));
    }
    return v;
}

jv jinja_arg(const jinja_args *a, size_t index, const char *kw, jv fallback) {
    if (index < a->n_pos) return a->pos[index];
    for (size_t i = 0; kw && i < a->n_kw; i++)
        if (jv_is_cstr(a->kw_names[i], kw)) return a->kw_values[i];
    return fallback;
}

void jinja_check_args(jinja_ctx *c, const jinja_args *a, const char *fn, size_t max_pos,
                      const char *const *keywords) {
    if (a->n_pos > max_pos)
        jinja_fail(c->rt, a->line, "%s() takes at most %zu positional argument%s (%zu given)", fn, max_pos,
                   max_pos == 1 ? "" : "s", a->n_pos);
    for (size_t i = 0; i < a->n_kw; i++) {
        bool known = false;
        for (size_t k = 0; keywords && keywords[k] && !known; k++) known = jv_is_cstr(a->kw_names[i], keywords[k]);
        if (!known)
            jinja_fail(c->rt, a->line, "%s() got an unexpected keyword argument '%.*s'", fn, SHORT(a->kw_names[i]));
    }
}

jv jinja_function(jinja_ctx *c, const char *name, jinja_builtin fn, jv self) {
    jv v = {.type = JV_FUNCTION};
    v.u.fn = jinja_alloc(c->rt, sizeof *v.u.fn);
    v.u.fn->name = name;
    v.u.fn->builtin = fn;
    v.u.fn->self = self;
    return v;
}

static jv call_macro(jinja_ctx *c, const jv_function *fn, const jinja_args *a) {
    const jnode *m = fn->macro;
    if (a->n_pos > m->n_names)
        jinja_fail(c->rt, a->line, "macro '%.*s' takes not more than %zu argument(s)", SHORT(m->name), m->n_names);
    jinja_frame *f = new_frame(c, fn->closure);
    for (size_t i = 0; i < a->n_kw; i++) {
        bool known = false;
        for (size_t k = 0; k < m->n_names && !known; k++) known = jv_equal(m->names[k], a->kw_names[i]);
        if (!known)
            jinja_fail(c->rt, a->line, "macro '%.*s' has no argument '%.*s'", SHORT(m->name), SHORT(a->kw_names[i]));
    }
    for (size_t k = 0; k < m->n_names; k++) {
        char *name = jinja_strndup(c->rt, m->names[k].u.s.p, m->names[k].u.s.n);
        jv value = jinja_arg(a, k, name, jv_undefined(message(c, "parameter '%s' was not provided", name)));
        if (value.type == JV_UNDEFINED && m->kw_values.items[k]) value = eval(c, f, m->kw_values.items[k]);
        jv_dict_set(c->rt, f->vars, m->names[k], value);
    }
    jv_buf out = {.rt = c->rt};
    exec_body(c, f, &m->args, &out);
    return jv_buf_value(&out);
}

jv jinja_call(jinja_ctx *c, jv fn, const jinja_args *a) {
    if (fn.type != JV_FUNCTION) {
        jinja_require_defined(c, fn, a->line);
        jinja_fail(c->rt, a->line, "'%s' object is not callable", jv_type_name(fn));
    }
    jinja_enter(c->rt, a->line);
    jv result = fn.u.fn->builtin ? fn.u.fn->builtin(c, fn.u.fn->self, a) : call_macro(c, fn.u.fn, a);
    jinja_leave(c->rt);
    return result;
}

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
    return jv_undefined(message(c, "'%s' has no attribute '%.*s'", object_name(obj), SHORT(name)));
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
    return jv_undefined(message(c, "'%s' has no element %.*s", object_name(obj), SHORT(jv_buf_value(&key_text))));
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

/* Python's slice of a sequence of n elements: the indexes it selects. */
static jv slice(jinja_ctx *c, jinja_frame *f, const jnode *n) {
    jv obj = eval(c, f, n->a);
    jinja_require_defined(c, obj, n->line);
    const jnode *bounds[3] = {n->b, n->c, n->d};
    int64_t val[3];
    bool given[3];
    for (int k = 0; k < 3; k++) {
        jv v = bounds[k] ? eval(c, f, bounds[k]) : jv_none();
        given[k] = v.type != JV_NONE;
        if (given[k] && v.type != JV_INT && v.type != JV_BOOL)
            jinja_fail(c->rt, n->line, "slice indices must be integers or None");
        val[k] = given[k] ? (v.type == JV_BOOL ? v.u.b : v.u.i) : 0;
    }
    int64_t step = given[2] ? val[2] : 1;
    if (step == 0) jinja_fail(c->rt, n->line, "slice step cannot be zero");
    bool is_str = obj.type == JV_STR;
    /* jinja2 turns a failed subscript into Undefined */
    if (!is_str && obj.type != JV_LIST) return jv_undefined(message(c, "'%s' object is not subscriptable", jv_type_name(obj)));
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

static jv lookup(jinja_ctx *c, jinja_frame *f, jv name) {
    for (; f; f = f->parent) {
        jv *v = jv_dict_find(c->rt, f->vars, name);
        if (v) return *v;
    }
    return jv_undefined(message(c, "'%.*s' is undefined", SHORT(name)));
}

/* Evaluates call arguments of n (args and kw_values) into a. */
static void eval_args(jinja_ctx *c, jinja_frame *f, const jnode *n, jinja_args *a) {
    jv *pos = jinja_alloc_array(c->rt, n->args.n + 1, sizeof *pos);
    jv *kw = jinja_alloc_array(c->rt, n->kw_values.n + 1, sizeof *kw);
    for (size_t i = 0; i < n->args.n; i++) pos[i] = eval(c, f, n->args.items[i]);
    for (size_t i = 0; i < n->kw_values.n; i++) kw[i] = eval(c, f, n->kw_values.items[i]);
    *a = (jinja_args){.pos = pos, .n_pos = n->args.n, .kw_names = n->kw_names, .kw_values = kw,
                      .n_kw = n->kw_values.n, .line = n->line};
}

static jv arithmetic(jinja_ctx *c, int op, jv a, jv b, int line);

jv jinja_binary_op(jinja_ctx *c, int op, jv a, jv b, int line) { return arithmetic(c, op, a, b, line); }

static jv eval_binary(jinja_ctx *c, jinja_frame *f, const jnode *n) {
    jv a = eval(c, f, n->a), b = eval(c, f, n->b);
    if (n->op == '~') {
        jv_buf buf = {.rt = c->rt};
        jv_append_str(&buf, a);
        jv_append_str(&buf, b);
        return jv_buf_value(&buf);
    }
    return arithmetic(c, n->op, a, b, n->line);
}

static jv repeat(jinja_ctx *c, jv seq, int64_t times, int line) {
    if (times < 0) times = 0;
    size_t unit = seq.type == JV_STR ? seq.u.s.n : seq.u.list->n;
    if (unit && (uint64_t)times > c->rt->max_bytes / unit) jinja_fail(c->rt, line, "repetition result too large");
    if (seq.type == JV_STR) {
        jv_buf buf = {.rt = c->rt};
        for (int64_t i = 0; i < times; i++) jv_buf_put(&buf, seq.u.s.p, seq.u.s.n);
        return jv_buf_value(&buf);
    }
    jv out = jv_new_list(c->rt, 0);
    for (int64_t i = 0; i < times; i++)
        for (size_t k = 0; k < unit; k++) jv_list_push(c->rt, out, seq.u.list->items[k]);
    return out;
}

static jv arithmetic(jinja_ctx *c, int op, jv a, jv b, int line) {
    jinja_require_defined(c, a, line);
    jinja_require_defined(c, b, line);
    if (op == '+' && a.type == JV_STR && b.type == JV_STR) {
        jv_buf buf = {.rt = c->rt};
        jv_buf_put(&buf, a.u.s.p, a.u.s.n);
        jv_buf_put(&buf, b.u.s.p, b.u.s.n);
        return jv_buf_value(&buf);
    }
    if (op == '+' && a.type == JV_LIST && b.type == JV_LIST && a.u.list->tuple == b.u.list->tuple) {
        jv out = jv_new_list(c->rt, a.u.list->n + b.u.list->n);
        out.u.list->tuple = a.u.list->tuple;
        for (size_t i = 0; i < a.u.list->n; i++) jv_list_push(c->rt, out, a.u.list->items[i]);
        for (size_t i = 0; i < b.u.list->n; i++) jv_list_push(c->rt, out, b.u.list->items[i]);
        return out;
    }
    if (op == '*' && (a.type == JV_STR || a.type == JV_LIST) && (b.type == JV_INT || b.type == JV_BOOL))
        return repeat(c, a, b.type == JV_INT ? b.u.i : b.u.b, line);
    if (op == '*' && (b.type == JV_STR || b.type == JV_LIST) && (a.type == JV_INT || a.type == JV_BOOL))
        return repeat(c, b, a.type == JV_INT ? a.u.i : a.u.b, line);
    if (!jv_is_number(a) || !jv_is_number(b)) {
        static const char *const names[] = {"+", "-", "*", "/", "//", "%", "**"};
        const char *ops = "+-*/f%p";
        const char *sym = names[strchr(ops, op) - ops];
        jinja_fail(c->rt, line, "unsupported operand type(s) for %s: '%s' and '%s'", sym, jv_type_name(a),
                   jv_type_name(b));
    }
    bool floats = a.type == JV_FLOAT || b.type == JV_FLOAT || op == '/';
    if (!floats) {
        int64_t x = a.type == JV_INT ? a.u.i : a.u.b, y = b.type == JV_INT ? b.u.i : b.u.b, r = 0;
        bool overflow = false;
        switch (op) {
        case '+': overflow = __builtin_add_overflow(x, y, &r); break;
        case '-': overflow = __builtin_sub_overflow(x, y, &r); break;
        case '*': overflow = __builtin_mul_overflow(x, y, &r); break;
        case 'f':
        case '%':
            if (y == 0) jinja_fail(c->rt, line, "integer division or modulo by zero");
            if (x == INT64_MIN && y == -1) overflow = true;
            else {
                /* Python floors: the remainder takes the divisor's sign */
                int64_t q = x / y, m = x % y;
                if (m != 0 && ((m < 0) != (y < 0))) {
                    q--;
                    m += y;
                }
                r = op == 'f' ? q : m;
            }
            break;
        case 'p':
            if (y < 0) {
                floats = true;
                break;
            }
            r = 1;
            for (int64_t i = 0; i < y && !overflow; i++) {
                overflow = __builtin_mul_overflow(r, x, &r);
                jinja_charge(c->rt, 1);
            }
            break;
        }
        if (overflow) jinja_fail(c->rt, line, "integer overflow");
        if (!floats) return jv_int(r);
    }
    double x = a.type == JV_FLOAT ? a.u.f : a.type == JV_INT ? (double)a.u.i : a.u.b;
    double y = b.type == JV_FLOAT ? b.u.f : b.type == JV_INT ? (double)b.u.i : b.u.b;
    switch (op) {
    case '+': return jv_float(x + y);
    case '-': return jv_float(x - y);
    case '*': return jv_float(x * y);
    case 'p': return jv_float(pow(x, y));
    default:
        if (y == 0) jinja_fail(c->rt, line, "float division by zero");
        if (op == '/') return jv_float(x / y);
        double q = floor(x / y), m = x - q * y;
        return jv_float(op == 'f' ? q : m);
    }
}

static bool contains(jinja_ctx *c, jv item, jv container, int line) {
    switch (container.type) {
    case JV_STR:
        if (item.type != JV_STR) {
            jinja_require_defined(c, item, line);
            jinja_fail(c->rt, line, "'in <string>' requires string as left operand, not %s", jv_type_name(item));
        }
        return item.u.s.n == 0 || memmem(container.u.s.p, container.u.s.n, item.u.s.p, item.u.s.n) != NULL;
    case JV_LIST:
        jinja_charge(c->rt, container.u.list->n / 16);
        for (size_t i = 0; i < container.u.list->n; i++)
            if (jv_equal(container.u.list->items[i], item)) return true;
        return false;
    case JV_DICT:
    case JV_NAMESPACE: return jv_dict_find(c->rt, container, item) != NULL;
    case JV_UNDEFINED: return false;
    default: jinja_fail(c->rt, line, "argument of type '%s' is not iterable", jv_type_name(container));
    }
}

static jv eval_compare(jinja_ctx *c, jinja_frame *f, const jnode *n) {
    jv a = eval(c, f, n->a), b = eval(c, f, n->b);
    switch (n->op) {
    case '=': return jv_bool(jv_equal(a, b));
    case '!': return jv_bool(!jv_equal(a, b));
    case 'i': return jv_bool(contains(c, a, b, n->line));
    case 'n': return jv_bool(!contains(c, a, b, n->line));
    default: break;
    }
    jinja_require_defined(c, a, n->line);
    jinja_require_defined(c, b, n->line);
    int cmp = jv_compare(c->rt, n->line, a, b);
    switch (n->op) {
    case '<': return jv_bool(cmp < 0);
    case '>': return jv_bool(cmp > 0);
    case 'l': return jv_bool(cmp <= 0);
    default: return jv_bool(cmp >= 0);
    }
}

static jv eval_uncharged(jinja_ctx *c, jinja_frame *f, const jnode *n) {
    switch (n->kind) {
    case JN_LITERAL: return n->lit;
    case JN_NAME: return lookup(c, f, n->name);
    case JN_ATTR: return jinja_getattr(c, eval(c, f, n->a), n->name, n->line);
    case JN_ITEM: {
        jv obj = eval(c, f, n->a);
        return jinja_getitem(c, obj, eval(c, f, n->b), n->line);
    }
    case JN_SLICE: return slice(c, f, n);
    case JN_CALL: {
        jv fn = eval(c, f, n->a);
        jinja_args a;
        eval_args(c, f, n, &a);
        return jinja_call(c, fn, &a);
    }
    case JN_FILTER: {
        jv value = eval(c, f, n->a);
        jinja_args a;
        eval_args(c, f, n, &a);
        return jinja_find_filter(n->name)(c, value, &a);
    }
    case JN_TEST: {
        jv value = eval(c, f, n->a);
        jinja_args a;
        eval_args(c, f, n, &a);
        return jv_bool(jinja_apply_test(c, jinja_find_test(n->name), value, &a) != (n->op != 0));
    }
    case JN_NEG:
    case JN_POS: {
        jv v = eval(c, f, n->a);
        jinja_require_defined(c, v, n->line);
        if (!jv_is_number(v))
            jinja_fail(c->rt, n->line, "bad operand type for unary %c: '%s'", n->kind == JN_NEG ? '-' : '+',
                       jv_type_name(v));
        if (n->kind == JN_POS) return v.type == JV_BOOL ? jv_int(v.u.b) : v;
        if (v.type == JV_FLOAT) return jv_float(-v.u.f);
        return arithmetic(c, '-', jv_int(0), v, n->line);
    }
    case JN_NOT: return jv_bool(!jv_truthy(eval(c, f, n->a)));
    case JN_AND: {
        jv a = eval(c, f, n->a);
        return jv_truthy(a) ? eval(c, f, n->b) : a;
    }
    case JN_OR: {
        jv a = eval(c, f, n->a);
        return jv_truthy(a) ? a : eval(c, f, n->b);
    }
    case JN_BINARY: return eval_binary(c, f, n);
    case JN_COMPARE: return eval_compare(c, f, n);
    case JN_COND:
        if (jv_truthy(eval(c, f, n->a))) return eval(c, f, n->b);
        return n->c ? eval(c, f, n->c) : jv_undefined("the inline if-expression had no else branch");
    case JN_LIST: {
        jv list = jv_new_list(c->rt, n->args.n);
        list.u.list->tuple = n->op == 't';
        for (size_t i = 0; i < n->args.n; i++) jv_list_push(c->rt, list, eval(c, f, n->args.items[i]));
        return list;
    }
    case JN_DICT: {
        jv dict = jv_new_dict(c->rt, JV_DICT);
        for (size_t i = 0; i < n->args.n; i++)
            jv_dict_set(c->rt, dict, eval(c, f, n->args.items[i]), eval(c, f, n->kw_values.items[i]));
        return dict;
    }
    default: jinja_fail(c->rt, n->line, "statement used as an expression");
    }
}

static jv eval(jinja_ctx *c, jinja_frame *f, const jnode *n) {
    jinja_charge(c->rt, 1);
    jinja_enter(c->rt, n->line);
    jv v = eval_uncharged(c, f, n);
    jinja_leave(c->rt);
    return v;
}

static void assign(jinja_ctx *c, jinja_frame *f, const jnode *n, jv value) {
    if (!n->b) {
        jv_dict_set(c->rt, f->vars, n->name, value);
        return;
    }
    jv ns = eval(c, f, n->b);
    if (ns.type != JV_NAMESPACE) jinja_fail(c->rt, n->line, "cannot assign attribute on non-namespace object");
    jv_dict_set(c->rt, ns, n->name, value);
}

/* The attributes of the loop object, in the order loop_advance stores them. */
static const char *const loop_keys[] = {"index", "index0", "revindex", "revindex0", "first", "last",
                                        "length", "depth", "depth0", "previtem", "nextitem"};
enum { N_LOOP_KEYS = sizeof loop_keys / sizeof loop_keys[0] };

static jv new_loop_object(jinja_ctx *c) {
    jv loop = jv_new_dict(c->rt, JV_DICT);
    for (size_t k = 0; k < N_LOOP_KEYS; k++) jv_dict_set(c->rt, loop, jv_cstr(loop_keys[k]), jv_none());
    return loop;
}

/* Moves the loop object to item i. Like jinja2's LoopContext it is one object that
 * advances; templates cannot assign to it, so its values are rewritten in place. */
static void loop_advance(jv loop, jv items, size_t i) {
    size_t n = items.u.list->n;
    jv values[N_LOOP_KEYS] = {
        jv_int((int64_t)i + 1), jv_int((int64_t)i),       jv_int((int64_t)(n - i)),
        jv_int((int64_t)(n - i - 1)), jv_bool(i == 0),     jv_bool(i + 1 == n),
        jv_int((int64_t)n),           jv_int(1),           jv_int(0),
        i ? items.u.list->items[i - 1] : jv_undefined("there is no previous item"),
        i + 1 < n ? items.u.list->items[i + 1] : jv_undefined("there is no next item"),
    };
    memcpy(loop.u.dict->values, values, sizeof values);
}

static void bind_targets(jinja_ctx *c, jinja_frame *f, const jnode *n, jv item) {
    if (n->n_names == 1) {
        jv_dict_set(c->rt, f->vars, n->names[0], item);
        return;
    }
    jv parts = jinja_iterate(c, item, n->line);
    if (parts.u.list->n != n->n_names)
        jinja_fail(c->rt, n->line, "cannot unpack %zu values into %zu loop variables", parts.u.list->n, n->n_names);
    for (size_t k = 0; k < n->n_names; k++) jv_dict_set(c->rt, f->vars, n->names[k], parts.u.list->items[k]);
}

/* Each iteration starts from an empty scope; the scope's storage is reused so that a
 * long loop does not allocate per item. */
static void reset_scope(jinja_frame *scope) { scope->vars.u.dict->n = 0; }

static void exec_for(jinja_ctx *c, jinja_frame *f, const jnode *n, jv_buf *out) {
    jv items = jinja_iterate(c, eval(c, f, n->a), n->line);
    jinja_frame *scope = new_frame(c, f);
    if (n->b) { /* {% for x in xs if cond %}: the loop sees only the items that pass */
        jv kept = jv_new_list(c->rt, 0);
        for (size_t i = 0; i < items.u.list->n; i++) {
            reset_scope(scope);
            bind_targets(c, scope, n, items.u.list->items[i]);
            if (jv_truthy(eval(c, scope, n->b))) jv_list_push(c->rt, kept, items.u.list->items[i]);
        }
        items = kept;
    }
    jv loop = new_loop_object(c);
    for (size_t i = 0; i < items.u.list->n; i++) {
        jinja_charge(c->rt, 1);
        reset_scope(scope);
        bind_targets(c, scope, n, items.u.list->items[i]);
        loop_advance(loop, items, i);
        jv_dict_set(c->rt, scope->vars, jv_cstr("loop"), loop);
        if (exec_body(c, scope, &n->args, out) == FLOW_BREAK) break;
    }
    if (items.u.list->n == 0) {
        reset_scope(scope);
        exec_body(c, scope, &n->else_body, out);
    }
}

static flow exec_node(jinja_ctx *c, jinja_frame *f, const jnode *n, jv_buf *out) {
    jinja_charge(c->rt, 1);
    switch (n->kind) {
    case JN_TEXT: jv_buf_put(out, n->lit.u.s.p, n->lit.u.s.n); break;
    case JN_OUTPUT: jv_append_str(out, eval(c, f, n->a)); break;
    case JN_IF: return exec_body(c, f, jv_truthy(eval(c, f, n->a)) ? &n->args : &n->else_body, out);
    case JN_FOR: exec_for(c, f, n, out); break;
    case JN_SET: assign(c, f, n, eval(c, f, n->a)); break;
    case JN_SET_BLOCK: {
        jv_buf text = {.rt = c->rt};
        exec_body(c, f, &n->args, &text);
        assign(c, f, n, jv_buf_value(&text));
        break;
    }
    case JN_MACRO: {
        jv fn = jinja_function(c, "macro", NULL, jv_none());
        fn.u.fn->macro = n;
        fn.u.fn->closure = f;
        jv_dict_set(c->rt, f->vars, n->name, fn);
        break;
    }
    case JN_BREAK: return FLOW_BREAK;
    case JN_CONTINUE: return FLOW_CONTINUE;
    case JN_BLOCK: return exec_body(c, f, &n->args, out);
    default: jinja_fail(c->rt, n->line, "expression used as a statement");
    }
    return FLOW_NEXT;
}

static flow exec_body(jinja_ctx *c, jinja_frame *f, const jnode_list *body, jv_buf *out) {
    flow result = FLOW_NEXT;
    jinja_enter(c->rt, 0);
    for (size_t i = 0; i < body->n && result == FLOW_NEXT; i++) result = exec_node(c, f, body->items[i], out);
    jinja_leave(c->rt);
    return result;
}

jv jinja_render_template(jinja_ctx *c, const jnode *root) {
    jv_buf out = {.rt = c->rt};
    exec_body(c, new_frame(c, c->globals), &root->args, &out);
    return jv_buf_value(&out);
}
