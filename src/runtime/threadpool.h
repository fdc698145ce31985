/* A fixed pool of worker threads that run one parallel job at a time. Workers spin
 * briefly on a generation counter before sleeping, because a token needs hundreds of
 * short jobs and waking a sleeping thread costs more than most of them. */
#ifndef LF_RUNTIME_THREADPOOL_H
#define LF_RUNTIME_THREADPOOL_H

/* Called on every thread with its index in [0, n_threads). */
typedef void (*lf_parallel_fn)(int thread_index, int n_threads, void *arg);

typedef struct lf_threadpool lf_threadpool;

/* n_threads includes the calling thread; returns NULL when threads cannot be created. */
lf_threadpool *lf_threadpool_create(int n_threads);
void lf_threadpool_free(lf_threadpool *pool);
int lf_threadpool_size(const lf_threadpool *pool);
/* Runs fn on all threads (the caller is thread 0) and returns when all have finished. */
void lf_threadpool_run(lf_threadpool *pool, lf_parallel_fn fn, void *arg);

#endif
