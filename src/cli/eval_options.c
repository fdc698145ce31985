#include "cli/eval_options.h"

#include <string.h>

#include "cli/args.h"

int cli_eval_option(int argc, char **argv, int *i, cli_eval_options *o) {
    const char *a = argv[*i];
    if (!strcmp(a, "--json")) {
        o->json = true;
        return 1;
    }
    if (cli_precision_option(a, &o->precise_activations)) return 1;
    int kv = cli_kv_type_option(argc, argv, i, &o->type_k, &o->type_v);
    if (kv) return kv;
    int src = cli_model_source_option(argc, argv, i, &o->source);
    if (src) return src;
    if (!strcmp(a, "-t") || !strcmp(a, "--threads")) {
        const char *v = cli_value(argc, argv, i);
        return v && cli_int(a, v, 1, 512, &o->threads) ? 1 : -1;
    }
    if (a[0] != '-' && !o->model) {
        o->model = a;
        return 1;
    }
    return 0;
}

const char *cli_eval_task_name(int argc, char **argv) {
    const char *task = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--task") || !strcmp(argv[i], "--tasks")) task = i + 1 < argc ? argv[++i] : "";
        else if (!strncmp(argv[i], "--task=", 7)) task = argv[i] + 7;
        else if (!strncmp(argv[i], "--tasks=", 8)) task = argv[i] + 8;
    }
    return task;
}
