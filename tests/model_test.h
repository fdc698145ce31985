/* What the tests that run a model share: a context or exit, and comparing two logit
 * vectors computed two ways (prompt caching, batched steps over several contexts). */
#ifndef LF_TEST_MODEL_TEST_H
#define LF_TEST_MODEL_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "llamafast.h"

/* A context of m with cp, or exit(1) with the reason. */
static inline lf_context *test_context(const lf_model *m, const lf_context_params *cp) {
    lf_context *ctx = NULL;
    lf_error err = {0};
    if (lf_context_create(m, cp, &ctx, &err)) {
        fprintf(stderr, "context: %s\n", err.message);
        exit(1);
    }
    return ctx;
}

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
