/* The options that shape the HTTP server, shared by `llama-fast server` and `llama-fast
 * browser` so both accept the same spellings (each command adds its own: the server's
 * --api-key, the browser's --open). */
#ifndef LF_CLI_SERVER_ARGS_H
#define LF_CLI_SERVER_ARGS_H

#include <stdio.h>

#include "cli/sampling_options.h"
#include "cli/grammar_options.h"
#include "server/server.h"

/* The server's options, and the sampling flags that set the defaults of requests. */
typedef struct cli_server_args {
    lf_server_options opt;
    cli_sampling sampling;
    cli_grammar_options grammar; /* the requests' default structure */
} cli_server_args;

void cli_server_args_init(cli_server_args *a);
/* If argv[*i] is one of these options, stores it in a (advancing *i past its value) and
 * returns 1; returns 0 when it is not one of them, -1 after printing why its value is bad. */
int cli_server_option(int argc, char **argv, int *i, cli_server_args *a);
/* The usage lines of those options. */
void cli_server_options_usage(FILE *out, const cli_server_args *a);
/* Runs the server with a's options (status >= 0: exits with it without serving), frees
 * a, and returns the exit status. */
int cli_server_args_run(const char *model, cli_server_args *a, int status);

#endif
