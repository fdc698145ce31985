/* llama-fast server: the OpenAI-compatible HTTP API (src/server/). */
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/model_path.h"
#include "cli/server_args.h"
#include "frontend/print_escaped.h"
#include "server/server.h"

static void server_usage(FILE *out) {
    fprintf(out,
            "usage: llama-fast server MODEL [options]\n"
            "\n"
            "Serves the model over HTTP with the OpenAI API: POST /v1/chat/completions,\n"
            "POST /v1/completions (both streaming with stream: true), GET /v1/models,\n"
            "GET /health, POST /apply-template, and the chat page at /.\n"
            "Stops cleanly on Ctrl-C / SIGTERM.\n"
            "\n"
            "  --api-key KEY           require 'Authorization: Bearer KEY' (except /health, /)\n");
    cli_server_options_usage(out);
    fprintf(out, "  -h, --help              this help\n");
}

/* Returns -1 to go on, else the exit status. */
static int parse_server_options(int argc, char **argv, const char **model, lf_server_options *o,
                                cli_grammar_options *g) {
    *o = lf_server_default_options();
    *model = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int known = cli_server_option(argc, argv, &i, o, g);
        if (known < 0) return 2;
        if (known) continue;
        if (cli_is_help(a)) {
            server_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--api-key")) {
            if (!(o->api_key = cli_value(argc, argv, &i))) return 2;
            if (!o->api_key[0]) {
                fprintf(stderr, "error: server: --api-key is empty\n");
                return 2;
            }
        } else if (a[0] == '-') {
            print_escaped(stderr, "error: server: unknown option %s (see --help)\n", a);
            return 2;
        } else if (*model) {
            print_escaped(stderr, "error: server: unexpected argument '%s'\n", a);
            return 2;
        } else {
            *model = a;
        }
    }
    if (!*model && !(*model = cli_default_model())) {
        server_usage(stderr);
        return 2;
    }
    return -1;
}

int cmd_server(int argc, char **argv) {
    const char *model;
    lf_server_options o;
    cli_grammar_options g = {0};
    int status = parse_server_options(argc, argv, &model, &o, &g);
    return status >= 0 ? status : cli_server_run(model, &o, &g);
}
