/* Ctrl-C in chat stops the answer being streamed or clears the line being typed, instead
 * of ending the program: SIGINT only raises a flag that the two loops poll. */
#ifndef LF_CLI_CHAT_INTERRUPT_H
#define LF_CLI_CHAT_INTERRUPT_H

#include <stdbool.h>

/* Installs the SIGINT handler, without SA_RESTART so that a blocked read returns EINTR. */
bool chat_interrupt_install(void);
/* Blocks (or unblocks) SIGINT in the calling thread. Threads inherit the mask: the
 * context's worker threads are created with it blocked, so Ctrl-C always lands in the
 * main thread, which is the one waiting for keys. */
void chat_interrupt_block(bool block);
/* Waits until fd is readable (1), Ctrl-C is pressed (0) or an error occurs (-1). A
 * Ctrl-C pressed before the call counts too: it is never lost between check and wait. */
int chat_interrupt_wait_readable(int fd);
/* Whether Ctrl-C was pressed since the last chat_interrupt_take. */
bool chat_interrupt_pending(void);
/* chat_interrupt_pending, and clears the flag. */
bool chat_interrupt_take(void);

#endif
