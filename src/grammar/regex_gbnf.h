/* A JSON Schema "pattern" (an ECMA-262 regular expression subset) → a GBNF expression
 * matching the JSON string text (escapes included) of the strings it matches whole.
 * Supported: literals, ., [classes] with ranges and ^, \d \w \s \D \W \S, escapes,
 * (groups), (?:groups), |, * + ? {m} {m,} {m,n} (lazy forms too: for a whole match they
 * accept the same strings), ^ at the start and $ at the end. Characters that JSON must
 * escape (the quote, the backslash, controls) are matched in their escaped form; classes
 * leave control characters out. Anything else (backreferences, lookaround, \b, anchors
 * inside) is refused with a message naming it. */
#ifndef LF_GRAMMAR_REGEX_GBNF_H
#define LF_GRAMMAR_REGEX_GBNF_H

#include "grammar/gbnf_writer.h"
#include "llamafast.h"

int regex_to_gbnf(const char *pattern, const char *where, gbnf_writer *w, lf_error *err);

#endif
