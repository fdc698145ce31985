/* bandwidth: the machine's memory read bandwidth, STREAM-like, as the ceiling that token
 * generation (which reads every weight once per token) cannot beat.
 *
 * Each thread owns a buffer (default 1 GiB, far beyond any cache), split into K regions
 * ("streams", default 8) that are read in lockstep, 128 bytes of each region per step,
 * the way a matrix-vector product reads several weight rows at once. Loads are summed
 * (AVX2 256-bit integer adds when the CPU has AVX2, else a plain loop the compiler
 * vectorizes) so nothing can be optimized away. Threads are pinned to distinct CPUs
 * when sched_setaffinity allows, touch their own buffer first (so it lives on their NUMA
 * node), and start every repetition together; a repetition's time is from the common
 * start to the last thread's end (each thread reads the clock itself, so a busy machine
 * delaying the main thread does not shorten a measurement). GB are 10^9 bytes.
 *
 * usage: bandwidth [--threads 1,2] [--streams 8[,16...]] [--mib 1024] [--reps 10]
 *                  [--scalar] [--json]
 * build: bench/build.sh (cc -O2 -pthread), or run bench/bandwidth.sh which builds it. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "parse_list.h"
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

#define MAX_LIST 16
#define MAX_STREAMS 64
#define STEP 128 /* bytes of each stream per step: two cache lines */
/* Streams start this far beyond a multiple of the region size, so they do not all map
 * to the same cache sets and DRAM banks (as rows of real weight matrices do not). */
#define STAGGER (4096 + 64)

/* Bytes each of k streams reads from a buffer of `bytes`. */
static size_t region_bytes(size_t bytes, int k) {
    size_t r = bytes / (size_t)k;
    r = r > STAGGER ? r - STAGGER : 0;
    return r / STEP * STEP;
}

typedef struct options {
    int threads[MAX_LIST], n_threads;
    int streams[MAX_LIST], n_streams;
    size_t mib;
    int reps;
    bool scalar, json;
} options;

/* ------------------------------------------------------------------ kernels */

/* Sum of the 64-bit words of k regions of `region` bytes each (region + STAGGER bytes
 * apart), read in lockstep. */
static uint64_t read_scalar(const unsigned char *base, int k, size_t region) {
    uint64_t acc[4] = {0, 0, 0, 0};
    for (size_t off = 0; off < region; off += STEP)
        for (int s = 0; s < k; s++) {
            const uint64_t *p = (const uint64_t *)(const void *)(base + (size_t)s * (region + STAGGER) + off);
            for (int i = 0; i < STEP / 8; i += 4) {
                acc[0] += p[i];
                acc[1] += p[i + 1];
                acc[2] += p[i + 2];
                acc[3] += p[i + 3];
            }
        }
    return acc[0] + acc[1] + acc[2] + acc[3];
}

#if HAVE_X86
__attribute__((target("avx2"))) static uint64_t read_avx2(const unsigned char *base, int k, size_t region) {
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t off = 0; off < region; off += STEP)
        for (int s = 0; s < k; s++) {
            const __m256i *p = (const __m256i *)(const void *)(base + (size_t)s * (region + STAGGER) + off);
            a0 = _mm256_add_epi64(a0, _mm256_load_si256(p));
            a1 = _mm256_add_epi64(a1, _mm256_load_si256(p + 1));
            a2 = _mm256_add_epi64(a2, _mm256_load_si256(p + 2));
            a3 = _mm256_add_epi64(a3, _mm256_load_si256(p + 3));
        }
    __m256i a = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
    uint64_t v[4];
    _mm256_storeu_si256((__m256i *)(void *)v, a);
    return v[0] + v[1] + v[2] + v[3];
}
#endif

typedef uint64_t (*read_fn)(const unsigned char *, int, size_t);

/* -------------------------------------------------------------------- threads */

typedef struct shared {
    pthread_barrier_t start, done;
    read_fn fn;
    int streams;
    size_t bytes;
    int reps;
    int cpus[CPU_SETSIZE], n_cpus;
    int failed;       /* allocation failures */
    int pinned_count; /* threads that were pinned */
    pthread_mutex_t lock;
} shared;

typedef struct worker {
    shared *sh;
    int index;
    pthread_t thread;
    volatile uint64_t sum; /* keeps the loads observable */
    double *t_start, *t_end; /* per repetition, measured by the thread itself */
} worker;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *worker_main(void *arg) {
    worker *w = arg;
    shared *sh = w->sh;
    bool pinned = false;
    if (sh->n_cpus > 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(sh->cpus[w->index % sh->n_cpus], &set);
        pinned = sched_setaffinity(0, sizeof set, &set) == 0;
    }
    unsigned char *buf = mmap(NULL, sh->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) buf = NULL;
#ifdef MADV_HUGEPAGE
    if (buf) madvise(buf, sh->bytes, MADV_HUGEPAGE);
#endif
    if (buf) memset(buf, 1 + w->index, sh->bytes); /* first touch by the reading thread */
    pthread_mutex_lock(&sh->lock);
    sh->failed += buf == NULL;
    sh->pinned_count += pinned;
    pthread_mutex_unlock(&sh->lock);
    size_t region = region_bytes(sh->bytes, sh->streams);
    for (int r = 0; r < sh->reps; r++) {
        pthread_barrier_wait(&sh->start);
        w->t_start[r] = now_s();
        if (buf) w->sum += sh->fn(buf, sh->streams, region);
        w->t_end[r] = now_s();
        pthread_barrier_wait(&sh->done);
    }
    if (buf) munmap(buf, sh->bytes);
    return NULL;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct result {
    int threads, streams;
    double best, median; /* GB/s */
    bool pinned;
} result;

/* One measurement: `threads` threads, each reading its own buffer in `streams` streams. */
static int measure(const options *o, read_fn fn, int threads, int streams, const int *cpus, int n_cpus,
                   result *res) {
    shared sh = {0};
    sh.fn = fn;
    sh.streams = streams;
    sh.bytes = o->mib << 20;
    sh.reps = o->reps + 1; /* the first repetition warms up (page tables, TLB, frequency) */
    memcpy(sh.cpus, cpus, (size_t)n_cpus * sizeof *cpus);
    sh.n_cpus = n_cpus;
    pthread_mutex_init(&sh.lock, NULL);
    pthread_barrier_init(&sh.start, NULL, (unsigned)threads + 1);
    pthread_barrier_init(&sh.done, NULL, (unsigned)threads + 1);
    worker *ws = calloc((size_t)threads, sizeof *ws);
    double *gbs = calloc((size_t)sh.reps, sizeof *gbs);
    double *times = calloc((size_t)sh.reps * 2 * (size_t)threads, sizeof *times);
    if (!ws || !gbs || !times) {
        fprintf(stderr, "error: out of memory\n");
        exit(1);
    }
    for (int i = 0; i < threads; i++) {
        ws[i] = (worker){&sh, i, 0, 0, times + (size_t)i * 2 * (size_t)sh.reps,
                         times + ((size_t)i * 2 + 1) * (size_t)sh.reps};
        int e = pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]);
        if (e) {
            fprintf(stderr, "error: pthread_create: %s\n", strerror(e));
            exit(1);
        }
    }
    size_t region = region_bytes(sh.bytes, streams);
    double bytes = (double)region * streams * threads;
    for (int r = 0; r < sh.reps; r++) {
        pthread_barrier_wait(&sh.start);
        pthread_barrier_wait(&sh.done);
    }
    for (int i = 0; i < threads; i++) pthread_join(ws[i].thread, NULL);
    /* a repetition lasts from the first thread's start to the last thread's end */
    for (int r = 0; r < sh.reps; r++) {
        double t0 = ws[0].t_start[r], t1 = ws[0].t_end[r];
        for (int i = 1; i < threads; i++) {
            if (ws[i].t_start[r] < t0) t0 = ws[i].t_start[r];
            if (ws[i].t_end[r] > t1) t1 = ws[i].t_end[r];
        }
        gbs[r] = bytes / (t1 - t0) / 1e9;
    }
    int failed = sh.failed;
    pthread_barrier_destroy(&sh.start);
    pthread_barrier_destroy(&sh.done);
    pthread_mutex_destroy(&sh.lock);
    if (failed) {
        fprintf(stderr, "error: could not allocate %zu MiB for each of %d threads\n", o->mib, threads);
        free(ws);
        free(gbs);
        free(times);
        return -1;
    }
    qsort(gbs + 1, (size_t)o->reps, sizeof *gbs, cmp_double);
    res->threads = threads;
    res->streams = streams;
    res->best = gbs[o->reps];
    res->median = o->reps % 2 ? gbs[1 + o->reps / 2] : 0.5 * (gbs[o->reps / 2] + gbs[1 + o->reps / 2]);
    res->pinned = sh.pinned_count == threads;
    free(ws);
    free(gbs);
    free(times);
    return 0;
}

/* ---------------------------------------------------------------------- main */

static void usage(FILE *f, const char *argv0) {
    fprintf(f,
            "usage: %s [--threads 1,2] [--streams 8[,N...]] [--mib 1024] [--reps 10] [--scalar] [--json]\n"
            "Memory read bandwidth: each thread reads its own buffer of --mib MiB as --streams\n"
            "regions in lockstep; prints best and median GB/s (10^9 bytes) over --reps repetitions.\n",
            argv0);
}

int main(int argc, char **argv) {
    options o = {{1, 2}, 2, {8}, 1, 1024, 10, false, false};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout, argv[0]);
            return 0;
        } else if (!strcmp(a, "--threads") && v) {
            if ((o.n_threads = parse_list(v, o.threads, MAX_LIST, 1, 1024)) < 0) goto bad;
            i++;
        } else if (!strcmp(a, "--streams") && v) {
            if ((o.n_streams = parse_list(v, o.streams, MAX_LIST, 1, MAX_STREAMS)) < 0) goto bad;
            i++;
        } else if (!strcmp(a, "--mib") && v) {
            char *end;
            unsigned long long m = strtoull(v, &end, 10);
            if (*end || m < 1 || m > (1ull << 20)) goto bad;
            o.mib = (size_t)m;
            i++;
        } else if (!strcmp(a, "--reps") && v) {
            char *end;
            long r = strtol(v, &end, 10);
            if (*end || r < 1 || r > 10000) goto bad;
            o.reps = (int)r;
            i++;
        } else if (!strcmp(a, "--scalar")) {
            o.scalar = true;
        } else if (!strcmp(a, "--json")) {
            o.json = true;
        } else {
        bad:
            fprintf(stderr, "error: bad option or value: %s%s%s\n", a, v ? " " : "", v ? v : "");
            usage(stderr, argv[0]);
            return 2;
        }
    }
    for (int s = 0; s < o.n_streams; s++)
        if (region_bytes(o.mib << 20, o.streams[s]) < STEP) {
            fprintf(stderr, "error: %zu MiB is too small for %d streams\n", o.mib, o.streams[s]);
            return 2;
        }

    read_fn fn = read_scalar;
    const char *kernel = "scalar";
#if HAVE_X86
    __builtin_cpu_init();
    if (!o.scalar && __builtin_cpu_supports("avx2")) {
        fn = read_avx2;
        kernel = "avx2";
    }
#endif
    int cpus[CPU_SETSIZE], n_cpus = 0;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &set)) cpus[n_cpus++] = c;

    result results[MAX_LIST * MAX_LIST];
    int n_results = 0;
    for (int t = 0; t < o.n_threads; t++)
        for (int s = 0; s < o.n_streams; s++) {
            result *r = &results[n_results];
            if (measure(&o, fn, o.threads[t], o.streams[s], cpus, n_cpus, r) != 0) return 1;
            n_results++;
            printf("threads %2d  streams %2d  %zu MiB/thread  %s%s  best %6.2f GB/s  median %6.2f GB/s  (%d reps)\n",
                   r->threads, r->streams, o.mib, kernel, r->pinned ? ", pinned" : "", r->best, r->median, o.reps);
            fflush(stdout);
        }
    if (o.json) {
        printf("{\"benchmark\": \"read_bandwidth\", \"kernel\": \"%s\", \"mib_per_thread\": %zu, \"reps\": %d, "
               "\"cpus_available\": %d, \"results\": [",
               kernel, o.mib, o.reps, n_cpus);
        for (int i = 0; i < n_results; i++)
            printf("%s{\"threads\": %d, \"streams\": %d, \"pinned\": %s, \"best_gbs\": %.3f, \"median_gbs\": %.3f}",
                   i ? ", " : "", results[i].threads, results[i].streams, results[i].pinned ? "true" : "false",
                   results[i].best, results[i].median);
        printf("]}\n");
    }
    return 0;
}
