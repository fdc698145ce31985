#include "chat/jinja_runtime.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jinja_chunk {
    jinja_chunk *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

enum { CHUNK_MIN = 64 * 1024 };

void jinja_rt_init(jinja_rt *rt, size_t max_bytes, uint64_t max_steps) {
    memset(rt, 0, sizeof *rt);
    rt->max_bytes = max_bytes;
    rt->max_steps = max_steps;
}

void jinja_rt_free(jinja_rt *rt) {
    jinja_chunk *c = rt->chunks;
    while (c) {
        jinja_chunk *next = c->next;
        free(c);
        c = next;
    }
    rt->chunks = NULL;
    rt->used_bytes = 0;
}

void jinja_fail(jinja_rt *rt, int line, const char *fmt, ...) {
    int n = line > 0 ? snprintf(rt->message, sizeof rt->message, "line %d: ", line) : 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rt->message + n, sizeof rt->message - (size_t)n, fmt, ap);
    va_end(ap);
    longjmp(rt->on_error, 1);
}

void *jinja_alloc(jinja_rt *rt, size_t size) {
    if (size > rt->max_bytes) jinja_fail(rt, 0, "template needs more than %zu MB of memory", rt->max_bytes >> 20);
    size = size ? (size + 15) & ~(size_t)15 : 16;
    jinja_chunk *c = rt->chunks;
    if (!c || c->size - c->used < size) {
        size_t want = size > CHUNK_MIN ? size : CHUNK_MIN;
        if (rt->used_bytes + want + sizeof *c > rt->max_bytes)
            jinja_fail(rt, 0, "template needs more than %zu MB of memory", rt->max_bytes >> 20);
        c = malloc(sizeof *c + want);
        if (!c) jinja_fail(rt, 0, "out of memory");
        c->next = rt->chunks;
        c->size = want;
        c->used = 0;
        rt->chunks = c;
        rt->used_bytes += want + sizeof *c;
    }
    void *p = c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

void *jinja_alloc_array(jinja_rt *rt, size_t n, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) jinja_fail(rt, 0, "template needs too much memory");
    return jinja_alloc(rt, total);
}

char *jinja_strndup(jinja_rt *rt, const char *s, size_t n) {
    if (n == SIZE_MAX) jinja_fail(rt, 0, "template needs too much memory");
    char *p = jinja_alloc(rt, n + 1);
    if (n) memcpy(p, s, n);
    return p;
}

void jinja_charge(jinja_rt *rt, uint64_t n) {
    rt->steps += n;
    if (rt->steps > rt->max_steps) jinja_fail(rt, 0, "template takes too long to render (work limit reached)");
}

void jinja_enter(jinja_rt *rt, int line) {
    if (++rt->depth > JINJA_MAX_DEPTH)
        jinja_fail(rt, line, "template nested too deeply (more than %d levels)", JINJA_MAX_DEPTH);
}
