/* The options that shape the HTTP server, shared by `llama-fast server` and `llama-fast
 * browser` so both accept the same spellings (each command adds its own: the server's
 * --api-key, the browser's --open). */
#ifndef LF_CLI_SERVER_ARGS_H
#define LF_CLI_SERVER_ARGS_H

#include <stdio.h>

#include "cli/grammar_options.h"
#include "server/server.h"

/* If argv[*i] is one of these options, stores it in o (advancing *i past its value) and
 * returns 1; returns 0 when it is not one of them, -1 after printing why its value is bad. */
int cli_server_option(int argc, char **argv, int *i, lf_server_options *o, cli_grammar_options *g);
/* server_run with the grammar of g (compiled here) as the requests' default. */
int cli_server_run(const char *model, lf_server_options *o, const cli_grammar_options *g);
/* The usage lines of those options. */
void cli_server_options_usage(FILE *out);

#endif
