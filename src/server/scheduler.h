/* The one thread that runs the model. N slots, each a context (KV cache) on the shared
 * model; a request's choices take free slots or wait in a bounded FIFO queue, and join
 * between steps. Each step advances every busy slot -- one generated token, or a prompt
 * chunk -- in ONE forward pass (lf_decode_multi: continuous batching), so N clients cost
 * about one pass over the weights, not N, and never two model calls run together (the
 * pass runs on one context's thread pool, which uses every core). A slot with
 * speculative decoding (a draft model or prompt lookup) decodes apart, in a step of its
 * own that may yield several tokens; its prompt chunks still join the batch. */
#ifndef LF_SERVER_SCHEDULER_H
#define LF_SERVER_SCHEDULER_H

#include "llamafast.h"
#include "server/api_error.h"
#include "server/job.h"

typedef struct scheduler scheduler;

typedef struct scheduler_options {
    int n_slots;     /* at most LF_DECODE_MULTI_MAX_TOKENS: each decodes a row of a step */
    int queue_size;  /* choices that may wait for a slot */
    lf_context_params context;
    /* Speculative decoding: spec.draft is ignored; with draft, each slot gets a context of
     * it (made with the same parameters) as its draft. */
    lf_speculative_params spec;
    const lf_model *draft;
} scheduler_options;

/* One choice of a job: its prompt (copied) and sampler. */
typedef struct task_spec {
    const int32_t *prompt;
    int n_prompt;
    lf_sampler_params sampling;
    bool reuse_prefix; /* start from the slot's cached prefix of the prompt */
    const lf_grammar *grammar; /* copied by the sampler; NULL = none */
} task_spec;

int scheduler_slot_count(const scheduler *s);
int scheduler_create(const lf_model *model, const scheduler_options *opt, scheduler **out, lf_error *err);
/* Stops the thread; unfinished choices end with an error, later submissions get 503. */
void scheduler_stop(scheduler *s);
/* Stops (if needed) and frees; nothing may call the scheduler any more. */
void scheduler_free(scheduler *s);
/* Slots generating now, and choices waiting for one. */
void scheduler_load(scheduler *s, int *busy_slots, int *waiting);
/* A slot as /slots shows it (as of the scheduler's last step). */
typedef struct slot_info {
    bool busy;
    int n_cached;    /* tokens its KV cache holds */
    int n_generated; /* by its current choice */
} slot_info;
slot_info scheduler_slot_info(scheduler *s, int i);
/* Tokens per second of the last choice that ended, from its first token to its last (0:
 * none yet). */
double scheduler_last_rate(scheduler *s);
/* KV cache length of a slot: a prompt must be shorter. */
int scheduler_context_size(const scheduler *s);
/* Queues choices 0..n-1 of j (all or none). 503 when the queue is full or the server stops. */
int scheduler_submit(scheduler *s, job *j, const task_spec *specs, int n, api_error *err);

#endif
