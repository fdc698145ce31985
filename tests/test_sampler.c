/* The sampler chain on a vocabulary of 8 logits chosen here (no ties): each stage alone
 * and composed, against a reference written from the definitions with plain loops
 * (ranks instead of heaps, doubles, the order of llamafast.h), hand-derived support
 * sets, and draws: the empirical frequencies of many samples with a fixed seed match
 * the probabilities and never leave the support. Also the penalties' window, logit_bias
 * bans, greedy after bias and penalties, seeds, reset, and the refusals of create. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "llamafast.h"
#include "runtime/sampler.h"
#include "test.h"

#define V 8
static const float LOGITS[V] = {1.0f, 2.5f, 0.3f, -1.2f, 3.1f, 0.9f, -0.4f, 2.0f};

static lf_sampler_params off(void) {
    return (lf_sampler_params){.temperature = 1, .top_p = 1, .typical_p = 1, .repeat_penalty = 1, .repeat_last_n = 64,
                               .seed = 7};
}

/* softmax over alive of x, into p (0 elsewhere) */
static void ref_softmax(const double *x, const bool *alive, double *p) {
    double max = -INFINITY, sum = 0;
    for (int i = 0; i < V; i++)
        if (alive[i] && x[i] > max) max = x[i];
    for (int i = 0; i < V; i++) sum += p[i] = alive[i] ? exp(x[i] - max) : 0;
    for (int i = 0; i < V; i++) p[i] /= sum;
}

/* rank[i]: position of i when alive tokens are ordered by key descending */
static int ref_rank(const double *key, const bool *alive, int i) {
    int r = 0;
    for (int j = 0; j < V; j++)
        if (alive[j] && (key[j] > key[i] || (key[j] == key[i] && j < i))) r++;
    return r;
}

/* The chain of llamafast.h, from its definitions. hist: the tokens accepted. */
static void ref_chain(const lf_sampler_params *p, const int32_t *hist, int n_hist, double *out) {
    double l[V], prob[V];
    bool alive[V];
    for (int i = 0; i < V; i++) l[i] = LOGITS[i];
    for (int b = 0; b < p->n_logit_bias; b++) l[p->logit_bias[b].token] += p->logit_bias[b].bias;
    int from = p->repeat_last_n < 0 || p->repeat_last_n > n_hist ? 0 : n_hist - p->repeat_last_n;
    for (int i = 0; i < V; i++) {
        int count = 0;
        for (int h = from; p->repeat_last_n != 0 && h < n_hist; h++) count += hist[h] == i;
        if (count) {
            double rp = p->repeat_penalty == 0 ? 1 : p->repeat_penalty; /* 0 is off */
            l[i] = l[i] > 0 ? l[i] / rp : l[i] * rp;
            l[i] -= count * p->frequency_penalty + p->presence_penalty;
        }
        alive[i] = l[i] != -INFINITY;
    }
    if (p->top_k > 0) {
        bool keep[V];
        for (int i = 0; i < V; i++) keep[i] = alive[i] && ref_rank(l, alive, i) < p->top_k;
        memcpy(alive, keep, sizeof keep);
    }
    if (p->typical_p > 0 && p->typical_p < 1) { /* 0 is off */
        ref_softmax(l, alive, prob);
        double h = 0, closeness[V], mass = 0;
        for (int i = 0; i < V; i++)
            if (alive[i]) h -= prob[i] * log(prob[i]);
        for (int i = 0; i < V; i++) closeness[i] = -fabs(-log(prob[i]) - h);
        bool keep[V] = {0};
        /* the most typical first, until the mass kept exceeds typical_p */
        for (int r = 0; r < V && mass <= p->typical_p; r++)
            for (int i = 0; i < V; i++)
                if (alive[i] && ref_rank(closeness, alive, i) == r) keep[i] = true, mass += prob[i];
        memcpy(alive, keep, sizeof keep);
    }
    if (p->top_p < 1) {
        ref_softmax(l, alive, prob);
        bool keep[V] = {0};
        double mass = 0;
        for (int r = 0; r < V && mass < p->top_p; r++)
            for (int i = 0; i < V; i++)
                if (alive[i] && ref_rank(l, alive, i) == r) keep[i] = true, mass += prob[i];
        memcpy(alive, keep, sizeof keep);
    }
    if (p->min_p > 0) {
        ref_softmax(l, alive, prob);
        double pmax = 0;
        for (int i = 0; i < V; i++) pmax = fmax(pmax, prob[i]);
        for (int i = 0; i < V; i++) alive[i] = alive[i] && prob[i] >= p->min_p * pmax;
    }
    if (p->temperature == 0) {
        for (int i = 0; i < V; i++) out[i] = alive[i] && ref_rank(l, alive, i) == 0;
        return;
    }
    for (int i = 0; i < V; i++) l[i] /= p->temperature;
    ref_softmax(l, alive, out);
}

/* lf_sampler_probs against the reference, and n draws against both. */
static void check_chain(const char *what, const lf_sampler_params *p, const int32_t *hist, int n_hist, int draws) {
    lf_sampler *s = NULL;
    lf_error err = {0};
    if (lf_sampler_create(p, V, &s, &err)) {
        CHECK_MSG(0, "%s: create: %s", what, err.message);
        return;
    }
    for (int h = 0; h < n_hist; h++) lf_sampler_accept(s, hist[h]);
    double want[V];
    float got[V];
    ref_chain(p, hist, n_hist, want);
    lf_sampler_probs(s, LOGITS, got);
    double worst = 0;
    for (int i = 0; i < V; i++) worst = fmax(worst, fabs(got[i] - want[i]));
    CHECK_MSG(worst < 1e-5, "%s: probabilities differ from the reference by %g", what, worst);
    int count[V] = {0};
    for (int d = 0; d < draws; d++) {
        int32_t t = lf_sampler_sample(s, LOGITS);
        if (t >= 0 && t < V) count[t]++;
    }
    bool support = true;
    double freq_err = 0;
    for (int i = 0; i < V; i++) {
        support &= want[i] > 0 || count[i] == 0;
        freq_err = fmax(freq_err, fabs((double)count[i] / draws - want[i]));
    }
    CHECK_MSG(support, "%s: a draw left the support", what);
    /* 4 standard deviations of a frequency at p = 0.5 */
    CHECK_MSG(freq_err < 4 * sqrt(0.25 / draws), "%s: frequencies differ from the probabilities by %g", what,
              freq_err);
    lf_sampler_free(s);
}

/* The support of the chain's distribution as a bit mask. */
static unsigned support_of(const lf_sampler_params *p, const int32_t *hist, int n_hist) {
    lf_sampler *s = NULL;
    lf_error err = {0};
    if (lf_sampler_create(p, V, &s, &err)) return 0xFFFFFFFFu;
    for (int h = 0; h < n_hist; h++) lf_sampler_accept(s, hist[h]);
    float probs[V];
    lf_sampler_probs(s, LOGITS, probs);
    lf_sampler_free(s);
    unsigned mask = 0;
    for (int i = 0; i < V; i++) mask |= (probs[i] > 0) << i;
    return mask;
}

#define BIT(i) (1u << (i))

static void test_stages(void) {
    const int N = 20000;
    lf_sampler_params p = off();
    check_chain("plain softmax", &p, NULL, 0, N);
    p.temperature = 0.5f;
    check_chain("temperature 0.5", &p, NULL, 0, N);
    p = off(), p.top_k = 3;
    check_chain("top_k 3", &p, NULL, 0, N);
    /* logits sorted: 4 (3.1), 1 (2.5), 7 (2.0), 0 (1.0), 5 (0.9), 2, 6, 3 */
    CHECK(support_of(&p, NULL, 0) == (BIT(4) | BIT(1) | BIT(7)));
    p = off(), p.top_p = 0.6f;
    check_chain("top_p 0.6", &p, NULL, 0, N);
    /* softmax: p4 = 0.426, p1 = 0.234: 0.66 >= 0.6 */
    CHECK(support_of(&p, NULL, 0) == (BIT(4) | BIT(1)));
    p = off(), p.min_p = 0.3f;
    check_chain("min_p 0.3", &p, NULL, 0, N);
    /* p / p4 = exp(l - 3.1): 1 (0.55), 7 (0.33), 0 (0.12) */
    CHECK(support_of(&p, NULL, 0) == (BIT(4) | BIT(1) | BIT(7)));
    p = off(), p.typical_p = 0.5f;
    check_chain("typical_p 0.5", &p, NULL, 0, N);
    lf_logit_bias bias[] = {{3, 6.0f}, {4, -INFINITY}};
    p = off(), p.logit_bias = bias, p.n_logit_bias = 2;
    check_chain("logit_bias", &p, NULL, 0, N);
    CHECK(!(support_of(&p, NULL, 0) & BIT(4)));
    int32_t hist[] = {4, 4, 1, 6, 2, 4};
    p = off(), p.repeat_penalty = 1.8f;
    check_chain("repeat_penalty", &p, hist, 6, N);
    p = off(), p.presence_penalty = 0.7f, p.frequency_penalty = 0.4f;
    check_chain("presence and frequency penalties", &p, hist, 6, N);
    p = off(), p.repeat_penalty = 1.3f, p.frequency_penalty = 0.5f, p.repeat_last_n = 3;
    check_chain("penalties over the last 3", &p, hist, 6, N);
}

static void test_composition(void) {
    lf_logit_bias bias[] = {{5, 1.5f}, {1, -INFINITY}};
    int32_t hist[] = {7, 0, 7};
    lf_sampler_params p = {.temperature = 0.7f, .top_k = 6, .top_p = 0.9f, .min_p = 0.1f, .typical_p = 0.95f,
                           .repeat_penalty = 1.2f, .repeat_last_n = 64, .presence_penalty = 0.2f,
                           .frequency_penalty = 0.1f, .logit_bias = bias, .n_logit_bias = 2, .seed = 99};
    check_chain("every stage", &p, hist, 3, 20000);
    /* temperature comes last: top_p sees the untempered distribution (at T = 1 the
     * nucleus 0.6 is {4, 1}; a flattening T = 3 applied first would need more tokens) */
    lf_sampler_params q = off();
    q.top_p = 0.6f, q.temperature = 3.0f;
    CHECK(support_of(&q, NULL, 0) == (BIT(4) | BIT(1)));
    /* top_k before min_p: with top_k 2 min_p sees {4, 1} only, and keeps both */
    q = off(), q.top_k = 2, q.min_p = 0.5f;
    CHECK(support_of(&q, NULL, 0) == (BIT(4) | BIT(1)));
    /* logit_bias before top_k: a bias lifts token 3 into the top 2 */
    lf_logit_bias lift[] = {{3, 10.0f}};
    q = off(), q.top_k = 2, q.logit_bias = lift, q.n_logit_bias = 1;
    CHECK(support_of(&q, NULL, 0) == (BIT(3) | BIT(4)));
    /* penalties before top_k: penalizing 4 and 1 lets 7 and 0 in */
    int32_t seen[] = {4, 1};
    q = off(), q.top_k = 2, q.presence_penalty = 5;
    CHECK(support_of(&q, seen, 2) == (BIT(7) | BIT(0)));
}

static int32_t greedy_pick(const lf_sampler_params *p, const int32_t *hist, int n) {
    lf_sampler *s = NULL;
    lf_error err = {0};
    if (lf_sampler_create(p, V, &s, &err)) return -2;
    for (int i = 0; i < n; i++) lf_sampler_accept(s, hist[i]);
    int32_t t = lf_sampler_sample(s, LOGITS);
    lf_sampler_free(s);
    return t;
}

static void test_greedy(void) {
    lf_sampler_params p = off();
    p.temperature = 0;
    CHECK(greedy_pick(&p, NULL, 0) == 4);
    lf_logit_bias ban[] = {{4, -INFINITY}}, boost[] = {{3, 100.0f}};
    p.logit_bias = ban, p.n_logit_bias = 1;
    CHECK(greedy_pick(&p, NULL, 0) == 1);
    p.logit_bias = boost;
    CHECK(greedy_pick(&p, NULL, 0) == 3);
    p = off(), p.temperature = 0, p.repeat_penalty = 2; /* 3.1 / 2 < 2.5 */
    int32_t seen4[] = {4};
    CHECK(greedy_pick(&p, seen4, 1) == 1);
    /* the window: 4 accepted 3 tokens ago is out of a window of 2 */
    int32_t old4[] = {4, 6, 6};
    p.repeat_last_n = 2;
    CHECK(greedy_pick(&p, old4, 3) == 4);
    p.repeat_last_n = 3;
    CHECK(greedy_pick(&p, old4, 3) == 1);
    p.repeat_last_n = 0; /* off */
    CHECK(greedy_pick(&p, old4, 3) == 4);
    p.repeat_last_n = -1; /* everything */
    CHECK(greedy_pick(&p, old4, 3) == 1);
    /* the default chain (top_k 40, top_p 0.95, min_p 0.05) keeps the most likely token */
    p = lf_sampler_default_params(), p.temperature = 0;
    CHECK(greedy_pick(&p, NULL, 0) == 4);
    CHECK(greedy_pick(&p, seen4, 1) == 4);
    /* typical_p may drop the most likely token: 4 is the least typical of these logits */
    p = off(), p.temperature = 0, p.typical_p = 0.2f;
    CHECK(greedy_pick(&p, NULL, 0) != 4);
    /* equal most likely logits give the lowest id, by the one pass of plain greedy and
     * through the chain (a penalty on, with nothing to penalize) */
    float tie[V];
    for (int i = 0; i < V; i++) tie[i] = i == 2 || i == 5 ? 1.0f : 0.0f;
    for (int chain = 0; chain < 2; chain++) {
        lf_sampler *s = NULL;
        lf_error err = {0};
        p = off(), p.temperature = 0, p.repeat_penalty = chain ? 2.0f : 1.0f;
        CHECK(lf_sampler_create(&p, V, &s, &err) == LF_OK);
        CHECK(lf_sampler_sample(s, tie) == 2);
        lf_sampler_free(s);
    }
    /* logits that are all -infinity leave no token, greedy or not */
    float none[V];
    for (int i = 0; i < V; i++) none[i] = -INFINITY;
    for (int greedy = 0; greedy < 2; greedy++) {
        lf_sampler *s = NULL;
        lf_error err = {0};
        p = off(), p.temperature = greedy ? 0 : 1;
        CHECK(lf_sampler_create(&p, V, &s, &err) == LF_OK);
        CHECK(lf_sampler_sample(s, none) == -1);
        lf_sampler_free(s);
    }
}

static void test_history(void) {
    /* a long history slides the window: only the last 3 tokens count */
    lf_sampler_params p = off();
    p.temperature = 0, p.presence_penalty = 10, p.repeat_last_n = 3;
    lf_sampler *s = NULL;
    lf_error err = {0};
    CHECK(lf_sampler_create(&p, V, &s, &err) == LF_OK);
    if (!s) return;
    for (int i = 0; i < 5000; i++) lf_sampler_accept(s, 4);
    for (int i = 0; i < 3; i++) lf_sampler_accept(s, i % 2 ? 1 : 7);
    CHECK(lf_sampler_sample(s, LOGITS) == 4); /* 4 left the window; 1 and 7 are penalized */
    lf_sampler_accept(s, 4);
    CHECK(lf_sampler_sample(s, LOGITS) == 0); /* now 4, 1, 7 are */
    lf_sampler_accept(s, -1);                 /* ignored */
    lf_sampler_accept(s, V);
    CHECK(lf_sampler_sample(s, LOGITS) == 0);
    lf_sampler_reset(s);
    CHECK(lf_sampler_sample(s, LOGITS) == 4);
    lf_sampler_free(s);
}

static void test_seed(void) {
    lf_sampler_params p = off();
    lf_sampler *a = NULL, *b = NULL, *c = NULL;
    lf_error err = {0};
    lf_sampler_create(&p, V, &a, &err);
    lf_sampler_create(&p, V, &b, &err);
    p.seed = 8;
    lf_sampler_create(&p, V, &c, &err);
    if (!a || !b || !c) {
        CHECK(0);
        return;
    }
    bool same = true, differ = false;
    for (int i = 0; i < 200; i++) {
        int32_t x = lf_sampler_sample(a, LOGITS), y = lf_sampler_sample(b, LOGITS), z = lf_sampler_sample(c, LOGITS);
        same &= x == y;
        differ |= x != z;
    }
    CHECK(same);
    CHECK(differ);
    lf_sampler_free(a);
    lf_sampler_free(b);
    lf_sampler_free(c);
}

static bool refused(const lf_sampler_params *p, const char *word) {
    lf_sampler *s = NULL;
    lf_error err = {0};
    int rc = lf_sampler_create(p, V, &s, &err);
    lf_sampler_free(s);
    return rc == LF_ERR_ARG && !s && strstr(err.message, word);
}

static void test_refusals(void) {
    lf_sampler_params p = off();
    lf_logit_bias out_of_range[] = {{V, 1}}, nan_bias[] = {{2, NAN}}, plus_inf[] = {{2, INFINITY}};
    lf_logit_bias all[V + 1];
    for (int i = 0; i < V; i++) all[i] = (lf_logit_bias){i, -INFINITY};
    all[V] = (lf_logit_bias){0, -INFINITY};
    p.logit_bias = out_of_range, p.n_logit_bias = 1;
    CHECK(refused(&p, "logit_bias"));
    p.logit_bias = nan_bias;
    CHECK(refused(&p, "logit_bias"));
    p.logit_bias = plus_inf;
    CHECK(refused(&p, "logit_bias"));
    p.logit_bias = all, p.n_logit_bias = V + 1;
    CHECK(refused(&p, "every token"));
    p.n_logit_bias = V - 1; /* all but token 7 banned: only 7 can come */
    CHECK(support_of(&p, NULL, 0) == BIT(7));
    p = off(), p.min_p = 1.5f;
    CHECK(refused(&p, "min_p"));
    p = off(), p.typical_p = -0.1f;
    CHECK(refused(&p, "typical_p"));
    p = off(), p.repeat_penalty = -1;
    CHECK(refused(&p, "repeat_penalty"));
    /* zeros are off: a struct with only some fields set samples as the reference does */
    lf_sampler_params zeros = {.temperature = 1, .top_p = 1, .repeat_last_n = 64, .presence_penalty = 1, .seed = 1};
    int32_t seen[] = {4};
    check_chain("zero typical_p and repeat_penalty", &zeros, seen, 1, 20000);
    p = off(), p.repeat_last_n = -2;
    CHECK(refused(&p, "repeat_last_n"));
    p = off(), p.frequency_penalty = NAN;
    CHECK(refused(&p, "frequency_penalty"));
    p = off(), p.top_k = -1;
    CHECK(refused(&p, "top_k"));
}

int main(void) {
    test_stages();
    test_composition();
    test_greedy();
    test_history();
    test_seed();
    test_refusals();
    TEST_MAIN_END();
}
