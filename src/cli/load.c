#include "cli/load.h"

#include <stdio.h>

#include "cli/model_path.h"

lf_model *cli_load_model(const char *name_or_path, const char *tokenizer_path) {
    char buf[4096];
    const char *path = cli_resolve_model(name_or_path, buf, sizeof buf);
    lf_model_params mp = lf_model_default_params();
    mp.tokenizer_path = tokenizer_path;
    lf_model *model = NULL;
    lf_error err = {0};
    if (lf_model_load(path, &mp, &model, &err) != LF_OK) {
        fprintf(stderr, "error: %s\n", err.message);
        return NULL;
    }
    return model;
}
