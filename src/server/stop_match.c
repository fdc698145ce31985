#include "server/stop_match.h"

#include <stdlib.h>
#include <string.h>

void stop_matcher_init(stop_matcher *m, const char *const *stops, int n_stops) {
    *m = (stop_matcher){.stops = stops, .n_stops = n_stops};
}

void stop_matcher_free(stop_matcher *m) {
    free(m->held);
    free(m->out);
    *m = (stop_matcher){0};
}

static int reserve(char **buf, size_t *cap, size_t need) {
    if (need <= *cap) return 0;
    size_t c = need < 64 ? 64 : need * 2;
    char *p = realloc(*buf, c);
    if (!p) return -1;
    *buf = p;
    *cap = c;
    return 0;
}

/* Length of the longest suffix of text that is a proper prefix of some stop string. */
static size_t partial_suffix(const stop_matcher *m, const char *text, size_t len) {
    size_t best = 0;
    for (int s = 0; s < m->n_stops; s++) {
        size_t sl = strlen(m->stops[s]);
        for (size_t k = sl - 1 < len ? sl - 1 : len; k > best; k--)
            if (!memcmp(text + len - k, m->stops[s], k)) {
                best = k;
                break;
            }
    }
    return best;
}

/* Offset of the earliest complete stop string in text, or -1. */
static long first_stop(const stop_matcher *m, const char *text, size_t len) {
    long best = -1;
    for (int s = 0; s < m->n_stops; s++) {
        const char *hit = memmem(text, len, m->stops[s], strlen(m->stops[s]));
        if (hit && (best < 0 || hit - text < best)) best = hit - text;
    }
    return best;
}

/* Moves the first n held bytes to out and drops the next `drop` bytes. */
static int release(stop_matcher *m, size_t n, size_t drop) {
    if (reserve(&m->out, &m->out_cap, n + 1)) return -1;
    memcpy(m->out, m->held, n);
    m->out[n] = 0;
    m->n_out = n;
    memmove(m->held, m->held + n + drop, m->n_held - n - drop);
    m->n_held -= n + drop;
    return 0;
}

/* Appends text; returns 1 after releasing the text before a completed stop string, 0
 * after releasing all but what final == false holds back, -1 when out of memory. */
static int add(stop_matcher *m, const char *text, size_t len, bool final) {
    m->n_out = 0;
    if (reserve(&m->held, &m->held_cap, m->n_held + len + 1)) return -1;
    memcpy(m->held + m->n_held, text, len);
    m->n_held += len;
    long stop = first_stop(m, m->held, m->n_held);
    if (stop >= 0) return release(m, (size_t)stop, m->n_held - (size_t)stop) ? -1 : 1;
    size_t keep = final ? 0 : partial_suffix(m, m->held, m->n_held);
    return release(m, m->n_held - keep, 0);
}

int stop_matcher_push(stop_matcher *m, const char *text, size_t len) { return add(m, text, len, false); }

int stop_matcher_finish(stop_matcher *m, const char *text, size_t len) { return add(m, text, len, true); }
