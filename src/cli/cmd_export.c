/* llama-fast export: a model made deployable, as torchchat's `export` verb: a llama2.c
 * checkpoint (with its tokenizer.bin) or one self-contained executable. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/load.h"
#include "cli/model_path.h"
#include "frontend/print_escaped.h"

static void export_usage(FILE *out) {
    fprintf(out,
            "usage: llama-fast export SRC [options]\n"
            "\n"
            "Writes SRC (a .gguf of any type, a Hugging Face directory, a PyTorch checkpoint,\n"
            "a llama2.c .bin or a model name) in deployable forms; each output is written to\n"
            "OUT.part and renamed when complete. At least one output is needed.\n"
            "\n"
            "  --output-bin-path F     llama2.c checkpoint, byte for byte what llama2.c's\n"
            "                          export.py writes, and tokenizer.bin beside it (as its\n"
            "                          tokenizer.py writes), for llama2.c's run.c / runq.c\n"
            "  --bin-version V         0 (fp32, legacy header; default), 1 (fp32, \"ak42\"\n"
            "                          header) or 2 (int8 groups with fp32 scales, runq.c)\n"
            "  --group-size N          version 2: weights per scale (default 64); must divide\n"
            "                          the model width (runq.c also needs it to divide the\n"
            "                          feed-forward width)\n"
            "  --output-exe-path F     one executable: this program with the GGUF SRC inside,\n"
            "                          memory-mapped from it at run time; `F chat`, `F generate\n"
            "                          --prompt ...`, `F server`, `F info` need no other file\n"
            "  --output-gguf-path F    GGUF file (not yet available)\n"
            "  --quantize JSON|FILE    torchchat quantization scheme (not yet available)\n"
            "  --dtype f32|f16|bf16    weight type of the output (not yet available)\n" CLI_MODEL_SOURCE_USAGE
            "  -h, --help              this help\n");
}

typedef struct export_options {
    const char *src, *bin_path, *exe_path, *gguf_path, *quantize, *dtype;
    cli_model_source source;
    lf_llama2c_export_params bin;
} export_options;

static int parse_export_options(int argc, char **argv, export_options *o) {
    *o = (export_options){.bin = lf_llama2c_export_default_params()};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int src = cli_model_source_option(argc, argv, &i, &o->source);
        if (src < 0) return 2;
        if (src) continue;
        if (cli_is_help(a)) {
            export_usage(stdout);
            return 0;
        }
        if (a[0] != '-') {
            if (o->src) {
                print_escaped(stderr, "error: export: unexpected argument '%s'\n", a);
                return 2;
            }
            o->src = a;
            continue;
        }
        const char **slot = !strcmp(a, "--output-bin-path")    ? &o->bin_path
                            : !strcmp(a, "--output-exe-path")  ? &o->exe_path
                            : !strcmp(a, "--output-gguf-path") ? &o->gguf_path
                            : !strcmp(a, "--quantize")         ? &o->quantize
                            : !strcmp(a, "--dtype")            ? &o->dtype
                                                               : NULL;
        bool numeric = !strcmp(a, "--bin-version") || !strcmp(a, "--group-size");
        if (!slot && !numeric) {
            print_escaped(stderr, "error: export: unknown option %s (see --help)\n", a);
            return 2;
        }
        if (!(v = cli_value(argc, argv, &i))) return 2;
        if (slot) *slot = v;
        else if (!strcmp(a, "--bin-version") ? !cli_int(a, v, 0, 2, &o->bin.version)
                                               : !cli_int(a, v, 1, 1 << 20, &o->bin.group_size))
            return 2;
    }
    if (!o->src && !(o->src = cli_default_model())) {
        export_usage(stderr);
        return 2;
    }
    if (!o->bin_path && !o->exe_path && !o->gguf_path) {
        fprintf(stderr, "error: export: no output: give --output-bin-path, --output-exe-path or --output-gguf-path\n");
        return 2;
    }
    return -1;
}

/* NOT YET (issue 11): the GGUF writer (lf_quantize_model) and torchchat's load-time
 * schemes (--quantize, --dtype) are being built apart from this command; the lead wires
 * them in here. An executable embeds a GGUF file as it is, so a source that is not one,
 * or a request to change its weights, must go through that writer first. Returns the
 * exit status, or -1 to go on. */
static int export_not_yet(const export_options *o, const lf_model_info *src) {
    const char *missing = o->gguf_path ? "--output-gguf-path"
                          : o->quantize ? "--quantize"
                          : o->dtype    ? "--dtype"
                          : o->exe_path && strncmp(src->format, "gguf", 4) != 0
                              ? "--output-exe-path from a source that is not a GGUF file"
                              : NULL;
    if (!missing) return -1;
    print_escaped(stderr, "error: export: %s is not available yet\n", missing);
    return 1;
}

/* tokenizer.bin in the directory of path; false when it does not fit. */
static bool tokenizer_path(const char *path, char *out, size_t cap) {
    const char *slash = strrchr(path, '/');
    int n = snprintf(out, cap, "%.*stokenizer.bin", slash ? (int)(slash - path + 1) : 0, path);
    return n >= 0 && (size_t)n < cap;
}

/* Ctrl-C or a kill during an export removes the outputs' part files (the library writes
 * OUT.part and renames it when complete), so an interrupted export leaves nothing. */
static char part_paths[3][4096];

static void remove_parts(int sig) {
    for (int i = 0; i < 3; i++)
        if (part_paths[i][0]) unlink(part_paths[i]);
    _exit(128 + sig);
}

static void remove_parts_on_signals(const export_options *o) {
    const char *outs[3] = {o->bin_path, o->exe_path, NULL};
    char tok[4096];
    if (o->bin_path && tokenizer_path(o->bin_path, tok, sizeof tok)) outs[2] = tok;
    for (int i = 0; i < 3; i++)
        if (outs[i]) snprintf(part_paths[i], sizeof part_paths[i], "%s.part", outs[i]);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = remove_parts;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* A progress line on a terminal: percentage and amount. */
static void show_progress(uint64_t done, uint64_t total, void *user) {
    const char *what = user;
    if (!isatty(fileno(stderr)) || !total) return;
    fprintf(stderr, "\r%s: %3d%% (%.1f of %.1f M)", what, (int)(done * 100 / total), done / 1e6, total / 1e6);
    if (done >= total) fputc('\n', stderr);
    fflush(stderr);
}

/* Writes the model's tokenizer as tokenizer.bin beside the checkpoint at path. */
static int tokenizer_beside(const lf_model *model, const char *path) {
    const lf_tokenizer *tok = lf_model_tokenizer(model);
    if (!tok) {
        fprintf(stderr, "note: the model has no tokenizer; no tokenizer.bin written\n");
        return 0;
    }
    char out[4096];
    if (!tokenizer_path(path, out, sizeof out)) {
        fprintf(stderr, "error: export: %s: path too long\n", path);
        return 1;
    }
    lf_error err = {0};
    if (lf_export_llama2c_tokenizer(tok, out, &err) != LF_OK) {
        print_escaped(stderr, "error: %s\n", err.message);
        return 1;
    }
    print_escaped(stderr, "wrote %s\n", out);
    return 0;
}

static bool same_file(const char *a, const char *b) {
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int export_bin(const export_options *o, const lf_model *model) {
    char buf[4096];
    if (same_file(o->bin_path, cli_resolve_model(o->src, buf, sizeof buf))) {
        print_escaped(stderr, "error: export: %s: the output would overwrite its own input\n", o->bin_path);
        return 1;
    }
    lf_llama2c_export_params p = o->bin;
    p.progress = show_progress;
    p.progress_user = (void *)"llama2.c weights";
    lf_error err = {0};
    if (lf_export_llama2c(model, o->bin_path, &p, &err) != LF_OK) {
        print_escaped(stderr, "error: %s\n", err.message);
        return 1;
    }
    print_escaped(stderr, "wrote %s (llama2.c v%d)\n", o->bin_path, p.version);
    return tokenizer_beside(model, o->bin_path);
}

static int export_exe(const export_options *o) {
    char buf[4096];
    const char *src = cli_resolve_model(o->src, buf, sizeof buf);
    lf_embedded_model inside;
    if (cli_embedded_model(src, &inside) != 0) {
        fprintf(stderr, "error: export: give the GGUF file to embed (this program's own model cannot be re-embedded yet)\n");
        return 1;
    }
    lf_error err = {0};
    if (lf_export_executable(CLI_SELF_EXE, src, o->exe_path, show_progress, (void *)"executable", &err) != LF_OK) {
        print_escaped(stderr, "error: %s\n", err.message);
        return 1;
    }
    print_escaped(stderr, "wrote %s: run it as %s chat, %s generate --prompt TEXT, %s server, %s info\n", o->exe_path,
                  o->exe_path, o->exe_path, o->exe_path, o->exe_path);
    return 0;
}

int cmd_export(int argc, char **argv) {
    export_options o;
    int status = parse_export_options(argc, argv, &o);
    if (status >= 0) return status;
    lf_model *model = cli_load_model(o.src, &o.source);
    if (!model) return 1;
    lf_model_info info;
    lf_model_get_info(model, &info);
    status = export_not_yet(&o, &info);
    remove_parts_on_signals(&o);
    if (status < 0) status = o.bin_path ? export_bin(&o, model) : 0;
    if (!status && o.exe_path) status = export_exe(&o);
    lf_model_free(model);
    return status;
}
