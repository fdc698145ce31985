/* attn_bench: speed of decode attention at a given depth, the way one generated token
 * meets a filled KV cache: one query token (pos0 = depth) against depth + 1 positions, for
 * every layer of a model shape, each layer with its own K and V caches so the rows come
 * from memory as in a real decode step.
 *
 *   attn_bench [--depth N] [--layers L] [--heads H] [--kv-heads K] [--head-dim D]
 *              [--kv-type f32|f16|q8_0] [--threads T] [--reps R]
 *
 * Defaults are the Llama-3.2-1B shape (16 layers, 32 heads, 8 KV heads, head dim 64) at
 * depth 4096 with an f16 cache. Prints the median milliseconds per token (all layers) and
 * the GB/s of K and V bytes that implies, and the median CPU time per token of all
 * threads, which time-slicing by other processes does not inflate. */
#include "runtime/attention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_ms(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int parse_int(const char *flag, const char *v, int lo, int hi) {
    char *end;
    long x = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || x < lo || x > hi) {
        fprintf(stderr, "attn_bench: %s: '%s' is not an integer in [%d, %d]\n", flag, v, lo, hi);
        exit(2);
    }
    return (int)x;
}

int main(int argc, char **argv) {
    int depth = 4096, layers = 16, heads = 32, kv_heads = 8, hd = 64, threads = 1, reps = 20;
    lf_type kv = LF_TYPE_F16;
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "attn_bench: %s needs a value (see the comment at the top of tools/attn_bench.c)\n", f);
            return 2;
        }
        i++;
        if (!strcmp(f, "--depth")) depth = parse_int(f, v, 0, 1 << 20);
        else if (!strcmp(f, "--layers")) layers = parse_int(f, v, 1, 256);
        else if (!strcmp(f, "--heads")) heads = parse_int(f, v, 1, 1024);
        else if (!strcmp(f, "--kv-heads")) kv_heads = parse_int(f, v, 1, 1024);
        else if (!strcmp(f, "--head-dim")) hd = parse_int(f, v, 1, 1024);
        else if (!strcmp(f, "--threads")) threads = parse_int(f, v, 1, 256);
        else if (!strcmp(f, "--reps")) reps = parse_int(f, v, 1, 100000);
        else if (!strcmp(f, "--kv-type")) {
            if (!strcmp(v, "f32")) kv = LF_TYPE_F32;
            else if (!strcmp(v, "f16")) kv = LF_TYPE_F16;
            else if (!strcmp(v, "q8_0")) kv = LF_TYPE_Q8_0;
            else {
                fprintf(stderr, "attn_bench: --kv-type: '%s' is not f32, f16 or q8_0\n", v);
                return 2;
            }
        } else {
            fprintf(stderr, "attn_bench: unknown option '%s'\n", f);
            return 2;
        }
    }
    if (heads % kv_heads || hd % lf_attn_kv_block(kv)) {
        fprintf(stderr, "attn_bench: heads must be a multiple of kv-heads and head-dim of the KV block\n");
        return 2;
    }
    size_t row = lf_attn_kv_row_bytes(kv, hd), positions = (size_t)depth + 1;
    /* head-major caches, as the runtime keeps them: a KV head's positions are adjacent */
    size_t head = row * positions, cache = head * (size_t)kv_heads;
    char *k = lf_attn_kv_alloc(cache * (size_t)layers), *v = lf_attn_kv_alloc(cache * (size_t)layers);
    float *q = malloc((size_t)heads * hd * sizeof *q), *out = malloc((size_t)heads * hd * sizeof *out);
    float *src = malloc((size_t)hd * sizeof *src);
    lf_threadpool *pool = threads > 1 ? lf_threadpool_create(threads) : NULL;
    lf_attention_ws *ws = lf_attention_ws_create(threads, heads, kv_heads, hd, 1);
    if (!k || !v || !q || !out || !src || !ws || (threads > 1 && !pool)) {
        fprintf(stderr, "attn_bench: out of memory\n");
        return 1;
    }
    const lf_attn_kernels *kern = lf_attn_kernels_current();
    uint32_t s = 12345;
    for (size_t r = 0; r < positions * (size_t)kv_heads * (size_t)layers; r++)
        for (int pass = 0; pass < 2; pass++) {
            for (int d = 0; d < hd; d++) src[d] = (float)((s = s * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
            lf_attn_store_row(kern, kv, (pass ? v : k) + r * row, src, hd);
        }
    for (int i = 0; i < heads * hd; i++) q[i] = (float)((s = s * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
    double *ms = malloc((size_t)reps * sizeof *ms), *cpu = malloc((size_t)reps * sizeof *cpu);
    for (int rep = -1; rep < reps; rep++) {
        double t0 = clock_ms(CLOCK_MONOTONIC), c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
        for (int l = 0; l < layers; l++) {
            lf_attention_args a = {.q = q, .q_stride = (size_t)heads * hd, .k = k + (size_t)l * cache,
                                   .v = v + (size_t)l * cache, .k_type = kv, .v_type = kv, .k_stride = row,
                                   .v_stride = row, .k_head_stride = head, .v_head_stride = head, .out = out, .out_stride = (size_t)heads * hd, .n = 1,
                                   .pos0 = depth, .n_heads = heads, .n_kv_heads = kv_heads, .head_dim = hd};
            lf_attention(pool, ws, &a);
        }
        if (rep >= 0) ms[rep] = clock_ms(CLOCK_MONOTONIC) - t0, cpu[rep] = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
    }
    qsort(ms, (size_t)reps, sizeof *ms, cmp_double);
    qsort(cpu, (size_t)reps, sizeof *cpu, cmp_double);
    double med = ms[reps / 2];
    printf("depth %d, %d layers, %d/%d heads, head dim %d, %s cache, %d thread(s), kernels %s: "
           "%.3f ms per token (best %.3f), %.1f GB/s of K+V; CPU time %.3f ms per token\n",
           depth, layers, heads, kv_heads, hd, lf_type_get(kv)->name, threads, kern->name, med, ms[0],
           2.0 * (double)cache * layers / (med * 1e6), cpu[reps / 2]);
    printf("out[0] %g\n", out[0]);
    free(ms), free(cpu), free(k), free(v), free(q), free(out), free(src);
    lf_attention_ws_free(ws);
    lf_threadpool_free(pool);
    return 0;
}
