#include "cli/load.h"

#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/model_path.h"
#include "frontend/print_escaped.h"

int cli_model_source_option(int argc, char **argv, int *i, cli_model_source *s) {
    const char *a = argv[*i], **slot = !strcmp(a, "--tokenizer-path") ? &s->tokenizer_path
                                     : !strcmp(a, "--params-path")    ? &s->params_path
                                     : !strcmp(a, "--params-table")   ? &s->params_table
                                                                      : NULL;
    if (!slot) return 0;
    return (*slot = cli_value(argc, argv, i)) ? 1 : -1;
}

lf_model *cli_load_model(const char *name_or_path, const cli_model_source *src) {
    char buf[4096];
    const char *path = cli_resolve_model(name_or_path, buf, sizeof buf);
    lf_model_params mp = lf_model_default_params();
    if (src) {
        mp.tokenizer_path = src->tokenizer_path;
        mp.params_path = src->params_path;
        mp.params_table = src->params_table;
    }
    lf_embedded_model where;
    int embedded = cli_embedded_model(path, &where);
    if (embedded < 0) return NULL;
    if (embedded) {
        mp.file_offset = where.offset;
        mp.file_size = where.size;
    }
    lf_model *model = NULL;
    lf_error err = {0};
    if (lf_model_load(path, &mp, &model, &err) != LF_OK) {
        print_escaped(stderr, "error: %s\n", err.message);
        return NULL;
    }
    return model;
}
