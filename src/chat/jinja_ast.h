/* Syntax tree of a parsed template: statements and expressions share one node type. */
#ifndef LF_CHAT_JINJA_AST_H
#define LF_CHAT_JINJA_AST_H

#include "chat/jinja_lexer.h"
#include "chat/jinja_value.h"

typedef enum jnode_kind {
    /* statements */
    JN_TEXT,      /* lit: the text */
    JN_OUTPUT,    /* {{ a }} */
    JN_IF,        /* if a: body else: else_body (elif is a nested JN_IF in else_body) */
    JN_FOR,       /* for names in a [if b]: body else: else_body */
    JN_SET,       /* set name = a, or set b.name = a (namespace attribute) */
    JN_SET_BLOCK, /* set name: body rendered to a string */
    JN_MACRO,     /* macro name(names = defaults): body */
    JN_BREAK,
    JN_CONTINUE,
    JN_BLOCK,     /* body rendered in place ({% generation %}) */
    /* expressions */
    JN_LITERAL,   /* lit */
    JN_NAME,      /* name */
    JN_ATTR,      /* a.name */
    JN_ITEM,      /* a[b] */
    JN_SLICE,     /* a[b:c:d], any of b c d may be NULL */
    JN_CALL,      /* a(args, kw_names=kw_values) */
    JN_FILTER,    /* a | name(args, ...) */
    JN_TEST,      /* a is [not] name(args) */
    JN_NEG,       /* -a */
    JN_POS,       /* +a */
    JN_NOT,       /* not a */
    JN_AND,
    JN_OR,
    JN_BINARY,    /* a op b: op is one of + - * / % ~, 'f' (//), 'p' (**) */
    JN_COMPARE,   /* a op b: op is = ! < > , 'l' (<=), 'g' (>=), 'i' (in), 'n' (not in) */
    JN_COND,      /* b if a else c */
    JN_LIST,      /* [args], or (args) when op is 't' */
    JN_DICT,      /* {args[i]: kw_values[i]} */
} jnode_kind;

typedef struct jnode jnode;

typedef struct jnode_list {
    jnode **items;
    size_t n;
} jnode_list;

struct jnode {
    jnode_kind kind;
    int line;
    int op;            /* JN_BINARY, JN_COMPARE; negation of JN_TEST */
    jv name;           /* identifier: variable, attribute, filter, test, macro */
    jv lit;            /* JN_TEXT, JN_LITERAL */
    jnode *a, *b, *c, *d;
    jnode_list args;   /* call arguments, list items, dict keys, statement body */
    jnode_list kw_values;
    jv *kw_names;      /* names of kw_values; for JN_MACRO the parameter names */
    jnode_list else_body;
    jv *names;         /* JN_FOR loop targets */
    size_t n_names;
};

/* Parses a whole template into its body (a JN_BLOCK); fails the render on syntax errors
 * with the line number. */
jnode *jinja_parse(jinja_rt *rt, const char *src, size_t len);

#endif
