/* llama-fast browser: the OpenAI-compatible server of `llama-fast server`, announced as a
 * chat page (web/index.html, compiled in and served at /) to open in a web browser. */
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/model_path.h"
#include "cli/server_args.h"
#include "frontend/print_escaped.h"
#include "server/server.h"

static void browser_usage(FILE *out) {
    fprintf(out,
            "usage: llama-fast browser MODEL [options]\n"
            "\n"
            "Starts the OpenAI-compatible server (as `llama-fast server`) and prints the\n"
            "address of its chat page: streamed answers, stop, new chat, system prompt,\n"
            "temperature. The page is built into the program and needs no network.\n"
            "Stops cleanly on Ctrl-C / SIGTERM.\n"
            "\n"
            "  --open                  also open the page with xdg-open\n");
    cli_server_options_usage(out);
    fprintf(out, "  -h, --help              this help\n");
}

/* Waits for xdg-open so it leaves no zombie, and says when it could not open the page. */
static void *reap_opener(void *arg) {
    pid_t pid = (pid_t)(intptr_t)arg;
    int status = 0;
    if (waitpid(pid, &status, 0) == pid && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        fprintf(stderr, "warning: xdg-open failed; open the address above yourself\n");
    return NULL;
}

/* Starts `xdg-open url` without waiting for it (it may run as long as the browser it
 * starts). The server blocks SIGINT/SIGTERM in its threads and ignores SIGPIPE; the
 * opener must not inherit that, or Ctrl-C could not end the browser it starts. */
static void open_page(const char *url) {
    posix_spawnattr_t attr;
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    char *args[] = {"xdg-open", (char *)url, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "xdg-open", NULL, &attr, args, environ);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        fprintf(stderr, "warning: cannot run xdg-open: %s; open the address above yourself\n", strerror(rc));
        return;
    }
    pthread_t reaper;
    if (pthread_create(&reaper, NULL, reap_opener, (void *)(intptr_t)pid) == 0) pthread_detach(reaper);
}

/* Called by the server once it listens, so the address printed (or opened) is live. */
static void announce(const char *server_url, void *user) {
    const bool *open = user;
    char url[320];
    snprintf(url, sizeof url, "%s/", server_url);
    print_escaped(stdout, "llama-fast browser: chat page at %s (Ctrl-C stops the server)\n", url);
    fflush(stdout);
    if (*open) open_page(url);
}

/* Returns -1 to go on, else the exit status. */
static int parse_browser_options(int argc, char **argv, const char **model, bool *open, lf_server_options *o,
                                 cli_grammar_options *g) {
    *o = lf_server_default_options();
    *model = NULL;
    *open = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r;
        if (cli_is_help(a)) {
            browser_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--open")) {
            *open = true;
        } else if ((r = cli_server_option(argc, argv, &i, o, g)) != 0) {
            if (r < 0) return 2;
        } else if (a[0] == '-') {
            print_escaped(stderr, "error: browser: unknown option %s (see --help)\n", a);
            return 2;
        } else if (*model) {
            print_escaped(stderr, "error: browser: unexpected argument '%s'\n", a);
            return 2;
        } else {
            *model = a;
        }
    }
    if (!*model && !(*model = cli_default_model())) {
        fprintf(stderr, "error: browser: MODEL is missing\n");
        browser_usage(stderr);
        return 2;
    }
    return -1;
}

int cmd_browser(int argc, char **argv) {
    const char *model;
    bool open;
    lf_server_options o;
    cli_grammar_options g = {0};
    int status = parse_browser_options(argc, argv, &model, &open, &o, &g);
    if (status >= 0) return status;
    o.on_listening = announce;
    o.user = &open;
    return cli_server_run(model, &o, &g);
}
