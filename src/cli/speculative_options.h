/* --draft MODEL, --lookup N, --draft-max N: speculative decoding for the commands that
 * generate (generate, chat). */
#ifndef LF_CLI_SPECULATIVE_OPTIONS_H
#define LF_CLI_SPECULATIVE_OPTIONS_H

#include <stdio.h>

#include "llamafast.h"

typedef struct cli_spec_options {
    const char *draft_path;
    int lookup, draft_max;
} cli_spec_options;

#define CLI_SPEC_USAGE                                                                           \
    "  --lookup N              speculative decoding by prompt lookup: guess that the text\n"     \
    "                          after an earlier match of the last N tokens comes again\n"       \
    "                          (for answers that repeat the prompt; N = 3 is a good start)\n"     \
    "  --draft MODEL           speculative decoding with a smaller model of the same\n"         \
    "                          vocabulary guessing the next tokens\n"                           \
    "  --draft-max N           most tokens guessed per step (default 10, at most 64)\n"

void cli_spec_options_init(cli_spec_options *o);
/* Parses argv[*i] when it is one of these options (advancing *i past its value).
 * Returns 1 when consumed, 0 when it is not one of them, -1 after printing an error. */
int cli_spec_option(int argc, char **argv, int *i, cli_spec_options *o);

/* The draft model and its context, and the parameters for lf_generate_speculative. */
typedef struct cli_spec {
    lf_model *draft_model;
    lf_context *draft_ctx;
    lf_speculative_params params;
} cli_spec;

/* Loads the draft model (with tokenizer_path, when given, for a llama2.c draft) into a
 * context made with cp, and checks it against ctx. Prints the error and returns false
 * on failure. */
bool cli_spec_open(const cli_spec_options *o, const lf_context *ctx, const lf_context_params *cp,
                   const char *tokenizer_path, cli_spec *out);
void cli_spec_close(cli_spec *s);
/* ", 40 of 52 guesses accepted (76.9 %)" when guesses were made, else nothing. */
void cli_spec_print_stats(FILE *out, const lf_generate_stats *st);

#endif
