/* llama-fast: dispatches to one subcommand per file (see commands.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/llama_cpp_flags.h"
#include "cli/load.h"
#include "cli/model_path.h"
#include "cli/warnings.h"
#include "frontend/print_escaped.h"
#include "llamafast.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"generate", cmd_generate, "generate text from a prompt"},
    {"chat", cmd_chat, "talk with a model, turn by turn"},
    {"bench", cmd_bench, "measure prompt-processing and generation speed"},
    {"info", cmd_info, "describe a model file: architecture, sizes, tensors, tokenizer"},
    {"export", cmd_export, "write a model as a llama2.c .bin or a self-contained executable"},
    {"quantize", cmd_quantize, "write a model as a GGUF of another type (Q4_K_M, Q8_0, F16, ...)"},
    {"tokenize", cmd_tokenize, "print the token ids of a text"},
    {"eval", cmd_eval, "measure a model: perplexity, KL divergence from a base model, benchmarks (hellaswag, mmlu, ...)"},
    {"imatrix", cmd_imatrix, "compute an importance matrix over a text, for calibrated quantization"},
    {"template", cmd_template, "print the prompt a conversation becomes under the chat template"},
    {"server", cmd_server, "serve the model over HTTP with the OpenAI API"},
    {"browser", cmd_browser, "serve a chat page for a web browser (and the OpenAI API)"},
    {"list", cmd_list, "list the known models and what is downloaded"},
    {"download", cmd_download, "download a known model or a Hugging Face repository"},
    {"where", cmd_where, "print the path of a downloaded model"},
    {"remove", cmd_remove, "delete a downloaded model"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: llama-fast COMMAND [options]   (llama-fast COMMAND --help for details)\n"
                 "       llama-fast --version   (or: llama-fast version)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nMODEL is a .gguf or llama2.c .bin path, or a name from 'llama-fast list' (downloaded on\n"
                 "first use; --no-download refuses). llama.cpp's -m -p -n -c -b -f -sys -np --ctx-size\n"
                 "--n-predict --system-prompt work as there on generate, chat, server and browser.\n");
    if (cli_default_model())
        fprintf(out, "This program carries a model: MODEL may be left out ('info' describes it).\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("llama-fast %s\n", lf_version());
        return 0;
    }
    /* Every command shows what the library warns about (an unknown pre-tokenizer, say):
     * a model that loads with a caveat must not load silently. */
    cli_show_warnings(true);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name)) continue;
        /* every command takes --name=value for --name value */
        int n;
        char **args = cli_split_equals(argc - 1, argv + 1, &n);
        if (!args) {
            fprintf(stderr, "error: out of memory\n");
            return 1;
        }
        bool no_download;
        cli_translate_llama_cpp_flags(commands[i].name, args, &n, &no_download);
        cli_refuse_downloads(no_download);
        int status = commands[i].run(n, args);
        free(args);
        return status;
    }
    print_escaped(stderr, "error: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
