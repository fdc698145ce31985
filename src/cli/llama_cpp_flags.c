#include "cli/llama_cpp_flags.h"

#include <string.h>

typedef struct flag_alias {
    const char *from, *to; /* to NULL: the flag's value becomes the positional MODEL */
    const char *commands;  /* the commands that take it, as " name " words */
} flag_alias;

#define RUNNERS " generate chat server browser "
/* llama-bench, llama-perplexity, llama-imatrix, llama-tokenize take -m too */
#define MODEL_TAKERS " generate chat server browser bench info eval imatrix tokenize "
static const flag_alias aliases[] = {
    {"-m", NULL, MODEL_TAKERS},
    {"--model", NULL, MODEL_TAKERS},
    {"-p", "--prompt", " generate "},
    {"-f", "--prompt-file", " generate "},
    {"--file", "--prompt-file", " generate "},
    {"-n", "--max-new-tokens", " generate chat "},
    {"--n-predict", "--max-new-tokens", " generate chat "},
    {"-c", "--max-seq-len", RUNNERS},
    {"--ctx-size", "--max-seq-len", RUNNERS},
    {"-b", "--batch-size", RUNNERS},
    {"-sys", "--system", " chat "},
    {"--system-prompt", "--system", " chat "},
    {"-np", "--parallel", " server browser "},
    {"--threads", "-t", RUNNERS},
};

/* Commands that load a model, and so may download one on first use. */
static const char loaders[] = " generate chat server browser bench info eval imatrix template export quantize tokenize ";

/* Options whose value is text that may look like a flag. */
static bool free_text(const char *option) {
    static const char *const names[] = {"--prompt", "--system", "--grammar", "--json-schema", "--stop"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(option, names[i])) return true;
    return false;
}

static bool takes(const char *commands, const char *command) {
    const char *at = strstr(commands, command);
    size_t n = strlen(command);
    return at && at > commands && at[-1] == ' ' && at[n] == ' ';
}

void cli_translate_llama_cpp_flags(const char *command, char **args, int *n, bool *no_download) {
    *no_download = false;
    int out = 1;
    for (int i = 1; i < *n; i++) {
        char *a = args[i];
        if (!strcmp(a, "--no-download") && takes(loaders, command)) {
            *no_download = true;
            continue;
        }
        const flag_alias *alias = NULL;
        for (size_t k = 0; !alias && k < sizeof aliases / sizeof *aliases; k++)
            if (!strcmp(a, aliases[k].from) && takes(aliases[k].commands, command)) alias = &aliases[k];
        if (alias && !alias->to && i + 1 < *n) {
            args[out++] = args[++i]; /* -m FILE: FILE is MODEL */
            continue;
        }
        /* the aliases' targets are string literals the commands only read */
        args[out++] = alias && alias->to ? (char *)alias->to : a;
        if (free_text(args[out - 1]) && i + 1 < *n) args[out++] = args[++i]; /* "--prompt -n" is text */
    }
    args[out] = NULL;
    *n = out;
}
