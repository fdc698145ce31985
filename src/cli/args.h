/* Small helpers shared by the subcommands' option parsers. */
#ifndef LF_CLI_ARGS_H
#define LF_CLI_ARGS_H

#include <stdbool.h>

/* Value of option argv[*i] (advancing *i); prints an error and returns NULL if missing. */
const char *cli_value(int argc, char **argv, int *i);
/* Parse a number in [lo, hi]; print "<flag>: ..." and return false when invalid. */
bool cli_int(const char *flag, const char *text, long lo, long hi, int *out);
bool cli_float(const char *flag, const char *text, double lo, double hi, float *out);
bool cli_u64(const char *flag, const char *text, unsigned long long *out);
/* Parses "1,2,3" into at most cap ints in [lo, hi]; returns the count or -1. */
int cli_int_list(const char *flag, const char *text, long lo, long hi, int *out, int cap);
bool cli_is_help(const char *arg);
/* argv with each "--name=value" split into "--name" "value" (the strings stay argv's):
 * a malloc'd array of *out_argc entries and a NULL, or NULL when out of memory. */
char **cli_split_equals(int argc, char **argv, int *out_argc);
/* The activation precision flags of every command that runs a model, the last one
 * winning: --precise-activations adds each activation's int8 rounding residual,
 * --int8-activations (the default) leaves it out. True when arg is one of them. */
bool cli_precision_option(const char *arg, bool *precise);
#define CLI_PRECISION_USAGE                                                                 \
    "  --precise-activations   send each int8 activation with its int8 rounding residual:\n" \
    "                          logits far closer to float arithmetic (mean KL divergence\n"   \
    "                          ~1e-6 instead of ~4e-3); prompts up to 2x, decode up to\n"     \
    "                          1.5x slower; BF16 weights' prompts keep f32 activations\n"    \
    "                          (else bf16 where the CPU's AVX512_BF16 is the faster)\n"      \
    "  --int8-activations      plain int8 activations, as llama.cpp (the default; undoes\n"  \
    "                          an earlier --precise-activations)\n"

#endif
