/* lf_logprobs against a direct double-precision log-softmax and a full sort, on random
 * rows with ties, -inf entries, k of 0, 1, 20 and more than the row, and rows of 1. */
#include <stdint.h>
#include <stdlib.h>

#include "llamafast.h"
#include "test.h"

static int32_t n_sorted;
static const float *sort_row;

/* Most likely first; ties: lower id first (what lf_logprobs promises). */
static int by_logit(const void *a, const void *b) {
    int32_t i = *(const int32_t *)a, j = *(const int32_t *)b;
    if (sort_row[i] != sort_row[j]) return sort_row[i] > sort_row[j] ? -1 : 1;
    return i < j ? -1 : 1;
}

static void check_row(const float *x, int32_t n, int k) {
    double max = -INFINITY, sum = 0;
    for (int32_t i = 0; i < n; i++) max = x[i] > max ? x[i] : max;
    for (int32_t i = 0; i < n; i++) sum += exp((double)x[i] - max);
    double log_z = max + log(sum);
    int32_t *order = malloc((size_t)n * sizeof *order);
    for (int32_t i = 0; i < n; i++) order[i] = i;
    sort_row = x, n_sorted = n;
    qsort(order, (size_t)n, sizeof *order, by_logit);
    lf_token_logprob top[64];
    int32_t chosen = n / 2;
    float lp = lf_logprobs(x, n, chosen, top, k);
    CHECK_MSG(fabs(lp - (x[chosen] - log_z)) < 1e-4, "n %d: chosen %g vs %g", n, lp, x[chosen] - log_z);
    int have = k < n ? k : n;
    for (int j = 0; j < have; j++) {
        CHECK_MSG(top[j].id == order[j], "n %d k %d: top[%d] id %d, expected %d", n, k, j, top[j].id, order[j]);
        double want = x[order[j]] - log_z;
        CHECK_MSG(isinf(want) ? top[j].logprob == want : fabs(top[j].logprob - want) < 1e-4,
                  "n %d: top[%d] logprob %g vs %g", n, j, top[j].logprob, want);
    }
    CHECK(lf_logprobs(x, n, -1, top, 0) == 0.0f);
    free(order);
}

int main(void) {
    srand(7);
    static float x[5000];
    int sizes[] = {1, 2, 19, 20, 21, 5000};
    int ks[] = {0, 1, 5, 20, 64};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (size_t q = 0; q < sizeof ks / sizeof ks[0]; q++) {
            int n = sizes[s];
            for (int i = 0; i < n; i++) x[i] = (float)(rand() % 200) / 10.0f - 10.0f; /* many ties */
            if (n > 3) x[1] = -INFINITY;
            check_row(x, n, ks[q]);
        }
    TEST_MAIN_END();
}
