#include "server/metrics.h"

#include <stdarg.h>
#include <stdio.h>

void metrics_init(server_metrics *m) {
    *m = (server_metrics){0};
    pthread_mutex_init(&m->mutex, NULL);
}

void metrics_destroy(server_metrics *m) { pthread_mutex_destroy(&m->mutex); }

void metrics_count(server_metrics *m, const char *endpoint, int status, int prompt_tokens, int generated_tokens) {
    atomic_fetch_add(&m->prompt_tokens, (unsigned long long)prompt_tokens);
    atomic_fetch_add(&m->generated_tokens, (unsigned long long)generated_tokens);
    pthread_mutex_lock(&m->mutex);
    int i = 0;
    while (i < m->n_series && !(m->series[i].endpoint == endpoint && m->series[i].status == status)) i++;
    /* endpoints are the routes' and statuses the few the server sends: the table is
     * bounded, and a series past it is folded into the last one rather than lost */
    if (i == m->n_series && i < METRICS_MAX_SERIES) m->series[m->n_series++] = (metrics_series){endpoint, status, 0};
    if (i == METRICS_MAX_SERIES) i--;
    m->series[i].count++;
    pthread_mutex_unlock(&m->mutex);
}

static int put(text_buffer *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int put(text_buffer *out, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= sizeof line ? -1 : text_append(out, line, (size_t)n);
}

/* The HELP and TYPE lines of a metric. */
static int header(text_buffer *out, const char *name, const char *type, const char *help) {
    return put(out, "# HELP llamafast_%s %s\n# TYPE llamafast_%s %s\n", name, help, name, type);
}

int metrics_render(server_metrics *m, scheduler *s, text_buffer *out) {
    int rc = header(out, "requests_total", "counter", "HTTP requests answered, by endpoint and status.");
    pthread_mutex_lock(&m->mutex);
    for (int i = 0; !rc && i < m->n_series; i++)
        rc = put(out, "llamafast_requests_total{endpoint=\"%s\",status=\"%d\"} %llu\n", m->series[i].endpoint,
                 m->series[i].status, m->series[i].count);
    pthread_mutex_unlock(&m->mutex);
    int busy = 0, waiting = 0;
    scheduler_load(s, &busy, &waiting);
    if (rc || header(out, "prompt_tokens_total", "counter", "Prompt tokens of answered requests.") ||
        put(out, "llamafast_prompt_tokens_total %llu\n", atomic_load(&m->prompt_tokens)) ||
        header(out, "generated_tokens_total", "counter", "Tokens generated for answered requests.") ||
        put(out, "llamafast_generated_tokens_total %llu\n", atomic_load(&m->generated_tokens)) ||
        header(out, "requests_processing", "gauge", "Requests being answered now.") ||
        put(out, "llamafast_requests_processing %d\n", atomic_load(&m->processing)) ||
        header(out, "queue_depth", "gauge", "Choices waiting for a free slot.") ||
        put(out, "llamafast_queue_depth %d\n", waiting) ||
        header(out, "slots_busy", "gauge", "Slots generating now.") || put(out, "llamafast_slots_busy %d\n", busy) ||
        header(out, "slots_total", "gauge", "Slots (generations that run at once).") ||
        put(out, "llamafast_slots_total %d\n", scheduler_slot_count(s)) ||
        header(out, "last_tokens_per_second", "gauge",
               "Decoding speed of the last generation that ended (its tokens after the first).") ||
        put(out, "llamafast_last_tokens_per_second %.3f\n", scheduler_last_rate(s)))
        return -1;
    return 0;
}
