/* The generation loop: prefill the prompt in batches, then sample and decode, streaming
 * text through the callback. With speculative decoding each step decodes the last token
 * together with guesses of the next ones and keeps the guesses the model agrees with. */
#include <stdlib.h>
#include <time.h>

#include "core/error.h"
#include "runtime/context.h"
#include "runtime/draft.h"
#include "runtime/sampler.h"

#define MAX_DRAFT 64

double lf_time_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

lf_speculative_params lf_speculative_default_params(void) {
    return (lf_speculative_params){.draft = NULL, .lookup_ngram = 0, .max_draft = 10};
}

typedef struct emitter {
    const lf_tokenizer *tok;
    lf_detokenizer detok;
    lf_token_callback cb;
    void *user;
    lf_generate_stats *st;
    int max_new;
} emitter;

/* Hands a sampled token to the caller; false when generation ends with it (end of
 * generation, which is not passed on, the caller's stop, or max_new reached). */
static bool emit(emitter *e, int32_t id) {
    if (e->tok && lf_token_is_end_of_generation(e->tok, id)) {
        e->st->stopped_by_eog = true;
        return false;
    }
    e->st->n_generated++;
    char text[256] = "";
    if (e->tok) lf_detokenizer_push(&e->detok, id, text, sizeof text);
    if (e->cb && !e->cb(id, text, e->user)) return false;
    return e->st->n_generated < e->max_new;
}

typedef struct speculation {
    const lf_speculative_params *p;
    float *q; /* draft model at temperature > 0: the distribution of each guess */
    float *p_target, *residual; /* vocab floats each, for the same */
    int vocab;
} speculation;

int lf_speculative_check(const lf_context *ctx, const lf_speculative_params *p, lf_error *err) {
    if (p->lookup_ngram < 0 || p->lookup_ngram > MAX_DRAFT)
        return lf_fail(err, LF_ERR_ARG, "lookup n-gram size %d is outside [0, %d]", p->lookup_ngram, MAX_DRAFT);
    if (p->max_draft < 1 || p->max_draft > MAX_DRAFT)
        return lf_fail(err, LF_ERR_ARG, "max_draft %d is outside [1, %d]", p->max_draft, MAX_DRAFT);
    if (p->draft && p->lookup_ngram)
        return lf_fail(err, LF_ERR_ARG, "a draft model and prompt lookup cannot be used together: choose one");
    if (p->draft == ctx) return lf_fail(err, LF_ERR_ARG, "the draft context is the model's own context");
    return p->draft ? lf_draft_check_vocab(ctx->model, p->draft->model, err) : LF_OK;
}

/* Guesses of the tokens after ctx's tokens and last (at most k); fills q for a sampling
 * draft model. */
static int guess(lf_context *ctx, lf_sampler *s, speculation *sp, int32_t last, int32_t *out, int k, lf_error *err) {
    if (k < 1 || (!sp->p->draft && !sp->p->lookup_ngram)) return 0;
    /* the slot the verification step writes the same id to */
    ctx->tokens[ctx->pos] = last;
    int n = ctx->pos + 1;
    if (sp->p->lookup_ngram) return lf_draft_lookup(ctx->tokens, n, sp->p->lookup_ngram, out, k);
    return lf_draft_model(sp->p->draft, s, ctx->tokens, n, out, sp->q, k, err);
}

/* The token the model picks from logits at a position, and whether that keeps the guess
 * there (guessed < 0: none). A sampling draft model's guess x is kept with probability
 * min(1, p(x)/q(x)), and a rejected one replaced by a draw from max(0, p - q), so the
 * token follows p exactly. Greedy samplers and lookup guesses (q all on the guess)
 * reduce to: take the model's own choice, and keep the guess when they are equal. */
static int32_t pick(lf_sampler *s, speculation *sp, const float *logits, int32_t guessed, const float *q,
                    bool *kept) {
    if (guessed < 0 || !q || lf_sampler_is_greedy(s)) {
        int32_t t = lf_sampler_sample(s, logits);
        *kept = t == guessed;
        return t;
    }
    float *p = sp->p_target;
    lf_sampler_probs(s, logits, p);
    *kept = lf_sampler_uniform(s) * q[guessed] < p[guessed];
    if (*kept) return guessed;
    for (int i = 0; i < sp->vocab; i++) sp->residual[i] = p[i] > q[i] ? p[i] - q[i] : 0;
    int32_t t = lf_sampler_draw(s, sp->residual);
    return t >= 0 ? t : lf_sampler_draw(s, p);
}

/* Decodes last and the guesses in one step, keeping the logits of every position (read
 * with step_logits) whatever the context was created with. */
static int verify(lf_context *ctx, const int32_t *batch, int n, lf_error *err) {
    bool all = ctx->logits_all;
    ctx->logits_all = all || n > 1;
    int rc = lf_decode(ctx, batch, n, err);
    ctx->logits_all = all;
    return rc;
}

static const float *step_logits(const lf_context *ctx, int i) {
    return ctx->logits + (size_t)i * ctx->model->cfg.vocab_size;
}

static int speculation_init(speculation *sp, const lf_context *ctx, lf_sampler *s, const lf_speculative_params *p,
                            lf_error *err) {
    *sp = (speculation){.p = p, .vocab = ctx->model->cfg.vocab_size};
    int rc = lf_speculative_check(ctx, p, err);
    if (rc || !p->draft || lf_sampler_is_greedy(s)) return rc;
    sp->q = malloc((size_t)p->max_draft * sp->vocab * sizeof(float));
    sp->p_target = malloc((size_t)sp->vocab * sizeof(float));
    sp->residual = malloc((size_t)sp->vocab * sizeof(float));
    if (!sp->q || !sp->p_target || !sp->residual) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    return LF_OK;
}

static void speculation_free(speculation *sp) {
    free(sp->q);
    free(sp->p_target);
    free(sp->residual);
}

/* Sampling and decoding after the prefill: each step decodes the previous token and the
 * guesses, emits the tokens the model agrees with and its own next one, and forgets the
 * cache entries of the rest. The last token emitted is never decoded. */
static int decode_loop(lf_context *ctx, lf_sampler *s, speculation *sp, emitter *e, double t0, double *t_first,
                       lf_error *err) {
    lf_generate_stats *st = e->st;
    int32_t batch[MAX_DRAFT + 1];
    int32_t id = lf_sampler_sample(s, lf_context_logits(ctx));
    *t_first = lf_time_ms();
    st->ttft_ms = *t_first - t0;
    if (!emit(e, id)) return LF_OK;
    for (;;) {
        int room = lf_context_size(ctx) - lf_context_position(ctx);
        if (room < 1) return LF_OK;
        /* a step emits at most k + 1 tokens: guesses beyond what is left to emit are waste */
        int k = e->max_new - st->n_generated - 1;
        if (k > room - 1) k = room - 1;
        if (k > sp->p->max_draft) k = sp->p->max_draft;
        int n_guess = guess(ctx, s, sp, id, batch + 1, k, err);
        if (n_guess < 0) return n_guess;
        st->n_drafted += n_guess;
        batch[0] = id;
        int pos0 = lf_context_position(ctx), rc = verify(ctx, batch, n_guess + 1, err);
        if (rc) return rc;
        int m = 0;
        bool kept, more;
        do {
            const float *logits = step_logits(ctx, m);
            int32_t guessed = m < n_guess ? batch[m + 1] : -1;
            id = pick(s, sp, logits, guessed, sp->q ? sp->q + (size_t)m * sp->vocab : NULL, &kept);
            st->n_accepted += kept;
            more = emit(e, id);
        } while (more && kept && ++m <= n_guess);
        lf_context_truncate(ctx, pos0 + 1 + m);
        if (!more) return LF_OK;
    }
}

int lf_generate_speculative(lf_context *ctx, lf_sampler *sampler, const lf_speculative_params *spec,
                            const int32_t *prompt, int n_prompt, int max_new_tokens, lf_token_callback cb,
                            void *user, lf_generate_stats *stats, lf_error *err) {
    lf_generate_stats st = {.n_prompt = n_prompt};
    if (stats) *stats = st;
    if (n_prompt < 1) return lf_fail(err, LF_ERR_ARG, "the prompt is empty (no tokens, not even BOS)");
    if (max_new_tokens < 0) return lf_fail(err, LF_ERR_ARG, "max_new_tokens %d is negative", max_new_tokens);
    lf_speculative_params none = lf_speculative_default_params();
    speculation sp;
    int rc = speculation_init(&sp, ctx, sampler, spec ? spec : &none, err);
    emitter e = {.tok = ctx->model->tokenizer, .cb = cb, .user = user, .st = &st, .max_new = max_new_tokens};
    if (e.tok) lf_detokenizer_init(&e.detok, e.tok);
    double t0 = lf_time_ms(), t_first = 0;
    if (!rc) rc = lf_decode(ctx, prompt, n_prompt, err);
    if (!rc) {
        st.prefill_ms = lf_time_ms() - t0;
        if (max_new_tokens > 0) rc = decode_loop(ctx, sampler, &sp, &e, t0, &t_first, err);
    }
    speculation_free(&sp);
    if (rc) return rc;
    if (e.tok && cb) {
        char text[256] = "";
        if (lf_detokenizer_flush(&e.detok, text, sizeof text) > 0) cb(-1, text, user);
    }
    st.decode_ms = st.n_generated > 0 ? lf_time_ms() - t_first : 0;
    if (stats) *stats = st;
    return LF_OK;
}

int lf_generate(lf_context *ctx, lf_sampler *sampler, const int32_t *prompt, int n_prompt, int max_new_tokens,
                lf_token_callback cb, void *user, lf_generate_stats *stats, lf_error *err) {
    return lf_generate_speculative(ctx, sampler, NULL, prompt, n_prompt, max_new_tokens, cb, user, stats, err);
}
