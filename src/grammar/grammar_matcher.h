/* Constrains sampling to a grammar: which tokens of a vocabulary may come next (matched
 * by their bytes, so a UTF-8 character may be split across tokens), and the state after
 * one is chosen. End-of-generation tokens are allowed only where the grammar is complete. */
#ifndef LF_GRAMMAR_MATCHER_H
#define LF_GRAMMAR_MATCHER_H

#include <stdbool.h>
#include <stdint.h>

#include "llamafast.h"

typedef struct grammar_matcher grammar_matcher;

/* Copies what it needs of g and tok; neither has to outlive the matcher. */
int grammar_matcher_create(const lf_grammar *g, const lf_tokenizer *tok, grammar_matcher **out, lf_error *err);
void grammar_matcher_free(grammar_matcher *m);
bool grammar_matcher_allows(grammar_matcher *m, int32_t id);
/* out[i] = logits[i] for the allowed tokens, -INFINITY for the others. Returns false when
 * nothing is allowed (the grammar cannot continue and is not complete). */
bool grammar_matcher_mask(grammar_matcher *m, const float *logits, float *out);
/* Advances past token id, which grammar_matcher_allows must have accepted. */
void grammar_matcher_accept(grammar_matcher *m, int32_t id);
/* The token that ends generation (chosen when nothing else is allowed); -1 when the
 * vocabulary has none. */
int32_t grammar_matcher_eos(const grammar_matcher *m);
/* True when the text accepted so far is a complete match. */
bool grammar_matcher_complete(const grammar_matcher *m);
/* Feeds raw bytes (for tests and tools): returns false, leaving the state unchanged, when
 * the grammar does not allow them next. */
bool grammar_matcher_accept_bytes(grammar_matcher *m, const char *bytes, size_t len);

#endif
