/* Recursive-descent parser following jinja2's grammar and operator precedence:
 *   expr    := or ['if' or ['else' expr]]
 *   or      := and ('or' and)*        and := not ('and' not)*      not := 'not' not | compare
 *   compare := math1 (('=='|'!='|'<'|'<='|'>'|'>='|'in'|'not' 'in') math1)*
 *   math1   := concat (('+'|'-') concat)*   concat := math2 ('~' math2)*
 *   math2   := pow (('*'|'/'|'//'|'%') pow)*  pow := unary ('**' unary)*
 *   unary   := ('-'|'+') unary | primary postfix* (filter | test | call)*
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "chat/jinja_ast.h"
#include "chat/jinja_eval.h"

typedef struct parser {
    jinja_rt *rt;
    jtok *toks;
    size_t n, pos;
} parser;

static jnode *parse_expr(parser *p);
static jnode *parse_or(parser *p);
static jnode *parse_unary(parser *p, bool with_filter);

static jtok *cur(parser *p) { return &p->toks[p->pos]; }
static jtok *peek(parser *p, size_t k) { return &p->toks[p->pos + k < p->n ? p->pos + k : p->n - 1]; }
static void next(parser *p) {
    if (p->pos + 1 < p->n) p->pos++;
}

static bool tok_is(const jtok *t, jtok_type type, const char *text) {
    return t->type == type && (!text || (t->n == strlen(text) && memcmp(t->p, text, t->n) == 0));
}
static bool is_op(parser *p, const char *op) { return tok_is(cur(p), JT_OP, op); }
static bool is_name(parser *p, const char *name) { return tok_is(cur(p), JT_NAME, name); }
static bool skip_op(parser *p, const char *op) {
    if (!is_op(p, op)) return false;
    next(p);
    return true;
}
static bool skip_name(parser *p, const char *name) {
    if (!is_name(p, name)) return false;
    next(p);
    return true;
}

static const char *describe(const jtok *t) {
    switch (t->type) {
    case JT_EOF: return "end of template";
    case JT_VAR_END: return "'}}'";
    case JT_BLOCK_END: return "'%}'";
    case JT_TEXT: return "template text";
    default: return NULL;
    }
}

static _Noreturn void unexpected(parser *p, const char *expected) {
    const jtok *t = cur(p);
    const char *d = describe(t);
    if (d)
        jinja_fail(p->rt, t->line, "unexpected %s, expected %s", d, expected);
    jinja_fail(p->rt, t->line, "unexpected '%.*s', expected %s", (int)(t->n > 40 ? 40 : t->n), t->p, expected);
}

static void expect_op(parser *p, const char *op) {
    if (!skip_op(p, op)) {
        char want[8];
        snprintf(want, sizeof want, "'%s'", op);
        unexpected(p, want);
    }
}

static jv expect_identifier(parser *p) {
    if (cur(p)->type != JT_NAME) unexpected(p, "a name");
    jv name = jv_str(cur(p)->p, cur(p)->n);
    next(p);
    return name;
}

static void expect_block_end(parser *p) {
    if (cur(p)->type != JT_BLOCK_END) unexpected(p, "'%}'");
    next(p);
}

static jnode *new_node(parser *p, jnode_kind kind, int line) {
    jnode *n = jinja_alloc(p->rt, sizeof *n);
    n->kind = kind;
    n->line = line;
    return n;
}

static void list_push(parser *p, jnode_list *l, jnode *item) {
    /* Lists are built once; doubling at powers of two keeps appends linear. */
    if ((l->n & (l->n - 1)) == 0) {
        jnode **items = jinja_alloc_array(p->rt, l->n ? l->n * 2 : 1, sizeof *items);
        if (l->n) memcpy(items, l->items, l->n * sizeof *items);
        l->items = items;
    }
    l->items[l->n++] = item;
}

static jnode *binary(parser *p, jnode_kind kind, int op, jnode *a, jnode *b, int line) {
    jnode *n = new_node(p, kind, line);
    n->op = op;
    n->a = a;
    n->b = b;
    return n;
}

/* Call arguments after '(' up to ')': positional, then name=value. */
static void parse_call_args(parser *p, jnode *call) {
    size_t cap = 0;
    while (!skip_op(p, ")")) {
        if (call->args.n + call->kw_values.n && !skip_op(p, ",")) unexpected(p, "',' or ')'");
        if (skip_op(p, ")")) break;
        if (cur(p)->type == JT_NAME && tok_is(peek(p, 1), JT_OP, "=")) {
            jv name = expect_identifier(p);
            next(p);
            if (call->kw_values.n == cap) {
                cap = cap ? cap * 2 : 4;
                jv *names = jinja_alloc_array(p->rt, cap, sizeof *names);
                if (call->kw_values.n) memcpy(names, call->kw_names, call->kw_values.n * sizeof *names);
                call->kw_names = names;
            }
            call->kw_names[call->kw_values.n] = name;
            list_push(p, &call->kw_values, parse_expr(p));
        } else {
            if (call->kw_values.n) jinja_fail(p->rt, cur(p)->line, "positional argument follows keyword argument");
            list_push(p, &call->args, parse_expr(p));
        }
    }
}

static jnode *parse_primary(parser *p) {
    jtok *t = cur(p);
    int line = t->line;
    jnode *n;
    if (t->type == JT_NAME) {
        n = new_node(p, JN_LITERAL, line);
        if (tok_is(t, JT_NAME, "true") || tok_is(t, JT_NAME, "True"))
            n->lit = jv_bool(true);
        else if (tok_is(t, JT_NAME, "false") || tok_is(t, JT_NAME, "False"))
            n->lit = jv_bool(false);
        else if (tok_is(t, JT_NAME, "none") || tok_is(t, JT_NAME, "None"))
            n->lit = jv_none();
        else {
            n->kind = JN_NAME;
            n->name = jv_str(t->p, t->n);
        }
        next(p);
        return n;
    }
    if (t->type == JT_STRING) {
        /* adjacent literals concatenate, as in Python */
        jv_buf b = {.rt = p->rt};
        while (cur(p)->type == JT_STRING) {
            jv_buf_put(&b, cur(p)->p, cur(p)->n);
            next(p);
        }
        n = new_node(p, JN_LITERAL, line);
        n->lit = jv_buf_value(&b);
        return n;
    }
    if (t->type == JT_INT || t->type == JT_FLOAT) {
        n = new_node(p, JN_LITERAL, line);
        n->lit = t->type == JT_INT ? jv_int(t->i) : jv_float(t->f);
        next(p);
        return n;
    }
    if (skip_op(p, "(")) {
        n = new_node(p, JN_LIST, line);
        n->op = 't'; /* a tuple */
        if (skip_op(p, ")")) return n;
        jnode *e = parse_expr(p);
        if (!is_op(p, ",")) {
            expect_op(p, ")");
            return e;
        }
        list_push(p, &n->args, e);
        while (skip_op(p, ",") && !is_op(p, ")")) list_push(p, &n->args, parse_expr(p));
        expect_op(p, ")");
        return n;
    }
    if (skip_op(p, "[")) {
        n = new_node(p, JN_LIST, line);
        while (!skip_op(p, "]")) {
            if (n->args.n) expect_op(p, ",");
            if (skip_op(p, "]")) break;
            list_push(p, &n->args, parse_expr(p));
        }
        return n;
    }
    if (skip_op(p, "{")) {
        n = new_node(p, JN_DICT, line);
        while (!skip_op(p, "}")) {
            if (n->args.n) expect_op(p, ",");
            if (skip_op(p, "}")) break;
            list_push(p, &n->args, parse_expr(p));
            expect_op(p, ":");
            list_push(p, &n->kw_values, parse_expr(p));
        }
        return n;
    }
    unexpected(p, "an expression");
}

/* After '[': an index or a slice a:b:c. */
static jnode *parse_subscript(parser *p, jnode *obj, int line) {
    jnode *parts[3] = {NULL, NULL, NULL};
    int colons = 0;
    if (!is_op(p, ":")) parts[0] = parse_expr(p);
    while (colons < 2 && skip_op(p, ":")) {
        colons++;
        if (!is_op(p, ":") && !is_op(p, "]")) parts[colons] = parse_expr(p);
    }
    expect_op(p, "]");
    if (colons == 0) return binary(p, JN_ITEM, 0, obj, parts[0], line);
    jnode *n = new_node(p, JN_SLICE, line);
    n->a = obj;
    n->b = parts[0];
    n->c = parts[1];
    n->d = parts[2];
    return n;
}

static jnode *parse_postfix(parser *p, jnode *n) {
    for (;;) {
        int line = cur(p)->line;
        if (skip_op(p, ".")) {
            if (cur(p)->type == JT_INT) {
                jnode *key = new_node(p, JN_LITERAL, line);
                key->lit = jv_int(cur(p)->i);
                next(p);
                n = binary(p, JN_ITEM, 0, n, key, line);
            } else {
                jnode *attr = new_node(p, JN_ATTR, line);
                attr->a = n;
                attr->name = expect_identifier(p);
                n = attr;
            }
        } else if (skip_op(p, "[")) {
            n = parse_subscript(p, n, line);
        } else if (skip_op(p, "(")) {
            jnode *call = new_node(p, JN_CALL, line);
            call->a = n;
            parse_call_args(p, call);
            n = call;
        } else {
            return n;
        }
    }
}

/* Whether the token starts the single unparenthesized argument of a test ("x is
 * divisibleby 3", "x is sameas none"). jinja2 takes any name but else/or/and there. */
static bool starts_test_argument(parser *p) {
    jtok *t = cur(p);
    if (t->type == JT_NAME)
        return !tok_is(t, JT_NAME, "else") && !tok_is(t, JT_NAME, "or") && !tok_is(t, JT_NAME, "and");
    return t->type == JT_STRING || t->type == JT_INT || t->type == JT_FLOAT || is_op(p, "[") || is_op(p, "{");
}

static jnode *parse_filter_expr(parser *p, jnode *n) {
    for (;;) {
        int line = cur(p)->line;
        if (skip_op(p, "|")) {
            jnode *f = new_node(p, JN_FILTER, line);
            f->a = n;
            f->name = expect_identifier(p);
            /* jinja2 rejects unknown filters and tests when it compiles the template */
            if (!jinja_find_filter(f->name))
                jinja_fail(p->rt, line, "no filter named '%.*s'", (int)f->name.u.s.n, f->name.u.s.p);
            if (skip_op(p, "(")) parse_call_args(p, f);
            n = f;
        } else if (skip_name(p, "is")) {
            jnode *t = new_node(p, JN_TEST, line);
            t->a = n;
            t->op = skip_name(p, "not");
            t->name = expect_identifier(p);
            if (!jinja_find_test(t->name))
                jinja_fail(p->rt, line, "no test named '%.*s'", (int)t->name.u.s.n, t->name.u.s.p);
            if (skip_op(p, "(")) {
                parse_call_args(p, t);
            } else if (starts_test_argument(p)) {
                if (is_name(p, "is")) jinja_fail(p->rt, cur(p)->line, "You cannot chain multiple tests with is");
                list_push(p, &t->args, parse_postfix(p, parse_primary(p)));
            }
            n = t;
        } else if (skip_op(p, "(")) {
            jnode *call = new_node(p, JN_CALL, line);
            call->a = n;
            parse_call_args(p, call);
            n = call;
        } else {
            return n;
        }
    }
}

static jnode *parse_unary(parser *p, bool with_filter) {
    int line = cur(p)->line;
    jinja_enter(p->rt, line);
    jnode *n;
    if (skip_op(p, "-")) {
        n = new_node(p, JN_NEG, line);
        n->a = parse_unary(p, false);
    } else if (skip_op(p, "+")) {
        n = new_node(p, JN_POS, line);
        n->a = parse_unary(p, false);
    } else {
        n = parse_primary(p);
    }
    n = parse_postfix(p, n);
    if (with_filter) n = parse_filter_expr(p, n);
    jinja_leave(p->rt);
    return n;
}

static jnode *parse_pow(parser *p) {
    jnode *n = parse_unary(p, true);
    while (is_op(p, "**")) {
        int line = cur(p)->line;
        next(p);
        n = binary(p, JN_BINARY, 'p', n, parse_unary(p, true), line);
    }
    return n;
}

static jnode *parse_math2(parser *p) {
    jnode *n = parse_pow(p);
    for (;;) {
        int line = cur(p)->line, op;
        if (is_op(p, "*")) op = '*';
        else if (is_op(p, "/")) op = '/';
        else if (is_op(p, "//")) op = 'f';
        else if (is_op(p, "%")) op = '%';
        else return n;
        next(p);
        n = binary(p, JN_BINARY, op, n, parse_pow(p), line);
    }
}

static jnode *parse_concat(parser *p) {
    jnode *n = parse_math2(p);
    while (is_op(p, "~")) {
        int line = cur(p)->line;
        next(p);
        n = binary(p, JN_BINARY, '~', n, parse_math2(p), line);
    }
    return n;
}

static jnode *parse_math1(parser *p) {
    jnode *n = parse_concat(p);
    for (;;) {
        int line = cur(p)->line, op;
        if (is_op(p, "+")) op = '+';
        else if (is_op(p, "-")) op = '-';
        else return n;
        next(p);
        n = binary(p, JN_BINARY, op, n, parse_concat(p), line);
    }
}

/* a < b < c means (a < b) and (b < c), as in Python. */
static jnode *parse_compare(parser *p) {
    jnode *left = parse_math1(p), *result = NULL;
    for (;;) {
        int line = cur(p)->line, op;
        if (is_op(p, "==")) op = '=';
        else if (is_op(p, "!=")) op = '!';
        else if (is_op(p, "<")) op = '<';
        else if (is_op(p, ">")) op = '>';
        else if (is_op(p, "<=")) op = 'l';
        else if (is_op(p, ">=")) op = 'g';
        else if (is_name(p, "in")) op = 'i';
        else if (is_name(p, "not") && tok_is(peek(p, 1), JT_NAME, "in")) {
            op = 'n';
            next(p);
        } else break;
        next(p);
        jnode *right = parse_math1(p);
        jnode *cmp = binary(p, JN_COMPARE, op, left, right, line);
        result = result ? binary(p, JN_AND, 0, result, cmp, line) : cmp;
        left = right;
    }
    return result ? result : left;
}

static jnode *parse_not(parser *p) {
    int line = cur(p)->line;
    if (!skip_name(p, "not")) return parse_compare(p);
    jinja_enter(p->rt, line);
    jnode *n = new_node(p, JN_NOT, line);
    n->a = parse_not(p);
    jinja_leave(p->rt);
    return n;
}

static jnode *parse_and(parser *p) {
    jnode *n = parse_not(p);
    while (is_name(p, "and")) {
        int line = cur(p)->line;
        next(p);
        n = binary(p, JN_AND, 0, n, parse_not(p), line);
    }
    return n;
}

static jnode *parse_or(parser *p) {
    jnode *n = parse_and(p);
    while (is_name(p, "or")) {
        int line = cur(p)->line;
        next(p);
        n = binary(p, JN_OR, 0, n, parse_and(p), line);
    }
    return n;
}

static jnode *parse_expr(parser *p) {
    jinja_enter(p->rt, cur(p)->line);
    jnode *n = parse_or(p);
    while (is_name(p, "if")) {
        jnode *cond = new_node(p, JN_COND, cur(p)->line);
        next(p);
        cond->b = n;
        cond->a = parse_or(p);
        if (skip_name(p, "else")) cond->c = parse_expr(p);
        n = cond;
    }
    jinja_leave(p->rt);
    return n;
}

/* ---------------------------------------------------------------- statements */

static jnode_list parse_body(parser *p, const char *const *end_tags, jv *which);

/* Parses statements up to one of end_tags (the last one closes the statement), consumes
 * "{% tag" and returns the tag. */
static jv parse_until(parser *p, jnode_list *body, const char *const *end_tags) {
    jv which = jv_none();
    *body = parse_body(p, end_tags, &which);
    return which;
}

static jnode *parse_if(parser *p, int line) {
    static const char *const ends[] = {"elif", "else", "endif", NULL};
    jnode *n = new_node(p, JN_IF, line);
    n->a = parse_expr(p);
    expect_block_end(p);
    jv tag = parse_until(p, &n->args, ends);
    if (jv_is_cstr(tag, "elif")) {
        list_push(p, &n->else_body, parse_if(p, cur(p)->line));
        return n; /* the nested if consumed the endif */
    }
    if (jv_is_cstr(tag, "else")) {
        static const char *const endif[] = {"endif", NULL};
        expect_block_end(p);
        parse_until(p, &n->else_body, endif);
    }
    expect_block_end(p);
    return n;
}

static jnode *parse_for(parser *p, int line) {
    static const char *const ends[] = {"else", "endfor", NULL};
    static const char *const endfor[] = {"endfor", NULL};
    jnode *n = new_node(p, JN_FOR, line);
    bool paren = skip_op(p, "(");
    size_t cap = 0;
    do {
        if (n->n_names == cap) {
            cap = cap ? cap * 2 : 2;
            jv *names = jinja_alloc_array(p->rt, cap, sizeof *names);
            if (n->n_names) memcpy(names, n->names, n->n_names * sizeof *names);
            n->names = names;
        }
        n->names[n->n_names++] = expect_identifier(p);
    } while (skip_op(p, ","));
    if (paren) expect_op(p, ")");
    if (!skip_name(p, "in")) unexpected(p, "'in'");
    n->a = parse_or(p);
    if (skip_name(p, "if")) n->b = parse_expr(p);
    if (is_name(p, "recursive")) jinja_fail(p->rt, cur(p)->line, "recursive loops are not supported");
    expect_block_end(p);
    jv tag = parse_until(p, &n->args, ends);
    if (jv_is_cstr(tag, "else")) {
        expect_block_end(p);
        parse_until(p, &n->else_body, endfor);
    }
    expect_block_end(p);
    return n;
}

static jnode *parse_set(parser *p, int line) {
    static const char *const ends[] = {"endset", NULL};
    jnode *n = new_node(p, JN_SET, line);
    n->name = expect_identifier(p);
    if (skip_op(p, ".")) {
        jnode *obj = new_node(p, JN_NAME, line);
        obj->name = n->name;
        n->b = obj;
        n->name = expect_identifier(p);
    }
    if (skip_op(p, "=")) {
        n->a = parse_expr(p);
        expect_block_end(p);
        return n;
    }
    if (n->b) unexpected(p, "'='");
    n->kind = JN_SET_BLOCK;
    expect_block_end(p);
    parse_until(p, &n->args, ends);
    expect_block_end(p);
    return n;
}

static jnode *parse_macro(parser *p, int line) {
    static const char *const ends[] = {"endmacro", NULL};
    jnode *n = new_node(p, JN_MACRO, line);
    n->name = expect_identifier(p);
    expect_op(p, "(");
    size_t cap = 0;
    while (!skip_op(p, ")")) {
        if (n->n_names) expect_op(p, ",");
        if (skip_op(p, ")")) break;
        if (n->n_names == cap) {
            cap = cap ? cap * 2 : 4;
            jv *names = jinja_alloc_array(p->rt, cap, sizeof *names);
            if (n->n_names) memcpy(names, n->names, n->n_names * sizeof *names);
            n->names = names;
        }
        n->names[n->n_names++] = expect_identifier(p);
        list_push(p, &n->kw_values, skip_op(p, "=") ? parse_expr(p) : NULL);
    }
    expect_block_end(p);
    parse_until(p, &n->args, ends);
    expect_block_end(p);
    return n;
}

static jnode *parse_statement(parser *p) {
    int line = cur(p)->line;
    jv tag = expect_identifier(p);
    if (jv_is_cstr(tag, "if")) return parse_if(p, line);
    if (jv_is_cstr(tag, "for")) return parse_for(p, line);
    if (jv_is_cstr(tag, "set")) return parse_set(p, line);
    if (jv_is_cstr(tag, "macro")) return parse_macro(p, line);
    if (jv_is_cstr(tag, "break") || jv_is_cstr(tag, "continue")) {
        expect_block_end(p);
        return new_node(p, jv_is_cstr(tag, "break") ? JN_BREAK : JN_CONTINUE, line);
    }
    if (jv_is_cstr(tag, "generation")) {
        /* transformers' assistant-mask marker: renders its body unchanged */
        static const char *const ends[] = {"endgeneration", NULL};
        jnode *n = new_node(p, JN_BLOCK, line);
        expect_block_end(p);
        parse_until(p, &n->args, ends);
        expect_block_end(p);
        return n;
    }
    jinja_fail(p->rt, line, "unknown tag '%.*s'", (int)(tag.u.s.n > 40 ? 40 : tag.u.s.n), tag.u.s.p);
}

static jnode_list parse_body(parser *p, const char *const *end_tags, jv *which) {
    jnode_list body = {0};
    jinja_enter(p->rt, cur(p)->line);
    for (;;) {
        jtok *t = cur(p);
        if (t->type == JT_EOF) {
            if (end_tags) {
                size_t last = 0;
                while (end_tags[last + 1]) last++;
                jinja_fail(p->rt, t->line, "unexpected end of template, expected '%s'", end_tags[last]);
            }
            break;
        }
        if (t->type == JT_TEXT) {
            jnode *n = new_node(p, JN_TEXT, t->line);
            n->lit = jv_str(t->p, t->n);
            list_push(p, &body, n);
            next(p);
        } else if (t->type == JT_VAR_BEGIN) {
            next(p);
            jnode *n = new_node(p, JN_OUTPUT, t->line);
            n->a = parse_expr(p);
            if (cur(p)->type != JT_VAR_END) unexpected(p, "'}}'");
            next(p);
            list_push(p, &body, n);
        } else if (t->type == JT_BLOCK_BEGIN) {
            jtok *name = peek(p, 1);
            bool is_end = false;
            for (size_t i = 0; end_tags && end_tags[i] && !is_end; i++) is_end = tok_is(name, JT_NAME, end_tags[i]);
            if (is_end) {
                *which = jv_str(name->p, name->n);
                next(p);
                next(p);
                break;
            }
            next(p);
            list_push(p, &body, parse_statement(p));
        } else {
            unexpected(p, "a tag");
        }
    }
    jinja_leave(p->rt);
    return body;
}

jnode *jinja_parse(jinja_rt *rt, const char *src, size_t len) {
    parser p = {.rt = rt};
    p.toks = jinja_lex(rt, src, len, &p.n);
    jnode *root = jinja_alloc(rt, sizeof *root);
    root->kind = JN_BLOCK;
    root->line = 1;
    root->args = parse_body(&p, NULL, NULL);
    return root;
}
