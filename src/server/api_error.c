#include "server/api_error.h"

#include <stdarg.h>
#include <stdio.h>

/* Replaces bytes that do not form valid UTF-8 with '?': messages quote client input (a
 * decoded URL) and are cut to size, and JSON strings must be valid UTF-8. */
static void make_utf8(char *s) {
    for (unsigned char *p = (unsigned char *)s; *p;) {
        int n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;
        int ok = n > 0;
        for (int i = 1; ok && i < n; i++) ok = (p[i] & 0xC0) == 0x80;
        /* overlong forms, surrogates and code points above U+10FFFF are invalid too */
        if (ok && n == 2) ok = *p >= 0xC2;
        if (ok && n == 3) ok = !(*p == 0xE0 && p[1] < 0xA0) && !(*p == 0xED && p[1] >= 0xA0);
        if (ok && n == 4) ok = !(*p == 0xF0 && p[1] < 0x90) && (*p < 0xF4 || (*p == 0xF4 && p[1] < 0x90));
        if (ok) p += n;
        else *p++ = '?';
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
