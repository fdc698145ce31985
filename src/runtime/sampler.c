/* Token sampling: greedy, or temperature → top-k → top-p (nucleus) → draw. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "grammar/grammar_matcher.h"
#include "runtime/sampler.h"

typedef struct candidate {
    float prob;
    int32_t id;
} candidate;

struct lf_sampler {
    lf_sampler_params p;
    int vocab;
    uint64_t rng_state;
    candidate *cands;
    grammar_matcher *grammar; /* NULL = unconstrained */
    float *masked;            /* logits with the tokens the grammar refuses at -inf */
};

lf_sampler_params lf_sampler_default_params(void) {
    lf_sampler_params p = {.temperature = 0.8f, .top_k = 40, .top_p = 0.95f, .seed = 42};
    return p;
}

int lf_sampler_create(const lf_sampler_params *params, int vocab_size, lf_sampler **out, lf_error *err) {
    *out = NULL;
    if (!(params->temperature >= 0) || params->top_k < 0 || !(params->top_p > 0 && params->top_p <= 1))
        return lf_fail(err, LF_ERR_ARG, "sampler: temperature must be >= 0, top_k >= 0 and top_p in (0, 1]");
    if (vocab_size < 1) return lf_fail(err, LF_ERR_ARG, "sampler: vocabulary size %d", vocab_size);
    lf_sampler *s = calloc(1, sizeof *s);
    candidate *c = malloc((size_t)vocab_size * sizeof *c);
    if (!s || !c) {
        free(s);
        free(c);
        return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    }
    s->p = *params;
    s->vocab = vocab_size;
    s->rng_state = params->seed;
    s->cands = c;
    *out = s;
    return LF_OK;
}

void lf_sampler_free(lf_sampler *s) {
    if (!s) return;
    free(s->cands);
    grammar_matcher_free(s->grammar);
    free(s->masked);
    free(s);
}

/* splitmix64: every seed, including 0, gives a good stream. */
static float next_uniform(lf_sampler *s) {
    uint64_t z = (s->rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (float)(z >> 40) / 16777216.0f;
}

static int32_t argmax(const float *x, int n) {
    int32_t best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

static int by_prob_desc(const void *a, const void *b) {
    float pa = ((const candidate *)a)->prob, pb = ((const candidate *)b)->prob;
    return (pa < pb) - (pa > pb);
}

/* Moves the k most probable candidates to the front (a min-heap of size k). */
static void keep_top_k(candidate *c, int n, int k) {
    for (int i = k / 2 - 1; i >= 0; i--)
        for (int j = i;;) {
            int l = 2 * j + 1, r = l + 1, m = j;
            if (l < k && c[l].prob < c[m].prob) m = l;
            if (r < k && c[r].prob < c[m].prob) m = r;
            if (m == j) break;
            candidate t = c[j]; c[j] = c[m]; c[m] = t; j = m;
        }
    for (int i = k; i < n; i++) {
        if (c[i].prob <= c[0].prob) continue;
        c[0] = c[i];
        for (int j = 0;;) {
            int l = 2 * j + 1, r = l + 1, m = j;
            if (l < k && c[l].prob < c[m].prob) m = l;
            if (r < k && c[r].prob < c[m].prob) m = r;
            if (m == j) break;
            candidate t = c[j]; c[j] = c[m]; c[m] = t; j = m;
        }
    }
}

/* Temperature, top-k and top-p: leaves the candidates kept, with unnormalized
 * probabilities, in s->cands[0, count) and returns count. */
static int shortlist(lf_sampler *s, const float *logits) {
    int n = s->vocab;
    float max = logits[argmax(logits, n)], inv_t = 1.0f / s->p.temperature;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        float p = expf((logits[i] - max) * inv_t);
        s->cands[i] = (candidate){p, i};
        sum += p;
    }
    int count = n;
    if (s->p.top_k > 0 && s->p.top_k < n) {
        keep_top_k(s->cands, n, s->p.top_k);
        count = s->p.top_k;
    }
    if (s->p.top_p < 1.0f) {
        /* candidates below this share of the mass can never be inside the nucleus */
        float cutoff = (float)((1.0 - s->p.top_p) / (n - 1) * sum);
        int kept = 0;
        for (int i = 0; i < count; i++)
            if (s->cands[i].prob >= cutoff) s->cands[kept++] = s->cands[i];
        count = kept > 0 ? kept : 1;
        qsort(s->cands, (size_t)count, sizeof *s->cands, by_prob_desc);
        double acc = 0, target = s->p.top_p * sum;
        for (int i = 0; i < count; i++) {
            acc += s->cands[i].prob;
            if (acc >= target) {
                count = i + 1;
                break;
            }
        }
    }
    return count;
}

static int32_t draw_token(lf_sampler *s, const float *logits) {
    if (lf_sampler_is_greedy(s)) return argmax(logits, s->vocab);
    int count = shortlist(s, logits);
    double total = 0;
    for (int i = 0; i < count; i++) total += s->cands[i].prob;
    double r = next_uniform(s) * total, acc = 0;
    for (int i = 0; i < count; i++) {
        acc += s->cands[i].prob;
        if (r < acc) return s->cands[i].id;
    }
    return s->cands[count - 1].id;
}

/* With a grammar, the token drawn from the whole distribution stands when the grammar
 * allows it (the common case, and cheap to check); only otherwise is the vocabulary masked
 * and the draw repeated among the allowed tokens. Without top-k/top-p this is exactly a
 * draw from the masked distribution; with them, the truncation of the first draw sees the
 * refused tokens too (as llama.cpp's grammar sampler does). */
int32_t lf_sampler_sample(lf_sampler *s, const float *logits) {
    int32_t id = draw_token(s, logits);
    if (s->grammar) {
        if (!grammar_matcher_allows(s->grammar, id)) {
            int32_t eos = grammar_matcher_eos(s->grammar); /* when nothing is allowed */
            id = grammar_matcher_mask(s->grammar, logits, s->masked) ? draw_token(s, s->masked) : eos >= 0 ? eos : id;
        }
        grammar_matcher_accept(s->grammar, id);
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

bool lf_sampler_is_greedy(const lf_sampler *s) { return s->p.temperature <= 0; }

void lf_sampler_probs(lf_sampler *s, const float *logits, float *probs) {
    memset(probs, 0, (size_t)s->vocab * sizeof *probs);
    if (lf_sampler_is_greedy(s)) {
        probs[argmax(logits, s->vocab)] = 1;
        return;
    }
    int count = shortlist(s, logits);
    double total = 0;
    for (int i = 0; i < count; i++) total += s->cands[i].prob;
    for (int i = 0; i < count; i++) probs[s->cands[i].id] = (float)(s->cands[i].prob / total);
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
