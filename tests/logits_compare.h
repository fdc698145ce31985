/* Comparing two logit vectors, for the tests that check one way of computing them against
 * another (prompt caching, batched steps over several contexts). */
#ifndef LF_TEST_LOGITS_COMPARE_H
#define LF_TEST_LOGITS_COMPARE_H

#include <math.h>

/* Largest |a - b| relative to the largest |b|. */
static inline double logit_distance(const float *a, const float *b, int n) {
    double diff = 0, scale = 1e-30;
    for (int i = 0; i < n; i++) {
        diff = fmax(diff, fabs((double)a[i] - b[i]));
        scale = fmax(scale, fabs((double)b[i]));
    }
    return diff / scale;
}

static inline int argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

#endif
