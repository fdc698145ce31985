/* Speculative decoding's parts: the acceptance rule keeps the model's distribution
 * (speculative sampling drawn many times against its exact probabilities), prompt
 * lookup's matching, the parameter checks, and on the real stories260K model: greedy
 * ids equal to lf_generate's, the cache holding what was emitted, lf_speculative_step's
 * limits and errors. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llamafast.h"
#include "runtime/draft.h"
#include "runtime/sampler.h"
#include "runtime/speculative.h"
#include "test.h"

enum { V = 6, DRAWS = 200000 };

/* Guesses drawn from q and checked with the rule give tokens distributed as p, and keep
 * sum_x min(p(x), q(x)) of the guesses; q itself is far from p, so a rule that kept every
 * guess would fail. */
static void check_rule(const char *what, lf_sampler_params sp) {
    const float target[V] = {2.0f, 1.0f, 0.5f, -1.0f, 0.0f, 1.5f};
    const float draft[V] = {-1.0f, 2.5f, 0.0f, 1.0f, 0.5f, -0.5f};
    lf_sampler *s = NULL;
    lf_error err = {0};
    if (lf_sampler_create(&sp, V, &s, &err)) {
        CHECK_MSG(false, "%s: %s", what, err.message);
        return;
    }
    float p[V], q[V], scratch_p[V], residual[V];
    lf_sampler_probs(s, target, p);
    lf_sampler_probs(s, draft, q);
    double overlap = 0, far = 0;
    for (int i = 0; i < V; i++) overlap += fmin(p[i], q[i]), far = fmax(far, fabs(p[i] - q[i]));
    CHECK_MSG(far > 0.1, "%s: p and q too close (%.3f) for the test to tell", what, far);
    long hist[V] = {0}, kept_n = 0;
    for (int d = 0; d < DRAWS; d++) {
        int32_t x = lf_sampler_draw(s, q);
        bool kept;
        int32_t t = lf_speculative_pick(s, target, x, q, scratch_p, residual, V, &kept);
        if (t < 0 || t >= V) {
            CHECK_MSG(false, "%s: token %d", what, t);
            break;
        }
        hist[t]++;
        kept_n += kept;
        if (kept && t != x) {
            CHECK_MSG(false, "%s: kept guess %d but returned %d", what, x, t);
            break;
        }
    }
    double worst = 0;
    for (int i = 0; i < V; i++) worst = fmax(worst, fabs((double)hist[i] / DRAWS - p[i]));
    /* one draw's share has a standard deviation below 0.0012 here: 0.006 is five of them */
    CHECK_MSG(worst < 0.006, "%s: token frequencies off p by %.4f", what, worst);
    CHECK_MSG(fabs((double)kept_n / DRAWS - overlap) < 0.006, "%s: kept %.4f of the guesses, expected %.4f", what,
              (double)kept_n / DRAWS, overlap);
    /* a lookup guess (no q): the sampler's own choice, kept when equal */
    bool kept;
    int32_t t = lf_speculative_pick(s, target, 0, NULL, NULL, NULL, V, &kept);
    CHECK(t >= 0 && t < V && kept == (t == 0));
    t = lf_speculative_pick(s, target, -1, NULL, NULL, NULL, V, &kept);
    CHECK(t >= 0 && t < V && !kept);
    lf_sampler_free(s);
}

static void check_lookup(void) {
    const int32_t h[] = {1, 2, 3, 4, 1, 2, 3, 5, 1, 2};
    int32_t out[8] = {0};
    /* the most recent earlier "1 2" is at 4: "3 5 1" follows */
    CHECK(lf_draft_lookup(h, 10, 2, out, 3) == 3 && out[0] == 3 && out[1] == 5 && out[2] == 1);
    CHECK(lf_draft_lookup(h, 10, 3, out, 8) == 0); /* "5 1 2" is new */
    CHECK(lf_draft_lookup(h, 7, 3, out, 8) == 4 && out[0] == 4 && out[3] == 3); /* "1 2 3" at 0 */
    CHECK(lf_draft_lookup(h, 10, 10, out, 8) == 0 && lf_draft_lookup(h, 10, 11, out, 8) == 0);
    CHECK(lf_draft_lookup(h, 10, 0, out, 8) == 0 && lf_draft_lookup(h, 1, 1, out, 8) == 0);
    const int32_t r[] = {7, 8, 7};
    CHECK(lf_draft_lookup(r, 3, 1, out, 5) == 2 && out[0] == 8 && out[1] == 7); /* only what follows */
    const int32_t same[] = {9, 9, 9, 9};
    CHECK(lf_draft_lookup(same, 4, 2, out, 5) == 1 && out[0] == 9); /* overlapping match */
}

typedef struct collected {
    int32_t ids[512];
    int n;
} collected;

static bool collect(int32_t id, const char *text, void *user) {
    (void)text;
    collected *c = user;
    if (id >= 0 && c->n < 512) c->ids[c->n++] = id;
    return true;
}

static lf_context *new_context(const lf_model *m, int n_ctx) {
    lf_context_params cp = lf_context_default_params();
    cp.max_seq_len = n_ctx;
    cp.n_threads = 1; /* stories260K is too small to share: two threads would mostly spin */
    lf_context *ctx = NULL;
    lf_error err = {0};
    if (lf_context_create(m, &cp, &ctx, &err)) {
        fprintf(stderr, "context: %s\n", err.message);
        exit(1);
    }
    return ctx;
}

static lf_sampler *new_sampler(float temperature, uint64_t seed) {
    lf_sampler_params sp = lf_sampler_default_params();
    sp.temperature = temperature;
    sp.top_k = 0;
    sp.top_p = 1;
    sp.seed = seed;
    lf_sampler *s = NULL;
    lf_error err = {0};
    if (lf_sampler_create(&sp, 512, &s, &err)) exit(1);
    return s;
}

static void check_params(lf_context *ctx, lf_context *other) {
    lf_error err = {0};
    lf_speculative_params p = lf_speculative_default_params();
    CHECK(p.max_draft >= 1 && p.max_draft <= LF_MAX_DRAFT && !p.draft && !p.lookup_ngram);
    CHECK(lf_speculative_check(ctx, &p, &err) == LF_OK);
    p.lookup_ngram = LF_MAX_DRAFT + 1;
    CHECK(lf_speculative_check(ctx, &p, &err) == LF_ERR_ARG && strstr(err.message, "n-gram"));
    p.lookup_ngram = -1;
    CHECK(lf_speculative_check(ctx, &p, &err) == LF_ERR_ARG);
    p.lookup_ngram = 2;
    p.max_draft = 0;
    CHECK(lf_speculative_check(ctx, &p, &err) == LF_ERR_ARG && strstr(err.message, "max_draft"));
    p.max_draft = LF_MAX_DRAFT + 1;
    CHECK(lf_speculative_check(ctx, &p, &err) == LF_ERR_ARG);
    p.max_draft = 4;
    p.draft = other;
    CHECK(lf_speculative_check(ctx, &p, &err) == LF_ERR_ARG && strstr(err.message, "together"));
    p.lookup_ngram = 0;
    CHECK(lf_speculative_check(ctx, &p, &err) == LF_OK);
    p.draft = ctx;
    CHECK(lf_speculative_check(ctx, &p, &err) == LF_ERR_ARG && strstr(err.message, "own context"));
}

/* Greedy generation with guesses gives lf_generate's ids, and leaves the cache holding
 * the prompt and every emitted token but the last, as lf_generate does. */
static void check_generate(const lf_model *m, const lf_speculative_params *p, const char *what) {
    const int32_t prompt[] = {1};
    lf_context *ctx = new_context(m, 512);
    lf_sampler *s = new_sampler(0, 1);
    lf_error err = {0};
    collected plain = {0}, spec = {0};
    lf_generate_stats st;
    CHECK(lf_generate(ctx, s, prompt, 1, 300, collect, &plain, &st, &err) == LF_OK);
    lf_context_truncate(ctx, 0);
    CHECK(lf_generate_speculative(ctx, s, p, prompt, 1, 300, collect, &spec, &st, &err) == LF_OK);
    CHECK_MSG(plain.n == spec.n && !memcmp(plain.ids, spec.ids, plain.n * sizeof *plain.ids),
              "%s: %d ids against %d, or different", what, spec.n, plain.n);
    CHECK_MSG(st.n_drafted > 0 && st.n_accepted > 0 && st.n_accepted <= st.n_drafted, "%s: %d of %d accepted",
              what, st.n_accepted, st.n_drafted);
    int decoded = st.n_generated - 1;
    CHECK(lf_context_position(ctx) == 1 + decoded &&
          !memcmp(lf_context_tokens(ctx) + 1, spec.ids, decoded * sizeof *spec.ids));
    lf_sampler_free(s);
    lf_context_free(ctx);
}

static void check_step(const lf_model *m) {
    lf_context *ctx = new_context(m, 8);
    lf_sampler *s = new_sampler(0, 1);
    lf_error err = {0};
    lf_speculative_params p = lf_speculative_default_params();
    p.lookup_ngram = 1;
    const int32_t prompt[] = {1, 5, 6, 5};
    CHECK(lf_decode(ctx, prompt, 4, &err) == LF_OK);
    int32_t out[LF_MAX_DRAFT + 1];
    lf_generate_stats st = {0};
    /* max_out 1: no guesses, one token, the last one decoded */
    CHECK(lf_speculative_step(ctx, s, &p, 6, out, 1, &st, &err) == 1 && st.n_drafted == 0);
    CHECK(lf_context_position(ctx) == 5);
    CHECK(lf_speculative_step(ctx, s, &p, 512, out, 4, &st, &err) == LF_ERR_ARG);
    CHECK(lf_speculative_step(ctx, s, &p, -1, out, 4, &st, &err) == LF_ERR_ARG);
    CHECK(lf_speculative_step(ctx, s, &p, 6, out, 0, &st, &err) == LF_ERR_ARG);
    /* "6" was seen after "5": guessed; at most room - 1 guesses fit the 8 positions */
    int n = lf_speculative_step(ctx, s, &p, 5, out, LF_MAX_DRAFT + 1, &st, &err);
    CHECK_MSG(n >= 1 && st.n_drafted >= 1 && lf_context_position(ctx) == 5 + n && lf_context_position(ctx) <= 8,
              "step gave %d, %d drafted, position %d", n, st.n_drafted, lf_context_position(ctx));
    while (lf_context_position(ctx) < 8) {
        int32_t last = out[n - 1];
        n = lf_speculative_step(ctx, s, &p, last, out, LF_MAX_DRAFT + 1, &st, &err);
        if (n < 1) break;
    }
    CHECK(lf_context_position(ctx) == 8);
    CHECK(lf_speculative_step(ctx, s, &p, 1, out, 4, &st, &err) == LF_ERR_CONTEXT_FULL);
    lf_sampler_free(s);
    lf_context_free(ctx);
}

/* A model drafting for itself while sampling: p = q up to rounding, so nearly every
 * guess is kept (the rule never rejects a guess whose p is at least its q). */
static void check_sampled_self_draft(const lf_model *m) {
    lf_context *ctx = new_context(m, 512), *draft = new_context(m, 512);
    lf_sampler *s = new_sampler(1.0f, 7);
    lf_error err = {0};
    lf_speculative_params p = lf_speculative_default_params();
    p.draft = draft;
    const int32_t prompt[] = {1};
    collected got = {0};
    lf_generate_stats st;
    CHECK(lf_generate_speculative(ctx, s, &p, prompt, 1, 200, collect, &got, &st, &err) == LF_OK);
    CHECK_MSG(st.n_generated == 200 && st.n_drafted > 100 && st.n_accepted * 10 >= st.n_drafted * 9,
              "sampled self draft: %d generated, %d of %d accepted", st.n_generated, st.n_accepted, st.n_drafted);
    lf_sampler_free(s);
    lf_context_free(draft);
    lf_context_free(ctx);
}

int main(void) {
    lf_sampler_params sp = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .seed = 3};
    check_rule("temperature 1", sp);
    sp = (lf_sampler_params){.temperature = 0.7f, .top_k = 4, .top_p = 0.9f, .seed = 5};
    check_rule("temperature 0.7, top-k 4, top-p 0.9", sp);
    check_lookup();

    char path[1024];
    snprintf(path, sizeof path, "%s/models/stories260K.bin", test_data_dir());
    lf_model *m = NULL;
    lf_error err = {0};
    CHECK_MSG(lf_model_load(path, NULL, &m, &err) == LF_OK, "%s", err.message);
    if (m) {
        lf_context *a = new_context(m, 64), *b = new_context(m, 64);
        check_params(a, b);
        lf_context_free(a);
        lf_context_free(b);
        lf_speculative_params p = lf_speculative_default_params();
        p.lookup_ngram = 2;
        check_generate(m, &p, "lookup 2");
        p.lookup_ngram = 4;
        p.max_draft = LF_MAX_DRAFT;
        check_generate(m, &p, "lookup 4, 64 guesses");
        lf_context *draft = new_context(m, 512);
        p = lf_speculative_default_params();
        p.draft = draft;
        check_generate(m, &p, "self draft");
        lf_context_free(draft);
        check_step(m);
        check_sampled_self_draft(m);
        lf_model_free(m);
    }
    TEST_MAIN_END();
}
