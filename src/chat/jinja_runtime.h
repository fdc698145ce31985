/* Evaluation runtime of the Jinja interpreter: one arena that owns every allocation of a
 * render (values, syntax tree, output), a memory ceiling and a work budget so hostile
 * templates end with an error instead of exhausting the machine, and error unwinding.
 *
 * Errors unwind with longjmp to the entry point (jinja_render): everything allocated
 * since then lives in the arena, so nothing leaks, and the many small evaluation
 * functions need no error plumbing. */
#ifndef LF_CHAT_JINJA_RUNTIME_H
#define LF_CHAT_JINJA_RUNTIME_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

typedef struct jinja_chunk jinja_chunk;

typedef struct jinja_rt {
    jinja_chunk *chunks;
    size_t used_bytes;  /* arena bytes handed out plus chunk overhead */
    size_t max_bytes;   /* ceiling: the render fails beyond it */
    uint64_t steps;     /* evaluation steps taken */
    uint64_t max_steps; /* ceiling on work (loops, nodes, bytes copied) */
    int depth;          /* current recursion depth of parser or evaluator */
    jmp_buf on_error;
    char message[400];
} jinja_rt;

/* Deepest nesting of expressions/statements and of macro calls. */
#define JINJA_MAX_DEPTH 96

void jinja_rt_init(jinja_rt *rt, size_t max_bytes, uint64_t max_steps);
void jinja_rt_free(jinja_rt *rt);

/* Zeroed, 16-byte aligned memory that lives until jinja_rt_free; fails the render
 * (longjmp) when the ceiling is reached. */
void *jinja_alloc(jinja_rt *rt, size_t size);
/* n elements of size bytes, overflow-checked. */
void *jinja_alloc_array(jinja_rt *rt, size_t n, size_t size);
/* Copy of bytes [s, s+n) with a terminating NUL. */
char *jinja_strndup(jinja_rt *rt, const char *s, size_t n);

/* Records the message ("line N: " prefix when line > 0) and unwinds to rt->on_error. */
_Noreturn void jinja_fail(jinja_rt *rt, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Charges n units of work; fails when the budget is spent. */
void jinja_charge(jinja_rt *rt, uint64_t n);

/* Recursion guard around nested parsing/evaluation. */
void jinja_enter(jinja_rt *rt, int line);
static inline void jinja_leave(jinja_rt *rt) { rt->depth--; }

#endif
