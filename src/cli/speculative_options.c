#include "cli/speculative_options.h"

#include <string.h>

#include "cli/args.h"
#include "cli/load.h"
#include "frontend/print_escaped.h"

void cli_spec_options_init(cli_spec_options *o) {
    *o = (cli_spec_options){.draft_max = lf_speculative_default_params().max_draft};
}

int cli_spec_option(int argc, char **argv, int *i, cli_spec_options *o) {
    const char *a = argv[*i];
    if (strcmp(a, "--draft") && strcmp(a, "--lookup") && strcmp(a, "--draft-max")) return 0;
    const char *v = cli_value(argc, argv, i);
    if (!v) return -1;
    if (!strcmp(a, "--draft")) {
        o->draft_path = v;
        return 1;
    }
    return cli_int(a, v, 1, 64, !strcmp(a, "--lookup") ? &o->lookup : &o->draft_max) ? 1 : -1;
}

bool cli_spec_open(const cli_spec_options *o, const lf_context *ctx, const lf_context_params *cp,
                   const char *tokenizer_path, cli_spec *out) {
    *out = (cli_spec){.params = lf_speculative_default_params()};
    out->params.lookup_ngram = o->lookup;
    out->params.max_draft = o->draft_max;
    lf_error err = {0};
    if (o->draft_path && o->lookup) {
        fprintf(stderr, "error: --draft and --lookup cannot be used together: choose one\n");
        return false;
    }
    if (o->draft_path) {
        cli_model_source src = {.tokenizer_path = tokenizer_path};
        if (!(out->draft_model = cli_load_model(o->draft_path, &src))) return false;
        if (lf_context_create(out->draft_model, cp, &out->draft_ctx, &err) != LF_OK) {
            print_escaped(stderr, "error: --draft %s: %s\n", o->draft_path, err.message);
            cli_spec_close(out);
            return false;
        }
        out->params.draft = out->draft_ctx;
    }
    if (lf_speculative_check(ctx, &out->params, &err) != LF_OK) {
        if (o->draft_path) print_escaped(stderr, "error: --draft %s: %s\n", o->draft_path, err.message);
        else print_escaped(stderr, "error: %s\n", err.message);
        cli_spec_close(out);
        return false;
    }
    return true;
}

void cli_spec_close(cli_spec *s) {
    lf_context_free(s->draft_ctx);
    lf_model_free(s->draft_model);
    *s = (cli_spec){0};
}

void cli_spec_print_stats(FILE *out, const lf_generate_stats *st) {
    if (st->n_drafted > 0)
        fprintf(out, ", %d of %d guesses accepted (%.1f %%)", st->n_accepted, st->n_drafted,
                100.0 * st->n_accepted / st->n_drafted);
}
