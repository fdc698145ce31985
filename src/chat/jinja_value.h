/* Values of the Jinja interpreter, with Python's semantics (Jinja evaluates templates as
 * Python): truthiness, equality, ordering, str() and repr(). Every value lives in the
 * render's arena and is immutable once built, so values are passed by copy. */
#ifndef LF_CHAT_JINJA_VALUE_H
#define LF_CHAT_JINJA_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chat/jinja_runtime.h"

typedef enum jv_type {
    JV_UNDEFINED, /* jinja2.Undefined: renders empty, is falsy, fails on attribute access */
    JV_NONE,
    JV_BOOL,
    JV_INT,
    JV_FLOAT,
    JV_STR,
    JV_LIST,      /* also tuples */
    JV_DICT,      /* insertion-ordered, like Python's dict */
    JV_NAMESPACE, /* namespace(): a dict whose attributes {% set ns.x = ... %} may assign */
    JV_FUNCTION,  /* a global function, a macro, or a method bound to its object */
} jv_type;

typedef struct jv_list jv_list;
typedef struct jv_dict jv_dict;
typedef struct jv_function jv_function;

typedef struct jv {
    jv_type type;
    union {
        bool b;
        int64_t i;
        double f;
        struct {
            const char *p; /* for JV_UNDEFINED: why it is undefined ("'x' is undefined") */
            size_t n;
        } s;
        jv_list *list;
        jv_dict *dict;
        jv_function *fn;
    } u;
} jv;

struct jv_list {
    size_t n, cap;
    jv *items;
    bool tuple; /* prints as (a, b) and never equals a list, as in Python */
};

struct jv_dict {
    size_t n, cap;
    jv *keys, *values;
};

static inline jv jv_undefined(const char *why) {
    jv v = {.type = JV_UNDEFINED};
    v.u.s.p = why;
    return v;
}
static inline jv jv_none(void) { return (jv){.type = JV_NONE}; }
static inline jv jv_bool(bool b) { return (jv){.type = JV_BOOL, .u.b = b}; }
static inline jv jv_int(int64_t i) { return (jv){.type = JV_INT, .u.i = i}; }
static inline jv jv_float(double f) { return (jv){.type = JV_FLOAT, .u.f = f}; }
static inline jv jv_str(const char *p, size_t n) {
    jv v = {.type = JV_STR};
    v.u.s.p = p;
    v.u.s.n = n;
    return v;
}
jv jv_cstr(const char *s);
/* Whether string value s holds exactly the C string text. */
bool jv_is_cstr(jv s, const char *text);
jv jv_str_copy(jinja_rt *rt, const char *p, size_t n);
jv jv_new_list(jinja_rt *rt, size_t cap);
jv jv_new_dict(jinja_rt *rt, jv_type type); /* JV_DICT or JV_NAMESPACE */

void jv_list_push(jinja_rt *rt, jv list, jv item);
/* The tuple (a, b), as dict.items() yields. */
jv jv_pair(jinja_rt *rt, jv a, jv b);
/* NULL when absent. */
jv *jv_dict_find(jinja_rt *rt, jv dict, jv key);
void jv_dict_set(jinja_rt *rt, jv dict, jv key, jv value);

/* Python type name, for error messages ("str", "int", "list", "dict", "NoneType"...). */
const char *jv_type_name(jv v);
bool jv_truthy(jv v);
bool jv_is_number(jv v); /* bool, int or float */
bool jv_equal(jv a, jv b);
/* Python ordering of numbers, strings and lists; fails for other types. */
int jv_compare(jinja_rt *rt, int line, jv a, jv b);

/* Growable byte buffer in the arena, for building strings. */
typedef struct jv_buf {
    jinja_rt *rt;
    char *p;
    size_t n, cap;
} jv_buf;
void jv_buf_put(jv_buf *b, const char *s, size_t n);
static inline void jv_buf_puts(jv_buf *b, const char *s);
jv jv_buf_value(jv_buf *b);

/* Appends str(v) (Python's str(); Undefined renders as nothing). */
void jv_append_str(jv_buf *b, jv v);
/* Appends repr(v). */
void jv_append_repr(jv_buf *b, jv v);
/* str(v) as a string value (v itself when it is one). */
jv jv_to_str(jinja_rt *rt, jv v);

#include <string.h>
static inline void jv_buf_puts(jv_buf *b, const char *s) { jv_buf_put(b, s, strlen(s)); }

#endif
