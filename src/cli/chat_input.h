/* Where chat reads the user's lines: a terminal gets line editing and history (libedit),
 * anything else (a pipe, a file) is read line by line without a prompt, so scripts can
 * feed a conversation. */
#ifndef LF_CLI_CHAT_INPUT_H
#define LF_CLI_CHAT_INPUT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum chat_input_status {
    CHAT_INPUT_LINE,        /* a line (without its newline) */
    CHAT_INPUT_EOF,         /* Ctrl-D on an empty line, or the end of the input */
    CHAT_INPUT_INTERRUPTED  /* Ctrl-C: the line typed so far is discarded */
} chat_input_status;

typedef struct chat_input {
    bool interactive; /* stdin is a terminal */
    char *line;       /* the last line read, owned here */
    size_t cap;
} chat_input;

void chat_input_open(chat_input *in);
/* Reads one line; *line stays valid until the next call. The prompt (on stderr) is only
 * shown on a terminal. */
chat_input_status chat_input_read(chat_input *in, const char *prompt, const char **line);
void chat_input_close(chat_input *in);

#endif
