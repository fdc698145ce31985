/* Resolves what a user typed for MODEL: a path, or an alias of a model in the store. */
#ifndef LF_CLI_MODEL_PATH_H
#define LF_CLI_MODEL_PATH_H

#include <stddef.h>

/* Returns name_or_path itself when it is an existing file; for the alias "smollm2" the
 * first of models/SmolLM2-135M-Instruct.Q4_1.gguf and
 * $LLAMA_FAST_HOME/models/SmolLM2-135M-Instruct.Q4_1.gguf (default home ~/.llama-fast)
 * that exists, written into buf. Otherwise returns name_or_path unchanged, so the loader
 * reports the missing file by the name the user gave. */
const char *cli_resolve_model(const char *name_or_path, char *buf, size_t cap);

#endif
