/* kernel_bench: single-thread speed of the matrix products, in GB/s of weights streamed
 * (10^9 bytes/s) at batch 1 (decode, bound by memory) and in G products/s (10^9
 * weight x activation multiply-adds per second) for larger batches (prompts, bound by
 * arithmetic), for lf_matmul_rows ("plain", int8 activations) and
 * lf_matmul_rows_residual ("resid", activation + int8 residual).
 *
 *   kernel_bench [--types Q4_0,Q8_0,...] [--shapes 2048x8192,4096x4096] [--reps N]
 *                [--batch B] [--mib M] [--level scalar|avx2|avx512] [--repacked]
 *
 * --repacked times lf_matmul_repacked, the weights repacked first (lf_repack_rows) and
 * the batch packed (lf_repacked_pack_row, once, outside the timing, as a step packs it
 * once for all its products), for the types and batches that have it.
 *
 * Each shape is allocated as enough copies of the matrix to fill --mib MiB (default 512)
 * and the repetitions cycle through the copies, so the weights come from memory, not
 * from the last-level cache, the way decode reads them. One warm-up pass over every copy,
 * then --reps timed calls (default 30); the median and the best are reported. Nothing is
 * pinned. Weights are random bytes with small finite fp16/bf16 scales. */
#include "kernels/kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng = 0x243F6A8885A308D3ull;

static uint32_t rnd_u32(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static float rnd_uniform(void) { return (float)(rnd_u32() & 0xFFFFFF) / 16777216.0f * 2.0f - 1.0f; }

/* Byte offsets of the fp16 scale fields in a block (GGML layouts). */
static int fp16_fields(lf_type t, int off[2]) {
    switch (t) {
    case LF_TYPE_Q4_0: case LF_TYPE_Q5_0: case LF_TYPE_Q8_0: case LF_TYPE_IQ4_NL: off[0] = 0; return 1;
    case LF_TYPE_Q4_1: case LF_TYPE_Q5_1: case LF_TYPE_Q4_K: case LF_TYPE_Q5_K: off[0] = 0; off[1] = 2; return 2;
    case LF_TYPE_Q2_K: off[0] = 80; off[1] = 82; return 2;
    case LF_TYPE_Q3_K: off[0] = 108; return 1;
    case LF_TYPE_Q6_K: off[0] = 208; return 1;
    default: return 0;
    }
}

static void put_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void fill_weights(lf_type t, uint8_t *w, size_t bytes) {
    const lf_type_traits *tr = lf_type_get(t);
    if (t == LF_TYPE_F32) {
        for (size_t i = 0; i + 4 <= bytes; i += 4) {
            float f = rnd_uniform();
            memcpy(w + i, &f, 4);
        }
        return;
    }
    if (t == LF_TYPE_F16 || t == LF_TYPE_BF16) {
        for (size_t i = 0; i + 2 <= bytes; i += 2)
            put_u16(w + i, t == LF_TYPE_F16 ? lf_f32_to_f16(rnd_uniform()) : lf_f32_to_bf16(rnd_uniform()));
        return;
    }
    for (size_t i = 0; i < bytes; i++) w[i] = (uint8_t)rnd_u32();
    int off[2], n = fp16_fields(t, off);
    for (size_t b = 0; b + (size_t)tr->block_bytes <= bytes; b += (size_t)tr->block_bytes)
        for (int f = 0; f < n; f++) put_u16(w + b + off[f], lf_f32_to_f16(rnd_uniform() * 0.05f));
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int type_by_name(const char *name, lf_type *out) {
    for (uint32_t t = 0; t < LF_TYPE_COUNT; t++) {
        const lf_type_traits *tr = lf_type_get(t);
        if (tr && tr->weight_type && strcmp(tr->name, name) == 0) {
            *out = (lf_type)t;
            return 0;
        }
    }
    return -1;
}

typedef struct bench_result { double median_gbs, best_gbs; } bench_result;

/* Times one product mode on one shape; copies of the matrix are cycled. The figures are
 * `work` units (bytes or products) per nanosecond. */
static bench_result run_one(lf_type t, int resid, bool repacked, const uint8_t *w, size_t mat_bytes, int copies, size_t row_bytes,
                            int64_t rows, int64_t cols, const void *xq, const void *xr, size_t x_stride, int batch,
                            float *y, int reps, double work) {
    double *times = malloc((size_t)reps * sizeof(double));
    for (int i = -copies; i < reps; i++) {
        const uint8_t *m = w + (size_t)((i + copies) % copies) * mat_bytes;
        double t0 = now_s();
        if (repacked) /* the batch packed as a step packs it once for all its products */
            lf_matmul_repacked(t, m, cols, 0, rows, resid ? xr : xq, batch, resid, y, (size_t)rows);
        else if (resid)
            lf_matmul_rows_residual(t, m, row_bytes, cols, 0, rows, xq, xr, x_stride, batch, y, (size_t)rows);
        else
            lf_matmul_rows(t, m, row_bytes, cols, 0, rows, xq, x_stride, batch, y, (size_t)rows);
        double dt = now_s() - t0;
        if (i >= 0) times[i] = dt;
    }
    qsort(times, (size_t)reps, sizeof(double), cmp_double);
    bench_result r = {work / times[reps / 2] * 1e-9, work / times[0] * 1e-9};
    free(times);
    return r;
}

int main(int argc, char **argv) {
    const char *types = "Q4_0,Q8_0,Q4_K,Q6_K,Q4_1,F16,BF16";
    const char *shapes = "2048x8192,4096x4096";
    int reps = 30, batch = 1;
    bool repacked = false;
    double mib = 512;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--types") == 0 && v) types = v, i++;
        else if (strcmp(a, "--shapes") == 0 && v) shapes = v, i++;
        else if (strcmp(a, "--reps") == 0 && v) reps = atoi(v), i++;
        else if (strcmp(a, "--batch") == 0 && v) batch = atoi(v), i++;
        else if (strcmp(a, "--mib") == 0 && v) mib = atof(v), i++;
        else if (strcmp(a, "--repacked") == 0) repacked = true;
        else if (strcmp(a, "--level") == 0 && v) {
            int level = lf_simd_level_by_name(v);
            if (level < 0) {
                fprintf(stderr, "%s: --level %s: no such kernel set\n", argv[0], v);
                return 2;
            }
            lf_kernels_set_level((lf_simd_level)level); /* a set the CPU lacks: its best ancestor */
            i++;
        } else {
            fprintf(stderr,
                    "usage: %s [--types Q4_0,...] [--shapes RxC,...] [--reps N] [--batch B] [--mib M] "
                    "[--level SET (scalar, avx2, avx512, ...)] [--repacked]\n",
                    argv[0]);
            return 2;
        }
    }
    if (reps < 1 || batch < 1 || mib <= 0) {
        fprintf(stderr, "kernel_bench: --reps, --batch and --mib must be positive\n");
        return 2;
    }
    printf("level %s, batch %d, %d reps, median (best) %s\n", lf_simd_level_name(lf_kernels_level()), batch, reps,
           batch == 1 ? "GB/s of weights" : "G products/s");
    printf("%-6s %-10s %16s %16s %7s\n", "type", "shape", "plain", "resid", "ratio");
    char tbuf[256];
    snprintf(tbuf, sizeof tbuf, "%s", types);
    for (char *ts = strtok(tbuf, ","); ts; ts = strtok(NULL, ",")) {
        lf_type t;
        if (type_by_name(ts, &t) != 0) {
            fprintf(stderr, "kernel_bench: unknown weight type %s\n", ts);
            return 2;
        }
        const char *sp = shapes;
        while (*sp) {
            long long rows = 0, cols = 0;
            int used = 0;
            if (sscanf(sp, "%lldx%lld%n", &rows, &cols, &used) != 2 || rows < 1 || cols < 1) {
                fprintf(stderr, "kernel_bench: bad shape list %s\n", shapes);
                return 2;
            }
            sp += used;
            if (*sp == ',') sp++;
            uint64_t rb;
            if (!lf_type_row_bytes(t, (uint64_t)cols, &rb)) {
                fprintf(stderr, "kernel_bench: %s rows of %lld columns are not whole blocks\n", ts, cols);
                return 2;
            }
            size_t mat_bytes = (size_t)rb * (size_t)rows;
            int copies = (int)ceil(mib * 1048576.0 / (double)mat_bytes);
            if (copies < 1) copies = 1;
            uint8_t *w = malloc(mat_bytes * (size_t)copies);
            size_t xs = lf_act_row_bytes(t, cols);
            float *x = malloc((size_t)cols * sizeof(float)), *back = malloc((size_t)cols * sizeof(float));
            uint8_t *xq = malloc(xs * (size_t)batch), *xr = malloc(xs * (size_t)batch);
            float *y = malloc((size_t)rows * (size_t)batch * sizeof(float));
            if (!w || !x || !back || !xq || !xr || !y) {
                fprintf(stderr, "kernel_bench: out of memory\n");
                return 1;
            }
            fill_weights(t, w, mat_bytes);
            for (int c = 1; c < copies; c++) memcpy(w + (size_t)c * mat_bytes, w, mat_bytes);
            for (int b = 0; b < batch; b++) {
                for (long long i = 0; i < cols; i++) x[i] = rnd_uniform();
                uint8_t *q = xq + (size_t)b * xs, *r = xr + (size_t)b * xs;
                lf_quantize_act(t, x, q, cols);
                lf_type at = lf_act_type(t);
                if (at == LF_TYPE_F32) {
                    memset(r, 0, xs);
                    continue;
                }
                lf_dequantize_row(at, q, back, cols);
                for (long long i = 0; i < cols; i++) back[i] = x[i] - back[i];
                lf_quantize_act(t, back, r, cols);
            }
            double work = batch == 1 ? (double)mat_bytes : (double)rows * (double)cols * batch;
            if (repacked) {
                size_t rp = lf_repacked_bytes(t, rows, cols);
                uint8_t *wr = rp ? malloc(rp * (size_t)copies) : NULL;
                if (!wr) {
                    fprintf(stderr, "kernel_bench: --repacked: %s %lldx%lld has no repacked layout here\n", ts, rows,
                            cols);
                    return 2;
                }
                for (int c = 0; c < copies; c++) lf_repack_rows(t, w + (size_t)c * mat_bytes, rb, rows, cols, wr + rp * (size_t)c);
                free(w);
                w = wr, mat_bytes = rp;
            }
            const void *plain = xq, *both = xr; /* the activations as the product reads them */
            void *packed[2] = {NULL, NULL};
            for (int k = 0; repacked && k < 2; k++) {
                size_t pb = lf_repacked_acts_bytes(cols, batch, k);
                if (!pb || !(packed[k] = malloc(pb))) {
                    fprintf(stderr, "kernel_bench: --repacked: no repacked product for batch %d\n", batch);
                    return 2;
                }
                for (int b = 0; b < batch; b++)
                    lf_repacked_pack_row(t, cols, batch, k, b, xq + (size_t)b * xs, k ? xr + (size_t)b * xs : NULL,
                                         packed[k]);
            }
            if (repacked) plain = packed[0], both = packed[1];
            bench_result p = run_one(t, 0, repacked, w, mat_bytes, copies, rb, rows, cols, plain, both, xs, batch, y, reps, work);
            bench_result r = run_one(t, 1, repacked, w, mat_bytes, copies, rb, rows, cols, plain, both, xs, batch, y, reps, work);
            free(packed[0]);
            free(packed[1]);
            char shape[64];
            snprintf(shape, sizeof shape, "%lldx%lld", rows, cols);
            printf("%-6s %-10s %7.1f (%6.1f) %7.1f (%6.1f) %6.2fx\n", ts, shape, p.median_gbs, p.best_gbs,
                   r.median_gbs, r.best_gbs, p.median_gbs / r.median_gbs);
            fflush(stdout);
            free(w);
            free(x);
            free(back);
            free(xq);
            free(xr);
            free(y);
        }
    }
    return 0;
}
