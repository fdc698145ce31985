#include "cli/chat_interrupt.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) {
    (void)sig;
    interrupted = 1;
}

bool chat_interrupt_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGINT, &sa, NULL) == 0;
}

void chat_interrupt_block(bool block) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/* SIGINT is blocked while the flag is checked and unblocked by ppoll itself, atomically,
 * so a Ctrl-C arriving in between interrupts the wait instead of going unnoticed. */
int chat_interrupt_wait_readable(int fd) {
    sigset_t block, waiting;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &waiting);
    sigdelset(&waiting, SIGINT);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int rc = -1;
    while (!interrupted && (rc = ppoll(&p, 1, NULL, &waiting)) < 0 && errno == EINTR) {
    }
    pthread_sigmask(SIG_UNBLOCK, &block, NULL);
    if (interrupted) return 0;
    return rc > 0 ? 1 : -1;
}

bool chat_interrupt_pending(void) { return interrupted != 0; }

bool chat_interrupt_take(void) {
    bool was = interrupted != 0;
    interrupted = 0;
    return was;
}
