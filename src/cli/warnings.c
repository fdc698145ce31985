#include "cli/warnings.h"

#include <stdio.h>

#include "frontend/print_escaped.h"
#include "llamafast.h"

static void print_warning(lf_log_level level, const char *message, void *user) {
    (void)user;
    if (level >= LF_LOG_WARN) print_escaped(stderr, "warning: %s\n", message);
}

void cli_show_warnings(bool on) { lf_set_log_callback(on ? print_warning : NULL, NULL); }
