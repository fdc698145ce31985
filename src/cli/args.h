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

#endif
