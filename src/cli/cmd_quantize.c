/* llama-fast quantize: write a model as a GGUF of another type, as llama-quantize does. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/load.h"
#include "cli/model_path.h"
#include "frontend/print_escaped.h"

static void quantize_usage(FILE *out) {
    fprintf(out,
            "usage: llama-fast quantize SRC OUT.gguf --type TYPE [options]\n"
            "       llama-fast quantize [--pure] [--imatrix FILE] SRC OUT.gguf TYPE [NTHREADS]\n"
            "                                                     (llama-quantize's form)\n"
            "\n"
            "Writes SRC (a GGUF of any type, a Hugging Face directory, a PyTorch checkpoint, a\n"
            "llama2.c .bin) as OUT.gguf, each tensor typed as llama.cpp's llama-quantize types it\n"
            "and each block byte for byte what its quantizers write. OUT.gguf.part is written and\n"
            "renamed when complete; a failed or interrupted run leaves nothing.\n"
            "  --type TYPE             file type (below)\n"
            "                          (or --quantize SCHEME / --dtype D, below: each matrix\n"
            "                          typed as conversion at load types it; TYPE COPY keeps\n"
            "                          every tensor as it is)\n"
            "  --pure                  one type for every matrix: no per-tensor mix\n"
            "  --output-tensor-type T  type of output.weight (F32, F16, BF16, Q8_0, Q4_0, Q4_1,\n"
            "                          Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K)\n"
            "  --token-embedding-type T  type of token_embd.weight (same names)\n"
            "  --imatrix FILE          importance matrix (llama-imatrix's or `llama-fast imatrix`'s,\n"
            "                          GGUF or .dat): calibrated K-quants and Q4_0..Q5_1; needed by Q2_K_S\n"
            "  -t, --threads N         threads (default: the CPU cores)\n" CLI_MODEL_SOURCE_USAGE
            "\ntypes (bits per weight of the main type):\n");
    const lf_quantize_type_info *types;
    int n = lf_quantize_types(&types);
    for (int i = 0; i < n; i++)
        fprintf(out, "  %-8s %7.4g  %s\n", types[i].name, types[i].bits_per_weight, types[i].description);
}

/* The file being written, removed if the run is interrupted (the library removes it on
 * every failure it sees; a signal is not one). */
static char part_path[4200];

static void on_signal(int sig) {
    unlink(part_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

typedef struct progress_state {
    bool tty;
    double last_draw_ms;
} progress_state;

static void show_progress(const lf_quantize_progress *p, void *user) {
    progress_state *st = user;
    double mbs = p->elapsed_ms > 0 ? p->bytes_read / 1e3 / p->elapsed_ms : 0;
    if (!st->tty) {
        if (p->tensor_done)
            print_escaped(stderr, "[%4d/%4d] %-32s -> %-5s %8.1f MB/s\n", p->tensor_index + 1, p->n_tensors,
                          p->tensor_name, p->type_name, mbs);
        return;
    }
    if (!p->tensor_done && p->elapsed_ms - st->last_draw_ms < 100) return;
    st->last_draw_ms = p->elapsed_ms;
    int width = 30, filled = p->bytes_to_read ? (int)(width * (double)p->bytes_read / (double)p->bytes_to_read) : 0;
    char bar[64];
    for (int k = 0; k < width; k++) bar[k] = k < filled ? '#' : '.';
    bar[width] = 0;
    print_escaped(stderr, "\r[%s] %4d/%d %-28.28s %-5s %7.1f MB/s\033[K", bar, p->tensor_index + 1, p->n_tensors,
                  p->tensor_name, p->type_name, mbs);
}

typedef struct quantize_args {
    const char *positional[4];
    int n_positional;
    cli_model_source source;
    lf_quantize_params params;
} quantize_args;

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, quantize_args *a) {
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int r = cli_model_source_option(argc, argv, &i, &a->source);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (cli_is_help(arg)) {
            quantize_usage(stdout);
            return 0;
        } else if (!strcmp(arg, "--pure")) {
            a->params.pure = true;
        } else if (!strcmp(arg, "--type")) {
            if (!(a->params.type = cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(arg, "--output-tensor-type")) {
            if (!(a->params.output_tensor_type = cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(arg, "--imatrix")) {
            if (!(a->params.imatrix_path = cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(arg, "--token-embedding-type")) {
            if (!(a->params.token_embedding_type = cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(arg, "-t") || !strcmp(arg, "--threads")) {
            const char *v = cli_value(argc, argv, &i);
            if (!v || !cli_int(arg, v, 1, 1024, &a->params.n_threads)) return 2;
        } else if (arg[0] == '-' && arg[1]) {
            print_escaped(stderr, "error: unknown option '%s'\n", arg);
            quantize_usage(stderr);
            return 2;
        } else if (a->n_positional < 4) {
            a->positional[a->n_positional++] = arg;
        } else {
            print_escaped(stderr, "error: unexpected argument '%s'\n", arg);
            return 2;
        }
    }
    /* llama-quantize's positional TYPE [NTHREADS] when --type is not given */
    bool scheme = a->source.quantize || a->source.dtype;
    int least = a->params.type || scheme ? 2 : 3, most = a->params.type ? 2 : 4;
    if (a->n_positional < least || a->n_positional > most) {
        fprintf(stderr, "error: expected SRC OUT%s\n",
                a->params.type || scheme ? "" : " and --type TYPE, --quantize SCHEME or --dtype D (or SRC OUT TYPE)");
        quantize_usage(stderr);
        return 2;
    }
    if (!a->params.type && a->n_positional >= 3) a->params.type = a->positional[2];
    a->params.quantize = a->source.quantize;
    a->params.dtype = a->source.dtype;
    if (a->n_positional == 4 && !cli_int("NTHREADS", a->positional[3], 1, 1024, &a->params.n_threads)) return 2;
    return -1;
}

int cmd_quantize(int argc, char **argv) {
    quantize_args a = {.params = lf_quantize_default_params()};
    a.params.type = NULL;
    int status = parse_args(argc, argv, &a);
    if (status >= 0) return status;
    char buf[4096];
    const char *src = cli_resolve_model(a.positional[0], buf, sizeof buf), *out = a.positional[1];
    if (snprintf(part_path, sizeof part_path, "%s.part", out) >= (int)sizeof part_path) {
        fprintf(stderr, "error: output path is too long\n");
        return 2;
    }
    progress_state st = {.tty = isatty(STDERR_FILENO)};
    a.params.progress = show_progress;
    a.params.progress_user = &st;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    /* past a file-size limit, write() must fail with EFBIG (and be reported), not kill us */
    signal(SIGXFSZ, SIG_IGN);
    lf_model_params mp;
    if (cli_model_params(src, &a.source, false, &mp) < 0) return 1;
    lf_error err = {0};
    double t0 = lf_time_ms();
    int rc = lf_quantize_model(src, &mp, out, &a.params, &err);
    if (st.tty) fputc('\n', stderr);
    if (rc != LF_OK) {
        print_escaped(stderr, "error: %s\n", err.message);
        return 1;
    }
    char what[256] = "COPY";
    if (a.params.type) snprintf(what, sizeof what, "%s", a.params.type);
    else if (a.params.quantize || a.params.dtype)
        lf_quantize_scheme_describe(a.params.quantize, a.params.dtype, what, sizeof what, NULL);
    print_escaped(stderr, "wrote %s (%s) in %.1f s\n", out, what, (lf_time_ms() - t0) / 1e3);
    return 0;
}
