#include "server/api_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "server/utf8_text.h"

/* Replaces bytes that do not form valid UTF-8 with '?': messages quote client input (a
 * decoded URL) and are cut to size, and JSON strings must be valid UTF-8. */
static void make_utf8(char *s) {
    size_t left = strlen(s);
    for (unsigned char *p = (unsigned char *)s; *p;) {
        int n = utf8_sequence_length(p, left);
        if (!n) *p = '?', n = 1;
        p += n;
        left -= (size_t)n;
    }
}

int api_fail(api_error *e, int status, const char *param, const char *code, const char *fmt, ...) {
    e->status = status;
    e->param = NULL;
    if (param) {
        snprintf(e->param_text, sizeof e->param_text, "%s", param);
        make_utf8(e->param_text);
        e->param = e->param_text;
    }
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    make_utf8(e->message);
    return -1;
}

const char *api_error_type(int status) {
    switch (status) {
    case 401: return "authentication_error";
    case 404: return "not_found_error";
    case 503: return "unavailable_error";
    default: return status >= 500 ? "server_error" : "invalid_request_error";
    }
}
