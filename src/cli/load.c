#include "cli/load.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/known_models.h"
#include "cli/model_path.h"
#include "frontend/print_escaped.h"

int cli_weight_option(int argc, char **argv, int *i, const char **quantize, const char **dtype) {
    const char **slot = !strcmp(argv[*i], "--quantize") ? quantize : !strcmp(argv[*i], "--dtype") ? dtype : NULL;
    if (!slot) return 0;
    return (*slot = cli_value(argc, argv, i)) ? 1 : -1;
}

int cli_model_source_option(int argc, char **argv, int *i, cli_model_source *s) {
    int w = cli_weight_option(argc, argv, i, &s->quantize, &s->dtype);
    if (w) return w;
    const char *a = argv[*i], **slot = !strcmp(a, "--tokenizer-path") ? &s->tokenizer_path
                                     : !strcmp(a, "--params-path")    ? &s->params_path
                                     : !strcmp(a, "--params-table")   ? &s->params_table
                                                                      : NULL;
    if (!slot) return 0;
    return (*slot = cli_value(argc, argv, i)) ? 1 : -1;
}

bool cli_no_repack_option(const char *a, bool *no_repack) {
    if (strcmp(a, "--no-repack")) return false;
    *no_repack = true;
    return true;
}

/* The progress of weight conversion as a bar on a terminal, redrawn at most every 100 ms. */
typedef struct load_bar {
    double start, drawn;
} load_bar;

static bool draw_bar(uint64_t done, uint64_t total, void *user) {
    load_bar *b = user;
    double now = lf_time_ms();
    if (done < total && now - b->drawn < 100) return true;
    b->drawn = now;
    int pct = total ? (int)(100 * done / total) : 100, filled = pct * 30 / 100;
    fprintf(stderr, "\rconverting weights [%.*s%*s] %3d%%  %.1f s", filled, "##############################",
            30 - filled, "", pct, (now - b->start) / 1e3);
    if (done >= total) fputc('\n', stderr);
    fflush(stderr);
    return true;
}

int cli_model_params(const char *path, const cli_model_source *src, bool weights, lf_model_params *mp) {
    *mp = lf_model_default_params();
    if (src) {
        mp->tokenizer_path = src->tokenizer_path;
        mp->params_path = src->params_path;
        mp->params_table = src->params_table;
        mp->quantize = weights ? src->quantize : NULL;
        mp->dtype = weights ? src->dtype : NULL;
        mp->repack = weights && src->repack;
    }
    lf_embedded_model where;
    int embedded = cli_embedded_model(path, &where);
    if (embedded < 0) return -1;
    if (embedded) {
        mp->file_offset = where.offset;
        mp->file_size = where.size;
    }
    return 0;
}

static bool downloads_refused;

void cli_refuse_downloads(bool refuse) { downloads_refused = refuse; }

/* The path of MODEL: a known model that is not in the store yet is downloaded first
 * (unless refused); a name that is neither a file nor a known model is said to be so.
 * NULL after saying why there is none. */
static const char *model_path(const char *name_or_path, char *buf, size_t cap) {
    const char *path = cli_resolve_model(name_or_path, buf, cap);
    if (path != name_or_path || access(path, F_OK) == 0) return path;
    const known_model *known = known_model_find(name_or_path);
    if (!known) {
        print_escaped(stderr, "error: '%s' is neither a file nor a known model name; see `llama-fast list`\n",
                      name_or_path);
        return NULL;
    }
    if (downloads_refused) {
        print_escaped(stderr, "error: %s is not downloaded; `llama-fast download %s` fetches it\n", name_or_path,
                      name_or_path);
        return NULL;
    }
    print_escaped(stderr, "%s is not downloaded yet: downloading it now (--no-download refuses)\n", name_or_path);
    if (cli_download(name_or_path) != 0) return NULL;
    path = cli_resolve_model(name_or_path, buf, cap);
    return path != name_or_path ? path : NULL;
}

lf_model *cli_load_model(const char *name_or_path, const cli_model_source *src) {
    char buf[4096];
    const char *path = model_path(name_or_path, buf, sizeof buf);
    if (!path) return NULL;
    lf_model_params mp;
    if (cli_model_params(path, src, true, &mp) < 0) return NULL;
    load_bar bar = {.start = lf_time_ms()};
    if (isatty(STDERR_FILENO)) {
        mp.progress = draw_bar;
        mp.progress_user = &bar;
    }
    lf_model *model = NULL;
    lf_error err = {0};
    if (lf_model_load(path, &mp, &model, &err) != LF_OK) {
        print_escaped(stderr, "error: %s\n", err.message);
        return NULL;
    }
    lf_model_info info;
    lf_model_get_info(model, &info);
    if (info.repacked_bytes)
        fprintf(stderr, "weights repacked for batched streams: %.1f MiB more memory (--no-repack saves it)\n",
                (double)info.repacked_bytes / 1048576.0);
    char scheme[256];
    if ((mp.quantize || mp.dtype) && lf_quantize_scheme_describe(mp.quantize, mp.dtype, scheme, sizeof scheme, NULL) == LF_OK)
        print_escaped(stderr, "loaded in %.2f s, weights converted: %s\n", (lf_time_ms() - bar.start) / 1e3, scheme);
    return model;
}
