/* The OpenAI-compatible HTTP server, for `llama-fast server` and `llama-fast browser`. */
#ifndef LF_SERVER_SERVER_H
#define LF_SERVER_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "llamafast.h"

typedef struct lf_server_options {
    const char *host;           /* address to bind (default 127.0.0.1) */
    int port;                   /* 0 = any free port (the one chosen is printed) */
    const char *api_key;        /* NULL: no authentication; else "Authorization: Bearer KEY" */
    int n_slots;                /* generations that run at once (default 4) */
    int queue_size;             /* choices that may wait for a slot before 503 (default 64) */
    int max_seq_len;            /* KV cache length of each slot (0 = the model's, at most 4096) */
    int n_threads;              /* 0 = lf_default_thread_count() */
    int n_batch;                /* prompt tokens per forward step; 0 = the library's most */
    bool precise_activations;   /* int8 activations plus their rounding residual */
    bool no_repack;             /* no repacked weights for batched slots (lf_model_params.repack) */
    lf_kv_type type_k, type_v;  /* KV cache types of every slot (default f16) */
    const char *tokenizer_path; /* for llama2.c .bin models */
    const char *quantize, *dtype; /* weights converted at load (lf_model_params) */
    const char *draft_path;     /* speculative decoding with this draft model (NULL: none) */
    int lookup_ngram;           /* or by prompt lookup of this n-gram size (0: none) */
    int max_draft;              /* most guesses per step (default 10) */
    lf_pooling pooling;         /* of /v1/embeddings (default mean) */
    size_t max_body;            /* larger request bodies get 413 (default 1 MiB) */
    int timeout_s;              /* to send a whole request; idle keep-alive (default 30) */
    int max_connections;        /* in all (default 1024) */
    int max_per_client;         /* per client address (default 128) */
    const char *allowed_hosts;  /* comma-separated Host names served besides loopback ones */
    const char *cors_origins;   /* comma-separated origins whose pages may call the API */
    /* What a request's sampling fields default to: OpenAI's (temperature 1, top_p 1, the
     * other stages off) unless the command line says otherwise; its logit_bias list must
     * outlive the server. has_seed: seed is the default of requests without one (else
     * the clock's). */
    lf_sampler_params sampling;
    bool has_seed;
    /* Structured output for requests that ask for none ("grammar" or "response_format"
     * absent); NULL: none. Must outlive server_run. */
    const lf_grammar *grammar;
    /* Called once the server listens, with its URL (e.g. to open a browser). */
    void (*on_listening)(const char *url, void *user);
    void *user;
} lf_server_options;

lf_server_options lf_server_default_options(void);

/* Loads the model (path or alias), serves until SIGINT or SIGTERM, and shuts down
 * cleanly. Prints errors and the listening URL to stderr; returns the exit status. */
int server_run(const char *model_path, const lf_server_options *opt);

#endif
