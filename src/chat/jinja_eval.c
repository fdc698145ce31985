/* Tree-walking evaluator: statements write to an output buffer, expressions produce
 * values, with jinja2's scoping (a for loop's body has its own scope; if does not). */
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

static jv call_macro(jinja_ctx *c, const jv_function *fn, const jinja_args *a) {
    const jnode *m = fn->macro;
    if (a->n_pos > m->n_names)
        jinja_fail(c->rt, a->line, "macro '%.*s' takes not more than %zu argument(s)", JINJA_SHORT(m->name), m->n_names);
    jinja_frame *f = new_frame(c, fn->closure);
    for (size_t i = 0; i < a->n_kw; i++) {
        bool known = false;
        for (size_t k = 0; k < m->n_names && !known; k++) known = jv_equal(m->names[k], a->kw_names[i]);
        if (!known)
            jinja_fail(c->rt, a->line, "macro '%.*s' has no argument '%.*s'", JINJA_SHORT(m->name), JINJA_SHORT(a->kw_names[i]));
    }
    for (size_t k = 0; k < m->n_names; k++) {
        char *name = jinja_strndup(c->rt, m->names[k].u.s.p, m->names[k].u.s.n);
        jv value = jinja_arg(a, k, name, jv_undefined(jinja_message(c, "parameter '%s' was not provided", name)));
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

/* obj[b:c:d] of the node: its bounds evaluated, absent ones None. */
static jv eval_slice(jinja_ctx *c, jinja_frame *f, const jnode *n) {
    jv obj = eval(c, f, n->a);
    const jnode *nodes[3] = {n->b, n->c, n->d};
    jv bounds[3];
    for (int k = 0; k < 3; k++) bounds[k] = nodes[k] ? eval(c, f, nodes[k]) : jv_none();
    return jinja_slice(c, obj, bounds, n->line);
}

static jv lookup(jinja_ctx *c, jinja_frame *f, jv name) {
    for (; f; f = f->parent) {
        jv *v = jv_dict_find(c->rt, f->vars, name);
        if (v) return *v;
    }
    return jv_undefined(jinja_message(c, "'%.*s' is undefined", JINJA_SHORT(name)));
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

static jv eval_uncharged(jinja_ctx *c, jinja_frame *f, const jnode *n) {
    switch (n->kind) {
    case JN_LITERAL: return n->lit;
    case JN_NAME: return lookup(c, f, n->name);
    case JN_ATTR: return jinja_getattr(c, eval(c, f, n->a), n->name, n->line);
    case JN_ITEM: {
        jv obj = eval(c, f, n->a);
        return jinja_getitem(c, obj, eval(c, f, n->b), n->line);
    }
    case JN_SLICE: return eval_slice(c, f, n);
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
        return jinja_binary_op(c, '-', jv_int(0), v, n->line);
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
    case JN_BINARY:
    case JN_COMPARE: {
        jv a = eval(c, f, n->a), b = eval(c, f, n->b);
        return n->kind == JN_BINARY ? jinja_binary_op(c, n->op, a, b, n->line) : jinja_compare_op(c, n->op, a, b, n->line);
    }
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
