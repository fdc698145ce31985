#include "runtime/logprob.h"

#include <math.h>
#include <string.h>

#include "kernels/kernels.h"

/* Partial sums in LANES independent float lanes, flushed to double every BLOCK values:
 * the compiler vectorizes the lanes (no reassociation needed), and the double keeps a
 * 50k-entry vocabulary's sum exact to float rounding of the terms. */
#define LANES 16
#define BLOCK 256

lf_row_norm lf_row_normalize(const float *logits, int32_t n, float *scratch, double *sum_exp) {
    memcpy(scratch, logits, (size_t)n * sizeof *scratch);
    float max = -INFINITY;
    double s = lf_softmax_running_f32(scratch, n, &max);
    int32_t top = 0;
    while (top < n - 1 && !(logits[top] == max)) top++;
    *sum_exp = s;
    return (lf_row_norm){.log_z = (double)max + log(s), .top = top};
}

double lf_row_kl(const float *p_logits, const float *p_exp, double p_sum, lf_row_norm pn, const float *q_logits,
                 lf_row_norm qn, int32_t n) {
    /* log p_i - log q_i = (p_i - q_i) - (log Zp - log Zq): the difference of the logits
     * is taken first, so close rows do not lose the divergence to cancellation */
    const float shift = (float)(pn.log_z - qn.log_z);
    double total = 0;
    for (int32_t b = 0; b < n; b += BLOCK) {
        int32_t end = b + BLOCK < n ? b + BLOCK : n, i = b;
        float lane[LANES] = {0};
        for (; i + LANES <= end; i += LANES)
            for (int j = 0; j < LANES; j++)
                lane[j] += p_exp[i + j] * ((p_logits[i + j] - q_logits[i + j]) - shift);
        for (; i < end; i++) lane[0] += p_exp[i] * ((p_logits[i] - q_logits[i]) - shift);
        double s = 0;
        for (int j = 0; j < LANES; j++) s += lane[j];
        total += s;
    }
    return total / p_sum;
}
