/* llama-fast server: the OpenAI-compatible HTTP API (src/server/). */
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "server/server.h"

static void server_usage(FILE *out) {
    fprintf(out,
            "usage: llama-fast server MODEL [options]\n"
            "\n"
            "Serves the model over HTTP with the OpenAI API: POST /v1/chat/completions,\n"
            "POST /v1/completions (both streaming with stream: true), GET /v1/models,\n"
            "GET /health, POST /apply-template. Stops cleanly on Ctrl-C / SIGTERM.\n"
            "\n"
            "  --host ADDR             address to listen on (default 127.0.0.1)\n"
            "  --port N                port (default 8080; 0 = any free port, printed)\n"
            "  --api-key KEY           require 'Authorization: Bearer KEY' (except /health, /)\n"
            "  --parallel N            generations that run at once, each with its own KV\n"
            "                          cache (default 4)\n"
            "  --queue N               choices that may wait for a free slot; beyond, 503\n"
            "                          (default 64)\n"
            "  --max-seq-len N         KV cache length of each slot (default: model context,\n"
            "                          at most 4096)\n"
            "  --max-body BYTES        largest request body (default 1048576)\n"
            "  --tokenizer-path PATH   tokenizer for llama2.c .bin models\n"
            "  -t, --threads N         threads (default: physical cores)\n"
            "  --int8-activations      faster, less exact matrix products (no int8 residual)\n"
            "  -h, --help              this help\n");
}

/* Returns -1 to go on, else the exit status. */
static int parse_server_options(int argc, char **argv, const char **model, lf_server_options *o) {
    *o = lf_server_default_options();
    *model = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        bool ok = true;
        int max_body = 0;
        if (cli_is_help(a)) {
            server_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--int8-activations")) o->int8_activations = true;
        else if (a[0] == '-' && !(v = cli_value(argc, argv, &i))) return 2;
        else if (!strcmp(a, "--host")) o->host = v;
        else if (!strcmp(a, "--port")) ok = cli_int(a, v, 0, 65535, &o->port);
        else if (!strcmp(a, "--api-key")) o->api_key = v;
        else if (!strcmp(a, "--parallel")) ok = cli_int(a, v, 1, 256, &o->n_slots);
        else if (!strcmp(a, "--queue")) ok = cli_int(a, v, 0, 1 << 20, &o->queue_size);
        else if (!strcmp(a, "--max-seq-len")) ok = cli_int(a, v, 2, 1 << 24, &o->max_seq_len);
        else if (!strcmp(a, "--max-body")) {
            ok = cli_int(a, v, 1024, 1 << 30, &max_body);
            o->max_body = (size_t)max_body;
        } else if (!strcmp(a, "--tokenizer-path")) o->tokenizer_path = v;
        else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) ok = cli_int(a, v, 1, 512, &o->n_threads);
        else if (a[0] == '-') {
            fprintf(stderr, "error: server: unknown option %s (see --help)\n", a);
            return 2;
        } else if (*model) {
            fprintf(stderr, "error: server: unexpected argument '%s'\n", a);
            return 2;
        } else {
            *model = a;
        }
        if (!ok) return 2;
    }
    if (!*model) {
        server_usage(stderr);
        return 2;
    }
    if (o->api_key && !o->api_key[0]) {
        fprintf(stderr, "error: server: --api-key is empty\n");
        return 2;
    }
    return -1;
}

int cmd_server(int argc, char **argv) {
    const char *model;
    lf_server_options o;
    int status = parse_server_options(argc, argv, &model, &o);
    return status >= 0 ? status : server_run(model, &o);
}
