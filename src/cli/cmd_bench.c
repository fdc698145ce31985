/* llama-fast bench: prompt processing (ppN) and generation (tgN) speed, in the manner of
 * llama.cpp's llama-bench: each test repeated, median and spread reported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/model_path.h"
#include "cli/kv_type_option.h"
#include "cli/load.h"
#include "frontend/print_escaped.h"

#define MAX_LIST 16
#define MAX_PARALLEL 64

static void bench_usage(FILE *out) {
    fprintf(out,
            "usage: llama-fast bench MODEL [options]   (or -m MODEL, as llama-bench)\n"
            "\n"
            "  -p N[,N...]   prompt-processing tests of N tokens (default 512; 0 skips)\n"
            "  -n N[,N...]   generation tests of N tokens (default 128; 0 skips)\n"
            "  -np N[,N...]  parallel sequences of each generation test (default 1): N contexts\n"
            "                decode together, one forward step per token for all of them\n"
            "                (lf_decode_multi, as the server batches N streams); the test is\n"
            "                named e.g. \"tg128 x8\" and its t/s count the tokens of all N\n"
            "  -d N[,N...]   KV-cache depths: N tokens are prefilled (once) before each test,\n"
            "                which runs at positions N... and is named e.g. \"tg32 @ d4096\"\n"
            "                (default 0)\n"
            "  -r N          repetitions of each test (default 5)\n"
            "  -t N[,N...]   thread counts (default: the CPUs this process may run on, as\n"
            "                taskset or a cpuset leave them, one per physical core, within\n"
            "                a cgroup CPU quota)\n"
            CLI_PRECISION_USAGE
            CLI_KV_TYPE_USAGE
            CLI_MODEL_SOURCE_USAGE
            CLI_REPACK_USAGE
            "  --json        one JSON object per test instead of a table\n"
            "  -h, --help    this help\n");
}

typedef struct bench_options {
    const char *model;
    int pp[MAX_LIST], n_pp, tg[MAX_LIST], n_tg, threads[MAX_LIST], n_threads, depth[MAX_LIST], n_depth, reps;
    int parallel[MAX_LIST], n_parallel;
    bool json, precise_activations, no_repack;
    lf_kv_type type_k, type_v;
    cli_model_source source;
} bench_options;

/* The model name as shown on the terminal (escaped), with the characters that would need
 * JSON escaping replaced by '_'. */
static const char *json_safe_name(const char *name, char *buf, size_t cap) {
    char shown[256]; /* control bytes and malformed UTF-8 as the terminal output shows them */
    lf_escape_text(shown, sizeof shown, name, strlen(name));
    size_t i = 0;
    for (const char *s = shown; *s && i + 1 < cap; s++) buf[i++] = *s == '"' || *s == '\\' ? '_' : *s;
    buf[i] = 0;
    return buf;
}

/* The activation precision as bench reports it (a table's first line, each JSON object). */
static const char *activations_name(const bench_options *o) { return o->precise_activations ? "int8+residual" : "int8"; }

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Tokens per second of one run at position depth (each cache already holds depth
 * tokens): a prompt of n tokens at once, or n single-token steps, taken by each of the
 * n_seq contexts together (lf_decode_multi) when there are several. */
static int time_run(lf_context **ctxs, int n_seq, int depth, const int32_t *tokens, int n, bool generation,
                    double *tps, lf_error *err) {
    for (int s = 0; s < n_seq; s++) lf_context_truncate(ctxs[s], depth);
    const int32_t *step_tokens[MAX_PARALLEL];
    int ones[MAX_PARALLEL];
    double t0 = lf_time_ms();
    int rc = 0;
    if (!generation) rc = lf_decode(ctxs[0], tokens, n, err);
    else if (n_seq == 1)
        for (int i = 0; i < n && !rc; i++) rc = lf_decode(ctxs[0], &tokens[i], 1, err);
    else
        for (int i = 0; i < n && !rc; i++) {
            for (int s = 0; s < n_seq; s++) {
                step_tokens[s] = &tokens[(i + s) % n]; /* sequences that differ */
                ones[s] = 1;
            }
            rc = lf_decode_multi(ctxs, step_tokens, ones, n_seq, err);
        }
    double ms = lf_time_ms() - t0;
    *tps = (double)n * (generation ? n_seq : 1) * 1e3 / (ms > 1e-6 ? ms : 1e-6);
    return rc;
}

static int run_test(const bench_options *o, const lf_model *model, int threads, int depth, int n, bool generation,
                    int n_seq) {
    lf_model_info in;
    lf_model_get_info(model, &in);
    lf_context_params cp = lf_context_default_params();
    cp.n_threads = threads;
    cp.precise_activations = o->precise_activations;
    cp.type_k = o->type_k;
    cp.type_v = o->type_v;
    cp.max_seq_len = depth + n;
    if (depth + n > in.context_length) {
        fprintf(stderr, "error: bench: depth %d + %d tokens exceed the model's context of %d\n", depth, n,
                in.context_length);
        return 1;
    }
    lf_context *ctxs[MAX_PARALLEL] = {0}, *ctx;
    lf_error err = {0};
    int32_t *tokens = malloc((size_t)(depth + n) * sizeof *tokens);
    double *tps = malloc((size_t)o->reps * sizeof *tps);
    int rc = LF_ERR_NOMEM;
    snprintf(err.message, sizeof err.message, "out of memory");
    if (tokens && tps) rc = LF_OK;
    for (int s = 0; s < n_seq && !rc; s++) rc = lf_context_create(model, &cp, &ctxs[s], &err);
    ctx = ctxs[0];
    srand(1234);
    for (int i = 0; tokens && i < depth + n; i++) tokens[i] = rand() % in.vocab_size;
    double warm;
    for (int s = 0; s < n_seq && !rc && depth > 0; s++) /* the depth, once */
        rc = time_run(&ctxs[s], 1, 0, tokens + n, depth, false, &warm, &err);
    if (!rc) rc = time_run(ctxs, n_seq, depth, tokens, n < 16 ? n : 16, generation, &warm, &err);
    for (int r = 0; !rc && r < o->reps; r++) rc = time_run(ctxs, n_seq, depth, tokens, n, generation, &tps[r], &err);
    if (rc) {
        print_escaped(stderr, "error: bench: %s\n", err.message);
    } else {
        qsort(tps, (size_t)o->reps, sizeof *tps, cmp_double);
        double median = o->reps % 2 ? tps[o->reps / 2] : (tps[o->reps / 2 - 1] + tps[o->reps / 2]) / 2;
        char test[64], test_name_buf[256], kv[16], seqs[16] = "";
        cli_kv_types_label(o->type_k, o->type_v, kv, sizeof kv);
        if (n_seq > 1) snprintf(seqs, sizeof seqs, " x%d", n_seq);
        if (depth > 0) snprintf(test, sizeof test, "%s%d%s @ d%d", generation ? "tg" : "pp", n, seqs, depth);
        else snprintf(test, sizeof test, "%s%d%s", generation ? "tg" : "pp", n, seqs);
        if (o->json)
            printf("{\"model\": \"%s\", \"type\": \"%s\", \"size_bytes\": %llu, \"params\": %llu, \"threads\": %d, "
                   "\"activations\": \"%s\", \"type_k\": \"%s\", \"type_v\": \"%s\", \"kv_bytes\": %zu, \"test\": \"%s\", \"n_tokens\": %d, \"n_parallel\": %d, \"n_depth\": %d, \"repetitions\": %d, \"tokens_per_second\": {\"median\": %.3f, "
                   "\"min\": %.3f, \"max\": %.3f}}\n",
                   json_safe_name(in.name, test_name_buf, sizeof test_name_buf), in.weight_type, (unsigned long long)in.weight_bytes, (unsigned long long)in.n_params,
                   threads, activations_name(o), lf_kv_type_name(o->type_k), lf_kv_type_name(o->type_v),
                   lf_context_kv_bytes(ctx), test, n, n_seq, depth, o->reps, median, tps[0], tps[o->reps - 1]);
        else
            print_escaped(stdout, "| %-28.28s | %-5s | %8.1f MiB | %7.1f M | %7d | %-9s | %13s | %9.2f | %9.2f | %9.2f |\n",
                          in.name, in.weight_type, in.weight_bytes / 1048576.0, in.n_params / 1e6, threads, kv, test,
                          median, tps[0], tps[o->reps - 1]);
        fflush(stdout);
    }
    for (int s = 0; s < n_seq; s++) lf_context_free(ctxs[s]);
    free(tokens);
    free(tps);
    return rc ? 1 : 0;
}

static int parse_bench_options(int argc, char **argv, bench_options *o) {
    *o = (bench_options){.pp = {512}, .n_pp = 1, .tg = {128}, .n_tg = 1, .depth = {0}, .n_depth = 1, .reps = 5,
                         .parallel = {1}, .n_parallel = 1};
    o->threads[0] = lf_default_thread_count();
    o->n_threads = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int kv, src;
        if (cli_is_help(a)) {
            bench_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) o->json = true;
        else if (cli_precision_option(a, &o->precise_activations)) continue;
        else if (cli_no_repack_option(a, &o->no_repack)) continue;
        else if ((kv = cli_kv_type_option(argc, argv, &i, &o->type_k, &o->type_v)) < 0) return 2;
        else if (kv) continue;
        else if ((src = cli_model_source_option(argc, argv, &i, &o->source)) < 0) return 2;
        else if (src) continue;
        else if (a[0] != '-') {
            if (o->model) {
                print_escaped(stderr, "error: bench: unexpected argument '%s'\n", a);
                return 2;
            }
            o->model = a;
        } else if (!(v = cli_value(argc, argv, &i))) return 2;
        else if (!strcmp(a, "-p") || !strcmp(a, "--n-prompt")) {
            if ((o->n_pp = cli_int_list(a, v, 0, 1 << 20, o->pp, MAX_LIST)) < 0) return 2;
        } else if (!strcmp(a, "-n") || !strcmp(a, "--n-gen")) {
            if ((o->n_tg = cli_int_list(a, v, 0, 1 << 20, o->tg, MAX_LIST)) < 0) return 2;
        } else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) {
            if ((o->n_threads = cli_int_list(a, v, 1, 512, o->threads, MAX_LIST)) < 0) return 2;
        } else if (!strcmp(a, "-d") || !strcmp(a, "--n-depth") || !strcmp(a, "--depth")) {
            if ((o->n_depth = cli_int_list(a, v, 0, 1 << 20, o->depth, MAX_LIST)) < 0) return 2;
        } else if (!strcmp(a, "-np") || !strcmp(a, "--parallel")) {
            if ((o->n_parallel = cli_int_list(a, v, 1, MAX_PARALLEL, o->parallel, MAX_LIST)) < 0) return 2;
        } else if (!strcmp(a, "-r") || !strcmp(a, "--repetitions")) {
            if (!cli_int(a, v, 1, 1000, &o->reps)) return 2;
        } else {
            print_escaped(stderr, "error: bench: unknown option %s (see --help)\n", a);
            return 2;
        }
    }
    for (int s = 0; s < o->n_parallel; s++)
        if (o->parallel[s] > 1 && !o->no_repack) o->source.repack = true; /* -np N: batched streams */
    if (!o->model && !(o->model = cli_default_model())) {
        bench_usage(stderr);
        return 2;
    }
    return -1;
}

int cmd_bench(int argc, char **argv) {
    bench_options o;
    int status = parse_bench_options(argc, argv, &o);
    if (status >= 0) return status;
    lf_model *model = cli_load_model(o.model, &o.source);
    if (!model) return 1;
    if (!o.json)
        printf("activations: %s\n\n"
               "| %-28s | %-5s | %12s | %9s | %7s | %-9s | %13s | %9s | %9s | %9s |\n"
               "|------------------------------|-------|--------------|-----------|---------|-----------|---------------|-----------|-----------|-----------|\n",
               activations_name(&o), "model", "type", "size", "params", "threads", "kv", "test", "t/s med", "t/s min", "t/s max");
    status = 0;
    for (int t = 0; t < o.n_threads && !status; t++)
        for (int d = 0; d < o.n_depth && !status; d++) {
            for (int i = 0; i < o.n_pp && !status; i++)
                if (o.pp[i] > 0) status = run_test(&o, model, o.threads[t], o.depth[d], o.pp[i], false, 1);
            for (int i = 0; i < o.n_tg && !status; i++)
                for (int s = 0; s < o.n_parallel && !status; s++)
                    if (o.tg[i] > 0) status = run_test(&o, model, o.threads[t], o.depth[d], o.tg[i], true, o.parallel[s]);
        }
    lf_model_free(model);
    return status;
}
