/* llama-fast generate: stream a continuation of a prompt to stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/grammar_options.h"
#include "cli/model_path.h"
#include "cli/kv_type_option.h"
#include "cli/load.h"
#include "cli/speculative_options.h"
#include "frontend/print_escaped.h"

#define MAX_PROMPT_IDS 65536

static void generate_usage(FILE *out) {
    fprintf(out,
            "usage: llama-fast generate MODEL [options]\n"
            "\n"
            "Streams the model's continuation of a prompt to stdout; a summary (tokens,\n"
            "time to first token, tokens per second, threads; with --lookup or --draft, the\n"
            "guesses accepted; the KV cache's type and size) goes to stderr.\n"
            "\n"
            "  --prompt TEXT           prompt text (default \"Hello, my name is\"); text that spells\n"
            "                          a special token, such as <|im_start|>, becomes that token\n"
            "  --no-parse-special      tokenize the prompt as plain text: <|im_start|> stays text\n"
            "                          (for prompts from someone else)\n"
            "  --prompt-tokens IDS     prompt as comma-separated token ids instead of text\n"
            "  --no-bos                do not prepend the BOS token\n"
            CLI_MODEL_SOURCE_USAGE
            "  --max-new-tokens N      tokens to generate (default 200)\n"
            "  --temperature T         0 = greedy (default 0.8)\n"
            "  --top-k K               sample among the K most likely tokens (default 200, 0 = off)\n"
            "  --top-p P               nucleus sampling mass (default 1 = off)\n"
            "  --seed N                random seed for reproducible sampling (default: clock)\n"
            "  --num-samples N         generate N independent samples (default 1)\n"
            "  -t, --threads N         threads (default: the CPUs this process may run on, as\n"
            "                          taskset or a cpuset leave them, one per physical core,\n"
            "                          within a cgroup CPU quota)\n"
            "  --max-seq-len N         KV cache length (default: model context, at most 4096)\n"
            CLI_PRECISION_USAGE
            CLI_KV_TYPE_USAGE
            CLI_GRAMMAR_USAGE
            CLI_SPEC_USAGE
            "  --print-token-ids       print generated token ids instead of text\n"
            "  -h, --help              this help\n");
}

typedef struct generate_options {
    const char *model, *prompt, *prompt_ids;
    cli_model_source source;
    bool no_bos, no_parse_special, print_ids, precise_activations;
    int max_new, num_samples, threads, max_seq_len;
    lf_kv_type type_k, type_v;
    lf_sampler_params sampling;
    cli_spec_options spec;
    cli_grammar_options grammar;
} generate_options;

static int parse_generate_options(int argc, char **argv, generate_options *o) {
    *o = (generate_options){.prompt = "Hello, my name is", .max_new = 200, .num_samples = 1};
    o->sampling = lf_sampler_default_params();
    o->sampling.temperature = 0.8f;
    o->sampling.top_k = 200;
    o->sampling.top_p = 1.0f;
    o->sampling.seed = (uint64_t)time(NULL);
    cli_spec_options_init(&o->spec);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        bool ok = true;
        int src = cli_model_source_option(argc, argv, &i, &o->source);
        if (src < 0) return 2;
        if (src) continue;
        int spec = cli_spec_option(argc, argv, &i, &o->spec);
        if (spec < 0) return 2;
        if (spec) continue;
        int kv = cli_kv_type_option(argc, argv, &i, &o->type_k, &o->type_v);
        if (kv < 0) return 2;
        if (kv) continue;
        int g = cli_grammar_option(argc, argv, &i, &o->grammar);
        if (g < 0) return 2;
        if (g) continue;
        if (cli_is_help(a)) {
            generate_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--no-bos")) o->no_bos = true;
        else if (!strcmp(a, "--no-parse-special")) o->no_parse_special = true;
        else if (!strcmp(a, "--print-token-ids")) o->print_ids = true;
        else if (cli_precision_option(a, &o->precise_activations)) continue;
        else if (a[0] == '-' && !(v = cli_value(argc, argv, &i))) return 2;
        else if (!strcmp(a, "--prompt")) o->prompt = v;
        else if (!strcmp(a, "--prompt-tokens")) o->prompt_ids = v;
        else if (!strcmp(a, "--max-new-tokens")) ok = cli_int(a, v, 0, 1 << 24, &o->max_new);
        else if (!strcmp(a, "--temperature")) ok = cli_float(a, v, 0, 100, &o->sampling.temperature);
        else if (!strcmp(a, "--top-k")) ok = cli_int(a, v, 0, 1 << 24, &o->sampling.top_k);
        else if (!strcmp(a, "--top-p")) ok = cli_float(a, v, 1e-6, 1, &o->sampling.top_p);
        else if (!strcmp(a, "--seed")) {
            unsigned long long s;
            ok = cli_u64(a, v, &s);
            o->sampling.seed = s;
        } else if (!strcmp(a, "--num-samples")) ok = cli_int(a, v, 1, 100000, &o->num_samples);
        else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) ok = cli_int(a, v, 1, 512, &o->threads);
        else if (!strcmp(a, "--max-seq-len")) ok = cli_int(a, v, 1, 1 << 24, &o->max_seq_len);
        else if (a[0] == '-') {
            print_escaped(stderr, "error: generate: unknown option %s (see --help)\n", a);
            return 2;
        }
        if (a[0] != '-') {
            if (o->model) {
                print_escaped(stderr, "error: generate: unexpected argument '%s'\n", a);
                return 2;
            }
            o->model = a;
        }
        if (!ok) return 2;
    }
    if (!o->model && !(o->model = cli_default_model())) {
        generate_usage(stderr);
        return 2;
    }
    return -1;
}

/* Fills ids with the prompt; returns the count or -1 after printing why. */
static int prompt_tokens(const generate_options *o, const lf_model *model, int32_t *ids, size_t cap) {
    const lf_tokenizer *tok = lf_model_tokenizer(model);
    if (o->prompt_ids) {
        int n = cli_int_list("--prompt-tokens", o->prompt_ids, 0, INT32_MAX, ids, (int)cap);
        return n;
    }
    if (!tok) {
        /* llama2.c models without a tokenizer start from BOS (id 1), as run.c does */
        if (o->no_bos) {
            fprintf(stderr, "error: the model has no tokenizer: give --tokenizer-path or --prompt-tokens\n");
            return -1;
        }
        ids[0] = 1;
        return 1;
    }
    size_t n = 0;
    lf_error err = {0};
    int flags = (o->no_parse_special ? 0 : LF_TOKENIZE_PARSE_SPECIAL) | (o->no_bos ? LF_TOKENIZE_NO_BOS : 0);
    if (lf_tokenize(tok, o->prompt, strlen(o->prompt), flags, ids, cap, &n, &err) != LF_OK) {
        print_escaped(stderr, "error: %s\n", err.message);
        return -1;
    }
    if (n > cap) {
        fprintf(stderr, "error: the prompt has %zu tokens, more than %zu\n", n, cap);
        return -1;
    }
    return (int)n;
}

static bool print_token(int32_t id, const char *text, void *user) {
    const generate_options *o = user;
    if (o->print_ids) {
        if (id >= 0) printf("%d ", id);
    } else {
        fputs(text, stdout);
    }
    fflush(stdout);
    return true;
}

static int run_samples(const generate_options *o, const lf_model *model, const int32_t *ids, int n_ids) {
    lf_context_params cp = lf_context_default_params();
    cp.n_threads = o->threads;
    cp.max_seq_len = o->max_seq_len;
    cp.precise_activations = o->precise_activations;
    cp.type_k = o->type_k;
    cp.type_v = o->type_v;
    lf_context *ctx = NULL;
    lf_sampler *sampler = NULL;
    lf_grammar *grammar = NULL;
    lf_error err = {0};
    lf_model_info info;
    lf_model_get_info(model, &info);
    cli_spec spec = {0};
    int rc = lf_context_create(model, &cp, &ctx, &err);
    if (!rc) rc = lf_sampler_create(&o->sampling, info.vocab_size, &sampler, &err);
    if (!rc && !cli_spec_open(&o->spec, ctx, &cp, o->source.tokenizer_path, &spec)) {
        lf_sampler_free(sampler);
        lf_context_free(ctx);
        return 1;
    }
    if (!rc && !cli_grammar_load(&o->grammar, &grammar)) {
        lf_sampler_free(sampler);
        lf_context_free(ctx);
        cli_spec_close(&spec);
        return 1;
    }
    for (int s = 0; !rc && s < o->num_samples; s++) {
        lf_context_truncate(ctx, 0);
        if (grammar) rc = lf_sampler_set_grammar(sampler, grammar, lf_model_tokenizer(model), &err);
        if (rc) break;
        lf_generate_stats st;
        rc = lf_generate_speculative(ctx, sampler, &spec.params, ids, n_ids, o->max_new, print_token, (void *)o,
                                     &st, &err);
        if (rc) break;
        printf("\n");
        fflush(stdout);
        double gen_tps = st.n_generated > 1 && st.decode_ms > 0 ? (st.n_generated - 1) * 1e3 / st.decode_ms : 0;
        fprintf(stderr,
                "[sample %d/%d] prompt %d tokens (%.1f tok/s), generated %d tokens, time to first token %.1f ms, "
                "generation %.2f tok/s, %d thread%s",
                s + 1, o->num_samples, st.n_prompt, st.prefill_ms > 0 ? st.n_prompt * 1e3 / st.prefill_ms : 0,
                st.n_generated, st.ttft_ms, gen_tps, lf_context_threads(ctx), lf_context_threads(ctx) == 1 ? "" : "s");
        cli_spec_print_stats(stderr, &st);
        lf_kv_type tk, tv;
        char kv[16];
        lf_context_kv_types(ctx, &tk, &tv);
        fprintf(stderr, ", KV cache %s %.1f MiB", cli_kv_types_label(tk, tv, kv, sizeof kv),
                lf_context_kv_bytes(ctx) / 1048576.0);
        fprintf(stderr, "%s\n", st.stopped_by_eog ? " (end of text)" : "");
    }
    if (rc) print_escaped(stderr, "error: %s\n", err.message);
    cli_spec_close(&spec);
    lf_sampler_free(sampler);
    lf_grammar_free(grammar);
    lf_context_free(ctx);
    return rc ? 1 : 0;
}

int cmd_generate(int argc, char **argv) {
    generate_options o;
    int status = parse_generate_options(argc, argv, &o);
    if (status >= 0) return status;
    lf_model *model = cli_load_model(o.model, &o.source);
    if (!model) return 1;
    int32_t *ids = malloc(MAX_PROMPT_IDS * sizeof *ids);
    int n_ids = ids ? prompt_tokens(&o, model, ids, MAX_PROMPT_IDS) : -1;
    status = n_ids > 0 ? run_samples(&o, model, ids, n_ids) : 1;
    if (n_ids == 0) fprintf(stderr, "error: the prompt is empty\n");
    free(ids);
    lf_model_free(model);
    return status;
}
