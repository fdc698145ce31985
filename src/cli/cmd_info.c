/* llama-fast info: what a model file holds. */
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/model_path.h"
#include "cli/load.h"
#include "frontend/print_escaped.h"

static void info_usage(FILE *out) {
    fprintf(out,
            "usage: llama-fast info MODEL [--tensors] [--tokenizer-path PATH]\n"
            "                         [--params-path FILE | --params-table NAME]\n"
            "\n"
            "Prints the architecture, hyper-parameters, parameter count, weight types and\n"
            "sizes, tokenizer and chat template of MODEL.\n"
            "  --tensors               also list every tensor (name, type, shape)\n" CLI_MODEL_SOURCE_USAGE);
}

static void print_template(const char *tmpl) {
    if (!tmpl) {
        printf("chat template:   none\n");
        return;
    }
    size_t len = strlen(tmpl);
    char head[121];
    snprintf(head, sizeof head, "%s", tmpl);
    for (char *c = head; (c = strchr(c, '\n')) != NULL;) *c = ' ';
    print_escaped(stdout, "chat template:   %zu bytes: %s%s\n", len, head, len > 120 ? "..." : "");
}

static void print_tensor_types(const lf_model *model, bool list_all) {
    const char *names[32];
    int counts[32], n_types = 0;
    const char *name, *type;
    int64_t ne[4];
    int n_dims;
    for (int i = 0; lf_model_tensor(model, i, &name, &type, ne, &n_dims); i++) {
        if (list_all) {
            print_escaped(stdout, "  %-40s %-5s [", name, type);
            for (int d = 0; d < n_dims; d++) printf("%s%lld", d ? ", " : "", (long long)ne[d]);
            printf("]\n");
        }
        int t = 0;
        while (t < n_types && strcmp(names[t], type) != 0) t++;
        if (t == n_types && n_types < 32) {
            names[n_types] = type;
            counts[n_types++] = 0;
        }
        if (t < 32) counts[t]++;
    }
    printf("tensor types:   ");
    for (int t = 0; t < n_types; t++) printf(" %s×%d", names[t], counts[t]);
    printf("\n");
}

int cmd_info(int argc, char **argv) {
    const char *model_name = NULL;
    cli_model_source source = {0};
    bool list_tensors = false;
    for (int i = 1; i < argc; i++) {
        int src = cli_model_source_option(argc, argv, &i, &source);
        if (src < 0) return 2;
        if (src) continue;
        if (cli_is_help(argv[i])) {
            info_usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--tensors")) list_tensors = true;
        else if (argv[i][0] == '-' || model_name) {
            print_escaped(stderr, "error: info: unexpected argument '%s' (see --help)\n", argv[i]);
            return 2;
        } else model_name = argv[i];
    }
    if (!model_name && !(model_name = cli_default_model())) {
        info_usage(stderr);
        return 2;
    }
    lf_model *model = cli_load_model(model_name, &source);
    if (!model) return 1;
    lf_model_info in;
    lf_model_get_info(model, &in);
    print_escaped(stdout, "name:            %s\n", in.name);
    lf_embedded_model where;
    if (cli_embedded_model(model_name, &where) > 0)
        printf("embedded:        in this executable: %.1f MiB at offset %llu (program %llu bytes)\n",
               where.size / 1048576.0, (unsigned long long)where.offset, (unsigned long long)where.program_size);
    printf("format:          %s\n", in.format);
    print_escaped(stdout, "architecture:    %s\n", in.architecture);
    printf("parameters:      %.1f M\n", in.n_params / 1e6);
    printf("weights:         %s, %.1f MiB read per token\n", in.weight_type, in.weight_bytes / 1048576.0);
    printf("layers:          %d\n", in.n_layers);
    printf("embedding:       %d (feed-forward %d)\n", in.dim, in.hidden_dim);
    printf("heads:           %d query, %d key/value, head dimension %d\n", in.n_heads, in.n_kv_heads, in.head_dim);
    printf("context length:  %d\n", in.context_length);
    printf("rope:            theta %g%s\n", in.rope_theta, in.rope_scaling_llama3 ? ", llama3 frequency scaling" : "");
    printf("norm epsilon:    %g\n", in.norm_eps);
    printf("embeddings:      %s\n", in.tied_embeddings ? "tied (output uses token_embd)" : "separate output matrix");
    const lf_tokenizer *tok = lf_model_tokenizer(model);
    if (tok)
        printf("tokenizer:       %d tokens, BOS %d, EOS %d\n", lf_tokenizer_vocab_size(tok), lf_token_bos(tok),
               lf_token_eos(tok));
    else
        printf("tokenizer:       none (give --tokenizer-path)\n");
    printf("vocabulary:      %d\n", in.vocab_size);
    print_template(in.chat_template);
    print_tensor_types(model, list_tensors);
    lf_model_free(model);
    return 0;
}
