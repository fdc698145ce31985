/* A compiled GBNF grammar: every rule flattened into one element array, as the matcher
 * walks it. Shared by the parser (gbnf_parse.c), the JSON Schema translator and the
 * matcher that constrains sampling (grammar_matcher.c). */
#ifndef LF_GRAMMAR_GRAMMAR_H
#define LF_GRAMMAR_GRAMMAR_H

#include <stdint.h>

#include "llamafast.h"

/* A rule is a run of alternatives separated by GE_ALT and closed by GE_END. A character
 * element is GE_CHAR or GE_CHAR_NOT (first item of a class) followed by GE_RANGE_UPPER
 * (closing a range opened by the item before) and GE_CHAR_ALT (further items). */
typedef enum grammar_elem_type {
    GE_END,
    GE_ALT,
    GE_REF,         /* value: rule id */
    GE_CHAR,        /* value: code point */
    GE_CHAR_NOT,    /* a negated class; value: its first item */
    GE_RANGE_UPPER, /* value: last code point of the range started by the item before */
    GE_CHAR_ALT,    /* value: one more item of the class */
    GE_ANY          /* any code point */
} grammar_elem_type;

typedef struct grammar_elem {
    uint32_t type, value;
} grammar_elem;

struct lf_grammar {
    grammar_elem *el;
    uint32_t n_el;
    uint32_t n_rules, root;
    uint32_t *rule_start; /* n_rules */
    /* The alternatives of rule r start at alt_start[alt_first[r] .. alt_first[r + 1]). */
    uint32_t *alt_first, *alt_start;
};

/* Limits that keep hostile grammars (and schemas) from exhausting memory or time. */
#define GRAMMAR_MAX_ELEMS (1u << 20)
#define GRAMMAR_MAX_RULES 20000u
#define GRAMMAR_MAX_REPEAT 1000u

/* Frees the arrays of a grammar, not the struct (the matcher embeds a copy). */
void grammar_free_parts(lf_grammar *g);

static inline int grammar_is_char(uint32_t type) {
    return type == GE_CHAR || type == GE_CHAR_NOT || type == GE_ANY;
}
static inline int grammar_is_end(uint32_t type) { return type == GE_END || type == GE_ALT; }

#endif
