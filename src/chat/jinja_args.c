/* Helpers the builtins share: call arguments, type checks with Python's messages, and
 * function values. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "chat/jinja_eval.h"

const char *jinja_message(jinja_ctx *c, const char *fmt, ...) {
    char tmp[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    return jinja_strndup(c->rt, tmp, strlen(tmp));
}

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
            jinja_fail(c->rt, a->line, "%s() got an unexpected keyword argument '%.*s'", fn, JINJA_SHORT(a->kw_names[i]));
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
