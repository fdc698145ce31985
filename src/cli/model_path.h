/* Resolves what a user typed for MODEL: a path, or the name of a model in the store. */
#ifndef LF_CLI_MODEL_PATH_H
#define LF_CLI_MODEL_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "llamafast.h"

/* Where a downloaded model is: for a known alias, its model file (or its directory, for
 * Hugging Face checkpoints) in the store; for a repository id, its directory. Writes the
 * path into buf; false when name is not a valid name or not (completely) downloaded. */
bool cli_downloaded_model(const char *name, char *buf, size_t cap);

/* What MODEL names, in this order: the downloaded model of that name in the store
 * (cli_downloaded_model), so that a name means the same model from every directory; an
 * existing file or directory at that path (returned itself); for the alias "smollm2",
 * models/SmolLM2-135M-Instruct.Q4_1.gguf under the working directory, where `make run`
 * puts it in a checkout. Otherwise returns name_or_path unchanged, so the loader reports
 * the missing file by the name the user gave. Paths are written into buf. */
const char *cli_resolve_model(const char *name_or_path, char *buf, size_t cap);

/* This program's own file (for `export --output-exe-path` to copy). */
#define CLI_SELF_EXE "/proc/self/exe"

/* The MODEL a command uses when none is given: this executable's path when it
 * ends in an embedded-model trailer (even a damaged one, which loading then reports),
 * else NULL. */
const char *cli_default_model(void);
/* 1 when path names the embedded model (where tells where it lies in the executable),
 * 0 when it does not, -1 after printing why the embedded model is damaged. */
int cli_embedded_model(const char *path, lf_embedded_model *where);

#endif
