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
            "  --output-exe-path F     one executable: this program with the model inside (a\n"
            "                          GGUF: SRC itself, or SRC converted as --output-gguf-path\n"
            "                          writes it), memory-mapped from it at run time; `F chat`,\n"
            "                          `F generate --prompt ...`, `F server`, `F info` need no\n"
            "                          other file\n"
            "  --output-gguf-path F    GGUF file, its tensors typed by --quantize / --dtype as\n"
            "                          conversion at load types them (neither: as SRC has them)\n"
            "  --quantize, --dtype     (below) apply to the GGUF and executable outputs; a .bin\n"
            "                          is fp32 (v0, v1) or its own int8 groups (v2): --dtype f32\n"
            "                          only\n"
            "  -t, --threads N         threads writing a GGUF (default: the CPU cores)\n" CLI_MODEL_SOURCE_USAGE
            "  -h, --help              this help\n");
}

typedef struct export_options {
    const char *src, *bin_path, *exe_path, *gguf_path;
    cli_model_source source; /* its quantize and dtype: the GGUF's and executable's weights */
    int n_threads;           /* writing a GGUF; 0 = the CPU cores */
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
                                                               : NULL;
        bool numeric = !strcmp(a, "--bin-version") || !strcmp(a, "--group-size") || !strcmp(a, "-t") ||
                       !strcmp(a, "--threads");
        if (!slot && !numeric) {
            print_escaped(stderr, "error: export: unknown option %s (see --help)\n", a);
            return 2;
        }
        if (!(v = cli_value(argc, argv, &i))) return 2;
        if (slot) *slot = v;
        else if (!strcmp(a, "--bin-version") ? !cli_int(a, v, 0, 2, &o->bin.version)
                 : !strcmp(a, "--group-size") ? !cli_int(a, v, 1, 1 << 20, &o->bin.group_size)
                                              : !cli_int(a, v, 1, 1024, &o->n_threads))
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

/* A .bin carries fp32 (v0, v1) or int8 groups of its own (v2): a scheme cannot shape it.
 * Returns the exit status, or -1 to go on. */
static int check_bin_weights(const export_options *o) {
    char scheme[256];
    lf_error err = {0};
    const char *refused = o->source.quantize ? "--quantize" : NULL;
    if (!refused && o->source.dtype) {
        if (lf_quantize_scheme_describe(NULL, o->source.dtype, scheme, sizeof scheme, &err) != LF_OK) {
            print_escaped(stderr, "error: export: %s\n", err.message);
            return 2;
        }
        size_t n = strlen(scheme);
        refused = n < 3 || strcmp(scheme + n - 3, "F32") != 0 ? "--dtype" : NULL;
    }
    if (!refused) return -1;
    print_escaped(stderr, "error: export: %s does not apply to --output-bin-path %s: llama2.c's .bin carries fp32 "
                  "weights (--bin-version 0 or 1) or its own int8 groups (--bin-version 2 --group-size N); "
                  "write the .bin in its own export run, or give --dtype f32 only\n", refused, o->bin_path);
    return 2;
}

/* tokenizer.bin in the directory of path; false when it does not fit. */
static bool tokenizer_path(const char *path, char *out, size_t cap) {
    const char *slash = strrchr(path, '/');
    int n = snprintf(out, cap, "%.*stokenizer.bin", slash ? (int)(slash - path + 1) : 0, path);
    return n >= 0 && (size_t)n < cap;
}

/* The GGUF an executable embeds when SRC must be converted first, beside the output. */
static char temp_model[4096];

/* Ctrl-C or a kill during an export removes the outputs' part files (the library writes
 * OUT.part and renames it when complete) and the temporary model, so an interrupted
 * export leaves nothing. */
enum { N_PARTS = 6 };
static char part_paths[N_PARTS][4096];

static void remove_parts(int sig) {
    for (int i = 0; i < N_PARTS; i++)
        if (part_paths[i][0]) unlink(part_paths[i]);
    _exit(128 + sig);
}

static void remove_parts_on_signals(const export_options *o) {
    char tok[4096];
    const char *outs[N_PARTS] = {o->bin_path, o->exe_path, o->gguf_path, NULL, NULL, NULL};
    if (o->bin_path && tokenizer_path(o->bin_path, tok, sizeof tok)) outs[3] = tok;
    if (temp_model[0]) outs[4] = temp_model;
    for (int i = 0; i < 5; i++)
        if (outs[i]) snprintf(part_paths[i], sizeof part_paths[i], "%s.part", outs[i]);
    if (temp_model[0]) snprintf(part_paths[5], sizeof part_paths[5], "%s", temp_model);
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

/* The quantize progress as a line on a terminal. */
static void show_quantize_progress(const lf_quantize_progress *p, void *user) {
    show_progress(p->bytes_read, p->bytes_to_read, user);
}

/* SRC as a GGUF at out, typed by --quantize / --dtype (neither: as SRC has them). */
static int export_gguf(const export_options *o, const char *src, const char *out) {
    lf_model_params mp;
    if (cli_model_params(src, &o->source, false, &mp) < 0) return 1;
    lf_quantize_params qp = lf_quantize_default_params();
    qp.quantize = o->source.quantize;
    qp.dtype = o->source.dtype;
    qp.n_threads = o->n_threads;
    qp.progress = show_quantize_progress;
    qp.progress_user = (void *)"GGUF";
    lf_error err = {0};
    if (lf_quantize_model(src, &mp, out, &qp, &err) != LF_OK) {
        print_escaped(stderr, "error: %s\n", err.message);
        return 1;
    }
    if (out == temp_model) return 0;
    char what[256] = "tensors as the source has them";
    if (qp.quantize || qp.dtype) lf_quantize_scheme_describe(qp.quantize, qp.dtype, what, sizeof what, NULL);
    print_escaped(stderr, "wrote %s (%s)\n", out, what);
    return 0;
}

/* A GGUF file itself (not an executable carrying one, not another format). */
static bool is_gguf_file(const char *path) {
    char magic[4] = {0};
    FILE *f = fopen(path, "rb");
    bool yes = f && fread(magic, 1, 4, f) == 4 && memcmp(magic, "GGUF", 4) == 0;
    if (f) fclose(f);
    return yes;
}

/* The executable embeds model, a GGUF file. */
static int export_exe(const export_options *o, const char *model) {
    lf_error err = {0};
    if (lf_export_executable(CLI_SELF_EXE, model, o->exe_path, show_progress, (void *)"executable", &err) != LF_OK) {
        print_escaped(stderr, "error: %s\n", err.message);
        return 1;
    }
    print_escaped(stderr, "wrote %s: run it as %s chat, %s generate --prompt TEXT, %s server, %s info\n", o->exe_path,
                  o->exe_path, o->exe_path, o->exe_path, o->exe_path);
    return 0;
}

/* The executable from SRC: SRC itself when it is a GGUF to keep as it is, else the GGUF
 * output of this run, else a temporary GGUF beside the executable. */
static int export_exe_from(const export_options *o, const char *src) {
    bool convert = o->source.quantize || o->source.dtype || !is_gguf_file(src);
    if (!convert) return export_exe(o, src);
    if (o->gguf_path) return export_exe(o, o->gguf_path);
    int status = export_gguf(o, src, temp_model);
    if (!status) status = export_exe(o, temp_model);
    unlink(temp_model);
    return status;
}

int cmd_export(int argc, char **argv) {
    export_options o;
    int status = parse_export_options(argc, argv, &o);
    if (status >= 0) return status;
    if (o.bin_path && (status = check_bin_weights(&o)) >= 0) return status;
    char buf[4096];
    const char *src = cli_resolve_model(o.src, buf, sizeof buf);
    if (o.exe_path && snprintf(temp_model, sizeof temp_model, "%s.model.part", o.exe_path) >= (int)sizeof temp_model) {
        print_escaped(stderr, "error: export: %s: path too long\n", o.exe_path);
        return 2;
    }
    remove_parts_on_signals(&o);
    status = 0;
    if (o.bin_path) {
        cli_model_source fp32 = o.source; /* the .bin is written from the weights as they are */
        fp32.quantize = fp32.dtype = NULL;
        lf_model *model = cli_load_model(o.src, &fp32);
        status = model ? export_bin(&o, model) : 1;
        lf_model_free(model);
    }
    if (!status && o.gguf_path) status = export_gguf(&o, src, o.gguf_path);
    if (!status && o.exe_path) status = export_exe_from(&o, src);
    return status;
}
