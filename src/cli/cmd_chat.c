/* llama-fast chat: a multi-turn conversation with a model. Each turn renders the whole
 * conversation with the chat template, keeps the KV cache of the prefix the context
 * already holds (so only the new turn is prefilled), and streams the answer to stdout. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/chat_conversation.h"
#include "cli/chat_input.h"
#include "cli/chat_interrupt.h"
#include "cli/chat_prompt.h"
#include "cli/commands.h"
#include "cli/model_path.h"
#include "cli/load.h"
#include "cli/read_file.h"
#include "cli/run_options.h"
#include "cli/speculative_options.h"
#include "frontend/print_escaped.h"

#define CHAT_DEFAULT_MAX_NEW 512

static void chat_usage(FILE *out, const cli_run_options *run) {
    fprintf(out,
            "usage: llama-fast chat MODEL [options]\n"
            "\n"
            "Talks with the model, one line per message. On a terminal the line can be edited\n"
            "and earlier lines recalled (arrow keys); from a pipe each line is one message.\n"
            "Answers stream to stdout; prompts and notes go to stderr. The KV cache is kept\n"
            "between turns: only the new turn is processed. When the conversation outgrows the\n"
            "context, its oldest turns are dropped (the system prompt stays).\n"
            "Commands: /reset (forget the conversation), /exit or /quit, /help. Ctrl-C stops\n"
            "an answer (what was said stays in the conversation) or clears the line; Ctrl-D\n"
            "exits.\n"
            "\n"
            "  --system TEXT           system prompt\n"
            "  --template FILE         Jinja chat template to use instead of the model's own\n"
            "  --verbose               per-turn statistics on stderr: prompt tokens reused from\n"
            "                          the cache and new, answer tokens and speed, guesses\n"
            "                          accepted\n");
    cli_run_options_usage(out, run);
    fprintf(out,
            "  (--max-new-tokens N: room for min(N, context / 2) answer tokens is kept free)\n"
            CLI_SPEC_USAGE
            "  -h, --help              this help\n");
}

typedef struct chat_options {
    const char *model, *system, *template_path;
    bool verbose;
    cli_run_options run;
    cli_spec_options spec;
} chat_options;

/* Returns -1 to go on, else the exit status. */
static int parse_chat_options(int argc, char **argv, chat_options *o) {
    *o = (chat_options){0};
    cli_run_options_init(&o->run, CHAT_DEFAULT_MAX_NEW);
    cli_spec_options_init(&o->spec);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = cli_run_option(argc, argv, &i, &o->run);
        if (!r) r = cli_spec_option(argc, argv, &i, &o->spec);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (cli_is_help(a)) {
            chat_usage(stdout, &o->run);
            return 0;
        } else if (!strcmp(a, "--verbose")) {
            o->verbose = true;
        } else if (!strcmp(a, "--system")) {
            if (!(o->system = cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(a, "--template")) {
            if (!(o->template_path = cli_value(argc, argv, &i))) return 2;
        } else if (a[0] == '-') {
            print_escaped(stderr, "error: chat: unknown option %s (see --help)\n", a);
            return 2;
        } else if (o->model) {
            print_escaped(stderr, "error: chat: unexpected argument '%s'\n", a);
            return 2;
        } else {
            o->model = a;
        }
    }
    if (!o->model && !(o->model = cli_default_model())) {
        chat_usage(stderr, &o->run);
        return 2;
    }
    if (o->run.max_new_tokens < 1) {
        fprintf(stderr, "error: --max-new-tokens: a chat answer needs at least 1 token\n");
        return 2;
    }
    return -1;
}

typedef struct chat_session {
    const chat_options *opt;
    const lf_model *model;
    lf_context *ctx;
    lf_sampler *sampler;
    lf_grammar *grammar; /* each answer follows it from its start, or NULL */
    cli_spec spec;
    char *tmpl; /* --template's text, or NULL */
    chat_conversation conv;
    int32_t *ids;     /* the prompt: n_ctx + 1 slots */
    int n_ctx, reserve;
} chat_session;

/* The answer being streamed: printed token by token and kept for the conversation. */
typedef struct answer {
    char *text;
    size_t len, cap;
    bool oom;
} answer;

static bool stream_token(int32_t id, const char *text, void *user) {
    (void)id;
    answer *a = user;
    size_t n = strlen(text);
    fputs(text, stdout);
    fflush(stdout);
    if (a->len + n + 1 > a->cap) {
        size_t cap = (a->len + n + 1) * 2;
        char *p = realloc(a->text, cap);
        if (!p) {
            a->oom = true;
            return false;
        }
        a->text = p;
        a->cap = cap;
    }
    memcpy(a->text + a->len, text, n + 1);
    a->len += n;
    return !chat_interrupt_pending();
}

static chat_prompt_request prompt_request(const chat_session *s) {
    return (chat_prompt_request){.model = s->model, .tmpl = s->tmpl, .n_ctx = s->n_ctx, .reserve = s->reserve};
}

static void print_stats(const lf_generate_stats *st, int n_prompt, int kept) {
    double tps = st->n_generated > 1 && st->decode_ms > 0 ? (st->n_generated - 1) * 1e3 / st->decode_ms : 0;
    fprintf(stderr, "[prompt %d tokens: %d reused, %d new, %.0f ms; %d tokens, %.1f tok/s", n_prompt, kept,
            n_prompt - kept, st->prefill_ms, st->n_generated, tps);
    cli_spec_print_stats(stderr, st);
    fprintf(stderr, "]\n");
}

/* One turn: the user's message in, the streamed answer out. Failures are reported and
 * leave the session usable, without the message. */
static void answer_turn(chat_session *s, const char *message) {
    lf_error err = {0};
    if (!chat_conversation_add(&s->conv, "user", message)) {
        fprintf(stderr, "error: out of memory\n");
        return;
    }
    chat_prompt_request req = prompt_request(s);
    int n = 0, dropped = 0;
    int rc = chat_prompt_build(&req, &s->conv, s->ids, &n, &dropped, &err);
    if (dropped)
        fprintf(stderr, "[context full: the %d oldest turn%s dropped]\n", dropped, dropped > 1 ? "s were" : " was");
    if (rc) {
        print_escaped(stderr, "error: %s\n", err.message);
        chat_conversation_pop(&s->conv);
        return;
    }
    int kept = lf_context_keep_prefix(s->ctx, s->ids, n);
    int room = s->n_ctx - n, max_new = s->opt->run.max_new_tokens < room ? s->opt->run.max_new_tokens : room;
    answer a = {0};
    lf_generate_stats st;
    chat_interrupt_take(); /* a Ctrl-C typed before this answer is not meant for it */
    if (s->grammar) rc = lf_sampler_set_grammar(s->sampler, s->grammar, lf_model_tokenizer(s->model), &err);
    if (!rc)
        rc = lf_generate_speculative(s->ctx, s->sampler, &s->spec.params, s->ids + kept, n - kept, max_new, stream_token,
                                 &a, &st, &err);
    fputc('\n', stdout);
    fflush(stdout);
    bool stopped = chat_interrupt_take();
    if (rc || a.oom) {
        print_escaped(stderr, "error: %s\n", rc ? err.message : "out of memory for the answer");
        chat_conversation_pop(&s->conv);
    } else {
        /* A stopped answer stays as far as it went: the user saw it, and the model should too. */
        if (stopped) fprintf(stderr, "[stopped]\n");
        else if (!st.stopped_by_eog)
            fprintf(stderr, "[answer cut at %d tokens: %s]\n", st.n_generated,
                    max_new < s->opt->run.max_new_tokens ? "the context is full" : "--max-new-tokens");
        if (!chat_conversation_add(&s->conv, "assistant", a.text ? a.text : "")) {
            fprintf(stderr, "error: out of memory\n");
            chat_conversation_pop(&s->conv);
        }
        if (s->opt->verbose) print_stats(&st, n, kept);
    }
    free(a.text);
}

static void print_help(void) {
    fprintf(stderr,
            "  /reset   forget the conversation (the system prompt stays)\n"
            "  /exit    leave (also /quit, or Ctrl-D)\n"
            "  /help    this list\n"
            "Ctrl-C stops an answer; at the prompt it clears the line.\n");
}

/* Runs a /command; returns false when the session should end. */
static bool run_command(chat_session *s, const char *line) {
    if (!strcmp(line, "/exit") || !strcmp(line, "/quit")) return false;
    if (!strcmp(line, "/reset")) {
        chat_conversation_reset(&s->conv);
        fprintf(stderr, "[conversation reset]\n");
    } else if (!strcmp(line, "/help")) {
        print_help();
    } else {
        print_escaped(stderr, "unknown command %s (/help lists them)\n", line);
    }
    return true;
}

static void chat_loop(chat_session *s) {
    chat_input in;
    chat_input_open(&in);
    if (in.interactive) {
        lf_model_info info;
        lf_model_get_info(s->model, &info);
        print_escaped(stderr, "Chatting with %s (context %d tokens). /help for commands, Ctrl-D to exit.\n", info.name,
                      s->n_ctx);
    }
    for (;;) {
        const char *line;
        chat_input_status st = chat_input_read(&in, "> ", &line);
        if (st == CHAT_INPUT_EOF) break;
        if (st == CHAT_INPUT_INTERRUPTED) {
            if (in.interactive) fputs("^C\n", stderr);
            continue;
        }
        if (!line[0]) continue;
        if (line[0] == '/') {
            if (!run_command(s, line)) break;
            continue;
        }
        answer_turn(s, line);
    }
    if (in.interactive) fputc('\n', stderr);
    chat_input_close(&in);
}

/* Loads the template file, creates context and sampler, and renders a first message to
 * find a broken template or a system prompt that cannot fit before the user types. */
static int open_session(chat_session *s, const chat_options *o, const lf_model *model) {
    *s = (chat_session){.opt = o, .model = model};
    lf_error err = {0};
    if (!lf_model_tokenizer(model)) {
        print_escaped(stderr, "error: %s has no tokenizer: give --tokenizer-path\n", o->model);
        return 1;
    }
    if (o->template_path) {
        size_t len;
        s->tmpl = cli_read_file(o->template_path, &len);
        if (!s->tmpl) {
            print_escaped(stderr, "error: --template %s: %s\n", o->template_path, strerror(errno));
            return 1;
        }
        s->tmpl[len] = 0; /* cli_read_file leaves room for it */
        if (strlen(s->tmpl) != len) {
            print_escaped(stderr, "error: --template %s: contains a NUL byte\n", o->template_path);
            return 1;
        }
    }
    lf_context_params cp = cli_run_context_params(&o->run);
    lf_model_info info;
    lf_model_get_info(model, &info);
    chat_interrupt_block(true); /* the contexts' threads start with Ctrl-C blocked */
    int rc = lf_context_create(model, &cp, &s->ctx, &err);
    bool spec_ok = rc || cli_spec_open(&o->spec, s->ctx, &cp, o->run.source.tokenizer_path, &s->spec);
    chat_interrupt_block(false);
    if (!spec_ok) return 1;
    if (!rc) rc = lf_sampler_create(&o->run.sampling.params, info.vocab_size, &s->sampler, &err);
    if (rc) {
        print_escaped(stderr, "error: %s\n", err.message);
        return 1;
    }
    if (!cli_grammar_load(&o->run.grammar, &s->grammar)) return 1;
    s->n_ctx = lf_context_size(s->ctx);
    s->reserve = o->run.max_new_tokens < s->n_ctx / 2 ? o->run.max_new_tokens : s->n_ctx / 2;
    if (s->reserve < 1) s->reserve = 1;
    s->ids = malloc(((size_t)s->n_ctx + 1) * sizeof *s->ids);
    if (!s->ids || !chat_conversation_init(&s->conv, o->system) || !chat_conversation_add(&s->conv, "user", "Hello")) {
        fprintf(stderr, "error: out of memory\n");
        return 1;
    }
    chat_prompt_request req = prompt_request(s);
    int n, dropped;
    rc = chat_prompt_build(&req, &s->conv, s->ids, &n, &dropped, &err);
    chat_conversation_pop(&s->conv);
    if (rc == LF_ERR_TEMPLATE) {
        print_escaped(stderr, "error: %s: %s\n", o->template_path ? o->template_path : "the model's template",
                      err.message);
        return 1;
    }
    if (rc) {
        print_escaped(stderr, "error: %s%s\n",
                      o->system && rc == LF_ERR_CONTEXT_FULL ? "with this system prompt, " : "", err.message);
        return 1;
    }
    return 0;
}

static void close_session(chat_session *s) {
    chat_conversation_free(&s->conv);
    free(s->ids);
    free(s->tmpl);
    lf_sampler_free(s->sampler);
    lf_grammar_free(s->grammar);
    cli_spec_close(&s->spec);
    lf_context_free(s->ctx);
}

int cmd_chat(int argc, char **argv) {
    chat_options o;
    int status = parse_chat_options(argc, argv, &o);
    lf_model *model = status < 0 ? cli_load_model(o.model, &o.run.source) : NULL;
    if (!model) {
        cli_run_options_free(&o.run);
        return status < 0 ? 1 : status;
    }
    chat_session s;
    status = open_session(&s, &o, model);
    /* From here on Ctrl-C belongs to the conversation; before, it ends the program. */
    if (!status && !chat_interrupt_install()) {
        fprintf(stderr, "error: cannot install the Ctrl-C handler\n");
        status = 1;
    }
    if (!status) chat_loop(&s);
    close_session(&s);
    lf_model_free(model);
    cli_run_options_free(&o.run);
    return status;
}
