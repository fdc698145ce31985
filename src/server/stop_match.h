/* Stop strings over streamed text: text that may still become a stop string is held
 * back; a completed stop string ends the generation and is never emitted. */
#ifndef LF_SERVER_STOP_MATCH_H
#define LF_SERVER_STOP_MATCH_H

#include <stdbool.h>
#include <stddef.h>

typedef struct stop_matcher {
    const char *const *stops; /* borrowed, non-empty strings */
    int n_stops;
    char *held;               /* text that may be the start of a stop string */
    size_t n_held, held_cap;
    char *out;                /* text released by the last call */
    size_t n_out, out_cap;
} stop_matcher;

void stop_matcher_init(stop_matcher *m, const char *const *stops, int n_stops);
void stop_matcher_free(stop_matcher *m);
/* Adds text; m->out/m->n_out then hold the text safe to show (until the next call).
 * Returns 1 when a stop string completed (the text before it is in out and the generation
 * must end), 0 otherwise, -1 when out of memory. */
int stop_matcher_push(stop_matcher *m, const char *text, size_t len);
/* The generation ended for another reason: adds the last text and releases everything
 * before the first stop string (all of it when there is none) into out. Returns as push. */
int stop_matcher_finish(stop_matcher *m, const char *text, size_t len);

#endif
