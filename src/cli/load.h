/* Model loading shared by the subcommands: alias resolution, error printing. */
#ifndef LF_CLI_LOAD_H
#define LF_CLI_LOAD_H

#include "llamafast.h"

/* Loads MODEL (path or alias); prints the error and returns NULL on failure. */
lf_model *cli_load_model(const char *name_or_path, const char *tokenizer_path);

#endif
