/* --grammar TEXT, --grammar-file FILE, --json-schema TEXT, --json-schema-file FILE: the
 * structured-output options of generate, chat, server and browser (one of them at most). */
#ifndef LF_CLI_GRAMMAR_OPTIONS_H
#define LF_CLI_GRAMMAR_OPTIONS_H

#include <stdbool.h>

#include "llamafast.h"

typedef struct cli_grammar_options {
    const char *option; /* the one given, for messages; NULL = none */
    const char *value;  /* its text or file name */
} cli_grammar_options;

#define CLI_GRAMMAR_USAGE                                                                  \
    "  --grammar TEXT          constrain the output to a GBNF grammar (start rule: root)\n"  \
    "  --grammar-file FILE     the same, read from FILE\n"                                   \
    "  --json-schema TEXT      constrain the output to JSON matching this JSON Schema\n"     \
    "                          ('{\"type\":\"json_object\"}' = any JSON object)\n"               \
    "  --json-schema-file FILE the same, read from FILE\n"

/* Returns 1 when argv[*i] is one of these options (advancing *i past its value), 0 when
 * it is not, -1 after printing an error (a missing value, or a second such option). */
int cli_grammar_option(int argc, char **argv, int *i, cli_grammar_options *o);
/* The grammar's text (malloc'd; *is_schema set for JSON Schema), NULL without one. Returns
 * false after printing why (an unreadable file). */
bool cli_grammar_text(const cli_grammar_options *o, char **text, bool *is_schema);
/* Compiles the grammar given (*out = NULL without one); false after printing why. */
bool cli_grammar_load(const cli_grammar_options *o, lf_grammar **out);

#endif
