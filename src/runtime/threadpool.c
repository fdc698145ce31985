#include "runtime/threadpool.h"

#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

/* How long a waiting thread spins, then yields, before it sleeps. Decode jobs are tens
 * of microseconds apart and their threads finish within a task of each other, so the
 * spin covers the common case; a peer that is not back by then has been descheduled and
 * will not be for a time slice (milliseconds), which the CPU should spend on it or on
 * whoever else needs it. */
#define SPIN_NS 30000
#define YIELD_NS 100000

struct lf_threadpool {
    int n_threads;
    pthread_t *threads;
    /* The current job: written by the caller only while no worker is inside a job. Its
     * second part (fn2: NULL for none) starts when the first's tasks have finished. */
    lf_task_fn fn, fn2;
    void *arg, *arg2;
    int n_tasks, n_tasks2;
    /* Odd while a job is open (tasks may still be handed out), even once it is closed;
     * +1 at each. Workers sleep on it as a futex word. */
    _Alignas(64) atomic_uint state;
    atomic_int sleepers; /* workers in (or about to enter) futex sleep on state */
    atomic_bool stop;
    _Alignas(64) atomic_int next; /* next task to hand out */
    _Alignas(64) atomic_int done; /* tasks finished; the caller may sleep on it */
    _Alignas(64) atomic_int next2; /* the same for the second part */
    _Alignas(64) atomic_int done2;
    /* Workers that entered the current job and have not left it; the caller waits for 0
     * before it rewrites the job, and may sleep on it. */
    atomic_int inside;
    atomic_int caller_sleeping;
};

typedef struct worker_start {
    lf_threadpool *pool;
    int index;
} worker_start;

static void futex_wait(void *word, unsigned expected) {
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake(void *word, int n) { syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0); }

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Where a wait is: spinning, then yielding, then (phase 2) ready to sleep. While spinning
 * the clock is read every 64 turns; a yield may switch threads, so it is read each time. */
typedef struct backoff {
    int64_t start;
    int turns, phase;
} backoff;

/* Spins or yields once; false once the waiter should sleep instead. */
static bool backoff_pause(backoff *b) {
    if (b->phase > 0 || (b->turns & 63) == 0) {
        int64_t t = now_ns();
        if (b->turns == 0) b->start = t;
        int64_t waited = t - b->start;
        b->phase = waited < SPIN_NS ? 0 : waited < SPIN_NS + YIELD_NS ? 1 : 2;
    }
    b->turns++;
    if (b->phase == 0) cpu_relax();
    else if (b->phase == 1) sched_yield();
    return b->phase < 2;
}

/* The caller waits until *word == want; workers that change *word wake it (wake_caller). */
static void caller_await(lf_threadpool *p, atomic_int *word, int want) {
    backoff b = {0, 0, 0};
    for (;;) {
        int v = atomic_load(word);
        if (v == want) return;
        if (backoff_pause(&b)) continue;
        atomic_store(&p->caller_sleeping, 1);
        v = atomic_load(word); /* a worker changing word after this sees the flag */
        if (v != want) futex_wait(word, (unsigned)v);
        atomic_store(&p->caller_sleeping, 0);
    }
}

static void wake_caller(lf_threadpool *p, atomic_int *word) {
    if (atomic_load(&p->caller_sleeping)) futex_wake(word, 1);
}

/* Takes tasks of one part of the current job until none are left. */
static void run_part(lf_threadpool *p, atomic_int *next, atomic_int *done, int n, lf_task_fn fn, void *arg,
                     int thread_index) {
    for (;;) {
        int i = atomic_fetch_add_explicit(next, 1, memory_order_relaxed);
        if (i >= n) return;
        fn(arg, i, thread_index);
        if (atomic_fetch_add(done, 1) + 1 == n) wake_caller(p, done);
    }
}

/* Takes tasks of the current job until none are left: of its first part, then, once
 * every task of that has finished (a wait that spins and yields: the first part's
 * last tasks are short and running), of its second. */
static void run_tasks(lf_threadpool *p, int thread_index) {
    run_part(p, &p->next, &p->done, p->n_tasks, p->fn, p->arg, thread_index);
    if (!p->fn2) return;
    backoff b = {0, 0, 0};
    while (atomic_load(&p->done) < p->n_tasks)
        if (!backoff_pause(&b)) sched_yield();
    run_part(p, &p->next2, &p->done2, p->n_tasks2, p->fn2, p->arg2, thread_index);
}

/* Waits until a job other than the one last seen is open (or the pool stops); returns its state. */
static unsigned wait_for_job(lf_threadpool *p, unsigned seen) {
    backoff b = {0, 0, 0};
    for (;;) {
        unsigned s = atomic_load(&p->state);
        if ((s != seen && (s & 1)) || atomic_load_explicit(&p->stop, memory_order_relaxed)) return s;
        if (backoff_pause(&b)) continue;
        atomic_fetch_add(&p->sleepers, 1);
        /* a caller opening a job after this load sees sleepers > 0 and wakes us */
        s = atomic_load(&p->state);
        if (!((s != seen && (s & 1)) || atomic_load(&p->stop))) futex_wait(&p->state, s);
        atomic_fetch_sub(&p->sleepers, 1);
    }
}

static void *worker_main(void *arg) {
    worker_start start = *(worker_start *)arg;
    free(arg);
    lf_threadpool *p = start.pool;
    unsigned seen = 0;
    for (;;) {
        unsigned s = wait_for_job(p, seen);
        if (atomic_load(&p->stop)) return NULL;
        seen = s;
        atomic_fetch_add(&p->inside, 1);
        /* Still open: the caller cannot rewrite the job until we leave. Closed or replaced:
         * we came too late and must not read the job's fields. */
        if (atomic_load(&p->state) == s) run_tasks(p, start.index);
        if (atomic_fetch_sub(&p->inside, 1) == 1) wake_caller(p, &p->inside);
    }
}

lf_threadpool *lf_threadpool_create(int n_threads) {
    if (n_threads < 1) n_threads = 1;
    lf_threadpool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n_threads = n_threads;
    p->threads = calloc((size_t)n_threads, sizeof *p->threads);
    if (!p->threads) {
        free(p);
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
    atomic_fetch_add(&p->state, 2); /* a change that sleeping workers notice */
    futex_wake(&p->state, INT_MAX);
    for (int i = 1; i < p->n_threads; i++) pthread_join(p->threads[i], NULL);
    free(p->threads);
    free(p);
}

int lf_threadpool_size(const lf_threadpool *p) { return p->n_threads; }

void lf_threadpool_run2(lf_threadpool *p, int n_tasks, lf_task_fn fn, void *arg, int n_tasks2, lf_task_fn fn2,
                        void *arg2) {
    if (n_tasks <= 0 || (fn2 && n_tasks2 <= 0)) { /* a part without tasks: the other alone */
        if (n_tasks > 0) lf_threadpool_run(p, n_tasks, fn, arg);
        else if (fn2) lf_threadpool_run(p, n_tasks2, fn2, arg2);
        return;
    }
    if (p->n_threads == 1) {
        for (int i = 0; i < n_tasks; i++) fn(arg, i, 0);
        for (int i = 0; fn2 && i < n_tasks2; i++) fn2(arg2, i, 0);
        return;
    }
    caller_await(p, &p->inside, 0); /* a late worker still leaving the last job */
    p->fn = fn, p->arg = arg, p->n_tasks = n_tasks;
    p->fn2 = fn2, p->arg2 = arg2, p->n_tasks2 = fn2 ? n_tasks2 : 0;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    atomic_store_explicit(&p->next2, 0, memory_order_relaxed);
    atomic_store_explicit(&p->done2, 0, memory_order_relaxed);
    unsigned open = atomic_fetch_add(&p->state, 1) + 1;
    if (atomic_load(&p->sleepers) > 0) futex_wake(&p->state, INT_MAX);
    run_tasks(p, 0);
    if (fn2) caller_await(p, &p->done2, n_tasks2);
    else caller_await(p, &p->done, n_tasks);
    atomic_store(&p->state, open + 1); /* closed: a worker arriving now leaves at once */
}

void lf_threadpool_run(lf_threadpool *p, int n_tasks, lf_task_fn fn, void *arg) {
    if (n_tasks == 1 || p->n_threads == 1) {
        for (int i = 0; i < n_tasks; i++) fn(arg, i, 0);
        return;
    }
    lf_threadpool_run2(p, n_tasks, fn, arg, 0, NULL, NULL);
}
