/* peak: the machine's arithmetic peak per core and for several threads, the ceiling that
 * prompt processing (a GEMM, bound by arithmetic) is measured against ("fraction of peak").
 *
 * Each kernel is one instruction (or the AVX2 int8 triple) repeated on ACC independent
 * accumulators, so only its throughput limits it, never its latency:
 *   fma512 / fma256    vfmadd231ps zmm / ymm          32 / 16 FLOP (f32 multiply-adds x 2)
 *   dpbf16-512         vdpbf16ps zmm (AVX512_BF16)    64 FLOP (32 bf16 products, summed in f32)
 *   vnni512 / vnni256  vpdpbusd zmm / ymm (AVX512_VNNI; ymm also by AVX-VNNI)  128 / 64 int8 ops
 *   avx2-int8          vpmaddubsw + vpmaddwd + vpaddd ymm (AVX2)               64 int8 ops
 * (an "op" is a multiply or an add: one multiply-add counts 2). What the CPU lacks is
 * skipped and said so. The core clock is estimated from a chain of dependent integer adds
 * (register-register: one per cycle on x86 cores), so the table also gives
 * operations per cycle.
 *
 * Threads are pinned to distinct CPUs when sched_setaffinity allows and start each
 * repetition together. Each thread times itself in its own CPU time
 * (CLOCK_THREAD_CPUTIME_ID), so time its CPU spends on other processes of a shared machine
 * does not count: a rate is what the core does while it runs the thread. The rate of N
 * threads is the sum of theirs (it still shows what they share: a core's two hyperthreads,
 * a power limit); the best of --reps repetitions is reported.
 *
 * usage: peak [--threads 1,2] [--reps 5] [--ms 200] [--json]
 * build: bench/build.sh (cc -O2 -pthread), or bench/peak.sh which builds it and runs it. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse_list.h"

#if !defined(__x86_64__)
int main(void) {
    fprintf(stderr, "peak: x86-64 only\n");
    return 1;
}
#else
#include <cpuid.h>
#include <immintrin.h>

#define ACC 12       /* accumulators: > latency (4-5 cycles) x ports (2) of every kernel */
/* Fully unrolled, so the accumulators live in registers (not in a stack array). */
#define UNROLL_ACC _Pragma("GCC unroll 12")
#define MAX_LIST 16
#define MAX_THREADS 256

/* --------------------------------------------------------------------- kernels */

/* Each runs `iters` rounds of ACC instructions and returns something depending on every
 * accumulator, so nothing is optimized away. The operands are read from volatile memory:
 * constants the compiler cannot see. */
static volatile float vf[2] = {1.0f, 1e-7f};
static volatile int vi[2] = {0x01020304, 0x01010101};

#define SUM_ACC(acc, add) \
    for (int i = 1; i < ACC; i++) acc[0] = add(acc[0], acc[i])

__attribute__((target("avx512f"))) static double run_fma512(long iters) {
    __m512 a = _mm512_set1_ps(vf[0]), b = _mm512_set1_ps(vf[1]), acc[ACC];
    for (int i = 0; i < ACC; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long n = 0; n < iters; n++)
        UNROLL_ACC for (int i = 0; i < ACC; i++) acc[i] = _mm512_fmadd_ps(a, b, acc[i]);
    SUM_ACC(acc, _mm512_add_ps);
    return _mm512_reduce_add_ps(acc[0]);
}

__attribute__((target("avx2,fma"))) static double run_fma256(long iters) {
    __m256 a = _mm256_set1_ps(vf[0]), b = _mm256_set1_ps(vf[1]), acc[ACC];
    for (int i = 0; i < ACC; i++) acc[i] = _mm256_set1_ps((float)i);
    for (long n = 0; n < iters; n++)
        UNROLL_ACC for (int i = 0; i < ACC; i++) acc[i] = _mm256_fmadd_ps(a, b, acc[i]);
    SUM_ACC(acc, _mm256_add_ps);
    float v[8];
    _mm256_storeu_ps(v, acc[0]);
    return v[0] + v[7];
}

__attribute__((target("avx512f,avx512bf16"))) static double run_dpbf16_512(long iters) {
    __m512bh a = (__m512bh)_mm512_set1_epi32(vi[1]), b = (__m512bh)_mm512_set1_epi32(vi[1]);
    __m512 acc[ACC];
    for (int i = 0; i < ACC; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long n = 0; n < iters; n++)
        UNROLL_ACC for (int i = 0; i < ACC; i++) acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
    SUM_ACC(acc, _mm512_add_ps);
    return _mm512_reduce_add_ps(acc[0]);
}

__attribute__((target("avx512f,avx512vnni"))) static double run_vnni512(long iters) {
    __m512i a = _mm512_set1_epi32(vi[0]), b = _mm512_set1_epi32(vi[1]), acc[ACC];
    for (int i = 0; i < ACC; i++) acc[i] = _mm512_set1_epi32(i);
    for (long n = 0; n < iters; n++)
        UNROLL_ACC for (int i = 0; i < ACC; i++) acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
    SUM_ACC(acc, _mm512_add_epi32);
    return (double)_mm512_reduce_add_epi32(acc[0]);
}

/* The 256-bit vpdpbusd: EVEX-coded with AVX512_VNNI + VL, else VEX-coded (AVX-VNNI). */
#define VNNI256_BODY(DPBUSD)                                                                   \
    __m256i a = _mm256_set1_epi32(vi[0]), b = _mm256_set1_epi32(vi[1]), acc[ACC];              \
    for (int i = 0; i < ACC; i++) acc[i] = _mm256_set1_epi32(i);                               \
    for (long n = 0; n < iters; n++)                                                           \
        UNROLL_ACC for (int i = 0; i < ACC; i++) acc[i] = DPBUSD(acc[i], a, b);                \
    SUM_ACC(acc, _mm256_add_epi32);                                                            \
    return (double)_mm256_extract_epi32(acc[0], 0);

__attribute__((target("avx512f,avx512vl,avx512vnni"))) static double run_vnni256_evex(long iters) {
    VNNI256_BODY(_mm256_dpbusd_epi32)
}

__attribute__((target("avx2,avxvnni"))) static double run_vnni256_vex(long iters) {
    VNNI256_BODY(_mm256_dpbusd_avx_epi32)
}

/* The AVX2 int8 product: u8 x s8 pairs summed to s16 (vpmaddubsw), s16 pairs to s32
 * (vpmaddwd by ones), added to the accumulator: 32 multiply-adds in three instructions. */
__attribute__((target("avx2"))) static double run_avx2_int8(long iters) {
    __m256i a = _mm256_set1_epi32(vi[0]), b = _mm256_set1_epi32(vi[1]), ones = _mm256_set1_epi16(1), acc[ACC];
    for (int i = 0; i < ACC; i++) acc[i] = _mm256_set1_epi32(i);
    for (long n = 0; n < iters; n++)
        UNROLL_ACC for (int i = 0; i < ACC; i++)
            acc[i] = _mm256_add_epi32(acc[i], _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), ones));
    SUM_ACC(acc, _mm256_add_epi32);
    return (double)_mm256_extract_epi32(acc[0], 0);
}

/* A dependent chain of register-register integer adds: one per cycle, so iterations x 8 =
 * cycles (adds of an immediate would not do: newer cores fold those chains at renaming). */
static double run_clock(long iters) {
    uint64_t x = 0, one = (uint64_t)vi[1] & 1;
    for (long n = 0; n < iters; n++)
        __asm__ volatile("add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
                         "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0"
                         : "+r"(x)
                         : "r"(one));
    return (double)x;
}

typedef struct kernel {
    const char *name, *unit; /* unit: GFLOPS or GOPS */
    double ops_per_iter;     /* operations per round of ACC instructions */
    double (*run)(long iters);
    const char *needs;       /* the features, as said when skipped */
    bool have;
} kernel;

/* ---------------------------------------------------------------------- threads */

typedef struct shared {
    pthread_barrier_t start, done;
    double (*run)(long);
    long iters;
    int cpus[CPU_SETSIZE], n_cpus;
    bool stop;
} shared;

typedef struct worker {
    shared *sh;
    int index;
    pthread_t thread;
    double t0, t1, sink;
} worker;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *worker_main(void *arg) {
    worker *w = arg;
    shared *sh = w->sh;
    if (sh->n_cpus > 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(sh->cpus[w->index % sh->n_cpus], &set);
        sched_setaffinity(0, sizeof set, &set);
    }
    for (;;) {
        pthread_barrier_wait(&sh->start);
        if (sh->stop) break;
        w->t0 = now_s();
        w->sink += sh->run(sh->iters);
        w->t1 = now_s();
        pthread_barrier_wait(&sh->done);
    }
    return NULL;
}

/* Best over reps repetitions of `iters` rounds on `threads` threads of the sum of the
 * threads' rounds per second. */
static double best_rate(double (*run)(long), long iters, int threads, int reps, const int *cpus, int n_cpus) {
    static shared sh;
    static worker ws[MAX_THREADS];
    memset(&sh, 0, sizeof sh);
    sh.run = run;
    sh.iters = iters;
    memcpy(sh.cpus, cpus, (size_t)n_cpus * sizeof *cpus);
    sh.n_cpus = n_cpus;
    pthread_barrier_init(&sh.start, NULL, (unsigned)threads + 1);
    pthread_barrier_init(&sh.done, NULL, (unsigned)threads + 1);
    for (int i = 0; i < threads; i++) {
        ws[i] = (worker){.sh = &sh, .index = i};
        if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) != 0) {
            fprintf(stderr, "error: pthread_create failed\n");
            exit(1);
        }
    }
    double best = 0;
    for (int r = 0; r <= reps; r++) { /* repetition 0 warms up (frequency, AVX-512 licence) */
        pthread_barrier_wait(&sh.start);
        pthread_barrier_wait(&sh.done);
        double rate = 0;
        for (int i = 0; i < threads; i++) rate += (double)iters / (ws[i].t1 - ws[i].t0);
        if (r > 0 && rate > best) best = rate;
    }
    sh.stop = true;
    pthread_barrier_wait(&sh.start);
    for (int i = 0; i < threads; i++) pthread_join(ws[i].thread, NULL);
    pthread_barrier_destroy(&sh.start);
    pthread_barrier_destroy(&sh.done);
    return best;
}

/* Rounds of `run` that take about ms milliseconds on one thread. */
static long calibrate(double (*run)(long), double ms) {
    long iters = 1000;
    for (;;) {
        double t0 = now_s();
        volatile double sink = run(iters);
        (void)sink;
        double dt = now_s() - t0;
        if (dt > ms * 1e-3 / 8 || iters > (1L << 40)) return (long)((double)iters * ms * 1e-3 / dt) + 1;
        iters *= 4;
    }
}

/* ------------------------------------------------------------------------- main */

/* CPUID, with XGETBV confirming that the OS saves the AVX / AVX-512 registers. */
static void cpu_features(bool *avx2, bool *avx512, bool *vnni512, bool *bf16, bool *avxvnni) {
    unsigned a, b, c, d, b7 = 0, c7 = 0, a71 = 0;
    *avx2 = *avx512 = *vnni512 = *bf16 = *avxvnni = false;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) || __get_cpuid_max(0, NULL) < 7) return;
    bool fma = c & bit_FMA;
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    bool ymm_os = (lo & 0x6) == 0x6, zmm_os = ymm_os && (lo & 0xE0) == 0xE0;
    __cpuid_count(7, 0, a, b7, c7, d);
    if (a >= 1) __cpuid_count(7, 1, a71, b, c, d);
    *avx2 = ymm_os && fma && (b7 & bit_AVX2);
    *avx512 = zmm_os && (b7 & bit_AVX512F) && (b7 & bit_AVX512VL);
    *vnni512 = *avx512 && (c7 & (1u << 11));
    *bf16 = *avx512 && (a71 & (1u << 5));
    *avxvnni = *avx2 && (a71 & (1u << 4));
}

static void usage(FILE *f, const char *argv0) {
    fprintf(f,
            "usage: %s [--threads 1,2] [--reps 5] [--ms 200] [--json]\n"
            "Arithmetic peak of f32 FMA, bf16 dot and int8 dot instructions on independent\n"
            "accumulators, per thread count: GFLOPS / GOPS (10^9 per second, a multiply-add\n"
            "counts 2), per thread and per cycle; the best of --reps repetitions of --ms ms.\n",
            argv0);
}

int main(int argc, char **argv) {
    int threads[MAX_LIST] = {1, 2}, n_threads = 2, reps = 5, ms = 200;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout, argv[0]);
            return 0;
        } else if (!strcmp(a, "--threads") && v) {
            if ((n_threads = parse_list(v, threads, MAX_LIST, 1, MAX_THREADS)) < 0) goto bad;
            i++;
        } else if (!strcmp(a, "--reps") && v) {
            long r = strtol(v, &end, 10);
            if (*end || r < 1 || r > 1000) goto bad;
            reps = (int)r;
            i++;
        } else if (!strcmp(a, "--ms") && v) {
            long m = strtol(v, &end, 10);
            if (*end || m < 1 || m > 100000) goto bad;
            ms = (int)m;
            i++;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else {
        bad:
            fprintf(stderr, "error: bad option or value: %s%s%s\n", a, v ? " " : "", v ? v : "");
            usage(stderr, argv[0]);
            return 2;
        }
    }
    bool avx2, avx512, vnni512, bf16, avxvnni;
    cpu_features(&avx2, &avx512, &vnni512, &bf16, &avxvnni);
    kernel ks[] = {
        {"fma512", "GFLOPS", ACC * 32.0, run_fma512, "AVX-512 F", avx512},
        {"fma256", "GFLOPS", ACC * 16.0, run_fma256, "AVX2 + FMA", avx2},
        {"dpbf16-512", "GFLOPS", ACC * 64.0, run_dpbf16_512, "AVX512_BF16", bf16},
        {"vnni512", "GOPS", ACC * 128.0, run_vnni512, "AVX512_VNNI", vnni512},
        {"vnni256", "GOPS", ACC * 64.0, vnni512 ? run_vnni256_evex : run_vnni256_vex, "AVX512_VNNI or AVX-VNNI",
         vnni512 || avxvnni},
        {"avx2-int8", "GOPS", ACC * 32.0 * 2, run_avx2_int8, "AVX2", avx2},
    };
    enum { NK = sizeof ks / sizeof ks[0] };

    int cpus[CPU_SETSIZE], n_cpus = 0;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &set)) cpus[n_cpus++] = c;

    long clock_iters = calibrate(run_clock, ms);
    double ghz = 8 * best_rate(run_clock, clock_iters, 1, reps, cpus, n_cpus) / 1e9;
    printf("clock estimate (dependent adds, 1 thread): %.2f GHz; %d CPUs available\n", ghz, n_cpus);
    double result[NK][MAX_LIST];
    for (int k = 0; k < NK; k++) {
        if (!ks[k].have) {
            printf("%-11s skipped: this CPU lacks %s\n", ks[k].name, ks[k].needs);
            continue;
        }
        long iters = calibrate(ks[k].run, ms);
        for (int t = 0; t < n_threads; t++) {
            result[k][t] = ks[k].ops_per_iter * best_rate(ks[k].run, iters, threads[t], reps, cpus, n_cpus) / 1e9;
            printf("%-11s threads %2d  %8.1f %s  (%.1f per thread, %.1f per cycle per thread)\n", ks[k].name,
                   threads[t], result[k][t], ks[k].unit, result[k][t] / threads[t], result[k][t] / threads[t] / ghz);
            fflush(stdout);
        }
    }
    if (json) {
        printf("{\"benchmark\": \"peak\", \"clock_ghz\": %.3f, \"cpus_available\": %d, \"results\": [", ghz, n_cpus);
        const char *sep = "";
        for (int k = 0; k < NK; k++) {
            if (!ks[k].have) {
                printf("%s{\"kernel\": \"%s\", \"skipped\": \"lacks %s\"}", sep, ks[k].name, ks[k].needs);
                sep = ", ";
                continue;
            }
            for (int t = 0; t < n_threads; t++) {
                printf("%s{\"kernel\": \"%s\", \"threads\": %d, \"unit\": \"%s\", \"value\": %.2f}", sep, ks[k].name,
                       threads[t], ks[k].unit, result[k][t]);
                sep = ", ";
            }
        }
        printf("]}\n");
    }
    return 0;
}
#endif
