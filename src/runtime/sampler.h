/* What speculative sampling needs of the sampler besides drawing a token: the
 * distribution it draws from, and draws of its own random stream. */
#ifndef LF_RUNTIME_SAMPLER_H
#define LF_RUNTIME_SAMPLER_H

#include "llamafast.h"

bool lf_sampler_is_greedy(const lf_sampler *s);
/* Speculative decoding draws without the grammar, so it refuses a sampler that has one. */
bool lf_sampler_has_grammar(const lf_sampler *s);
/* The distribution lf_sampler_sample draws from (the whole chain applied) as
 * vocab_size probabilities summing to 1; greedy puts all of it on the argmax. */
void lf_sampler_probs(lf_sampler *s, const float *logits, float *probs);
/* Uniform in [0, 1). */
float lf_sampler_uniform(lf_sampler *s);
/* An id drawn with probability proportional to weights[id] (vocab_size non-negative
 * weights); -1 when they are all zero. */
int32_t lf_sampler_draw(lf_sampler *s, const float *weights);

#endif
