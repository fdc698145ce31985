#include "core/error.h"

#include <stdarg.h>

static lf_log_fn log_fn;
static void *log_user;

void lf_set_log_callback(lf_log_fn fn, void *user) {
    log_fn = fn;
    log_user = user;
}

/* Arguments name files, metadata and tokens that may be hostile: both escape them. */
int lf_fail(lf_error *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        lf_vformat_escaped(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void lf_log(lf_log_level level, const char *fmt, ...) {
    if (!log_fn) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    lf_vformat_escaped(buf, sizeof buf, fmt, ap);
    va_end(ap);
    log_fn(level, buf, log_user);
}
