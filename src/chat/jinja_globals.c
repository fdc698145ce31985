/* Global functions: jinja2's namespace(), range() and dict(), and the two transformers
 * adds for chat templates, raise_exception() and strftime_now(). */
#include <string.h>
#include <time.h>

#include "chat/jinja_eval.h"

static jv raise_exception(jinja_ctx *c, jv self, const jinja_args *a) {
    (void)self;
    jv msg = jv_to_str(c->rt, jinja_arg(a, 0, NULL, jv_str("", 0)));
    jinja_fail(c->rt, 0, "%.*s", (int)(msg.u.s.n > 300 ? 300 : msg.u.s.n), msg.u.s.p);
}

/* The current local date and time formatted with strftime (Llama 3.x prints today's date). */
static jv strftime_now(jinja_ctx *c, jv self, const jinja_args *a) {
    (void)self;
    static const char *const none[] = {NULL};
    jinja_check_args(c, a, "strftime_now", 1, none);
    jv fmt = jinja_expect_str(c, jinja_arg(a, 0, NULL, jv_none()), "strftime_now format", a->line);
    char *cfmt = jinja_strndup(c->rt, fmt.u.s.p, fmt.u.s.n);
    time_t now = time(NULL);
    struct tm local;
    if (!localtime_r(&now, &local)) jinja_fail(c->rt, a->line, "strftime_now: cannot read the local time");
    size_t cap = 64 + fmt.u.s.n * 16;
    char *out = jinja_alloc(c->rt, cap);
    size_t n = strftime(out, cap, cfmt, &local);
    return jv_str(out, n);
}

static jv keyword_dict(jinja_ctx *c, const jinja_args *a, jv_type type, const char *fn) {
    if (a->n_pos > 1) jinja_fail(c->rt, a->line, "%s() takes at most one positional argument", fn);
    jv d = jv_new_dict(c->rt, type);
    if (a->n_pos == 1) {
        jv init = a->pos[0];
        if (init.type != JV_DICT) jinja_fail(c->rt, a->line, "%s() argument must be a mapping", fn);
        for (size_t i = 0; i < init.u.dict->n; i++) jv_dict_set(c->rt, d, init.u.dict->keys[i], init.u.dict->values[i]);
    }
    for (size_t i = 0; i < a->n_kw; i++) jv_dict_set(c->rt, d, a->kw_names[i], a->kw_values[i]);
    return d;
}

static jv namespace_fn(jinja_ctx *c, jv self, const jinja_args *a) {
    (void)self;
    return keyword_dict(c, a, JV_NAMESPACE, "namespace");
}

static jv dict_fn(jinja_ctx *c, jv self, const jinja_args *a) {
    (void)self;
    return keyword_dict(c, a, JV_DICT, "dict");
}

static jv range_fn(jinja_ctx *c, jv self, const jinja_args *a) {
    (void)self;
    static const char *const none[] = {NULL};
    jinja_check_args(c, a, "range", 3, none);
    int64_t v[3] = {0, 0, 1};
    if (a->n_pos == 0) jinja_fail(c->rt, a->line, "range expected at least 1 argument");
    for (size_t i = 0; i < a->n_pos; i++) {
        if (a->pos[i].type != JV_INT) jinja_fail(c->rt, a->line, "range() arguments must be integers");
        v[i + (a->n_pos == 1)] = a->pos[i].u.i;
    }
    if (v[2] == 0) jinja_fail(c->rt, a->line, "range() arg 3 must not be zero");
    /* jinja2's sandbox refuses longer ranges (MAX_RANGE) */
    double count = ((double)v[1] - (double)v[0]) / (double)v[2];
    if (count > 100000) jinja_fail(c->rt, a->line, "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
    jv out = jv_new_list(c->rt, 0);
    for (int64_t i = v[0]; v[2] > 0 ? i < v[1] : i > v[1];) {
        jinja_charge(c->rt, 1);
        jv_list_push(c->rt, out, jv_int(i));
        if (__builtin_add_overflow(i, v[2], &i)) break;
    }
    return out;
}

void jinja_define_globals(jinja_ctx *c, jinja_frame *frame) {
    static const struct {
        const char *name;
        jinja_builtin fn;
    } globals[] = {
        {"dict", dict_fn},
        {"namespace", namespace_fn},
        {"raise_exception", raise_exception},
        {"range", range_fn},
        {"strftime_now", strftime_now},
    };
    for (size_t i = 0; i < sizeof globals / sizeof globals[0]; i++)
        jv_dict_set(c->rt, frame->vars, jv_cstr(globals[i].name),
                    jinja_function(c, globals[i].name, globals[i].fn, jv_none()));
}
