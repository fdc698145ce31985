/* Binary operators with Python's semantics: arithmetic (integer overflow is an error,
 * as Python's integers are unbounded), repetition, concatenation, comparisons and
 * membership. */
#include <math.h>
#include <string.h>

#include "chat/jinja_eval.h"

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

jv jinja_binary_op(jinja_ctx *c, int op, jv a, jv b, int line) {
    if (op == '~') { /* concatenation of str() of both sides: Undefined is empty */
        jv_buf buf = {.rt = c->rt};
        jv_append_str(&buf, a);
        jv_append_str(&buf, b);
        return jv_buf_value(&buf);
    }
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

bool jinja_contains(jinja_ctx *c, jv item, jv container, int line) {
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

jv jinja_compare_op(jinja_ctx *c, int op, jv a, jv b, int line) {
    switch (op) {
    case '=': return jv_bool(jv_equal(a, b));
    case '!': return jv_bool(!jv_equal(a, b));
    case 'i': return jv_bool(jinja_contains(c, a, b, line));
    case 'n': return jv_bool(!jinja_contains(c, a, b, line));
    default: break;
    }
    jinja_require_defined(c, a, line);
    jinja_require_defined(c, b, line);
    int cmp = jv_compare(c->rt, line, a, b);
    switch (op) {
    case '<': return jv_bool(cmp < 0);
    case '>': return jv_bool(cmp > 0);
    case 'l': return jv_bool(cmp <= 0);
    default: return jv_bool(cmp >= 0);
    }
}
