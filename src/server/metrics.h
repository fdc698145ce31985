/* The server's counters for /metrics (Prometheus text format): requests by endpoint and
 * status, prompt and generated tokens, requests being answered. Thread-safe. */
#ifndef LF_SERVER_METRICS_H
#define LF_SERVER_METRICS_H

#include <pthread.h>
#include <stdatomic.h>

#include "server/scheduler.h"
#include "server/text_buffer.h"

#define METRICS_MAX_SERIES 128

typedef struct metrics_series {
    const char *endpoint; /* a route's path (static), or "other" */
    int status;
    unsigned long long count;
} metrics_series;

typedef struct server_metrics {
    pthread_mutex_t mutex;
    metrics_series series[METRICS_MAX_SERIES];
    int n_series;
    atomic_ullong prompt_tokens, generated_tokens;
    atomic_int processing;
} server_metrics;

void metrics_init(server_metrics *m);
void metrics_destroy(server_metrics *m);
/* A request ended: endpoint is a static string. */
void metrics_count(server_metrics *m, const char *endpoint, int status, int prompt_tokens, int generated_tokens);
/* The exposition text (with the scheduler's gauges) appended to out; -1 out of memory. */
int metrics_render(server_metrics *m, scheduler *s, text_buffer *out);

#endif
