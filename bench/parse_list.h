/* The comma-separated integer lists of the bench programs' options (--threads 1,2). */
#ifndef LF_BENCH_PARSE_LIST_H
#define LF_BENCH_PARSE_LIST_H

#include <stdlib.h>

/* Up to max integers in [lo, hi] from s into out; their count, or -1 for anything else
 * (an empty list, a stray character, a value out of range, too many). */
static int parse_list(const char *s, int *out, int max, int lo, int hi) {
    int n = 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < lo || v > hi || n == max || (*end && *end != ',')) return -1;
        out[n++] = (int)v;
        s = *end ? end + 1 : end;
    }
    return n ? n : -1;
}

#endif
