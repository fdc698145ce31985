/* Options shared by the commands that run a model (chat; generate's set is the same):
 * sampling, KV cache length, threads, answer length, tokenizer override. */
#ifndef LF_CLI_RUN_OPTIONS_H
#define LF_CLI_RUN_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "llamafast.h"

#include "cli/grammar_options.h"
#include "cli/load.h"
#include "cli/sampling_options.h"

typedef struct cli_run_options {
    cli_model_source source;
    int max_new_tokens, threads, max_seq_len, batch_size;
    bool precise_activations;
    lf_kv_type type_k, type_v;
    cli_sampling sampling;
    cli_grammar_options grammar;
} cli_run_options;

/* Defaults: temperature 0.8, top-k 200, top-p, min-p and penalties off, seed from the
 * clock. */
void cli_run_options_init(cli_run_options *o, int max_new_tokens);
void cli_run_options_free(cli_run_options *o);
/* Parses argv[*i] when it is one of these options (advancing *i past its value).
 * Returns 1 when consumed, 0 when it is not one of them, -1 after printing an error. */
int cli_run_option(int argc, char **argv, int *i, cli_run_options *o);
/* The help lines of these options. */
void cli_run_options_usage(FILE *out, const cli_run_options *o);
/* The context parameters of o; on a terminal, prompts longer than a batch show progress
 * (cli_prompt_progress) on stderr. */
lf_context_params cli_run_context_params(const cli_run_options *o);
/* "prompt: done / total tokens (pct%)" redrawn on stderr, erased when done. */
void cli_prompt_progress(int done, int total, void *user);
/* The largest -b the library takes (its LF_MAX_BATCH). */
#define CLI_MAX_BATCH 256

#endif
