/* The thread pool: every task of a job (and of both parts of a two-part job, the second
 * after the first) runs exactly once, on a thread index below the
 * pool size, never two at once on one index; jobs of one tiny task or thousands, pools
 * larger than the machine's CPUs, workers asleep between jobs, a caller asleep waiting
 * for a slow task, and a job argument freed as soon as the job returns (a late worker
 * touching it shows up under ASan). The whole run has a time bound: a deadlock fails
 * by alarm instead of hanging the suite. */
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "runtime/threadpool.h"
#include "test.h"

enum { MAX_TASKS = 4096, MAX_THREADS = 16 };

typedef struct job_state {
    atomic_int runs[MAX_TASKS];
    atomic_int busy[MAX_THREADS]; /* tasks running on thread index i right now */
    atomic_int bad_index, overlap, on_worker;
    int sleep_us; /* per task, to make a worker slow */
} job_state;

static void count_task(void *arg, int task, int thread_index) {
    job_state *s = arg;
    if (thread_index < 0 || thread_index >= MAX_THREADS) {
        atomic_fetch_add(&s->bad_index, 1);
        return;
    }
    if (atomic_fetch_add(&s->busy[thread_index], 1) != 0) atomic_fetch_add(&s->overlap, 1);
    atomic_fetch_add(&s->runs[task], 1);
    if (thread_index > 0) atomic_fetch_add(&s->on_worker, 1);
    if (s->sleep_us) usleep((useconds_t)s->sleep_us);
    atomic_fetch_sub(&s->busy[thread_index], 1);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One job on a freshly allocated state, checked and freed at once. Returns tasks run by workers. */
static int run_job(lf_threadpool *pool, int n_tasks, int sleep_us, bool *ok) {
    job_state *s = calloc(1, sizeof *s);
    s->sleep_us = sleep_us;
    lf_threadpool_run(pool, n_tasks, count_task, s);
    int bad = 0;
    for (int i = 0; i < n_tasks; i++) bad += atomic_load(&s->runs[i]) != 1;
    for (int i = n_tasks; i < MAX_TASKS; i++) bad += atomic_load(&s->runs[i]) != 0;
    bad += atomic_load(&s->bad_index) + atomic_load(&s->overlap);
    int on_worker = atomic_load(&s->on_worker);
    free(s);
    if (bad) *ok = false;
    return on_worker;
}

static void test_many_jobs(int n_threads, int jobs) {
    lf_threadpool *pool = lf_threadpool_create(n_threads);
    CHECK(pool && lf_threadpool_size(pool) == n_threads);
    if (!pool) return;
    bool ok = true;
    unsigned seed = 12345u + (unsigned)n_threads;
    double t0 = now_s();
    for (int j = 0; j < jobs; j++) {
        seed = seed * 1103515245u + 12345u;
        int n = j % 97 == 0 ? MAX_TASKS : 1 + (int)((seed >> 16) % 64); /* mostly tiny jobs */
        run_job(pool, n, 0, &ok);
    }
    double dt = now_s() - t0;
    CHECK_MSG(ok, "%d threads: a task ran twice, never, on a bad index or beside another on its index", n_threads);
    printf("%d threads: %d jobs in %.2f s\n", n_threads, jobs, dt);
    lf_threadpool_free(pool);
}

/* Workers go to sleep between jobs that are far apart and wake for the next one; a
 * caller whose last task is slow sleeps until a worker finishes it. */
static void test_sleep_and_wake(void) {
    lf_threadpool *pool = lf_threadpool_create(2);
    CHECK(pool);
    if (!pool) return;
    bool ok = true;
    int on_worker = 0;
    for (int r = 0; r < 5; r++) {
        usleep(5000); /* well past the spin and yield phases */
        on_worker += run_job(pool, 40, 1000, &ok);
    }
    CHECK_MSG(ok, "jobs after sleeps: a task ran twice, never or on a bad index");
    /* 200 tasks of 1 ms: a woken worker takes some of them */
    CHECK_MSG(on_worker > 0, "the worker ran none of 200 sleeping tasks");
    lf_threadpool_free(pool);
}

static void test_edges(void) {
    lf_threadpool *one = lf_threadpool_create(0); /* fewer than 1: one thread */
    CHECK(one && lf_threadpool_size(one) == 1);
    bool ok = true;
    if (one) {
        CHECK(run_job(one, 10, 0, &ok) == 0);
        lf_threadpool_free(one);
    }
    lf_threadpool *pool = lf_threadpool_create(3);
    CHECK(pool);
    if (pool) {
        lf_threadpool_run(pool, 0, count_task, NULL); /* no tasks: fn is not called */
        run_job(pool, 1, 0, &ok);
        lf_threadpool_free(pool);
    }
    CHECK(ok);
    lf_threadpool_free(lf_threadpool_create(MAX_THREADS)); /* freed with its workers still starting */
    lf_threadpool_free(NULL);
}

/* lf_threadpool_run2: both parts' tasks run exactly once, and no task of the second
 * starts before every task of the first has finished (each second-part task sees the
 * first part's count complete); parts of one task, of many, of none. */
typedef struct two_parts {
    job_state first, second;
    int n_first;
    atomic_int early; /* second-part tasks that saw the first part unfinished */
} two_parts;

static void first_task(void *arg, int task, int thread_index) {
    two_parts *t = arg;
    count_task(&t->first, task, thread_index);
}

static void second_task(void *arg, int task, int thread_index) {
    two_parts *t = arg;
    int finished = 0;
    for (int i = 0; i < t->n_first; i++) finished += atomic_load(&t->first.runs[i]);
    if (finished != t->n_first) atomic_fetch_add(&t->early, 1);
    count_task(&t->second, task, thread_index);
}

static void test_two_parts(int n_threads, int jobs) {
    lf_threadpool *pool = lf_threadpool_create(n_threads);
    CHECK(pool);
    int bad = 0, early = 0;
    for (int j = 0; pool && j < jobs; j++) {
        int n1 = j % 7 == 0 ? 1 : 1 + j % 13, n2 = j % 5 == 0 ? 0 : 1 + j % 11;
        two_parts *t = calloc(1, sizeof *t);
        t->n_first = n1;
        t->first.sleep_us = j % 97 == 0 ? 200 : 0; /* now and then a slow first part */
        lf_threadpool_run2(pool, n1, first_task, t, n2, n2 ? second_task : NULL, t);
        for (int i = 0; i < MAX_TASKS; i++) {
            bad += atomic_load(&t->first.runs[i]) != (i < n1);
            bad += atomic_load(&t->second.runs[i]) != (i < n2);
        }
        bad += atomic_load(&t->first.bad_index) + atomic_load(&t->first.overlap);
        bad += atomic_load(&t->second.bad_index) + atomic_load(&t->second.overlap);
        early += atomic_load(&t->early);
        free(t);
    }
    CHECK_MSG(bad == 0, "%d threads, two-part jobs: %d tasks ran twice, never or on a bad index", n_threads, bad);
    CHECK_MSG(early == 0, "%d threads: %d second-part tasks started before the first part finished", n_threads, early);
    lf_threadpool_free(pool);
}

int main(void) {
    alarm(120); /* a deadlock kills the test (SIGALRM) instead of hanging the suite */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    printf("%ld CPUs online\n", cpus);
    test_edges();
    test_many_jobs(1, 2000);
    test_many_jobs(2, 20000);
    test_many_jobs(3, 10000);
    test_many_jobs(MAX_THREADS, 2000); /* far more threads than CPUs */
    test_sleep_and_wake();
    test_two_parts(1, 500);
    test_two_parts(2, 5000);
    test_two_parts(MAX_THREADS, 500);
    TEST_MAIN_END();
}
