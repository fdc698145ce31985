/* The acceptance rule of speculative decoding, on its own for tests. */
#ifndef LF_RUNTIME_SPECULATIVE_H
#define LF_RUNTIME_SPECULATIVE_H

#include "llamafast.h"

/* The token the model picks from logits, and whether that keeps the guess there
 * (guessed < 0: none). With q (the distribution the guess was drawn from) the guess is
 * kept with probability min(1, p(guess)/q(guess)), where p is the sampler's distribution
 * of logits, and a rejected one is replaced by a draw from max(0, p - q): the token then
 * follows p exactly. Without q (a greedy sampler, or a lookup guess: q all on the guess)
 * the sampler picks and the guess is kept when they are equal. p and residual are
 * vocab-float scratch (only touched with q). */
int32_t lf_speculative_pick(lf_sampler *s, const float *logits, int32_t guessed, const float *q, float *p,
                            float *residual, int vocab, bool *kept);

#endif
