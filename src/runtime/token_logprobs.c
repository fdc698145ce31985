/* Log-probabilities of tokens, as an API reports them next to generated text. */
#include <math.h>

#include "llamafast.h"

float lf_logprobs(const float *logits, int32_t n_vocab, int32_t chosen, lf_token_logprob *top, int k) {
    float max = -INFINITY;
    for (int32_t i = 0; i < n_vocab; i++)
        if (logits[i] > max) max = logits[i];
    double s = 0;
    for (int32_t i = 0; i < n_vocab; i++) s += exp((double)logits[i] - max);
    double log_z = max + log(s);
    if (k > n_vocab) k = n_vocab;
    /* insertion into the k best so far: k is small (an API allows at most 20) */
    int have = 0;
    for (int32_t i = 0; i < n_vocab && k > 0; i++) {
        if (have == k && !(logits[i] > top[k - 1].logprob)) continue;
        int j = have < k ? have++ : k - 1;
        while (j > 0 && logits[i] > top[j - 1].logprob) {
            top[j] = top[j - 1];
            j--;
        }
        top[j] = (lf_token_logprob){i, logits[i]};
    }
    for (int j = 0; j < have; j++) top[j].logprob = (float)(top[j].logprob - log_z);
    return chosen >= 0 && chosen < n_vocab ? (float)(logits[chosen] - log_z) : 0.0f;
}
