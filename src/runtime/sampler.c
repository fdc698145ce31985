/* Token sampling as a chain of stages in llama.cpp's default order (llamafast.h):
 * logit_bias -> penalties -> top_k -> typical_p -> top_p -> min_p -> temperature -> draw.
 * shortlist() runs the chain; sampling and lf_sampler_probs both start from what it
 * keeps, so speculative decoding sees exactly the distribution tokens are drawn from. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "grammar/grammar_matcher.h"
#include "kernels/kernels.h"
#include "runtime/sampler.h"

typedef struct candidate {
    float logit;
    int32_t id;
} candidate;

typedef struct scored {
    float score, prob;
    candidate c;
} scored;

struct lf_sampler {
    lf_sampler_params p;
    lf_logit_bias *bias; /* p.logit_bias points here */
    int vocab;
    uint64_t rng_state;
    candidate *cands;
    float *probs;        /* softmax of the candidates, for the stages that need it */
    scored *scored;      /* scratch of typical_p */
    /* the tokens accepted; the penalties look at the last repeat_last_n of them */
    int32_t *hist;
    size_t n_hist, cap_hist;
    int *seen;           /* occurrences of each id in the window */
    grammar_matcher *grammar; /* NULL = unconstrained */
    float *masked;            /* logits with the tokens the grammar refuses at -inf */
};

lf_sampler_params lf_sampler_default_params(void) {
    return (lf_sampler_params){.temperature = 0.8f, .top_k = 40, .top_p = 0.95f, .min_p = 0.05f, .typical_p = 1,
                               .repeat_penalty = 1, .repeat_last_n = 64, .seed = 42};
}

static int check_params(const lf_sampler_params *p, int vocab, lf_error *err) {
    if (vocab < 1) return lf_fail(err, LF_ERR_ARG, "sampler: vocabulary size %d", vocab);
    if (!(p->temperature >= 0 && p->temperature < INFINITY))
        return lf_fail(err, LF_ERR_ARG, "sampler: temperature %g must be >= 0", p->temperature);
    if (p->top_k < 0) return lf_fail(err, LF_ERR_ARG, "sampler: top_k %d must be >= 0", p->top_k);
    if (!(p->top_p > 0 && p->top_p <= 1)) return lf_fail(err, LF_ERR_ARG, "sampler: top_p %g must be in (0, 1]", p->top_p);
    if (!(p->min_p >= 0 && p->min_p <= 1)) return lf_fail(err, LF_ERR_ARG, "sampler: min_p %g must be in [0, 1]", p->min_p);
    if (!(p->typical_p >= 0 && p->typical_p <= 1))
        return lf_fail(err, LF_ERR_ARG, "sampler: typical_p %g must be in [0, 1]", p->typical_p);
    if (!(p->repeat_penalty >= 0 && p->repeat_penalty < INFINITY))
        return lf_fail(err, LF_ERR_ARG, "sampler: repeat_penalty %g must be >= 0 (0 and 1 = off)", p->repeat_penalty);
    if (p->repeat_last_n < -1)
        return lf_fail(err, LF_ERR_ARG, "sampler: repeat_last_n %d must be >= -1", p->repeat_last_n);
    if (!isfinite(p->presence_penalty) || !isfinite(p->frequency_penalty))
        return lf_fail(err, LF_ERR_ARG, "sampler: presence_penalty and frequency_penalty must be finite");
    if (p->n_logit_bias < 0 || (p->n_logit_bias > 0 && !p->logit_bias))
        return lf_fail(err, LF_ERR_ARG, "sampler: logit_bias: %d entries", p->n_logit_bias);
    for (int i = 0; i < p->n_logit_bias; i++) {
        const lf_logit_bias *b = &p->logit_bias[i];
        if (b->token < 0 || b->token >= vocab)
            return lf_fail(err, LF_ERR_ARG, "sampler: logit_bias: token %d is outside the vocabulary [0, %d)",
                           (int)b->token, vocab);
        if (isnan(b->bias) || b->bias == INFINITY)
            return lf_fail(err, LF_ERR_ARG, "sampler: logit_bias: token %d: the bias must be finite or -infinity",
                           (int)b->token);
    }
    return LF_OK;
}

/* True when logit_bias bans every token (seen is vocab zeroed ints of scratch). */
static bool bans_everything(const lf_sampler_params *p, int vocab, int *seen) {
    int banned = 0;
    for (int i = 0; i < p->n_logit_bias; i++)
        if (p->logit_bias[i].bias == -INFINITY && !seen[p->logit_bias[i].token]++) banned++;
    memset(seen, 0, (size_t)vocab * sizeof *seen);
    return banned == vocab;
}

int lf_sampler_create(const lf_sampler_params *params, int vocab_size, lf_sampler **out, lf_error *err) {
    *out = NULL;
    int rc = check_params(params, vocab_size, err);
    if (rc) return rc;
    size_t n = (size_t)vocab_size;
    lf_sampler *s = calloc(1, sizeof *s);
    if (s) {
        s->cands = malloc(n * sizeof *s->cands);
        s->probs = malloc(n * sizeof *s->probs);
        s->scored = malloc(n * sizeof *s->scored);
        s->seen = calloc(n, sizeof *s->seen);
        s->bias = malloc(((size_t)params->n_logit_bias + 1) * sizeof *s->bias);
    }
    if (!s || !s->cands || !s->probs || !s->scored || !s->seen || !s->bias) {
        lf_sampler_free(s);
        return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    }
    if (bans_everything(params, vocab_size, s->seen)) {
        lf_sampler_free(s);
        return lf_fail(err, LF_ERR_ARG, "sampler: logit_bias bans every token of the vocabulary");
    }
    s->p = *params;
    /* 0 is off too, so that params written field by field leave the stages out */
    if (s->p.typical_p == 0) s->p.typical_p = 1;
    if (s->p.repeat_penalty == 0) s->p.repeat_penalty = 1;
    if (params->n_logit_bias) memcpy(s->bias, params->logit_bias, (size_t)params->n_logit_bias * sizeof *s->bias);
    s->p.logit_bias = s->bias;
    s->vocab = vocab_size;
    s->rng_state = params->seed;
    *out = s;
    return LF_OK;
}

void lf_sampler_free(lf_sampler *s) {
    if (!s) return;
    free(s->cands);
    free(s->probs);
    free(s->scored);
    free(s->seen);
    free(s->bias);
    free(s->hist);
    grammar_matcher_free(s->grammar);
    free(s->masked);
    free(s);
}

/* ------------------------------------------------------------ token history */

void lf_sampler_reset(lf_sampler *s) {
    s->n_hist = 0;
    memset(s->seen, 0, (size_t)s->vocab * sizeof *s->seen);
}

void lf_sampler_accept(lf_sampler *s, int32_t token) {
    int window = s->p.repeat_last_n;
    if (token < 0 || token >= s->vocab || window == 0) return;
    if (s->n_hist == s->cap_hist) {
        if (window > 0 && s->n_hist >= 2 * (size_t)window) {
            /* only the window is ever looked at again: slide it to the front */
            memmove(s->hist, s->hist + s->n_hist - (size_t)window, (size_t)window * sizeof *s->hist);
            s->n_hist = (size_t)window;
        } else {
            size_t cap = s->cap_hist ? 2 * s->cap_hist : 256;
            int32_t *h = realloc(s->hist, cap * sizeof *h);
            if (!h) return; /* the penalties then miss this token; sampling goes on */
            s->hist = h;
            s->cap_hist = cap;
        }
    }
    if (window > 0 && s->n_hist >= (size_t)window) s->seen[s->hist[s->n_hist - (size_t)window]]--;
    s->hist[s->n_hist++] = token;
    s->seen[token]++;
}

/* ------------------------------------------------------------------- stages */

static bool penalties_on(const lf_sampler_params *p) {
    return p->repeat_last_n != 0 && (p->repeat_penalty != 1 || p->presence_penalty != 0 || p->frequency_penalty != 0);
}

/* The stages before the first truncation see the whole vocabulary in id order. */
static void apply_logit_bias(lf_sampler *s) {
    for (int i = 0; i < s->p.n_logit_bias; i++) s->cands[s->bias[i].token].logit += s->bias[i].bias;
}

static void apply_penalties(lf_sampler *s) {
    if (!penalties_on(&s->p)) return;
    size_t window = s->p.repeat_last_n < 0 || (size_t)s->p.repeat_last_n > s->n_hist ? s->n_hist
                                                                                      : (size_t)s->p.repeat_last_n;
    const int32_t *h = s->hist + s->n_hist - window;
    /* a token is penalized once however often it occurs: its count is negated meanwhile */
    for (size_t i = 0; i < window; i++) {
        int32_t t = h[i];
        int n = s->seen[t];
        if (n <= 0) continue;
        float *l = &s->cands[t].logit;
        *l = *l > 0 ? *l / s->p.repeat_penalty : *l * s->p.repeat_penalty;
        *l -= (float)n * s->p.frequency_penalty + s->p.presence_penalty;
        s->seen[t] = -n;
    }
    for (size_t i = 0; i < window; i++)
        if (s->seen[h[i]] < 0) s->seen[h[i]] = -s->seen[h[i]];
}

/* Drops the banned (-infinity) candidates; returns how many are left. */
static int drop_banned(candidate *c, int n) {
    int kept = 0;
    for (int i = 0; i < n; i++)
        if (c[i].logit != -INFINITY) c[kept++] = c[i];
    return kept;
}

static void sift_down(candidate *c, int k, int j) {
    for (;;) {
        int l = 2 * j + 1, r = l + 1, m = j;
        if (l < k && c[l].logit < c[m].logit) m = l;
        if (r < k && c[r].logit < c[m].logit) m = r;
        if (m == j) return;
        candidate t = c[j];
        c[j] = c[m];
        c[m] = t;
        j = m;
    }
}

static int by_logit_desc(const void *a, const void *b) {
    const candidate *x = a, *y = b;
    if (x->logit != y->logit) return (x->logit < y->logit) - (x->logit > y->logit);
    return (x->id > y->id) - (x->id < y->id);
}

/* Keeps the k largest logits (a min-heap of size k), sorted. */
static int top_k(candidate *c, int n, int k) {
    if (k <= 0 || k >= n) return n;
    for (int i = k / 2 - 1; i >= 0; i--) sift_down(c, k, i);
    for (int i = k; i < n; i++)
        if (c[i].logit > c[0].logit) {
            c[0] = c[i];
            sift_down(c, k, 0);
        }
    qsort(c, (size_t)k, sizeof *c, by_logit_desc);
    return k;
}

/* probs[i] = softmax of the n candidates' logits. */
static void softmax(const candidate *c, int n, float *probs) {
    float max = c[0].logit;
    for (int i = 1; i < n; i++) max = c[i].logit > max ? c[i].logit : max;
    double sum = 0;
    for (int i = 0; i < n; i++) sum += probs[i] = expf(c[i].logit - max);
    for (int i = 0; i < n; i++) probs[i] = (float)(probs[i] / sum);
}

static int by_score_asc(const void *a, const void *b) {
    float x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return (x > y) - (x < y);
}

/* Locally typical sampling: the tokens whose surprise -log p is closest to the entropy,
 * until their mass exceeds typical_p; they are left in that order. */
static int typical(lf_sampler *s, int n) {
    float *p = s->probs;
    softmax(s->cands, n, p);
    double entropy = 0;
    for (int i = 0; i < n; i++)
        if (p[i] > 0) entropy -= p[i] * log(p[i]);
    for (int i = 0; i < n; i++) s->scored[i] = (scored){fabsf((float)(-log(p[i]) - entropy)), p[i], s->cands[i]};
    qsort(s->scored, (size_t)n, sizeof *s->scored, by_score_asc);
    double cum = 0;
    int kept = n;
    for (int i = 0; i < n; i++) {
        cum += s->scored[i].prob;
        if (cum > s->p.typical_p) {
            kept = i + 1;
            break;
        }
    }
    for (int i = 0; i < kept; i++) s->cands[i] = s->scored[i].c;
    return kept;
}

/* Nucleus: the most likely tokens until their mass reaches top_p. */
static int top_p(lf_sampler *s, int n, bool sorted) {
    float mass = s->p.top_p;
    if (mass >= 1 || n < 2) return n;
    if (!sorted) {
        /* a token of the nucleus has p >= (1 - top_p) / n (the tokens from it on, each no
         * more likely, hold more than 1 - top_p): the rest need no sorting */
        softmax(s->cands, n, s->probs);
        float cutoff = 0.99f * (1 - mass) / (float)n;
        int kept = 0;
        for (int i = 0; i < n; i++)
            if (s->probs[i] >= cutoff) s->cands[kept++] = s->cands[i];
        n = kept;
        qsort(s->cands, (size_t)n, sizeof *s->cands, by_logit_desc);
    }
    softmax(s->cands, n, s->probs);
    double cum = 0;
    for (int i = 0; i < n; i++) {
        cum += s->probs[i];
        if (cum >= mass) return i + 1;
    }
    return n;
}

/* Keeps the tokens at least min_p times as likely as the most likely one. */
static int min_p(lf_sampler *s, int n) {
    if (s->p.min_p <= 0 || n < 2) return n;
    float max = s->cands[0].logit;
    for (int i = 1; i < n; i++) max = s->cands[i].logit > max ? s->cands[i].logit : max;
    float floor = max + logf(s->p.min_p);
    int kept = 0;
    for (int i = 0; i < n; i++)
        if (s->cands[i].logit >= floor) s->cands[kept++] = s->cands[i];
    return kept;
}

/* Greedy keeps the most likely candidate (the lowest id among equals), else the logits
 * are divided by the temperature. */
static int temperature(lf_sampler *s, int n) {
    candidate *c = s->cands;
    if (s->p.temperature <= 0) {
        if (n == 0) return 0;
        int best = 0;
        for (int i = 1; i < n; i++)
            if (c[i].logit > c[best].logit || (c[i].logit == c[best].logit && c[i].id < c[best].id)) best = i;
        c[0] = c[best];
        return 1;
    }
    for (int i = 0; i < n; i++) c[i].logit /= s->p.temperature;
    return n;
}

/* Runs the chain on logits: the survivors end in s->cands[0, count), their draw
 * probabilities in s->probs[0, count). Tokens at -INFINITY (a grammar's mask, a ban) are
 * dropped after logit_bias and the penalties; count is 0 when every token is. */
static int shortlist(lf_sampler *s, const float *logits) {
    int n = s->vocab;
    if (s->p.temperature <= 0 && s->p.typical_p >= 1 && s->p.n_logit_bias == 0 && !penalties_on(&s->p)) {
        /* plain greedy: one pass for the most likely token (the lowest id among equals),
         * not a copy of the vocabulary through the chain (a 128k vocabulary x 8 streams
         * is 2 % of a 1B model's batched step) */
        int best = (int)lf_argmax_f32(logits, n);
        if (best < 0) return 0;
        s->cands[0] = (candidate){logits[best], best};
        s->probs[0] = 1.0f;
        return 1;
    }
    for (int i = 0; i < n; i++) s->cands[i] = (candidate){logits[i], i};
    apply_logit_bias(s);
    apply_penalties(s);
    n = drop_banned(s->cands, n);
    if (s->p.temperature <= 0 && s->p.typical_p >= 1) {
        /* greedy: top_k, top_p and min_p all keep the most likely token, so the chain
         * ends where it would (typical_p may drop it, so it runs the whole chain) */
        n = temperature(s, n);
        if (n) s->probs[0] = 1.0f;
        return n;
    }
    int k = top_k(s->cands, n, s->p.top_k);
    bool sorted = k < n;
    n = k;
    if (s->p.typical_p < 1 && n > 1) {
        n = typical(s, n);
        sorted = false;
    }
    n = top_p(s, n, sorted);
    n = min_p(s, n);
    n = temperature(s, n);
    softmax(s->cands, n, s->probs);
    return n;
}

/* splitmix64: every seed, including 0, gives a good stream. */
static float next_uniform(lf_sampler *s) {
    uint64_t z = (s->rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (float)(z >> 40) / 16777216.0f;
}

bool lf_sampler_is_greedy(const lf_sampler *s) { return s->p.temperature <= 0; }

/* A draw through the chain; -1 when no token is left. */
static int32_t draw_token(lf_sampler *s, const float *logits) {
    int count = shortlist(s, logits);
    if (count == 0) return -1;
    if (count == 1) return s->cands[0].id;
    double r = next_uniform(s), acc = 0;
    for (int i = 0; i < count; i++) {
        acc += s->probs[i];
        if (r < acc) return s->cands[i].id;
    }
    return s->cands[count - 1].id;
}

/* With a grammar, the token drawn from the whole distribution stands when the grammar
 * allows it (the common case, and cheap to check); only otherwise is the vocabulary masked
 * and the draw repeated among the allowed tokens. Without top-k/top-p this is exactly a
 * draw from the masked distribution; with them, the truncation of the first draw sees the
 * refused tokens too (as llama.cpp's grammar sampler does). When the grammar allows
 * nothing more, or logit_bias banned all it allows, the answer ends (EOS). */
int32_t lf_sampler_sample(lf_sampler *s, const float *logits) {
    int32_t id = draw_token(s, logits);
    if (s->grammar) {
        if (id < 0 || !grammar_matcher_allows(s->grammar, id)) {
            int32_t eos = grammar_matcher_eos(s->grammar);
            id = grammar_matcher_mask(s->grammar, logits, s->masked) ? draw_token(s, s->masked) : -1;
            if (id < 0) id = eos;
        }
        if (id >= 0) grammar_matcher_accept(s->grammar, id);
    }
    return id;
}

int lf_sampler_set_grammar(lf_sampler *s, const lf_grammar *g, const lf_tokenizer *tok, lf_error *err) {
    grammar_matcher *m = NULL;
    if (g && !tok) return lf_fail(err, LF_ERR_ARG, "sampler: a grammar needs the tokenizer whose tokens it matches");
    if (g && lf_tokenizer_vocab_size(tok) != s->vocab)
        return lf_fail(err, LF_ERR_ARG, "sampler: the tokenizer has %d tokens, the sampler %d", lf_tokenizer_vocab_size(tok),
                       s->vocab);
    if (!s->masked && g && !(s->masked = malloc((size_t)s->vocab * sizeof *s->masked)))
        return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    int rc = g ? grammar_matcher_create(g, tok, &m, err) : LF_OK;
    if (rc) return rc;
    grammar_matcher_free(s->grammar);
    s->grammar = m;
    return LF_OK;
}

bool lf_sampler_has_grammar(const lf_sampler *s) { return s->grammar != NULL; }

void lf_sampler_probs(lf_sampler *s, const float *logits, float *probs) {
    memset(probs, 0, (size_t)s->vocab * sizeof *probs);
    int count = shortlist(s, logits);
    for (int i = 0; i < count; i++) probs[s->cands[i].id] = s->probs[i];
}

float lf_sampler_uniform(lf_sampler *s) { return next_uniform(s); }

int32_t lf_sampler_draw(lf_sampler *s, const float *weights) {
    double total = 0;
    for (int i = 0; i < s->vocab; i++) total += weights[i];
    if (!(total > 0)) return -1;
    double r = next_uniform(s) * total, acc = 0;
    int32_t last = -1;
    for (int i = 0; i < s->vocab; i++) {
        if (weights[i] <= 0) continue;
        acc += weights[i];
        last = i;
        if (r < acc) return i;
    }
    return last;
}
