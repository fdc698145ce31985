#include "cli/chat_input.h"

#include <editline/readline.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "cli/chat_interrupt.h"

/* One byte of stdin, or false at Ctrl-C, end of input or error. */
static bool read_byte(char *c) {
    for (;;) {
        if (chat_interrupt_wait_readable(STDIN_FILENO) <= 0) return false;
        ssize_t n = read(STDIN_FILENO, c, 1);
        if (n == 1) return true;
        if (n == 0 || errno != EINTR) return false;
    }
}

/* libedit's key reader (rl_getc_function): one character, decoded from UTF-8 since libedit
 * takes the value as a wide character; EOF ends readline, which is how Ctrl-C (seen by
 * read_byte) throws the typed line away. */
static int read_key(FILE *unused) {
    (void)unused;
    mbstate_t state;
    memset(&state, 0, sizeof state);
    for (;;) {
        char c;
        wchar_t wc;
        if (!read_byte(&c)) return EOF;
        size_t r = mbrtowc(&wc, &c, 1, &state);
        if (r == (size_t)-2) continue; /* more bytes to come */
        return r == (size_t)-1 ? 0xFFFD : (int)wc;
    }
}

void chat_input_open(chat_input *in) {
    *in = (chat_input){.interactive = isatty(STDIN_FILENO) == 1};
    if (!in->interactive) return;
    /* libedit edits characters of the locale's encoding; the model speaks UTF-8. */
    if (!setlocale(LC_CTYPE, "") || strcmp(nl_langinfo(CODESET), "UTF-8") != 0) setlocale(LC_CTYPE, "C.UTF-8");
    /* Prompts and echo go to stderr, keeping stdout for answers. libedit must not take
     * over SIGINT: our handler raises the flag and read_key ends the line. */
    rl_instream = stdin;
    rl_outstream = stderr;
    rl_catch_signals = 0;
    rl_getc_function = read_key;
}

static chat_input_status read_edited(chat_input *in, const char *prompt) {
    free(in->line);
    in->line = readline(prompt);
    if (chat_interrupt_take()) return CHAT_INPUT_INTERRUPTED;
    if (!in->line) return CHAT_INPUT_EOF;
    if (in->line[0]) add_history(in->line);
    return CHAT_INPUT_LINE;
}

static chat_input_status read_plain(chat_input *in) {
    ssize_t n = getline(&in->line, &in->cap, stdin);
    if (chat_interrupt_take()) {
        clearerr(stdin);
        return CHAT_INPUT_INTERRUPTED;
    }
    if (n < 0) return CHAT_INPUT_EOF;
    while (n > 0 && (in->line[n - 1] == '\n' || in->line[n - 1] == '\r')) in->line[--n] = 0;
    return CHAT_INPUT_LINE;
}

chat_input_status chat_input_read(chat_input *in, const char *prompt, const char **line) {
    chat_input_status st = in->interactive ? read_edited(in, prompt) : read_plain(in);
    *line = in->line;
    return st;
}

void chat_input_close(chat_input *in) {
    free(in->line);
    in->line = NULL;
}
