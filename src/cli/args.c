#include "cli/args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/print_escaped.h"

const char *cli_value(int argc, char **argv, int *i) {
    if (*i + 1 >= argc) {
        print_escaped(stderr, "error: option %s needs a value\n", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

bool cli_int(const char *flag, const char *text, long lo, long hi, int *out) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi) {
        print_escaped(stderr, "error: %s: '%s' is not an integer in [%ld, %ld]\n", flag, text, lo, hi);
        return false;
    }
    *out = (int)v;
    return true;
}

bool cli_float(const char *flag, const char *text, double lo, double hi, float *out) {
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !(v >= lo && v <= hi)) {
        print_escaped(stderr, "error: %s: '%s' is not a number in [%g, %g]\n", flag, text, lo, hi);
        return false;
    }
    *out = (float)v;
    return true;
}

bool cli_u64(const char *flag, const char *text, unsigned long long *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-') {
        print_escaped(stderr, "error: %s: '%s' is not a non-negative integer\n", flag, text);
        return false;
    }
    *out = v;
    return true;
}

int cli_int_list(const char *flag, const char *text, long lo, long hi, int *out, int cap) {
    char buf[1024];
    if (strlen(text) >= sizeof buf) {
        print_escaped(stderr, "error: %s: list is too long\n", flag);
        return -1;
    }
    strcpy(buf, text);
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == cap) {
            print_escaped(stderr, "error: %s: more than %d values\n", flag, cap);
            return -1;
        }
        if (!cli_int(flag, tok, lo, hi, &out[n++])) return -1;
    }
    if (n == 0) print_escaped(stderr, "error: %s: empty list\n", flag);
    return n ? n : -1;
}

bool cli_is_help(const char *arg) { return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0; }

bool cli_precision_option(const char *arg, bool *precise) {
    bool on = !strcmp(arg, "--precise-activations");
    if (!on && strcmp(arg, "--int8-activations")) return false;
    *precise = on;
    return true;
}

char **cli_split_equals(int argc, char **argv, int *out_argc) {
    char **out = malloc((2 * (size_t)argc + 1) * sizeof *out);
    if (!out) return NULL;
    int n = 0;
    for (int i = 0; i < argc; i++) {
        char *eq = strncmp(argv[i], "--", 2) ? NULL : strchr(argv[i], '=');
        if (eq && i > 0) {
            *eq = '\0'; /* the option's name ends where its value starts */
            out[n++] = argv[i];
            out[n++] = eq + 1;
        } else {
            out[n++] = argv[i];
        }
    }
    out[n] = NULL;
    *out_argc = n;
    return out;
}
