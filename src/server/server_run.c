#include "server/server.h"

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cli/load.h"
#include "frontend/print_escaped.h"
#include "server/http_server.h"
#include "server/routes.h"
#include "server/request.h"
#include "server/server_state.h"

/* How long open connections may take to finish at shutdown. */
#define DRAIN_MS 2000

lf_server_options lf_server_default_options(void) {
    return (lf_server_options){.host = "127.0.0.1", .port = 8080, .n_slots = 4, .queue_size = 64,
                               .max_body = 1 << 20, .timeout_s = 30, .max_connections = 1024,
                               .max_per_client = 128, .max_draft = lf_speculative_default_params().max_draft,
                               .sampling = request_default_sampling()};
}

void server_new_id(server_state *st, const char *prefix, char *out, size_t cap) {
    snprintf(out, cap, "%s-%08x%08x", prefix, st->id_salt, atomic_fetch_add(&st->id_counter, 1));
}

/* The id clients see: the model file's name, when it is valid UTF-8 (JSON needs it). */
static const char *model_id(const char *path) {
    const char *slash = strrchr(path, '/');
    const char *name = slash && slash[1] ? slash + 1 : path;
    json_t *probe = json_string(name);
    json_decref(probe);
    return probe ? name : "model";
}

static int serve(server_state *st, const lf_server_options *opt, const sigset_t *signals) {
    int port = 0;
    char why[512];
    http_server_options ho = {.host = opt->host, .port = opt->port, .max_connections = opt->max_connections,
                              .max_per_client = opt->max_per_client, .timeout_s = opt->timeout_s,
                              .max_body = opt->max_body, .handle = routes_handle, .user = st};
    http_server *hs = http_server_bind(&ho, why, sizeof why);
    if (!hs) {
        print_escaped(stderr, "error: %s\n", why);
        return 1;
    }
    api_error e = {0};
    int status = access_init(&st->access, http_server_is_loopback(hs), opt->host, opt->allowed_hosts,
                             opt->cors_origins, opt->api_key, &e)
                     ? 2
                     : http_server_start(hs, why, sizeof why) ? 1 : 0;
    if (status) {
        print_escaped(stderr, "error: %s\n", status == 2 ? e.message : why);
        http_server_stop(hs, 0);
        return status;
    }
    port = http_server_port(hs);
    char url[300];
    snprintf(url, sizeof url, strchr(opt->host, ':') ? "http://[%s]:%d" : "http://%s:%d", opt->host, port);
    print_escaped(stderr, "llama-fast server: listening on %s (model %s, %d slots of %d tokens, queue %d)\n", url,
                  st->model_id, opt->n_slots, scheduler_context_size(st->sched), opt->queue_size);
    if (!st->access.loopback && !opt->api_key)
        print_escaped(stderr, "warning: %s is reachable beyond this machine and anyone who can reach it may use it: "
                              "give --api-key KEY (and --allowed-hosts NAMES)\n", url);
    if (opt->on_listening) opt->on_listening(url, opt->user);
    int sig = 0;
    sigwait(signals, &sig);
    fprintf(stderr, "llama-fast server: %s, shutting down\n", strsignal(sig));
    /* Unfinished generations end first (their clients get an error), then connections
     * get a moment to send it before they are closed. */
    scheduler_stop(st->sched);
    http_server_stop(hs, DRAIN_MS);
    return 0;
}

int server_run(const char *model_path, const lf_server_options *opt) {
    /* Every thread started from here on inherits the blocked signals; only sigwait sees them. */
    sigset_t signals, old;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, &old);
    signal(SIGPIPE, SIG_IGN);
    int status = 1;
    cli_model_source source = {.tokenizer_path = opt->tokenizer_path, .quantize = opt->quantize, .dtype = opt->dtype,
                               .repack = opt->n_slots > 1 && !opt->no_repack};
    lf_model *model = cli_load_model(model_path, &source), *draft = NULL;
    source.repack = false; /* the draft model guesses for one stream at a time */
    scheduler *sched = NULL;
    if (model && !lf_model_tokenizer(model)) {
        print_escaped(stderr, "error: %s has no tokenizer: give --tokenizer-path\n", model_path);
    } else if (model && (!opt->draft_path || (draft = cli_load_model(opt->draft_path, &source)))) {
        scheduler_options so = {.n_slots = opt->n_slots, .queue_size = opt->queue_size, .draft = draft};
        so.spec = lf_speculative_default_params();
        so.spec.lookup_ngram = opt->lookup_ngram;
        so.spec.max_draft = opt->max_draft;
        so.context = lf_context_default_params();
        so.context.n_threads = opt->n_threads;
        so.context.max_seq_len = opt->max_seq_len;
        so.context.n_batch = opt->n_batch;
        so.context.precise_activations = opt->precise_activations;
        so.context.type_k = opt->type_k;
        so.context.type_v = opt->type_v;
        lf_error err = {0};
        if (scheduler_create(model, &so, &sched, &err) != LF_OK) {
            if (draft) print_escaped(stderr, "error: --draft %s: %s\n", opt->draft_path, err.message);
            else print_escaped(stderr, "error: %s\n", err.message);
        } else {
            server_state st = {.model = model, .sched = sched, .model_id = model_id(model_path),
                               .started = time(NULL), .sampling = opt->sampling, .has_seed = opt->has_seed,
                               .default_grammar = opt->grammar, .embed_params = so.context, .pooling = opt->pooling};
            if (getrandom(&st.id_salt, sizeof st.id_salt, 0) != sizeof st.id_salt)
                st.id_salt = (uint32_t)time(NULL) ^ (uint32_t)getpid();
            metrics_init(&st.metrics);
            pthread_mutex_init(&st.embed_mutex, NULL);
            status = serve(&st, opt, &signals);
            lf_context_free(st.embed_ctx);
            pthread_mutex_destroy(&st.embed_mutex);
            metrics_destroy(&st.metrics);
        }
    }
    scheduler_free(sched);
    lf_model_free(draft);
    lf_model_free(model);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return status;
}
