/* Where speculative decoding's guesses come from: earlier text of the context (prompt
 * lookup) or a smaller draft model. */
#ifndef LF_RUNTIME_DRAFT_H
#define LF_RUNTIME_DRAFT_H

#include "llamafast.h"

/* The most recent earlier occurrence of the last ngram tokens of hist[0, n), and up to k
 * of the tokens that followed it, written to out. Returns how many (0 when nothing
 * matches). Shorter n-grams are not tried: on SmolLM2 their guesses, mostly wrong, made
 * decoding of text that does not repeat 1.7x slower, where the exact 3-gram costs ~3 %. */
int lf_draft_lookup(const int32_t *hist, int n, int ngram, int32_t *out, int k);

/* LF_OK when the draft model's tokens are the target's (same count, same bytes for
 * every id), else LF_ERR_ARG naming both models. */
int lf_draft_check_vocab(const lf_model *target, const lf_model *draft, lf_error *err);

/* Lets the draft context catch up with hist[0, n) (keeping what its cache shares with
 * it), then guesses up to k tokens one at a time with the sampler: argmax when greedy,
 * else drawn from the sampler's distribution, which is written to q (k × vocab floats)
 * for the acceptance test. Returns the number guessed (fewer when the draft context is
 * short of room) or a negative lf_status. */
int lf_draft_model(lf_context *draft, lf_sampler *s, const int32_t *hist, int n, int32_t *out, float *q, int k,
                   lf_error *err);

#endif
