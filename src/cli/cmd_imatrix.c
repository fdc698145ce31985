/* llama-fast imatrix MODEL --text FILE -o OUT [--ctx N] [--chunks K]
 *                   [--output-format gguf|dat] [-t N] [--precise-activations]
 * llama-fast imatrix --in-file IMATRIX -o OUT [--output-format gguf|dat]
 * Computes an importance matrix over a text (llama-imatrix's statistics, in its file
 * formats), or rewrites one read from a file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/load.h"
#include "cli/read_file.h"
#include "frontend/print_escaped.h"
#include "llamafast.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: llama-fast imatrix MODEL --text FILE -o OUT [options]\n"
            "       llama-fast imatrix --in-file IMATRIX -o OUT [--output-format gguf|dat]\n"
            "  Runs the text through the model in chunks and writes, for every weight matrix,\n"
            "  the mean square of each input column (llama.cpp's imatrix, for quantize\n"
            "  --imatrix here or in llama-quantize). --in-file rewrites a file instead.\n"
            "  --text FILE             calibration text (at least 2 x ctx tokens)\n"
            "  -o, --output OUT        the imatrix file (written as OUT.part, then renamed)\n"
            "  --ctx N                 tokens per chunk (default 512)\n"
            "  --chunks K              at most K chunks (default: all of the text)\n"
            "  --output-format F       gguf (default, llama-imatrix's) or dat (the legacy format)\n"
            "  -t, --threads N         threads (default: the physical cores)\n"
            CLI_PRECISION_USAGE);
}

typedef struct progress {
    bool tty;
    double t0;
} progress;

static bool show_progress(int done, int total, void *user) {
    progress *p = user;
    if (p->tty) {
        double s = (lf_time_ms() - p->t0) / 1000.0;
        fprintf(stderr, "\rimatrix: chunk %d/%d, %.1f s, ETA %.0f s   ", done, total, s,
                done ? s / done * (total - done) : 0.0);
        if (done == total) fputc('\n', stderr);
    }
    return true;
}

static int compute(const char *model_path, const char *text_path, const lf_imatrix_params *base, lf_imatrix **im) {
    size_t len;
    char *text = cli_read_file(text_path, &len);
    if (!text) {
        print_escaped(stderr, "error: imatrix: %s: cannot read\n", text_path);
        return 1;
    }
    if (len && text[len - 1] == '\n') len--; /* as llama-imatrix reads -f */
    lf_model *model = cli_load_model(model_path, NULL);
    if (!model) {
        free(text);
        return 1;
    }
    progress pr = {.tty = isatty(STDERR_FILENO), .t0 = lf_time_ms()};
    lf_imatrix_params p = *base;
    p.dataset = text_path;
    p.progress = show_progress;
    p.user = &pr;
    lf_error err;
    int rc = lf_imatrix_compute(model, text, len, &p, im, &err);
    if (rc) print_escaped(stderr, "error: imatrix: %s\n", err.message);
    lf_model_free(model);
    free(text);
    return rc ? 1 : 0;
}

int cmd_imatrix(int argc, char **argv) {
    const char *model = NULL, *text = NULL, *in_file = NULL, *out = NULL;
    lf_imatrix_params p = lf_imatrix_default_params();
    lf_imatrix_format format = LF_IMATRIX_GGUF;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (cli_is_help(a)) {
            usage(stdout);
            return 0;
        } else if (cli_precision_option(a, &p.precise_activations)) {
        } else if (!strcmp(a, "--text") || !strcmp(a, "--in-file") || !strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (!(v = cli_value(argc, argv, &i))) return 2;
            *(!strcmp(a, "--text") ? &text : !strcmp(a, "--in-file") ? &in_file : &out) = v;
        } else if (!strcmp(a, "--ctx") || !strcmp(a, "--chunks") || !strcmp(a, "-t") || !strcmp(a, "--threads")) {
            if (!(v = cli_value(argc, argv, &i))) return 2;
            int *dst = !strcmp(a, "--ctx") ? &p.n_ctx : !strcmp(a, "--chunks") ? &p.n_chunks : &p.n_threads;
            if (!cli_int(a, v, !strcmp(a, "--ctx") || dst == &p.n_threads ? 1 : 0, 1 << 24, dst)) return 2;
        } else if (!strcmp(a, "--output-format")) {
            if (!(v = cli_value(argc, argv, &i))) return 2;
            if (strcmp(v, "gguf") && strcmp(v, "dat")) {
                print_escaped(stderr, "error: imatrix: --output-format: '%s' is neither gguf nor dat\n", v);
                return 2;
            }
            format = strcmp(v, "dat") ? LF_IMATRIX_GGUF : LF_IMATRIX_DAT;
        } else if (a[0] != '-' && !model) {
            model = a;
        } else {
            print_escaped(stderr, "error: imatrix: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!out || (in_file ? model || text : !model || !text)) {
        usage(stderr);
        return 2;
    }
    lf_imatrix *im = NULL;
    lf_error err;
    int status = 0;
    if (in_file) {
        if (lf_imatrix_load(in_file, &im, &err)) {
            print_escaped(stderr, "error: imatrix: %s\n", err.message);
            status = 1;
        }
    } else {
        status = compute(model, text, &p, &im);
    }
    if (!status && lf_imatrix_save(im, out, format, &err)) {
        print_escaped(stderr, "error: imatrix: %s\n", err.message);
        status = 1;
    }
    if (!status)
        print_escaped(stderr, "imatrix: %d entries, %d chunks -> %s\n", lf_imatrix_n_entries(im),
                      lf_imatrix_chunk_count(im), out);
    lf_imatrix_free(im);
    return status;
}
