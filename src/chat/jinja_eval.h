/* The evaluator's interface to the builtins (filters, tests, methods, global functions):
 * call arguments, function values, attribute and item access with jinja2's rules. */
#ifndef LF_CHAT_JINJA_EVAL_H
#define LF_CHAT_JINJA_EVAL_H

#include "chat/jinja_ast.h"

typedef struct jinja_frame {
    struct jinja_frame *parent;
    jv vars; /* JV_DICT */
} jinja_frame;

typedef struct jinja_args {
    const jv *pos;
    size_t n_pos;
    const jv *kw_names, *kw_values;
    size_t n_kw;
    int line;
} jinja_args;

typedef struct jinja_ctx {
    jinja_rt *rt;
    jinja_frame *globals;
} jinja_ctx;

/* A builtin: self is the filtered/tested value or the object of a method (unused by
 * global functions). */
typedef jv (*jinja_builtin)(jinja_ctx *ctx, jv self, const jinja_args *args);
typedef bool (*jinja_test)(jinja_ctx *ctx, jv value, const jinja_args *args);

typedef struct jinja_test_def {
    const char *name;
    jinja_test fn;
    size_t n_args; /* arguments after the tested value: 0 or 1 */
} jinja_test_def;

struct jv_function {
    const char *name;
    jinja_builtin builtin; /* NULL for a macro */
    jv self;
    const jnode *macro;
    jinja_frame *closure;  /* where the macro was defined */
};

/* Argument `index` (positional) or the keyword `kw`; fallback when neither was given.
 * JINJA_KEYWORD_ONLY as index looks up only the keyword. */
#define JINJA_KEYWORD_ONLY SIZE_MAX
jv jinja_arg(const jinja_args *args, size_t index, const char *kw, jv fallback);
/* Fails unless at most max_pos positional arguments and only the listed keywords
 * (NULL-terminated) were given. */
void jinja_check_args(jinja_ctx *ctx, const jinja_args *args, const char *fn, size_t max_pos,
                      const char *const *keywords);
/* A printf-formatted message kept in the arena (Undefined values' explanations). */
const char *jinja_message(jinja_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Length and pointer of a string value for "%.*s", cut to keep messages short. */
#define JINJA_SHORT(v) (int)((v).u.s.n > 60 ? 60 : (v).u.s.n), (v).u.s.p

/* Fails with jinja's message when v is Undefined (for operations Undefined refuses). */
void jinja_require_defined(jinja_ctx *ctx, jv v, int line);
/* The string argument, failing on other types. */
jv jinja_expect_str(jinja_ctx *ctx, jv v, const char *what, int line);

jv jinja_function(jinja_ctx *ctx, const char *name, jinja_builtin fn, jv self);
jv jinja_call(jinja_ctx *ctx, jv fn, const jinja_args *args);

/* obj.name and obj[key] with jinja2's fallbacks between attributes and items. */
jv jinja_getattr(jinja_ctx *ctx, jv obj, jv name, int line);
jv jinja_getitem(jinja_ctx *ctx, jv obj, jv key, int line);
/* obj[start:stop:step]; bounds are None, ints or bools. */
jv jinja_slice(jinja_ctx *ctx, jv obj, const jv bounds[3], int line);
/* Items of an iterable as a list (dict: keys; str: characters; Undefined: empty). */
jv jinja_iterate(jinja_ctx *ctx, jv v, int line);

/* Builtin tables (NULL when unknown). */
jinja_builtin jinja_find_filter(jv name);
const jinja_test_def *jinja_find_test(jv name);
/* Runs a test after checking its argument count, as Python's call would. */
bool jinja_apply_test(jinja_ctx *ctx, const jinja_test_def *test, jv value, const jinja_args *args);
/* a op b with Python's semantics for op in + - * / % ~ and 'f' (//), 'p' (**). */
jv jinja_binary_op(jinja_ctx *ctx, int op, jv a, jv b, int line);
/* a op b for op in = ! < > and 'l' (<=), 'g' (>=), 'i' (in), 'n' (not in). */
jv jinja_compare_op(jinja_ctx *ctx, int op, jv a, jv b, int line);
/* item in container: substring, list element or dict key. */
bool jinja_contains(jinja_ctx *ctx, jv item, jv container, int line);
/* dict.items(): (key, value) tuples. */
jv jinja_dict_items(jinja_ctx *ctx, jv dict);
/* A bound method of a str or dict ("strip", "items", ...), or Undefined. */
jv jinja_find_method(jinja_ctx *ctx, jv obj, jv name);
/* Defines raise_exception, strftime_now, namespace, range and dict in frame. */
void jinja_define_globals(jinja_ctx *ctx, jinja_frame *frame);

/* json.dumps(v, ensure_ascii=False, indent=indent, sort_keys=...) as transformers'
 * tojson filter does; indent < 0 means none. */
jv jinja_to_json(jinja_ctx *ctx, jv v, int indent, bool sort_keys, int line);

/* Renders the parsed template with the variables of globals; returns the text. */
jv jinja_render_template(jinja_ctx *ctx, const jnode *root);

#endif
