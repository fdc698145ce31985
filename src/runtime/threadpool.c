#include "runtime/threadpool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

/* About 50-100 µs of spinning before a worker goes to sleep. */
#define SPIN_ITERATIONS 20000

struct lf_threadpool {
    int n_threads;
    pthread_t *threads;
    lf_parallel_fn fn;
    void *arg;
    atomic_uint generation; /* bumped for every job; workers wait for a change */
    atomic_int pending;     /* workers still running the current job */
    atomic_bool stop;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
};

typedef struct worker_start {
    lf_threadpool *pool;
    int index;
} worker_start;

static unsigned wait_for_new_job(lf_threadpool *p, unsigned seen) {
    for (int i = 0; i < SPIN_ITERATIONS; i++) {
        unsigned g = atomic_load_explicit(&p->generation, memory_order_acquire);
        if (g != seen) return g;
        cpu_relax();
    }
    pthread_mutex_lock(&p->mutex);
    unsigned g;
    while ((g = atomic_load_explicit(&p->generation, memory_order_acquire)) == seen) pthread_cond_wait(&p->wake, &p->mutex);
    pthread_mutex_unlock(&p->mutex);
    return g;
}

static void *worker_main(void *arg) {
    worker_start start = *(worker_start *)arg;
    free(arg);
    lf_threadpool *p = start.pool;
    unsigned seen = 0;
    for (;;) {
        seen = wait_for_new_job(p, seen);
        if (atomic_load(&p->stop)) return NULL;
        p->fn(start.index, p->n_threads, p->arg);
        atomic_fetch_sub_explicit(&p->pending, 1, memory_order_release);
    }
}

lf_threadpool *lf_threadpool_create(int n_threads) {
    if (n_threads < 1) n_threads = 1;
    lf_threadpool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n_threads = n_threads;
    p->threads = calloc((size_t)n_threads, sizeof *p->threads);
    pthread_mutex_init(&p->mutex, NULL);
    pthread_cond_init(&p->wake, NULL);
    if (!p->threads) {
        lf_threadpool_free(p);
        return NULL;
    }
    for (int i = 1; i < n_threads; i++) {
        worker_start *ws = malloc(sizeof *ws);
        if (!ws || (*ws = (worker_start){p, i}, pthread_create(&p->threads[i], NULL, worker_main, ws)) != 0) {
            free(ws);
            p->n_threads = i; /* only the threads that exist are joined */
            lf_threadpool_free(p);
            return NULL;
        }
    }
    return p;
}

void lf_threadpool_free(lf_threadpool *p) {
    if (!p) return;
    atomic_store(&p->stop, true);
    pthread_mutex_lock(&p->mutex);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mutex);
    for (int i = 1; i < p->n_threads; i++) pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mutex);
    pthread_cond_destroy(&p->wake);
    free(p->threads);
    free(p);
}

int lf_threadpool_size(const lf_threadpool *p) { return p->n_threads; }

void lf_threadpool_run(lf_threadpool *p, lf_parallel_fn fn, void *arg) {
    if (p->n_threads == 1) {
        fn(0, 1, arg);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    atomic_store_explicit(&p->pending, p->n_threads - 1, memory_order_relaxed);
    pthread_mutex_lock(&p->mutex);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mutex);
    fn(0, p->n_threads, arg);
    /* yield after a short spin: a descheduled worker must not cost us a whole time slice */
    for (int i = 0; atomic_load_explicit(&p->pending, memory_order_acquire) > 0; i++) {
        if (i < SPIN_ITERATIONS) cpu_relax();
        else sched_yield();
    }
}
