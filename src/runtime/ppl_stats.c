#include "runtime/ppl_stats.h"

#include <math.h>
#include <stdlib.h>

#include "core/error.h"

int lf_ppl_sums_init(lf_ppl_sums *s, int64_t n_tokens, bool with_base, lf_error *err) {
    *s = (lf_ppl_sums){.cap = n_tokens};
    if (!with_base) return LF_OK;
    s->kld_values = malloc((size_t)n_tokens * sizeof(float));
    s->p_diff_values = malloc((size_t)n_tokens * sizeof(float));
    if (s->kld_values && s->p_diff_values) return LF_OK;
    lf_ppl_sums_free(s);
    return lf_fail(err, LF_ERR_NOMEM, "perplexity: out of memory for the statistics of %lld tokens", (long long)n_tokens);
}

void lf_ppl_sums_free(lf_ppl_sums *s) {
    free(s->kld_values);
    free(s->p_diff_values);
    s->kld_values = s->p_diff_values = NULL;
}

void lf_ppl_sums_add(lf_ppl_sums *s, const lf_ppl_token *t, bool with_base) {
    s->nll += t->nll;
    s->nll2 += t->nll * t->nll;
    if (with_base && s->count < s->cap) {
        s->nll_base += t->nll_base;
        s->nll_base2 += t->nll_base * t->nll_base;
        s->nll_nll_base += t->nll * t->nll_base;
        s->kld += t->kld;
        s->kld2 += t->kld * t->kld;
        double d = t->p_diff, d2 = d * d;
        s->p_diff += d;
        s->p_diff2 += d2;
        s->p_diff4 += d2 * d2;
        s->same_top += t->same_top;
        s->kld_values[s->count] = (float)t->kld;
        s->p_diff_values[s->count] = t->p_diff;
    }
    s->count++;
}

/* llama-perplexity's mean_and_uncertainty: the mean and its standard error (0 for ten
 * values or fewer). */
static void mean_err(double sum, double sum2, int64_t n, double *mean, double *err) {
    *mean = *err = 0;
    if (n < 1) return;
    double f = sum / (double)n, df = sum2 / (double)n - f * f;
    *mean = f;
    *err = df > 0 && n > 10 ? sqrt(df / (double)(n - 1)) : 0;
}

/* Its covariance of two means (0 for fewer than ten values). */
static double covariance(double a, double b, double ab, int64_t n) {
    if (n < 10) return 0;
    double dn = (double)n;
    return (ab / dn - (a / dn) * (b / dn)) / (dn - 1);
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Linear interpolation between the sorted values' neighbours, as llama-perplexity's
 * percentile(). */
static double percentile(const float *v, int64_t n, double fraction) {
    double p = fraction * (double)(n - 1);
    int64_t ip = (int64_t)p;
    p -= (double)ip;
    return (1 - p) * v[ip] + p * v[ip + 1 < n ? ip + 1 : n - 1];
}

static void distribution(float *v, int64_t n, lf_distribution *d) {
    qsort(v, (size_t)n, sizeof *v, cmp_float);
    static const double fractions[] = {0.999, 0.99, 0.95, 0.90, 0.75, 0.25, 0.10, 0.05, 0.01, 0.001};
    double *slots[] = {&d->p99_9, &d->p99, &d->p95, &d->p90, &d->p75, &d->p25, &d->p10, &d->p5, &d->p1, &d->p0_1};
    for (size_t i = 0; i < sizeof fractions / sizeof *fractions; i++) *slots[i] = percentile(v, n, fractions[i]);
    d->max = v[n - 1];
    d->min = v[0];
    d->median = n % 2 ? v[n / 2] : 0.5 * ((double)v[n / 2] + v[n / 2 - 1]);
}

void lf_ppl_sums_result(lf_ppl_sums *s, bool with_base, bool percentiles, lf_perplexity_result *r) {
    int64_t n = s->count;
    r->n_scored = n;
    /* the "Final estimate": PPL = exp(mean nll) +/- PPL x (standard error of the mean nll) */
    double mean = n ? s->nll / (double)n : 0, var = n ? s->nll2 / (double)n - mean * mean : 0;
    r->ppl = exp(mean);
    r->ppl_stderr = var > 0 && n > 1 ? sqrt(var / (double)(n - 1)) * r->ppl : 0;
    if (!with_base) return;
    double lq, lq_err, lb, lb_err;
    mean_err(s->nll, s->nll2, n, &lq, &lq_err);
    mean_err(s->nll_base, s->nll_base2, n, &lb, &lb_err);
    double ppl_err = r->ppl * lq_err, cov = covariance(s->nll, s->nll_base, s->nll_nll_base, n);
    r->base_ppl = exp(lb);
    r->base_ppl_stderr = r->base_ppl * lb_err;
    r->ln_ppl_correlation = lq_err > 0 && lb_err > 0 ? cov / (lq_err * lb_err) : 0;
    r->ln_ppl_ratio = lq - lb;
    r->ln_ppl_ratio_stderr = sqrt(fmax(0, lq_err * lq_err + lb_err * lb_err - 2 * cov));
    r->ppl_ratio = exp(r->ln_ppl_ratio);
    r->ppl_ratio_stderr = r->ppl_ratio * r->ln_ppl_ratio_stderr;
    r->delta_ppl = r->ppl - r->base_ppl;
    r->delta_ppl_stderr = sqrt(fmax(0, ppl_err * ppl_err + r->base_ppl_stderr * r->base_ppl_stderr -
                                           2 * r->ppl * r->base_ppl * cov));
    mean_err(s->kld, s->kld2, n, &r->kl.mean, &r->kl.mean_stderr);
    mean_err(s->p_diff, s->p_diff2, n, &r->delta_p.mean, &r->delta_p.mean_stderr);
    double mse, mse_err;
    mean_err(s->p_diff2, s->p_diff4, n, &mse, &mse_err);
    r->delta_p_rms = sqrt(mse);
    r->delta_p_rms_stderr = mse > 0 ? 0.5 / r->delta_p_rms * mse_err : 0;
    r->top1_agreement = n ? (double)s->same_top / (double)n : 0;
    r->top1_agreement_stderr = n > 1 ? sqrt(r->top1_agreement * (1 - r->top1_agreement) / (double)(n - 1)) : 0;
    if (percentiles && n > 0) {
        distribution(s->kld_values, n, &r->kl);
        distribution(s->p_diff_values, n, &r->delta_p);
    }
}
