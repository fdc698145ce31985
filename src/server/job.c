#include "server/job.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/http_conn.h"

const char *finish_reason_name(finish_reason f) {
    switch (f) {
    case FINISH_STOP: return "stop";
    case FINISH_LENGTH: return "length";
    default: return NULL;
    }
}

job *job_create(const completion_request *r) {
    job *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    pthread_mutex_init(&j->mutex, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&j->changed, &attr);
    pthread_condattr_destroy(&attr);
    j->refs = 1;
    j->client_fd = -1;
    j->max_tokens = r->max_tokens;
    j->logprobs = r->logprobs;
    j->prompt_logprobs = r->echo && r->logprobs >= 0;
    for (int i = 0; i < r->n_stops; i++) {
        if (!(j->stops[i] = strdup(r->stops[i]))) {
            job_release(j);
            return NULL;
        }
        j->n_stops = i + 1;
    }
    return j;
}

void job_retain(job *j) {
    pthread_mutex_lock(&j->mutex);
    j->refs++;
    pthread_mutex_unlock(&j->mutex);
}

void job_release(job *j) {
    if (!j) return;
    pthread_mutex_lock(&j->mutex);
    int left = --j->refs;
    pthread_mutex_unlock(&j->mutex);
    if (left) return;
    for (job_event *e = j->head, *next; e; e = next) {
        next = e->next;
        job_event_free(e);
    }
    for (int i = 0; i < j->n_stops; i++) free(j->stops[i]);
    pthread_mutex_destroy(&j->mutex);
    pthread_cond_destroy(&j->changed);
    free(j);
}

void job_cancel(job *j) { atomic_store(&j->cancelled, true); }

bool job_is_cancelled(job *j) { return atomic_load(&j->cancelled); }

void job_attach_client(job *j, int fd) {
    pthread_mutex_lock(&j->mutex);
    j->client_fd = fd;
    pthread_mutex_unlock(&j->mutex);
}

void job_detach_client(job *j) { job_attach_client(j, -1); }

bool job_abandoned(job *j) {
    if (job_is_cancelled(j)) return true;
    /* under the mutex: the descriptor cannot be closed (and reused) meanwhile */
    pthread_mutex_lock(&j->mutex);
    bool gone = http_socket_peer_gone(j->client_fd);
    pthread_mutex_unlock(&j->mutex);
    if (gone) job_cancel(j);
    return gone;
}

void job_event_free(job_event *e) {
    if (e) free(e->logprob);
    free(e);
}

static void push(job *j, job_event *e) {
    pthread_mutex_lock(&j->mutex);
    if (j->tail) j->tail->next = e;
    else j->head = e;
    j->tail = e;
    pthread_cond_broadcast(&j->changed);
    pthread_mutex_unlock(&j->mutex);
}

int job_push_text(job *j, int choice, const char *text, size_t len) {
    job_event *e = malloc(sizeof *e + len + 1);
    if (!e) return -1;
    *e = (job_event){.choice = choice, .len = len};
    memcpy(e->text, text, len);
    e->text[len] = 0;
    push(j, e);
    return 0;
}

int job_push_logprob(job *j, int choice, const token_logprob *lp) {
    job_event *e = malloc(sizeof *e + 1);
    token_logprob *copy = malloc(sizeof *copy);
    if (!e || !copy) {
        free(e);
        free(copy);
        return -1;
    }
    *copy = *lp;
    *e = (job_event){.choice = choice, .logprob = copy};
    e->text[0] = 0;
    push(j, e);
    return 0;
}

void job_finish(job *j, int choice, finish_reason why, int n_tokens, const char *error) {
    pthread_mutex_lock(&j->mutex);
    job_progress *p = &j->progress;
    if (why == FINISH_ERROR && !p->error[0]) snprintf(p->error, sizeof p->error, "%s", error);
    p->finish[choice] = why;
    p->n_tokens[choice] = n_tokens;
    p->n_finished++;
    pthread_cond_broadcast(&j->changed);
    pthread_mutex_unlock(&j->mutex);
}

static struct timespec deadline_after(int ms) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

job_event *job_next(job *j, int timeout_ms, job_progress *p) {
    struct timespec deadline = deadline_after(timeout_ms < 0 ? 0 : timeout_ms);
    pthread_mutex_lock(&j->mutex);
    int rc = 0;
    while (!j->head && j->progress.n_finished == p->n_finished && rc != ETIMEDOUT)
        rc = timeout_ms < 0 ? pthread_cond_wait(&j->changed, &j->mutex)
                            : pthread_cond_timedwait(&j->changed, &j->mutex, &deadline);
    job_event *e = j->head;
    if (e) {
        j->head = e->next;
        if (!j->head) j->tail = NULL;
        e->next = NULL;
    } else {
        *p = j->progress;
    }
    pthread_mutex_unlock(&j->mutex);
    return e;
}
