#include "cli/run_options.h"

#include <string.h>
#include <unistd.h>
#include <time.h>

#include "cli/args.h"
#include "cli/kv_type_option.h"

void cli_run_options_init(cli_run_options *o, int max_new_tokens) {
    *o = (cli_run_options){.max_new_tokens = max_new_tokens};
    lf_sampler_params p = lf_sampler_default_params();
    p.top_k = 200;
    p.top_p = 1;
    p.min_p = 0;
    p.seed = (uint64_t)time(NULL);
    cli_sampling_init(&o->sampling, &p);
}

void cli_run_options_free(cli_run_options *o) { cli_sampling_free(&o->sampling); }

int cli_run_option(int argc, char **argv, int *i, cli_run_options *o) {
    const char *a = argv[*i];
    if (cli_precision_option(a, &o->precise_activations)) return 1;
    int src = cli_model_source_option(argc, argv, i, &o->source);
    if (src) return src;
    int kv = cli_kv_type_option(argc, argv, i, &o->type_k, &o->type_v);
    if (kv) return kv;
    int sampling = cli_sampling_option(argc, argv, i, &o->sampling);
    if (sampling) return sampling;
    int g = cli_grammar_option(argc, argv, i, &o->grammar);
    if (g) return g;
    static const char *const valued[] = {"--max-new-tokens", "-t", "--threads", "--max-seq-len", "-c", "--batch-size"};
    bool known = false;
    for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++) known |= !strcmp(a, valued[k]);
    if (!known) return 0;
    const char *v = cli_value(argc, argv, i);
    if (!v) return -1;
    bool ok = true;
    if (!strcmp(a, "--max-new-tokens")) ok = cli_int(a, v, 0, 1 << 24, &o->max_new_tokens);
    else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) ok = cli_int(a, v, 1, 512, &o->threads);
    else if (!strcmp(a, "--batch-size")) ok = cli_int(a, v, 1, CLI_MAX_BATCH, &o->batch_size);
    else ok = cli_int(a, v, 1, 1 << 24, &o->max_seq_len); /* --max-seq-len, -c */
    return ok ? 1 : -1;
}

void cli_run_options_usage(FILE *out, const cli_run_options *o) {
    fprintf(out,
            CLI_MODEL_SOURCE_USAGE
            "  --max-new-tokens N      most tokens to generate (default %d)\n"
            "  -t, --threads N         threads (default: the CPUs this process may run on, as\n"
            "                          taskset or a cpuset leave them, one per physical core,\n"
            "                          within a cgroup CPU quota)\n"
            "  -c, --max-seq-len N     KV cache length (default: model context, at most 4096)\n"
            "  -b, --batch-size N      prompt tokens per forward step, 1..256 (default 256)\n"
            CLI_PRECISION_USAGE
            CLI_KV_TYPE_USAGE
            CLI_GRAMMAR_USAGE,
            o->max_new_tokens);
    cli_sampling_usage(out, &o->sampling, "clock");
}

void cli_prompt_progress(int done, int total, void *user) {
    (void)user;
    fprintf(stderr, "\rprompt: %d / %d tokens (%d%%)", done, total, (int)(100LL * done / total));
    if (done >= total) fputs("\r\033[K", stderr); /* the line makes way for the answer */
    fflush(stderr);
}

lf_context_params cli_run_context_params(const cli_run_options *o) {
    lf_context_params cp = lf_context_default_params();
    cp.n_threads = o->threads;
    cp.max_seq_len = o->max_seq_len;
    cp.n_batch = o->batch_size;
    if (isatty(STDERR_FILENO)) cp.progress = cli_prompt_progress;
    cp.precise_activations = o->precise_activations;
    cp.type_k = o->type_k;
    cp.type_v = o->type_v;
    return cp;
}
