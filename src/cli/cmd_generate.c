/* llama-fast generate: stream a continuation of a prompt to stdout. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/grammar_options.h"
#include "cli/model_path.h"
#include "cli/kv_type_option.h"
#include "cli/load.h"
#include "cli/read_file.h"
#include "cli/run_options.h"
#include "cli/speculative_options.h"
#include "frontend/print_escaped.h"

#define MAX_PROMPT_IDS 65536

static void generate_usage(FILE *out, const cli_run_options *run) {
    fprintf(out,
            "usage: llama-fast generate MODEL [options]\n"
            "\n"
            "Streams the model's continuation of a prompt to stdout; a summary (tokens,\n"
            "time to first token, tokens per second, threads; with --lookup or --draft, the\n"
            "guesses accepted; the KV cache's type and size) goes to stderr.\n"
            "\n"
            "  -p, --prompt TEXT       prompt text (default \"Hello, my name is\"); text that spells\n"
            "                          a special token, such as <|im_start|>, becomes that token\n"
            "  -f, --prompt-file FILE  the prompt is the text of FILE\n"
            "  --no-parse-special      tokenize the prompt as plain text: <|im_start|> stays text\n"
            "                          (for prompts from someone else)\n"
            "  --prompt-tokens IDS     prompt as comma-separated token ids instead of text\n"
            "  --no-bos                do not prepend the BOS token\n"
            "  --num-samples N         generate N independent samples (default 1)\n"
            "  --print-token-ids       print generated token ids instead of text\n");
    cli_run_options_usage(out, run);
    fprintf(out, CLI_SPEC_USAGE "  -h, --help              this help\n");
}

typedef struct generate_options {
    const char *model, *prompt, *prompt_ids, *prompt_file;
    bool prompt_given; /* --prompt or --prompt-file, not the default */
    bool prompt_text;  /* --prompt */
    char *file_text;   /* --prompt-file's contents */
    bool no_bos, no_parse_special, print_ids;
    int num_samples;
    cli_run_options run;
    cli_spec_options spec;
} generate_options;

static int parse_generate_options(int argc, char **argv, generate_options *o) {
    *o = (generate_options){.prompt = "Hello, my name is", .num_samples = 1};
    cli_run_options_init(&o->run, 200);
    cli_spec_options_init(&o->spec);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int r = cli_run_option(argc, argv, &i, &o->run);
        if (!r) r = cli_spec_option(argc, argv, &i, &o->spec);
        if (r < 0) return 2;
        if (r > 0) continue;
        bool ok = true;
        if (cli_is_help(a)) {
            generate_usage(stdout, &o->run);
            return 0;
        } else if (!strcmp(a, "--no-bos")) o->no_bos = true;
        else if (!strcmp(a, "--no-parse-special")) o->no_parse_special = true;
        else if (!strcmp(a, "--print-token-ids")) o->print_ids = true;
        else if (a[0] == '-' && !(v = cli_value(argc, argv, &i))) return 2;
        else if (!strcmp(a, "--prompt")) o->prompt = v, o->prompt_given = o->prompt_text = true;
        else if (!strcmp(a, "--prompt-file")) o->prompt_file = v, o->prompt_given = true;
        else if (!strcmp(a, "--prompt-tokens")) o->prompt_ids = v;
        else if (!strcmp(a, "--num-samples")) ok = cli_int(a, v, 1, 100000, &o->num_samples);
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
        generate_usage(stderr, &o->run);
        return 2;
    }
    if (o->prompt_file && o->prompt_text) {
        fprintf(stderr, "error: generate: give --prompt or --prompt-file, not both\n");
        return 2;
    }
    if (o->prompt_file) {
        size_t len;
        if (!(o->file_text = cli_read_file(o->prompt_file, &len))) {
            print_escaped(stderr, "error: --prompt-file %s: %s\n", o->prompt_file, strerror(errno));
            return 1;
        }
        o->file_text[len] = 0;
        if (strlen(o->file_text) != len) {
            print_escaped(stderr, "error: --prompt-file %s: contains a NUL byte\n", o->prompt_file);
            return 1;
        }
        o->prompt = o->file_text;
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
        /* llama2.c models without a tokenizer start from BOS (id 1), as run.c does; a
         * prompt given as text cannot be read without one */
        if (o->prompt_given) {
            fprintf(stderr, "error: this model has no tokenizer to read the prompt: give --tokenizer-path "
                            "(tokenizer.model or tokenizer.bin), or the prompt as --prompt-tokens\n");
            return -1;
        }
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
    lf_context_params cp = cli_run_context_params(&o->run);
    lf_context *ctx = NULL;
    lf_sampler *sampler = NULL;
    lf_grammar *grammar = NULL;
    lf_error err = {0};
    lf_model_info info;
    lf_model_get_info(model, &info);
    cli_spec spec = {0};
    int rc = lf_context_create(model, &cp, &ctx, &err);
    if (!rc) rc = lf_sampler_create(&o->run.sampling.params, info.vocab_size, &sampler, &err);
    if (!rc && !cli_spec_open(&o->spec, ctx, &cp, o->run.source.tokenizer_path, &spec)) {
        lf_sampler_free(sampler);
        lf_context_free(ctx);
        return 1;
    }
    if (!rc && !cli_grammar_load(&o->run.grammar, &grammar)) {
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
        rc = lf_generate_speculative(ctx, sampler, &spec.params, ids, n_ids, o->run.max_new_tokens, print_token, (void *)o,
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
        bool context_full = !st.stopped_by_eog && st.n_generated < o->run.max_new_tokens &&
                            lf_context_position(ctx) >= lf_context_size(ctx) - 1;
        fprintf(stderr, "%s\n", st.stopped_by_eog ? " (end of text)" : "");
        if (context_full)
            fprintf(stderr, "note: generation stopped at the context limit of %d tokens; -c / --max-seq-len "
                            "raises it\n", lf_context_size(ctx));
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
    lf_model *model = status < 0 ? cli_load_model(o.model, &o.run.source) : NULL;
    if (!model) {
        cli_run_options_free(&o.run);
        free(o.file_text);
        return status < 0 ? 1 : status;
    }
    int32_t *ids = malloc(MAX_PROMPT_IDS * sizeof *ids);
    int n_ids = ids ? prompt_tokens(&o, model, ids, MAX_PROMPT_IDS) : -1;
    status = n_ids > 0 ? run_samples(&o, model, ids, n_ids) : 1;
    if (n_ids == 0) fprintf(stderr, "error: the prompt is empty\n");
    free(ids);
    lf_model_free(model);
    cli_run_options_free(&o.run);
    free(o.file_text);
    return status;
}
