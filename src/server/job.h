/* One request's generations, shared by the HTTP connection that waits for them and the
 * scheduler that produces them: a FIFO of text pieces, each choice's end (recorded
 * without allocating, so an end is never lost), a cancel flag, and what all choices share
 * (stop strings, token limit). Reference-counted: a client may disconnect while its
 * choices are still queued or running. */
#ifndef LF_SERVER_JOB_H
#define LF_SERVER_JOB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "server/request.h"
#include "server/request_logprobs.h"

typedef enum finish_reason { FINISH_NONE, FINISH_STOP, FINISH_LENGTH, FINISH_ERROR } finish_reason;

/* "stop", "length", or NULL while the choice goes on (or failed). */
const char *finish_reason_name(finish_reason f);

/* A token's log-probability under the model's raw logits, and the most likely tokens at
 * its position. */
typedef struct token_logprob {
    int32_t id;
    bool known;     /* false for the first prompt token, which nothing predicts */
    float logprob;
    int n_top;
    lf_token_logprob top[LOGPROBS_MAX_TOP];
} token_logprob;

typedef struct job_event {
    struct job_event *next;
    int choice;
    token_logprob *logprob; /* a token's log-probabilities (no text), or NULL */
    size_t len;
    char text[]; /* NUL-terminated */
} job_event;

/* How the choices stand; filled by job_next when no text is waiting. */
typedef struct job_progress {
    int n_finished;
    finish_reason finish[REQUEST_MAX_CHOICES];
    int n_tokens[REQUEST_MAX_CHOICES]; /* tokens each finished choice generated */
    char error[256];                   /* the first FINISH_ERROR's message */
} job_progress;

typedef struct job {
    pthread_mutex_t mutex;
    pthread_cond_t changed;
    int refs;
    atomic_bool cancelled;
    int client_fd;  /* the socket of the client waiting for the job, or -1 (under mutex) */
    job_event *head, *tail;
    job_progress progress;
    /* read-only once submitted */
    int max_tokens; /* 0 = no limit but the context */
    int logprobs;   /* -1: none; else top entries per token (completion_request's) */
    bool prompt_logprobs; /* of the prompt's tokens too (echo with logprobs) */
    char *stops[REQUEST_MAX_STOPS];
    int n_stops;
} job;

/* Copies the stop strings and token limit of r. Returns NULL when out of memory. */
job *job_create(const completion_request *r);
void job_retain(job *j);
void job_release(job *j);
/* The client is gone: the scheduler drops the job's choices at its next step. */
void job_cancel(job *j);
bool job_is_cancelled(job *j);
/* The connection that waits for the job (fd), until job_detach_client: lets the
 * scheduler see a client that hung up while its choices wait for a slot. */
void job_attach_client(job *j, int fd);
void job_detach_client(job *j);
/* Cancelled, or its client has closed its side of the connection. */
bool job_abandoned(job *j);
/* Appends a piece of text of a choice. Returns -1 when out of memory. */
int job_push_text(job *j, int choice, const char *text, size_t len);
/* Appends a token's log-probabilities to a choice's events. -1 when out of memory. */
int job_push_logprob(job *j, int choice, const token_logprob *lp);
void job_event_free(job_event *e);
/* Ends a choice; error is the message of a FINISH_ERROR (else NULL). */
void job_finish(job *j, int choice, finish_reason why, int n_tokens, const char *error);
/* The next piece of text (free it with free()); or, when none is queued, NULL after
 * copying the progress into *p -- at once if p->n_finished is behind, else after waiting
 * up to timeout_ms (< 0: no limit) for a change. Text of a choice always comes out
 * before the progress that shows it finished. */
job_event *job_next(job *j, int timeout_ms, job_progress *p);

#endif
