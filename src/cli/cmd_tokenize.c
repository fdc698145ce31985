/* llama-fast tokenize MODEL_OR_TOKENIZER (--text STR | --file PATH) [--bos] [--no-bos]
 *                     [--parse-special]
 * Prints the token ids of the text, space-separated, on one line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/model_path.h"
#include "cli/read_file.h"
#include "frontend/print_escaped.h"
#include "llamafast.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: llama-fast tokenize MODEL_OR_TOKENIZER (--text STR | --file PATH)\n"
            "                           [--bos] [--no-bos] [--parse-special]\n"
            "  MODEL_OR_TOKENIZER  a .gguf file, tokenizer.model, llama2.c tokenizer.bin,\n"
            "                      or \"smollm2\"\n"
            "  --bos / --no-bos    force / suppress BOS (default: as the tokenizer says)\n"
            "  --parse-special     text such as <|im_start|> becomes its special token\n");
}

int cmd_tokenize(int argc, char **argv) {
    const char *model = NULL, *text = NULL, *file = NULL;
    int flags = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--text") && i + 1 < argc) {
            text = argv[++i];
        } else if (!strcmp(a, "--file") && i + 1 < argc) {
            file = argv[++i];
        } else if (!strcmp(a, "--bos")) {
            flags = (flags & ~LF_TOKENIZE_NO_BOS) | LF_TOKENIZE_ADD_BOS;
        } else if (!strcmp(a, "--no-bos")) {
            flags = (flags & ~LF_TOKENIZE_ADD_BOS) | LF_TOKENIZE_NO_BOS;
        } else if (!strcmp(a, "--parse-special")) {
            flags |= LF_TOKENIZE_PARSE_SPECIAL;
        } else if (a[0] != '-' && !model) {
            model = a;
        } else {
            print_escaped(stderr, "tokenize: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!model || (!text) == (!file)) {
        usage(stderr);
        return 2;
    }
    char path_buf[4096];
    const char *path = cli_resolve_model(model, path_buf, sizeof path_buf);
    lf_tokenizer *tok;
    lf_error err;
    if (lf_tokenizer_load(path, &tok, &err) != LF_OK) {
        print_escaped(stderr, "tokenize: %s\n", err.message);
        return 1;
    }
    size_t len = text ? strlen(text) : 0;
    char *owned = file ? cli_read_file(file, &len) : NULL;
    if (file && !owned) {
        print_escaped(stderr, "tokenize: %s: cannot read\n", file);
        lf_tokenizer_free(tok);
        return 1;
    }
    size_t n = 0;
    int32_t *ids = NULL;
    int rc = lf_tokenize(tok, file ? owned : text, len, flags, NULL, 0, &n, &err);
    if (rc == LF_OK) {
        ids = malloc((n ? n : 1) * sizeof *ids);
        rc = ids ? lf_tokenize(tok, file ? owned : text, len, flags, ids, n, &n, &err)
                 : LF_ERR_NOMEM;
    }
    if (rc == LF_OK) {
        for (size_t i = 0; i < n; i++) printf(i ? " %d" : "%d", ids[i]);
        putchar('\n');
    } else {
        print_escaped(stderr, "tokenize: %s\n", rc == LF_ERR_NOMEM ? "out of memory" : err.message);
    }
    free(ids);
    free(owned);
    lf_tokenizer_free(tok);
    return rc == LF_OK ? 0 : 1;
}
