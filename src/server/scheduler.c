#include "server/scheduler.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/stop_match.h"

/* Tokens per model step, shared by the decoding rows of every generating slot and the
 * prompt chunks of the others (continuous batching): all of them go through the weights
 * once, and a long prompt takes what the decoding rows leave, so it delays the running
 * streams' next token by one such step at most. */
#define STEP_TOKENS LF_DECODE_MULTI_MAX_TOKENS

typedef struct task {
    struct task *next;
    job *job;
    int choice;
    int32_t *prompt;
    int n_prompt;
    bool reuse_prefix;
    bool constrained;  /* the sampler follows a grammar */
    int n_prefilled;   /* -1 until the slot's cache has been set up for the prompt */
    int n_generated;
    double first_token_ms; /* when the first token was sampled */
    _Atomic double *last_rate; /* the scheduler's, set when the choice ends */
    int32_t last;      /* the sampled token, decoded at the next step */
    lf_sampler *sampler;
    lf_detokenizer detok;
    stop_matcher stop;
} task;

typedef struct slot {
    lf_context *ctx;
    lf_speculative_params spec; /* with this slot's draft context, if any */
    task *task;
    /* what /slots shows, published by the scheduler thread after each step */
    atomic_bool busy;
    atomic_int n_cached, n_generated;
} slot;

/* The slots that take part in one batched step, and what each decodes. */
typedef struct step_batch {
    lf_context **ctxs;
    const int32_t **tokens;
    int *counts;
    slot **slots;
    int n;
} step_batch;

struct scheduler {
    const lf_model *model;
    int vocab_size, n_ctx;
    slot *slots;
    int n_slots, queue_size;
    int step_tokens;  /* tokens one step decodes at most: the context's batch size */
    step_batch batch; /* room for every slot */
    pthread_t thread;
    bool thread_started;
    /* guards everything below; slots belong to the scheduler thread alone */
    pthread_mutex_t mutex;
    pthread_cond_t work;
    bool stopping;
    task *wait_head, *wait_tail; /* choices without a slot, oldest first */
    int n_waiting, n_running;
    _Atomic double last_rate;    /* tokens per second of the last choice that ended */
};

static int fail(lf_error *err, int code, const char *message) {
    if (err) {
        err->code = code;
        snprintf(err->message, sizeof err->message, "%s", message);
    }
    return code;
}

static void task_free(task *t) {
    lf_sampler_free(t->sampler);
    stop_matcher_free(&t->stop);
    job_release(t->job);
    free(t->prompt);
    free(t);
}

/* Ends a choice (error: a FINISH_ERROR message) and frees it. */
static void task_close(task *t, finish_reason why, const char *error) {
    if (t->n_generated > 1)
        atomic_store(t->last_rate, (t->n_generated - 1) * 1000.0 / (lf_time_ms() - t->first_token_ms + 1e-9));
    job_finish(t->job, t->choice, why, t->n_generated, error);
    task_free(t);
}

/* Ends a choice for a reason other than a stop string: the text held back (an
 * incomplete UTF-8 sequence, the possible start of a stop string) goes out first. */
static void task_end(task *t, finish_reason why) {
    char tail[64];
    int n = lf_detokenizer_flush(&t->detok, tail, sizeof tail);
    int rc = stop_matcher_finish(&t->stop, tail, n > 0 ? (size_t)n : 0);
    if (rc < 0 || (t->stop.n_out && job_push_text(t->job, t->choice, t->stop.out, t->stop.n_out)))
        task_close(t, FINISH_ERROR, "out of memory");
    else task_close(t, rc == 1 ? FINISH_STOP : why, NULL);
}

/* Sends the log-probability of token id under logits when the job asked for them. */
static int push_logprob(scheduler *s, task *t, int32_t id, const float *logits) {
    if (t->job->logprobs < 0) return 0;
    token_logprob lp = {.id = id, .known = logits != NULL, .n_top = t->job->logprobs};
    if (logits) lp.logprob = lf_logprobs(logits, s->vocab_size, id, lp.top, lp.n_top);
    else lp.n_top = 0;
    return job_push_logprob(t->job, t->choice, &lp);
}

/* Takes a token sampled from logits, which would be decoded at position next_pos: streams
 * its text (and log-probability), or ends the choice. Returns false when the choice ended
 * (t is freed). */
static bool task_accept(scheduler *s, task *t, int32_t id, const float *logits, int next_pos) {
    const lf_tokenizer *tok = lf_model_tokenizer(s->model);
    if (lf_token_is_end_of_generation(tok, id)) {
        task_end(t, FINISH_STOP);
        return false;
    }
    if (push_logprob(s, t, id, logits)) {
        task_close(t, FINISH_ERROR, "out of memory");
        return false;
    }
    if (t->n_generated++ == 0) t->first_token_ms = lf_time_ms();
    t->last = id;
    char text[512];
    int n = lf_detokenizer_push(&t->detok, id, text, sizeof text);
    int rc = stop_matcher_push(&t->stop, text, n > 0 ? (size_t)n : 0);
    if (rc < 0 || (t->stop.n_out && job_push_text(t->job, t->choice, t->stop.out, t->stop.n_out))) {
        task_close(t, FINISH_ERROR, "out of memory");
        return false;
    }
    if (rc == 1) {
        task_close(t, FINISH_STOP, NULL);
        return false;
    }
    if (t->n_generated == t->job->max_tokens || next_pos >= s->n_ctx) {
        task_end(t, FINISH_LENGTH);
        return false;
    }
    return true;
}

/* Streams the tokens of a decoding step that began at position pos0 (the last token's),
 * and forgets the cache entries of those after the choice ended. Returns false when it
 * ended. */
static bool accept_step(scheduler *s, slot *sl, const int32_t *out, int n, int pos0) {
    for (int j = 0; j < n; j++)
        if (!task_accept(s, sl->task, out[j], lf_context_logits_row(sl->ctx, j), pos0 + 1 + j)) {
            lf_context_truncate(sl->ctx, pos0 + 1 + j);
            return false;
        }
    return true;
}

/* The token after the prompt. The penalties count the prompt's tokens, as llama.cpp
 * does; lf_speculative_step accepts the tokens after this one. */
static int32_t first_token(task *t, const float *logits) {
    for (int i = 0; i < t->n_prompt; i++) lf_sampler_accept(t->sampler, t->prompt[i]);
    int32_t id = lf_sampler_sample(t->sampler, logits);
    lf_sampler_accept(t->sampler, id);
    return id;
}

/* A token after the first, outside lf_speculative_step: drawn and recorded. */
static int32_t next_token(task *t, const float *logits) {
    int32_t id = lf_sampler_sample(t->sampler, logits);
    lf_sampler_accept(t->sampler, id);
    return id;
}

/* Ends the slot's choice with an error, forgetting a cache that may hold a partial step
 * rather than reusing it. */
static void slot_fail(slot *sl, const char *message) {
    lf_context_truncate(sl->ctx, 0);
    task_close(sl->task, FINISH_ERROR, message);
    sl->task = NULL;
}

/* Before a step: ends a cancelled choice, and sets up the cache for a new one's prompt.
 * Returns false when the slot has no choice any more. */
static bool slot_prepare(scheduler *s, slot *sl) {
    task *t = sl->task;
    if (job_is_cancelled(t->job)) {
        task_close(t, FINISH_ERROR, "cancelled");
        sl->task = NULL;
        return false;
    }
    bool scored = t->job->prompt_logprobs;
    if (t->n_prefilled < 0) {
        /* a scored prompt needs the logits of all of it: none comes from the cache */
        if (!t->reuse_prefix || scored) lf_context_truncate(sl->ctx, 0);
        t->n_prefilled = lf_context_keep_prefix(sl->ctx, t->prompt, t->n_prompt);
        if (scored && push_logprob(s, t, t->prompt[0], NULL)) {
            slot_fail(sl, "out of memory");
            return false;
        }
    }
    return true;
}

/* Guesses are drawn without the grammar: a constrained answer decodes in the batch. */
static bool slot_speculates(const slot *sl) {
    return (sl->spec.draft || sl->spec.lookup_ngram) && !sl->task->constrained;
}

/* A speculative decoding step of the slot's own (maybe several tokens): drafting and
 * verifying guesses is per conversation, so such a slot decodes apart from the batch. */
static void slot_speculative_step(scheduler *s, slot *sl) {
    task *t = sl->task;
    lf_error err = {0};
    int32_t out[LF_MAX_DRAFT + 1];
    int pos0 = lf_context_position(sl->ctx);
    int left = t->job->max_tokens ? t->job->max_tokens - t->n_generated : LF_MAX_DRAFT + 1;
    int n_out = lf_speculative_step(sl->ctx, t->sampler, &sl->spec, t->last, out,
                                    left < LF_MAX_DRAFT + 1 ? left : LF_MAX_DRAFT + 1, NULL, &err);
    if (n_out < 0) slot_fail(sl, err.message);
    else if (!accept_step(s, sl, out, n_out, pos0)) sl->task = NULL;
}

/* A prompt chunk whose every token's logits are kept (echo with logprobs: each prompt
 * token gets the logprob the tokens before it give it), in a forward pass of its own. */
static void slot_scored_prefill(scheduler *s, slot *sl, int n) {
    task *t = sl->task;
    lf_error err = {0};
    int rc = lf_decode_logits_from(sl->ctx, t->prompt + t->n_prefilled, n, 0, &err);
    /* row j predicts the prompt token after the chunk's j-th */
    for (int j = 0; !rc && j < n && t->n_prefilled + j + 1 < t->n_prompt; j++)
        if (push_logprob(s, t, t->prompt[t->n_prefilled + j + 1], lf_context_logits_row(sl->ctx, j)))
            rc = fail(&err, LF_ERR_NOMEM, "out of memory");
    if (rc) {
        slot_fail(sl, err.message);
        return;
    }
    t->n_prefilled += n;
    if (t->n_prefilled < t->n_prompt) return;
    const float *logits = lf_context_logits_row(sl->ctx, n - 1);
    if (!task_accept(s, t, first_token(t, logits), logits, lf_context_position(sl->ctx))) sl->task = NULL;
}

static void batch_add(step_batch *b, slot *sl, const int32_t *tokens, int n) {
    b->ctxs[b->n] = sl->ctx;
    b->tokens[b->n] = tokens;
    b->counts[b->n] = n;
    b->slots[b->n++] = sl;
}

/* One step of every busy slot: a generated token to decode, or a prompt chunk within
 * what the decoding rows leave of step_tokens, all in one forward pass; then each slot
 * whose prompt is done, or that decoded, samples its next token. */
static void run_step(scheduler *s) {
    step_batch *b = &s->batch;
    b->n = 0;
    int budget = s->step_tokens;
    for (int i = 0; i < s->n_slots; i++) {
        slot *sl = &s->slots[i];
        if (!sl->task || sl->task->n_prefilled < sl->task->n_prompt) continue;
        if (slot_speculates(sl)) slot_speculative_step(s, sl);
        else batch_add(b, sl, &sl->task->last, 1), budget--;
    }
    for (int i = 0; i < s->n_slots && budget > 0; i++) {
        task *t = s->slots[i].task;
        if (!t || t->n_prefilled >= t->n_prompt) continue;
        int n = t->n_prompt - t->n_prefilled < budget ? t->n_prompt - t->n_prefilled : budget;
        if (t->job->prompt_logprobs) slot_scored_prefill(s, &s->slots[i], n);
        else batch_add(b, &s->slots[i], t->prompt + t->n_prefilled, n);
        budget -= n;
    }
    if (!b->n) return;
    lf_error err = {0};
    int rc = lf_decode_multi(b->ctxs, b->tokens, b->counts, b->n, &err);
    for (int i = 0; i < b->n; i++) {
        slot *sl = b->slots[i];
        task *t = sl->task;
        if (rc) {
            slot_fail(sl, err.message);
            continue;
        }
        bool prompt = t->n_prefilled < t->n_prompt;
        if (prompt) {
            t->n_prefilled += b->counts[i];
            if (t->n_prefilled < t->n_prompt) continue;
        }
        const float *logits = lf_context_logits(sl->ctx);
        int32_t id = prompt ? first_token(t, logits) : next_token(t, logits);
        if (!task_accept(s, t, id, logits, lf_context_position(sl->ctx))) sl->task = NULL;
    }
}

static int common_prefix(const int32_t *a, int na, const int32_t *b, int nb) {
    int i = 0;
    while (i < na && i < nb && a[i] == b[i]) i++;
    return i;
}

/* Gives waiting choices, oldest first, the free slot whose cache shares the longest
 * prefix with their prompt. Called with the mutex held. */
static void assign_slots(scheduler *s) {
    while (s->wait_head) {
        int best = -1, best_len = -1;
        for (int i = 0; i < s->n_slots; i++) {
            if (s->slots[i].task) continue;
            lf_context *ctx = s->slots[i].ctx;
            int len = common_prefix(lf_context_tokens(ctx), lf_context_position(ctx), s->wait_head->prompt,
                                    s->wait_head->n_prompt);
            if (len > best_len) best = i, best_len = len;
        }
        if (best < 0) return;
        task *t = s->wait_head;
        s->wait_head = t->next;
        if (!s->wait_head) s->wait_tail = NULL;
        t->next = NULL;
        s->n_waiting--;
        s->n_running++;
        s->slots[best].task = t;
    }
}

/* Ends the waiting choices whose client has gone, so that they do not hold queue places
 * (and the next live request does not get 503 for them). Called with the mutex held. */
static void drop_abandoned(scheduler *s) {
    task *kept = NULL, *last = NULL;
    for (task *t = s->wait_head, *next; t; t = next) {
        next = t->next;
        t->next = NULL;
        if (job_abandoned(t->job)) {
            task_close(t, FINISH_ERROR, "cancelled");
            s->n_waiting--;
            continue;
        }
        if (last) last->next = t;
        else kept = t;
        last = t;
    }
    s->wait_head = kept;
    s->wait_tail = last;
}

static void *scheduler_main(void *arg) {
    scheduler *s = arg;
    pthread_mutex_lock(&s->mutex);
    for (;;) {
        while (!s->stopping && !s->n_running && !s->n_waiting) pthread_cond_wait(&s->work, &s->mutex);
        if (s->stopping) break;
        drop_abandoned(s);
        assign_slots(s);
        pthread_mutex_unlock(&s->mutex);
        for (int i = 0; i < s->n_slots; i++)
            if (s->slots[i].task) slot_prepare(s, &s->slots[i]);
        run_step(s);
        int running = 0;
        for (int i = 0; i < s->n_slots; i++) {
            slot *sl = &s->slots[i];
            running += sl->task != NULL;
            atomic_store(&sl->busy, sl->task != NULL);
            atomic_store(&sl->n_cached, lf_context_position(sl->ctx));
            atomic_store(&sl->n_generated, sl->task ? sl->task->n_generated : 0);
        }
        pthread_mutex_lock(&s->mutex);
        s->n_running = running;
    }
    pthread_mutex_unlock(&s->mutex);
    return NULL;
}

int scheduler_context_size(const scheduler *s) { return s->n_ctx; }

int scheduler_slot_count(const scheduler *s) { return s->n_slots; }

double scheduler_last_rate(scheduler *s) { return atomic_load(&s->last_rate); }

slot_info scheduler_slot_info(scheduler *s, int i) {
    slot *sl = &s->slots[i];
    return (slot_info){atomic_load(&sl->busy), atomic_load(&sl->n_cached), atomic_load(&sl->n_generated)};
}

void scheduler_load(scheduler *s, int *busy_slots, int *waiting) {
    pthread_mutex_lock(&s->mutex);
    *busy_slots = s->n_running;
    *waiting = s->n_waiting;
    pthread_mutex_unlock(&s->mutex);
}

int scheduler_submit(scheduler *s, job *j, const task_spec *specs, int n, api_error *err) {
    task *first = NULL, *last = NULL;
    for (int i = 0; i < n; i++) {
        task *t = calloc(1, sizeof *t);
        lf_error lerr = {0};
        if (t) {
            if (last) last->next = t;
            else first = t;
            last = t;
        }
        if (!t || !(t->prompt = malloc((size_t)specs[i].n_prompt * sizeof *t->prompt)) ||
            lf_sampler_create(&specs[i].sampling, s->vocab_size, &t->sampler, &lerr) ||
            (specs[i].grammar &&
             lf_sampler_set_grammar(t->sampler, specs[i].grammar, lf_model_tokenizer(s->model), &lerr))) {
            for (task *u = first, *next; u; u = next) next = u->next, task_free(u);
            return api_fail(err, 500, NULL, NULL, "cannot start a generation: %s",
                            lerr.message[0] ? lerr.message : "out of memory");
        }
        job_retain(j);
        t->job = j;
        t->last_rate = &s->last_rate;
        t->choice = i;
        memcpy(t->prompt, specs[i].prompt, (size_t)specs[i].n_prompt * sizeof *t->prompt);
        t->n_prompt = specs[i].n_prompt;
        t->n_prefilled = -1;
        t->reuse_prefix = specs[i].reuse_prefix;
        t->constrained = specs[i].grammar != NULL;
        lf_detokenizer_init(&t->detok, lf_model_tokenizer(s->model));
        stop_matcher_init(&t->stop, (const char *const *)j->stops, j->n_stops);
    }
    pthread_mutex_lock(&s->mutex);
    bool full = s->n_running + s->n_waiting + n > s->n_slots + s->queue_size;
    if (full) {
        drop_abandoned(s);
        full = s->n_running + s->n_waiting + n > s->n_slots + s->queue_size;
    }
    if (!s->stopping && !full) {
        if (s->wait_tail) s->wait_tail->next = first;
        else s->wait_head = first;
        s->wait_tail = last;
        s->n_waiting += n;
        pthread_cond_signal(&s->work);
    }
    bool stopping = s->stopping;
    pthread_mutex_unlock(&s->mutex);
    if (!stopping && !full) return 0;
    for (task *u = first, *next; u; u = next) next = u->next, task_free(u);
    return api_fail(err, 503, NULL, stopping ? "shutting_down" : "queue_full",
                    stopping ? "the server is shutting down" : "the server is busy: every slot and queue place is taken");
}

/* Ends every choice still queued or in a slot (the server stops). */
static void fail_all(scheduler *s) {
    for (task *t = s->wait_head, *next; t; t = next) {
        next = t->next;
        task_close(t, FINISH_ERROR, "the server is shutting down");
    }
    s->wait_head = s->wait_tail = NULL;
    s->n_waiting = 0;
    for (int i = 0; i < s->n_slots; i++)
        if (s->slots[i].task) {
            task_close(s->slots[i].task, FINISH_ERROR, "the server is shutting down");
            s->slots[i].task = NULL;
        }
}

void scheduler_stop(scheduler *s) {
    pthread_mutex_lock(&s->mutex);
    s->stopping = true;
    pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->mutex);
    if (s->thread_started) pthread_join(s->thread, NULL);
    s->thread_started = false;
    /* the thread is gone and submissions are refused: the lists are ours */
    fail_all(s);
}

void scheduler_free(scheduler *s) {
    if (!s) return;
    scheduler_stop(s);
    for (int i = 0; i < s->n_slots; i++) {
        lf_context_free(s->slots[i].ctx);
        lf_context_free(s->slots[i].spec.draft);
    }
    free(s->slots);
    free(s->batch.ctxs);
    free(s->batch.tokens);
    free(s->batch.counts);
    free(s->batch.slots);
    pthread_mutex_destroy(&s->mutex);
    pthread_cond_destroy(&s->work);
    free(s);
}

int scheduler_create(const lf_model *model, const scheduler_options *opt, scheduler **out, lf_error *err) {
    *out = NULL;
    if (opt->n_slots < 1 || opt->n_slots > STEP_TOKENS) {
        char message[80];
        snprintf(message, sizeof message, "n_slots %d is out of range [1, %d]", opt->n_slots, STEP_TOKENS);
        return fail(err, LF_ERR_ARG, message);
    }
    scheduler *s = calloc(1, sizeof *s);
    if (!s) return fail(err, LF_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&s->mutex, NULL);
    pthread_cond_init(&s->work, NULL);
    s->model = model;
    s->vocab_size = lf_tokenizer_vocab_size(lf_model_tokenizer(model));
    s->queue_size = opt->queue_size;
    size_t n = (size_t)opt->n_slots;
    s->slots = calloc(n, sizeof *s->slots);
    s->batch.ctxs = calloc(n, sizeof *s->batch.ctxs);
    s->batch.tokens = calloc(n, sizeof *s->batch.tokens);
    s->batch.counts = calloc(n, sizeof *s->batch.counts);
    s->batch.slots = calloc(n, sizeof *s->batch.slots);
    bool ok = s->slots && s->batch.ctxs && s->batch.tokens && s->batch.counts && s->batch.slots;
    int rc = ok ? LF_OK : fail(err, LF_ERR_NOMEM, "out of memory");
    for (int i = 0; !rc && i < opt->n_slots; i++) {
        slot *sl = &s->slots[i];
        sl->spec = opt->spec;
        sl->spec.draft = NULL;
        rc = lf_context_create(model, &opt->context, &sl->ctx, err);
        if (!rc) s->n_slots = i + 1;
        if (!rc && opt->draft) rc = lf_context_create(opt->draft, &opt->context, &sl->spec.draft, err);
        /* the draft's tokens are compared with the model's once: the slots share both models */
        if (!rc && i == 0) rc = lf_speculative_check(sl->ctx, &sl->spec, err);
    }
    if (!rc) {
        s->n_ctx = lf_context_size(s->slots[0].ctx);
        s->step_tokens = opt->context.n_batch > 0 && opt->context.n_batch < STEP_TOKENS ? opt->context.n_batch
                                                                                        : STEP_TOKENS;
        if (pthread_create(&s->thread, NULL, scheduler_main, s)) rc = fail(err, LF_ERR_NOMEM, "cannot start the scheduler thread");
        else s->thread_started = true;
    }
    if (rc) {
        scheduler_free(s);
        return rc;
    }
    *out = s;
    return LF_OK;
}
