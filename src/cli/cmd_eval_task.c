/* llama-fast eval MODEL --task hellaswag|winogrande|arc-easy|arc-challenge|piqa|mmlu
 *                  --data FILE [--labels FILE] [--limit N] [--num-fewshot K]
 *                  [--fewshot-data FILE] [--fewshot-labels FILE] [--seed N] [--json]
 * Multiple-choice benchmarks scored as lm-evaluation-harness scores them. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/chat_interrupt.h"
#include "cli/commands.h"
#include "cli/eval_options.h"
#include "frontend/print_escaped.h"
#include "llamafast.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: llama-fast eval MODEL --task TASK --data FILE [options]\n"
            "  Scores a multiple-choice benchmark as lm-evaluation-harness does: for each\n"
            "  choice the log-likelihood of its text after the question; acc takes the most\n"
            "  likely choice, acc_norm the most likely per character (hellaswag, arc, piqa).\n"
            "  --task TASK             hellaswag, winogrande, arc-easy, arc-challenge, piqa or\n"
            "                          mmlu (--tasks is the same option)\n"
            "  --data FILE             the data as published: hellaswag_val.jsonl (rowanz),\n"
            "                          winogrande_1.1 dev.jsonl, ARC-V1-Feb2018\n"
            "                          ARC-Easy-Test.jsonl, piqa valid.jsonl (with --labels),\n"
            "                          mmlu data/test/SUBJECT_test.csv or the data/test\n"
            "                          directory; or Hugging Face rows saved as JSON Lines\n"
            "  --labels FILE           piqa's labels (valid-labels.lst), when the rows lack them\n"
            "  --limit N               only the first N items\n"
            "  --num-fewshot K         K solved examples before each question (default 0)\n"
            "  --fewshot-data FILE     where they come from (train split; for mmlu the dev\n"
            "                          CSV or directory); default: --data without the item\n"
            "  --fewshot-labels FILE   piqa's labels of --fewshot-data (train-labels.lst)\n"
            "  --seed N                few-shot sampling seed (default 1234)\n"
            "  -c, --max-seq-len N     KV cache length (default: model context, at most 4096)\n"
            CLI_EVAL_USAGE
            "  (--json: one JSON object with every item's scores)\n"
            "Ctrl-C stops after the current item and prints the result so far (exit 130).\n");
}

typedef struct progress {
    bool tty;
    double t0;
    const char *task;
} progress;

static bool show_progress(const lf_eval_task_progress *p, void *user) {
    progress *pr = user;
    if (pr->tty) {
        double s = (lf_time_ms() - pr->t0) / 1000.0;
        fprintf(stderr, "\r%s: %d/%d items, acc %.4f, %.0f tokens/s, ETA %.0f s   ", pr->task, p->done, p->total,
                (double)p->correct / p->done, s > 0 ? (double)p->tokens / s : 0.0,
                s / p->done * (p->total - p->done));
        if (p->done == p->total || chat_interrupt_pending()) fputc('\n', stderr);
    }
    return !chat_interrupt_pending();
}

typedef struct options {
    cli_eval_options e; /* the model, how it loads, threads, precision, KV type, --json */
    const char *task, *data, *labels, *fewshot_data, *fewshot_labels;
    int max_seq_len;
    lf_eval_task_params p;
} options;

static void print_table(const options *o, lf_eval_task_kind kind, const lf_eval_task_result *r) {
    const char *task = lf_eval_task_name(kind);
    int w = 13;
    for (int s = 0; s < r->n_subjects; s++) {
        int l = (int)strlen(r->subjects[s].name) + 3;
        if (l > w) w = l;
    }
    printf("|%-*s|n-shot|Metric  |Value |   |Stderr|\n|", w, "Task");
    for (int i = 0; i < w; i++) putchar('-');
    printf("|-----:|--------|-----:|---|-----:|\n");
    printf("|%-*s|%6d|acc     |%.4f|±  |%.4f|\n", w, task, o->p.num_fewshot, r->acc, r->acc_stderr);
    if (r->has_acc_norm) printf("|%-*s|      |acc_norm|%.4f|±  |%.4f|\n", w, "", r->acc_norm, r->acc_norm_stderr);
    for (int s = 0; s < r->n_subjects; s++) {
        char name[300];
        snprintf(name, sizeof name, " - %s", r->subjects[s].name);
        print_escaped(stdout, "|%-*s|%6d|acc     |%.4f|±  |%.4f|\n", w, name, o->p.num_fewshot, r->subjects[s].acc,
                      r->subjects[s].acc_stderr);
    }
}

static json_t *result_json(const options *o, lf_eval_task_kind kind, const lf_eval_task_result *r, double secs) {
    json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:i, s:f, s:f, s:o, s:o, s:f, s:b, s:I}", "model", o->e.model, "task",
                          lf_eval_task_name(kind), "data", o->data, "n", r->n, "num_fewshot", o->p.num_fewshot, "acc",
                          r->acc, "acc_stderr", r->acc_stderr, "acc_norm",
                          r->has_acc_norm ? json_real(r->acc_norm) : json_null(), "acc_norm_stderr",
                          r->has_acc_norm ? json_real(r->acc_norm_stderr) : json_null(), "seconds", secs,
                          "interrupted", r->interrupted, "tokens", (json_int_t)r->tokens);
    if (!j) return NULL;
    if (kind == LF_TASK_MMLU) {
        json_t *subjects = json_object();
        for (int s = 0; s < r->n_subjects; s++)
            json_object_set_new(subjects, r->subjects[s].name,
                                json_pack("{s:i, s:f, s:f}", "n", r->subjects[s].n, "acc", r->subjects[s].acc,
                                          "acc_stderr", r->subjects[s].acc_stderr));
        json_object_set_new(j, "subjects", subjects);
    }
    json_t *items = json_array();
    for (int i = 0; i < r->n; i++) {
        const lf_eval_item_result *it = &r->items[i];
        json_t *lls = json_array(), *lens = json_array();
        for (int c = 0; c < it->n_choices; c++) {
            json_array_append_new(lls, json_real(it->loglik[c]));
            json_array_append_new(lens, json_integer(it->lengths[c]));
        }
        json_array_append_new(items, json_pack("{s:i, s:i, s:i, s:i, s:o, s:o}", "index", it->index, "label",
                                               it->label, "pred", it->pred, "pred_norm", it->pred_norm,
                                               "loglikelihoods", lls, "lengths", lens));
    }
    json_object_set_new(j, "items", items);
    return j;
}

static int load_task(lf_eval_task_kind kind, const char *path, const char *labels, lf_eval_task **out) {
    lf_error err;
    if (!lf_eval_task_load(kind, path, labels, out, &err)) return 0;
    print_escaped(stderr, "error: eval: %s\n", err.message);
    return 1;
}

static int run(options *o, lf_eval_task_kind kind) {
    lf_eval_task *task = NULL, *fewshot = NULL;
    if (load_task(kind, o->data, o->labels, &task) ||
        (o->fewshot_data && load_task(kind, o->fewshot_data, o->fewshot_labels, &fewshot))) {
        lf_eval_task_free(task);
        return 1;
    }
    int status = 1;
    lf_context *ctx = NULL;
    lf_eval_task_result *r = NULL;
    lf_model *model = cli_load_model(o->e.model, &o->e.source);
    lf_context_params cp = lf_context_default_params();
    cp.n_threads = o->e.threads;
    cp.max_seq_len = o->max_seq_len;
    cp.precise_activations = o->e.precise_activations;
    cp.type_k = o->e.type_k;
    cp.type_v = o->e.type_v;
    lf_error err;
    if (model && lf_context_create(model, &cp, &ctx, &err)) print_escaped(stderr, "error: eval: %s\n", err.message);
    if (ctx) {
        progress pr = {.tty = isatty(STDERR_FILENO), .t0 = lf_time_ms(), .task = lf_eval_task_name(kind)};
        o->p.fewshot = fewshot;
        o->p.progress = show_progress;
        o->p.progress_user = &pr;
        chat_interrupt_install();
        int rc = lf_eval_task_run(ctx, task, &o->p, &r, &err);
        double secs = (lf_time_ms() - pr.t0) / 1000.0;
        if (rc) {
            print_escaped(stderr, "error: eval: %s: %s\n", o->data, err.message);
        } else if (o->e.json) {
            json_t *j = result_json(o, kind, r, secs);
            char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
            if (text) puts(text);
            else fprintf(stderr, "error: eval: cannot write the result as JSON (a path that is not UTF-8?)\n");
            free(text);
            json_decref(j);
            status = text ? 0 : 1;
        } else {
            print_table(o, kind, r);
            printf("%d items%s, %.1f s, %.0f tokens/s\n", r->n, r->interrupted ? " (interrupted)" : "", secs,
                   secs > 0 ? (double)r->tokens / secs : 0.0);
            status = 0;
        }
        if (!status && r->interrupted) status = 130;
    }
    lf_eval_task_result_free(r);
    lf_context_free(ctx);
    lf_model_free(model);
    lf_eval_task_free(task);
    lf_eval_task_free(fewshot);
    return status;
}

/* 1 when argv[*i] was one of eval's own valued options (stored), 0 when not, -1 on error. */
static int task_option(int argc, char **argv, int *i, options *o) {
    const char *a = argv[*i], *v;
    const char **str = !strcmp(a, "--task") || !strcmp(a, "--tasks") ? &o->task
                       : !strcmp(a, "--data")                         ? &o->data
                       : !strcmp(a, "--labels")                       ? &o->labels
                       : !strcmp(a, "--fewshot-data")                 ? &o->fewshot_data
                       : !strcmp(a, "--fewshot-labels")               ? &o->fewshot_labels
                                                                      : NULL;
    int *num = !strcmp(a, "--limit")                         ? &o->p.limit
               : !strcmp(a, "--num-fewshot")                 ? &o->p.num_fewshot
               : !strcmp(a, "-c") || !strcmp(a, "--max-seq-len") ? &o->max_seq_len
                                                             : NULL;
    if (!str && !num && strcmp(a, "--seed")) return 0;
    if (!(v = cli_value(argc, argv, i))) return -1;
    if (str) {
        *str = v;
        return 1;
    }
    if (!num) {
        unsigned long long seed;
        if (!cli_u64(a, v, &seed)) return -1;
        o->p.seed = seed;
        return 1;
    }
    long lo = num == &o->p.num_fewshot ? 0 : 1, hi = num == &o->p.num_fewshot ? 1024 : 1 << 24;
    return cli_int(a, v, lo, hi, num) ? 1 : -1;
}

int cmd_eval_task(int argc, char **argv) {
    options o = {.p = lf_eval_task_default_params()};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r;
        if (cli_is_help(a)) {
            usage(stdout);
            return 0;
        } else if ((r = task_option(argc, argv, &i, &o)) || (r = cli_eval_option(argc, argv, &i, &o.e))) {
            if (r < 0) return 2;
        } else {
            print_escaped(stderr, "error: eval: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    lf_eval_task_kind kind;
    if (!o.task) {
        fprintf(stderr, "error: eval: --task is required (hellaswag, winogrande, arc-easy, arc-challenge, piqa, mmlu)\n");
        return 2;
    }
    if (!lf_eval_task_from_name(o.task, &kind)) {
        print_escaped(stderr,
                      "error: eval: --task: unknown task '%s' (hellaswag, winogrande, arc-easy, arc-challenge, piqa, "
                      "mmlu)\n",
                      o.task);
        return 2;
    }
    if (!o.data) {
        print_escaped(stderr, "error: eval: --task %s needs --data FILE (the data set's file; see --help)\n", o.task);
        return 2;
    }
    if (!o.e.model) {
        fprintf(stderr, "error: eval: no MODEL given\n");
        usage(stderr);
        return 2;
    }
    if ((o.labels && kind != LF_TASK_PIQA) || (o.fewshot_labels && kind != LF_TASK_PIQA)) {
        fprintf(stderr, "error: eval: --labels and --fewshot-labels are for piqa only\n");
        return 2;
    }
    if (o.fewshot_labels && !o.fewshot_data) {
        fprintf(stderr, "error: eval: --fewshot-labels needs --fewshot-data\n");
        return 2;
    }
    return run(&o, kind);
}
