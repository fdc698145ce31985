/* The options every `llama-fast eval` mode shares (perplexity here, the multiple-choice
 * tasks in cmd_eval_task.c): the model and how it is loaded, threads, precision, KV cache type, --json. */
#ifndef LF_CLI_EVAL_OPTIONS_H
#define LF_CLI_EVAL_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/kv_type_option.h"
#include "cli/load.h"

typedef struct cli_eval_options {
    const char *model;        /* the first positional argument */
    cli_model_source source;  /* --tokenizer-path, --quantize, --dtype, ... (the model's) */
    int threads;              /* -t; 0 = the default */
    bool precise_activations;
    lf_kv_type type_k, type_v;
    bool json;
} cli_eval_options;

/* Parses argv[*i] when it is one of these options or the model (advancing *i past a
 * value). Returns 1 when consumed, 0 when not one of them, -1 after printing an error. */
int cli_eval_option(int argc, char **argv, int *i, cli_eval_options *o);
/* The task named by --task / --tasks (NULL when none), found without parsing the rest. */
const char *cli_eval_task_name(int argc, char **argv);
#define CLI_EVAL_USAGE                                                                      \
    "  -t, --threads N         threads (default: the physical cores)\n"                     \
    "  --json                  print one JSON object on stdout instead of the report\n"    \
    CLI_MODEL_SOURCE_USAGE                                                                \
    CLI_PRECISION_USAGE                                                                   \
    CLI_KV_TYPE_USAGE

#endif
