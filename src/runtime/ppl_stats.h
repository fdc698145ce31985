/* The sums a perplexity run accumulates over scored tokens, and the figures
 * llama-perplexity derives from them (its "Final estimate" and --kl-divergence
 * statistics, formula for formula). */
#ifndef LF_RUNTIME_PPL_STATS_H
#define LF_RUNTIME_PPL_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "llamafast.h"

/* One scored token. */
typedef struct lf_ppl_token {
    double nll, nll_base; /* -log p of the right token under the model, the base model */
    double kld;           /* KL(base || model) of the two distributions */
    float p_diff;         /* p(right token) under the model minus under the base */
    bool same_top;        /* both put the same token first */
} lf_ppl_token;

typedef struct lf_ppl_sums {
    double nll, nll2, nll_base, nll_base2, nll_nll_base, kld, kld2, p_diff, p_diff2, p_diff4;
    int64_t same_top, count, cap;
    float *kld_values, *p_diff_values; /* every scored token's (with a base model) */
} lf_ppl_sums;

/* Room for n_tokens scored tokens' values when with_base. */
int lf_ppl_sums_init(lf_ppl_sums *s, int64_t n_tokens, bool with_base, lf_error *err);
void lf_ppl_sums_free(lf_ppl_sums *s);
void lf_ppl_sums_add(lf_ppl_sums *s, const lf_ppl_token *t, bool with_base);
/* Fills r's figures (perplexity; the KL block when with_base) from the sums; the
 * percentiles sort the stored values, so a progress report leaves them out. */
void lf_ppl_sums_result(lf_ppl_sums *s, bool with_base, bool percentiles, lf_perplexity_result *r);

#endif
