/* What a scorer needs from one row of logits: the log of the softmax's normalizer, the
 * most likely token, and the KL divergence between two rows. Each takes scratch room for
 * the exponentials (vocab floats) so that threads can score rows side by side. */
#ifndef LF_RUNTIME_LOGPROB_H
#define LF_RUNTIME_LOGPROB_H

#include <stdint.h>

typedef struct lf_row_norm {
    double log_z;  /* log sum_i exp(logits[i]): log p(i) = logits[i] - log_z */
    int32_t top;   /* the first index of the largest logit */
} lf_row_norm;

/* Leaves exp(logits[i] - max) in scratch[0, n); *sum_exp gets their sum. */
lf_row_norm lf_row_normalize(const float *logits, int32_t n, float *scratch, double *sum_exp);

/* KL(p || q) in nats for p = softmax(p_logits), q = softmax(q_logits), with pn and qn
 * their lf_row_normalize results and p_exp (with p_sum) the exponentials it left for p. */
double lf_row_kl(const float *p_logits, const float *p_exp, double p_sum, lf_row_norm pn, const float *q_logits,
                 lf_row_norm qn, int32_t n);

#endif
