/* A fixed pool of worker threads that run one parallel job at a time. A job is a list of
 * tasks that threads take on demand, and it is finished when its tasks are, not when
 * every thread has come by: a worker descheduled by another process on its CPU only
 * delays the task it holds, and one that wakes late finds the job done and waits for the
 * next. Waiting threads spin briefly (a token needs hundreds of short jobs and a wake-up
 * costs more than most of them), then yield, then sleep on a futex, so they never keep
 * a CPU from a peer that has work. */
#ifndef LF_RUNTIME_THREADPOOL_H
#define LF_RUNTIME_THREADPOOL_H

/* Runs task number task; thread_index in [0, n_threads) names the thread running it
 * (for per-thread scratch: one thread runs one task at a time). */
typedef void (*lf_task_fn)(void *arg, int task, int thread_index);

typedef struct lf_threadpool lf_threadpool;

/* n_threads includes the calling thread; returns NULL when threads cannot be created. */
lf_threadpool *lf_threadpool_create(int n_threads);
void lf_threadpool_free(lf_threadpool *pool);
int lf_threadpool_size(const lf_threadpool *pool);
/* Runs fn for tasks 0 .. n_tasks-1, each once, on the caller (thread 0) and the workers
 * that arrive in time; returns when all have finished. Tasks must not depend on which
 * thread runs them or in which order. One caller at a time. */
void lf_threadpool_run(lf_threadpool *pool, int n_tasks, lf_task_fn fn, void *arg);
/* Two jobs in one: fn's n_tasks, then (once all have finished) fn2's n_tasks2, as two
 * lf_threadpool_run calls would run them but with one hand-over to the workers instead
 * of two: a thread that finds no task of the first left waits for the others' to end and
 * goes on to the second. */
void lf_threadpool_run2(lf_threadpool *pool, int n_tasks, lf_task_fn fn, void *arg, int n_tasks2, lf_task_fn fn2,
                        void *arg2);

/* The first part of a two-part job, for a function that plans the second itself. */
typedef struct lf_pool_part {
    int n_tasks;
    lf_task_fn fn;
    void *arg;
} lf_pool_part;

#endif
