#include "cli/server_args.h"

#include <string.h>

#include "cli/args.h"
#include "cli/kv_type_option.h"
#include "cli/load.h"
#include "cli/run_options.h"
#include "cli/speculative_options.h"
#include "frontend/print_escaped.h"

void cli_server_args_init(cli_server_args *a) {
    a->opt = lf_server_default_options();
    a->grammar = (cli_grammar_options){0};
    cli_sampling_init(&a->sampling, &a->opt.sampling);
}

int cli_server_args_run(const char *model, cli_server_args *a, int status) {
    a->opt.sampling = a->sampling.params;
    a->opt.has_seed = a->sampling.seed_set;
    lf_grammar *grammar = NULL;
    if (status < 0 && !cli_grammar_load(&a->grammar, &grammar)) status = 1;
    a->opt.grammar = grammar;
    if (status < 0) status = server_run(model, &a->opt);
    lf_grammar_free(grammar);
    cli_sampling_free(&a->sampling);
    return status;
}

int cli_server_option(int argc, char **argv, int *i, cli_server_args *args) {
    lf_server_options *o = &args->opt;
    int sampling = cli_sampling_option(argc, argv, i, &args->sampling);
    if (sampling) return sampling;
    int g = cli_grammar_option(argc, argv, i, &args->grammar);
    if (g) return g;
    const char *a = argv[*i];
    if (cli_precision_option(a, &o->precise_activations)) return 1;
    if (cli_no_repack_option(a, &o->no_repack)) return 1;
    int kv = cli_kv_type_option(argc, argv, i, &o->type_k, &o->type_v);
    if (kv) return kv;
    int w = cli_weight_option(argc, argv, i, &o->quantize, &o->dtype);
    if (w) return w;
    cli_spec_options spec = {.draft_path = o->draft_path, .lookup = o->lookup_ngram, .draft_max = o->max_draft};
    int r = cli_spec_option(argc, argv, i, &spec);
    if (r) {
        o->draft_path = spec.draft_path;
        o->lookup_ngram = spec.lookup;
        o->max_draft = spec.draft_max;
        return r;
    }
    static const char *const with_value[] = {"--host", "--port", "--parallel", "--queue", "--max-seq-len",
                                             "--max-body", "--tokenizer-path", "-t", "--threads", "--timeout",
                                             "--max-connections", "--max-connections-per-client",
                                             "--allowed-hosts", "--cors-origin", "--api-key", "--batch-size",
                                             "--pooling"};
    size_t k = 0, n = sizeof with_value / sizeof with_value[0];
    while (k < n && strcmp(a, with_value[k])) k++;
    if (k == n) return 0;
    const char *v = cli_value(argc, argv, i);
    if (!v) return -1;
    bool ok = true;
    int max_body = 0;
    if (!strcmp(a, "--host")) o->host = v;
    else if (!strcmp(a, "--port")) ok = cli_int(a, v, 0, 65535, &o->port);
    else if (!strcmp(a, "--parallel")) ok = cli_int(a, v, 1, 256, &o->n_slots);
    else if (!strcmp(a, "--queue")) ok = cli_int(a, v, 0, 1 << 20, &o->queue_size);
    else if (!strcmp(a, "--max-seq-len")) ok = cli_int(a, v, 2, 1 << 24, &o->max_seq_len);
    else if (!strcmp(a, "--max-body")) {
        ok = cli_int(a, v, 1024, 1 << 30, &max_body);
        o->max_body = (size_t)max_body;
    } else if (!strcmp(a, "--tokenizer-path")) o->tokenizer_path = v;
    else if (!strcmp(a, "--timeout")) ok = cli_int(a, v, 1, 3600, &o->timeout_s);
    else if (!strcmp(a, "--max-connections")) ok = cli_int(a, v, 1, 1 << 16, &o->max_connections);
    else if (!strcmp(a, "--max-connections-per-client")) ok = cli_int(a, v, 1, 1 << 16, &o->max_per_client);
    else if (!strcmp(a, "--allowed-hosts")) o->allowed_hosts = v;
    else if (!strcmp(a, "--cors-origin")) o->cors_origins = v;
    else if (!strcmp(a, "--batch-size")) ok = cli_int(a, v, 1, CLI_MAX_BATCH, &o->n_batch);
    else if (!strcmp(a, "--api-key") && !*v) {
        fprintf(stderr, "error: --api-key is empty\n");
        ok = false;
    } else if (!strcmp(a, "--api-key")) o->api_key = v;
    else if (!strcmp(a, "--pooling")) {
        if (!(ok = lf_pooling_from_name(v, &o->pooling)))
            print_escaped(stderr, "error: --pooling %s: expected mean or last\n", v);
    }
    else ok = cli_int(a, v, 1, 512, &o->n_threads); /* -t, --threads */
    return ok ? 1 : -1;
}

void cli_server_options_usage(FILE *out, const cli_server_args *a) {
    fprintf(out,
            "  --api-key KEY           require 'Authorization: Bearer KEY' (not for /health, the page;\n"
            "                          browser opens the page with the key in its address)\n"
            "  --host ADDR             address to listen on (default 127.0.0.1)\n"
            "  --port N                port (default 8080; 0 = any free port, printed)\n"
            "  --parallel N            generations that run at once, each with its own KV\n"
            "                          cache (default 4)\n"
            "  --queue N               choices that may wait for a free slot; beyond, 503\n"
            "                          (default 64)\n"
            "  --max-seq-len N         KV cache length of each slot (default: model context,\n"
            "                          at most 4096)\n"
            "  -b, --batch-size N      prompt tokens per forward step, 1..256 (default 256)\n"
            "  --max-body BYTES        largest request body (default 1048576)\n"
            "  --timeout SECONDS       a request (head and body) must arrive within this time\n"
            "                          of its first byte; idle connections close after it;\n"
            "                          a client that reads nothing for it is dropped (default 30)\n"
            "  --max-connections N     connections in all (default 1024); when full, the\n"
            "                          longest-idle one is closed for a new one\n"
            "  --max-connections-per-client N\n"
            "                          connections per client address (default 128)\n"
            "  --allowed-hosts NAMES   comma-separated Host names served besides localhost,\n"
            "                          127.0.0.1 and [::1]; beyond loopback, the only ones\n"
            "                          served (default there: any)\n"
            "  --cors-origin ORIGINS   comma-separated origins (e.g. http://localhost:3000, or\n"
            "                          *) whose web pages may call the API (default: none)\n"
            "  --pooling mean|last     how /v1/embeddings pools the final hidden states:\n"
            "                          their mean (default) or the last token's\n"
            "  --tokenizer-path PATH   tokenizer for llama2.c .bin models\n"
            "  -t, --threads N         threads (default: the CPUs this process may run on, as\n"
            "                          taskset or a cpuset leave them, one per physical core,\n"
            "                          within a cgroup CPU quota)\n"
            CLI_WEIGHT_USAGE
            CLI_REPACK_USAGE
            CLI_PRECISION_USAGE
            CLI_KV_TYPE_USAGE
            CLI_SPEC_USAGE
            CLI_GRAMMAR_USAGE
            "  the sampling flags set what a request's fields default to (OpenAI's values):\n");
    cli_sampling_usage(out, &a->sampling, "the clock");
}
