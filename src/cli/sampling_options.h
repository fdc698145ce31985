/* The sampling flags of every command that generates (generate, chat; server and browser,
 * where they are the defaults of requests that leave a field out): one parser, one help. */
#ifndef LF_CLI_SAMPLING_OPTIONS_H
#define LF_CLI_SAMPLING_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "llamafast.h"

typedef struct cli_sampling {
    lf_sampler_params params; /* params.logit_bias points into bias */
    lf_logit_bias *bias;
    int cap_bias;
    bool seed_set;            /* --seed given (else generate and chat use the clock) */
} cli_sampling;

/* Starts from defaults (copied; their logit_bias list too is ignored). */
void cli_sampling_init(cli_sampling *o, const lf_sampler_params *defaults);
void cli_sampling_free(cli_sampling *o);
/* Parses argv[*i] when it is one of these options (advancing *i past its value).
 * Returns 1 when consumed, 0 when it is not one of them, -1 after printing an error. */
int cli_sampling_option(int argc, char **argv, int *i, cli_sampling *o);
/* The help lines, showing the defaults of o (as cli_sampling_init left them). */
void cli_sampling_usage(FILE *out, const cli_sampling *o, const char *seed_default);

#endif
