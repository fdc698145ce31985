/* The flags people know from llama.cpp's llama-cli and llama-server, spelled as this
 * program's own options for the commands that take them, and --no-download. */
#ifndef LF_CLI_LLAMA_CPP_FLAGS_H
#define LF_CLI_LLAMA_CPP_FLAGS_H

#include <stdbool.h>

/* Rewrites args[0, *n) of command (args[0] is its name) in place: each llama.cpp flag the
 * command has an equivalent of becomes it (-m FILE becomes the positional MODEL, so *n
 * may shrink); --no-download is taken out and reported in *no_download for the commands
 * that load models. Other arguments are left for the command to judge. */
void cli_translate_llama_cpp_flags(const char *command, char **args, int *n, bool *no_download);

#endif
