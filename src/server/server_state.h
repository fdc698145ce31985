/* What every request handler of the server reads: the model, the scheduler, options. */
#ifndef LF_SERVER_STATE_H
#define LF_SERVER_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "llamafast.h"
#include "server/access.h"
#include "server/metrics.h"
#include "server/scheduler.h"

typedef struct server_state {
    const lf_model *model;
    scheduler *sched;
    const char *model_id;  /* reported by /v1/models and in responses */
    access_policy access;  /* Host, Origin, media type, API key */
    const lf_grammar *default_grammar; /* for requests without grammar or response_format */
    time_t started;
    uint32_t id_salt;      /* random per process, so ids differ across restarts */
    atomic_uint id_counter;
    lf_sampler_params sampling; /* defaults of the requests' sampling fields */
    bool has_seed;
    server_metrics metrics;
    /* Embeddings run on a context of their own, one request at a time, beside the
     * scheduler's slots; it is made at the first request. */
    pthread_mutex_t embed_mutex;
    lf_context *embed_ctx;
    lf_context_params embed_params;
    lf_pooling pooling;
} server_state;

/* A new response id such as "chatcmpl-1f2e3d4c00000001", unique in this process. */
void server_new_id(server_state *st, const char *prefix, char *out, size_t cap);

#endif
