#include "cli/run_options.h"

#include <string.h>
#include <time.h>

#include "cli/args.h"
#include "cli/kv_type_option.h"

void cli_run_options_init(cli_run_options *o, int max_new_tokens) {
    *o = (cli_run_options){.max_new_tokens = max_new_tokens};
    o->sampling = lf_sampler_default_params();
    o->sampling.temperature = 0.8f;
    o->sampling.top_k = 200;
    o->sampling.top_p = 1.0f;
    o->sampling.seed = (uint64_t)time(NULL);
}

int cli_run_option(int argc, char **argv, int *i, cli_run_options *o) {
    const char *a = argv[*i];
    if (cli_precision_option(a, &o->precise_activations)) return 1;
    int src = cli_model_source_option(argc, argv, i, &o->source);
    if (src) return src;
    int kv = cli_kv_type_option(argc, argv, i, &o->type_k, &o->type_v);
    if (kv) return kv;
    int g = cli_grammar_option(argc, argv, i, &o->grammar);
    if (g) return g;
    static const char *const valued[] = {"--max-new-tokens", "--temperature", "--top-k", "--top-p",
                                         "--seed", "-t", "--threads", "--max-seq-len", "-c"};
    bool known = false;
    for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++) known |= !strcmp(a, valued[k]);
    if (!known) return 0;
    const char *v = cli_value(argc, argv, i);
    if (!v) return -1;
    bool ok = true;
    if (!strcmp(a, "--max-new-tokens")) ok = cli_int(a, v, 0, 1 << 24, &o->max_new_tokens);
    else if (!strcmp(a, "--temperature")) ok = cli_float(a, v, 0, 100, &o->sampling.temperature);
    else if (!strcmp(a, "--top-k")) ok = cli_int(a, v, 0, 1 << 24, &o->sampling.top_k);
    else if (!strcmp(a, "--top-p")) ok = cli_float(a, v, 1e-6, 1, &o->sampling.top_p);
    else if (!strcmp(a, "--seed")) {
        unsigned long long s;
        ok = cli_u64(a, v, &s);
        o->sampling.seed = s;
    } else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) ok = cli_int(a, v, 1, 512, &o->threads);
    else ok = cli_int(a, v, 1, 1 << 24, &o->max_seq_len); /* --max-seq-len, -c */
    return ok ? 1 : -1;
}

void cli_run_options_usage(FILE *out, int max_new_tokens) {
    fprintf(out,
            CLI_MODEL_SOURCE_USAGE
            "  --max-new-tokens N      most tokens to generate (default %d)\n"
            "  --temperature T         0 = greedy (default 0.8)\n"
            "  --top-k K               sample among the K most likely tokens (default 200, 0 = off)\n"
            "  --top-p P               nucleus sampling mass (default 1 = off)\n"
            "  --seed N                random seed for reproducible sampling (default: clock)\n"
            "  -t, --threads N         threads (default: the CPUs this process may run on, as\n"
            "                          taskset or a cpuset leave them, one per physical core,\n"
            "                          within a cgroup CPU quota)\n"
            "  -c, --max-seq-len N     KV cache length (default: model context, at most 4096)\n"
            CLI_PRECISION_USAGE
            CLI_KV_TYPE_USAGE
            CLI_GRAMMAR_USAGE,
            max_new_tokens);
}

lf_context_params cli_run_context_params(const cli_run_options *o) {
    lf_context_params cp = lf_context_default_params();
    cp.n_threads = o->threads;
    cp.max_seq_len = o->max_seq_len;
    cp.precise_activations = o->precise_activations;
    cp.type_k = o->type_k;
    cp.type_v = o->type_v;
    return cp;
}
