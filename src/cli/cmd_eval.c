/* llama-fast eval MODEL --perplexity FILE [--ctx N] [--chunks K] [--base BASE] [--json]
 * Perplexity of a text as llama-perplexity computes it, and with --base the KL
 * divergence statistics of llama-perplexity --kl-divergence; --task NAME (other than
 * wikitext) goes to the multiple-choice tasks (cmd_eval_task.c). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/chat_interrupt.h"
#include "cli/commands.h"
#include "cli/eval_options.h"
#include "cli/read_file.h"
#include "frontend/print_escaped.h"
#include "llamafast.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: llama-fast eval MODEL --perplexity FILE [options]\n"
            "       llama-fast eval MODEL --task NAME [options]   (multiple-choice tasks)\n"
            "  Perplexity of the text as llama.cpp's llama-perplexity computes it: chunks of\n"
            "  --ctx tokens, each from an empty cache with BOS first, the second half of each\n"
            "  scored. With --base, how far MODEL strays from BASE on the same chunks (KL\n"
            "  divergence, top-1 agreement, ... as llama-perplexity --kl-divergence).\n"
            "  --perplexity FILE       the text (also -f FILE, or --tasks wikitext --data FILE);\n"
            "                          one trailing newline is dropped, as llama.cpp's -f does\n"
            "  --ctx N                 tokens per chunk, even, >= 4 (default 512; also -c,\n"
            "                          --ctx-size, --max-seq-length); the text needs 2 x N tokens\n"
            "  --chunks K              at most K chunks (default: all of the text)\n"
            "  --base BASE             the reference model (same vocabulary), loaded as stored:\n"
            "                          --quantize and --dtype apply to MODEL only\n"
            CLI_EVAL_USAGE
            "  Ctrl-C stops after the current chunk and prints the figures so far (exit 130).\n");
}

typedef struct eval_args {
    cli_eval_options common;
    const char *text, *base, *task;
    bool data_option; /* the text came as --data, which only --task wikitext takes */
    lf_perplexity_params p;
} eval_args;

/* 0 when parsed, else the exit status (after printing why). */
static int parse(int argc, char **argv, eval_args *a) {
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v;
        int rc = cli_eval_option(argc, argv, &i, &a->common);
        if (rc < 0) return 2;
        if (rc) continue;
        if (cli_is_help(o)) {
            usage(stdout);
            char *task_help[] = {"eval", "--help", NULL};
            putchar('\n');
            cmd_eval_task(2, task_help);
            return -1;
        }
        static const char *const texts[] = {"--perplexity", "-f", "--data"};
        static const char *const ctxs[] = {"--ctx", "-c", "--ctx-size", "--max-seq-length"};
        bool is_text = false, is_ctx = false;
        for (size_t k = 0; k < 3; k++) is_text |= !strcmp(o, texts[k]);
        for (size_t k = 0; k < 4; k++) is_ctx |= !strcmp(o, ctxs[k]);
        if (is_text || is_ctx || !strcmp(o, "--chunks") || !strcmp(o, "--base") || !strcmp(o, "--task") ||
            !strcmp(o, "--tasks")) {
            if (!(v = cli_value(argc, argv, &i))) return 2;
            if (is_text && a->text && strcmp(a->text, v)) {
                print_escaped(stderr, "error: eval: two texts given: '%s' and '%s'\n", a->text, v);
                return 2;
            }
            if (is_text) a->text = v;
            if (!strcmp(o, "--data")) a->data_option = true;
            else if (is_ctx && !cli_int(o, v, 4, 1 << 24, &a->p.n_ctx)) return 2;
            else if (!strcmp(o, "--chunks") && !cli_int(o, v, 1, 1 << 30, &a->p.n_chunks)) return 2;
            else if (!strcmp(o, "--base")) a->base = v;
            else if (!strncmp(o, "--task", 6)) a->task = v;
        } else {
            print_escaped(stderr, "error: eval: unexpected argument '%s'\n", o);
            usage(stderr);
            return 2;
        }
    }
    if (a->p.n_ctx % 2) {
        print_escaped(stderr, "error: eval: --ctx %d is odd: half of each chunk is context, half is scored\n", a->p.n_ctx);
        return 2;
    }
    if (a->data_option && !a->task) {
        fprintf(stderr, "error: eval: --data FILE: --task is required (hellaswag, winogrande, arc-easy, "
                        "arc-challenge, piqa, mmlu, or wikitext for the perplexity of FILE)\n");
        return 2;
    }
    if (!a->common.model || !a->text) {
        print_escaped(stderr, "error: eval: %s\n", !a->common.model ? "no MODEL given" : "no text given: --perplexity FILE");
        usage(stderr);
        return 2;
    }
    return 0;
}

typedef struct progress {
    bool tty;
    double t0;
} progress;

static bool on_chunk(const lf_perplexity_result *r, void *user) {
    progress *p = user;
    if (p->tty) {
        double per = r->seconds / r->n_chunks;
        fprintf(stderr, "\r[%d/%d] PPL %.4f", r->n_chunks, r->n_chunks_total, r->ppl);
        if (r->base_ppl > 0) fprintf(stderr, ", KL %.6f, same top %.2f%%", r->kl.mean, 100 * r->top1_agreement);
        fprintf(stderr, ", %.2f s/chunk, ETA %.0f s   ", per, per * (r->n_chunks_total - r->n_chunks));
        if (r->n_chunks == r->n_chunks_total) fputc('\n', stderr);
        fflush(stderr);
    }
    return !chat_interrupt_pending();
}

/* Non-finite figures (a correlation over too few tokens) are null in JSON. */
static json_t *num(double x) { return isfinite(x) ? json_real(x) : json_null(); }

static json_t *kl_json(const lf_perplexity_result *r) {
    const lf_distribution *k = &r->kl;
    json_t *o = json_object();
    const struct { const char *key; double v; } f[] = {
        {"mean", k->mean}, {"mean_stderr", k->mean_stderr}, {"max", k->max}, {"p99_9", k->p99_9}, {"p99", k->p99},
        {"p95", k->p95}, {"p90", k->p90}, {"median", k->median}, {"p10", k->p10}, {"p5", k->p5}, {"p1", k->p1},
        {"p0_1", k->p0_1}, {"min", k->min}, {"base_ppl", r->base_ppl}, {"base_ppl_stderr", r->base_ppl_stderr},
        {"ppl_ratio", r->ppl_ratio}, {"ppl_ratio_stderr", r->ppl_ratio_stderr}, {"ln_ppl_ratio", r->ln_ppl_ratio},
        {"ln_ppl_ratio_stderr", r->ln_ppl_ratio_stderr}, {"delta_ppl", r->delta_ppl},
        {"delta_ppl_stderr", r->delta_ppl_stderr}, {"ln_ppl_correlation", r->ln_ppl_correlation},
        {"top1_agreement", r->top1_agreement}, {"top1_agreement_stderr", r->top1_agreement_stderr},
        {"delta_p_mean", r->delta_p.mean}, {"delta_p_mean_stderr", r->delta_p.mean_stderr},
        {"delta_p_rms", r->delta_p_rms}, {"delta_p_rms_stderr", r->delta_p_rms_stderr},
        {"delta_p_max", r->delta_p.max}, {"delta_p_p99_9", r->delta_p.p99_9}, {"delta_p_p99", r->delta_p.p99},
        {"delta_p_p95", r->delta_p.p95}, {"delta_p_p90", r->delta_p.p90}, {"delta_p_p75", r->delta_p.p75},
        {"delta_p_median", r->delta_p.median}, {"delta_p_p25", r->delta_p.p25}, {"delta_p_p10", r->delta_p.p10},
        {"delta_p_p5", r->delta_p.p5}, {"delta_p_p1", r->delta_p.p1}, {"delta_p_p0_1", r->delta_p.p0_1},
        {"delta_p_min", r->delta_p.min},
    };
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) json_object_set_new(o, f[i].key, num(f[i].v));
    return o;
}

static double tokens_per_second(const lf_perplexity_result *r) {
    return r->seconds > 0 ? (double)r->n_chunks * r->n_ctx / r->seconds : 0;
}

static void print_json(const eval_args *a, const lf_perplexity_result *r) {
    json_t *o = json_object();
    json_object_set_new(o, "model", json_string(a->common.model));
    json_object_set_new(o, "base", a->base ? json_string(a->base) : json_null());
    json_object_set_new(o, "text", json_string(a->text));
    json_object_set_new(o, "ctx", json_integer(r->n_ctx));
    json_object_set_new(o, "chunks", json_integer(r->n_chunks));
    json_object_set_new(o, "chunks_total", json_integer(r->n_chunks_total));
    json_object_set_new(o, "tokens", json_integer(r->n_tokens));
    json_object_set_new(o, "tokens_scored", json_integer(r->n_scored));
    json_object_set_new(o, "ppl", num(r->ppl));
    json_object_set_new(o, "ppl_stderr", num(r->ppl_stderr));
    json_object_set_new(o, "tokens_per_second", num(tokens_per_second(r)));
    json_object_set_new(o, "seconds", num(r->seconds));
    json_object_set_new(o, "interrupted", json_boolean(r->interrupted));
    json_object_set_new(o, "kl", a->base ? kl_json(r) : json_null());
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    if (s) puts(s);
    free(s);
    json_decref(o);
}

static void print_kl(const lf_perplexity_result *r) {
    const lf_distribution *k = &r->kl, *d = &r->delta_p;
    printf("\n====== Perplexity statistics ======\n");
    printf("Mean PPL(Q)                   : %10.6f ± %10.6f\n", r->ppl, r->ppl_stderr);
    printf("Mean PPL(base)                : %10.6f ± %10.6f\n", r->base_ppl, r->base_ppl_stderr);
    printf("Cor(ln(PPL(Q)), ln(PPL(base))): %6.2f%%\n", 100 * r->ln_ppl_correlation);
    printf("Mean ln(PPL(Q)/PPL(base))     : %10.6f ± %10.6f\n", r->ln_ppl_ratio, r->ln_ppl_ratio_stderr);
    printf("Mean PPL(Q)/PPL(base)         : %10.6f ± %10.6f\n", r->ppl_ratio, r->ppl_ratio_stderr);
    printf("Mean PPL(Q)-PPL(base)         : %10.6f ± %10.6f\n", r->delta_ppl, r->delta_ppl_stderr);
    printf("\n====== KL divergence statistics ======\n");
    printf("Mean    KLD: %10.6f ± %10.6f\n", k->mean, k->mean_stderr);
    const char *kn[] = {"Maximum", "99.9%  ", "99.0%  ", "95.0%  ", "90.0%  ", "Median ", "10.0%  ", " 5.0%  ",
                        " 1.0%  ", " 0.1%  ", "Minimum"};
    const double kv[] = {k->max, k->p99_9, k->p99, k->p95, k->p90, k->median, k->p10, k->p5, k->p1, k->p0_1, k->min};
    for (size_t i = 0; i < sizeof kv / sizeof *kv; i++) printf("%s KLD: %10.6f\n", kn[i], kv[i]);
    printf("\n====== Token probability statistics ======\n");
    printf("Mean    Δp: %6.3f ± %5.3f %%\n", 100 * d->mean, 100 * d->mean_stderr);
    const char *dn[] = {"Maximum", "99.9%  ", "99.0%  ", "95.0%  ", "90.0%  ", "75.0%  ", "Median ",
                        "25.0%  ", "10.0%  ", " 5.0%  ", " 1.0%  ", " 0.1%  ", "Minimum"};
    const double dv[] = {d->max, d->p99_9, d->p99, d->p95, d->p90, d->p75, d->median,
                         d->p25, d->p10, d->p5, d->p1, d->p0_1, d->min};
    for (size_t i = 0; i < sizeof dv / sizeof *dv; i++) printf("%s Δp: %6.3f%%\n", dn[i], 100 * dv[i]);
    printf("RMS Δp    : %6.3f ± %5.3f %%\n", 100 * r->delta_p_rms, 100 * r->delta_p_rms_stderr);
    printf("Same top p: %6.3f ± %5.3f %%\n", 100 * r->top1_agreement, 100 * r->top1_agreement_stderr);
}

static void print_report(const eval_args *a, const lf_perplexity_result *r) {
    if (r->interrupted) printf("interrupted after %d of %d chunks\n", r->n_chunks, r->n_chunks_total);
    print_escaped(stdout, "%s: %lld tokens, %d chunks of %d\n", a->text, (long long)r->n_tokens, r->n_chunks, r->n_ctx);
    printf("PPL = %.4f +/- %.5f (over %lld tokens, %d chunks of %d)\n", r->ppl, r->ppl_stderr, (long long)r->n_scored,
           r->n_chunks, r->n_ctx);
    printf("%.1f tokens/s (%.2f s)\n", tokens_per_second(r), r->seconds);
    if (a->base) print_kl(r);
}

static int run(eval_args *a) {
    size_t len;
    char *text = cli_read_file(a->text, &len);
    if (!text) {
        print_escaped(stderr, "error: eval: %s: cannot read\n", a->text);
        return 1;
    }
    if (len && text[len - 1] == '\n') len--; /* as llama-perplexity reads -f */
    if (!len) {
        print_escaped(stderr, "error: eval: %s is empty\n", a->text);
        free(text);
        return 1;
    }
    cli_model_source base_src = a->common.source;
    base_src.quantize = base_src.dtype = NULL;
    lf_model *model = cli_load_model(a->common.model, &a->common.source), *base = NULL;
    if (model && a->base) base = cli_load_model(a->base, &base_src);
    int status = 1;
    if (model && (base || !a->base)) {
        progress pr = {.tty = isatty(STDERR_FILENO), .t0 = lf_time_ms()};
        a->p.name = a->text;
        a->p.n_threads = a->common.threads;
        a->p.precise_activations = a->common.precise_activations;
        a->p.type_k = a->common.type_k;
        a->p.type_v = a->common.type_v;
        a->p.progress = on_chunk;
        a->p.user = &pr;
        chat_interrupt_install();
        lf_perplexity_result r;
        lf_error err;
        if (lf_perplexity(model, base, text, len, &a->p, &r, &err)) {
            print_escaped(stderr, "error: eval: %s\n", err.message);
        } else {
            if (pr.tty && r.interrupted) fputc('\n', stderr);
            if (a->common.json) print_json(a, &r);
            else print_report(a, &r);
            status = r.interrupted ? 130 : 0;
        }
    }
    lf_model_free(base);
    lf_model_free(model);
    free(text);
    return status;
}

int cmd_eval(int n, char **args) {
    const char *task = cli_eval_task_name(n, args);
    eval_args a = {.p = lf_perplexity_default_params()};
    int status;
    if (task && *task && strcmp(task, "wikitext")) {
        bool text = false;
        for (int i = 1; i < n; i++) text |= !strcmp(args[i], "--perplexity") || !strcmp(args[i], "-f");
        if (text) {
            print_escaped(stderr, "error: eval: --perplexity is not an option of --task %s (only of --task wikitext)\n",
                          task);
            status = 2;
        } else {
            status = cmd_eval_task(n, args);
        }
    } else {
        status = parse(n, args, &a);
        status = status < 0 ? 0 : status ? status : run(&a);
    }
    return status;
}
