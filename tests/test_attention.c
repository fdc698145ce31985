/* Attention over the fp16 KV cache (src/runtime/attention.c) against a plain
 * double-precision causal softmax(q k^T / sqrt(hd)) v computed here, on random Q/K/V:
 * MHA and GQA groups of 3 and 4, head sizes with and without a tail of 8, 1..1030
 * positions, 1 and 17 query tokens, 1-3 threads, position ranges chosen or forced, the
 * scalar and the AVX2 kernels. K and V are rounded to fp16 before the reference sees them,
 * so what remains is float rounding and the tolerance is tight. The tile kernels are also
 * checked one by one (SIMD against scalar, conversions bit for bit). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"
#include "runtime/attention.h"
#include "runtime/threadpool.h"
#include "test.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd32(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}
static float rnd_unit(void) { return (float)rnd32() / 4294967296.0f * 2.0f - 1.0f; } /* [-1, 1) */

static uint32_t bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* ------------------------------------------------------------- tile kernels */

static void test_conversions(const lf_attn_kernels *k, const char *name) {
    /* every fp16 value */
    static uint16_t h[65536];
    static float f[65536];
    for (int i = 0; i < 65536; i++) h[i] = (uint16_t)i;
    k->f16_to_f32(f, h, 65536);
    int bad = 0;
    for (int i = 0; i < 65536; i++) {
        float want = lf_f16_to_f32((uint16_t)i);
        if (isnan(want) ? !isnan(f[i]) : bits(f[i]) != bits(want)) bad++;
    }
    CHECK_MSG(bad == 0, "%s f16_to_f32: %d of 65536 values differ from lf_f16_to_f32", name, bad);
    /* random floats of every magnitude, fp16 midpoints (ties), specials; odd lengths for the tails */
    enum { N = 1 << 16 };
    static float src[N];
    static uint16_t out[N];
    for (int i = 0; i < N; i++) {
        switch (i % 4) {
        case 0: src[i] = from_bits(rnd32()); break;                                              /* anything */
        case 1: src[i] = ldexpf(rnd_unit(), (int)(rnd32() % 48) - 30); break;                    /* fp16 range */
        case 2: src[i] = lf_f16_to_f32((uint16_t)rnd32()) * (1.0f + 0x1p-11f * (rnd32() & 1 ? 1 : -1)); break;
        default: src[i] = ldexpf(rnd_unit(), -(int)(rnd32() % 12) - 14); break;                  /* subnormals */
        }
    }
    const float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 65504.0f, 65519.0f, 65520.0f, -65520.0f,
                              0x1p-24f, 0x1p-25f, 0x1.000002p-25f, 0x1p-14f, 0x1.ffcp-15f, 1e-30f, 1e30f};
    memcpy(src, specials, sizeof specials);
    int lens[] = {N, 1, 7, 8, 9, 63};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        int n = lens[li];
        k->f32_to_f16(out, src + (li ? 5 * li : 0), n);
        bad = 0;
        for (int i = 0; i < n; i++) {
            float x = src[i + (li ? 5 * li : 0)];
            uint16_t want = lf_f32_to_f16(x);
            if (isnan(x) ? !((out[i] & 0x7C00) == 0x7C00 && (out[i] & 0x3FF)) : out[i] != want) bad++;
        }
        CHECK_MSG(bad == 0, "%s f32_to_f16 n=%d: %d values differ from lf_f32_to_f16", name, n, bad);
    }
}

static void test_tile_kernels(const lf_attn_kernels *k, const char *name) {
    const lf_attn_kernels *ref = lf_attn_kernels_scalar();
    int hds[] = {1, 7, 8, 20, 64, 72, 128};
    for (size_t hi = 0; hi < sizeof hds / sizeof hds[0]; hi++)
        for (int rows = 1; rows <= 5; rows++)
            for (int np = 1; np <= 11; np += 2) {
                int hd = hds[hi], stride = 13;
                float *q = malloc(sizeof(float) * rows * hd), *kk = malloc(sizeof(float) * np * hd);
                float *s1 = calloc((size_t)rows * stride, sizeof(float)), *s2 = calloc((size_t)rows * stride, sizeof(float));
                float *o1 = malloc(sizeof(float) * rows * hd), *o2 = malloc(sizeof(float) * rows * hd);
                float c[5];
                for (int i = 0; i < rows * hd; i++) q[i] = rnd_unit();
                for (int i = 0; i < np * hd; i++) kk[i] = rnd_unit();
                for (int i = 0; i < rows * hd; i++) o1[i] = o2[i] = rnd_unit();
                for (int r = 0; r < rows; r++) c[r] = (float)(rnd32() % 1000) / 1000.0f;
                k->qk(q, rows, kk, np, hd, s1, stride);
                ref->qk(q, rows, kk, np, hd, s2, stride);
                double err = 0;
                for (int r = 0; r < rows; r++)
                    for (int j = 0; j < np; j++) err = fmax(err, fabs(s1[r * stride + j] - s2[r * stride + j]));
                CHECK_MSG(err <= 1e-5 * hd, "%s qk rows=%d np=%d hd=%d: error %g", name, rows, np, hd, err);
                for (int i = 0; i < rows * stride; i++) s1[i] = fabsf(rnd_unit());
                k->pv(o1, c, rows, s1, stride, kk, np, hd);
                ref->pv(o2, c, rows, s1, stride, kk, np, hd);
                err = 0;
                for (int i = 0; i < rows * hd; i++) err = fmax(err, fabs(o1[i] - o2[i]));
                CHECK_MSG(err <= 1e-5 * np, "%s pv rows=%d np=%d hd=%d: error %g", name, rows, np, hd, err);
                free(q), free(kk), free(s1), free(s2), free(o1), free(o2);
            }
}

/* ---------------------------------------------------------- full attention */

typedef struct shape {
    int n_heads, n_kv_heads, hd;
} shape;

/* Worst |ours - ref| / max |ref| over every output of one configuration. */
static double run_case(lf_threadpool *pool, int n_threads, shape sh, int n_pos, int n, int splits, float q_scale,
                       double *scratch_ref) {
    int q_dim = sh.n_heads * sh.hd, kv_dim = sh.n_kv_heads * sh.hd, pos0 = n_pos - n, group = sh.n_heads / sh.n_kv_heads;
    /* odd cases: [position][kv_dim] rows, padded; even: [kv_head][position][hd] runs with a gap */
    bool head_major = (n_pos + sh.hd + n_threads + splits) % 2 == 0;
    size_t kv_stride = head_major ? (size_t)sh.hd : (size_t)kv_dim + 8;
    size_t head_stride = head_major ? (size_t)n_pos * sh.hd + 5 : (size_t)sh.hd;
    size_t kv_elems = head_major ? head_stride * sh.n_kv_heads : (size_t)n_pos * kv_stride;
    float *q = malloc(sizeof(float) * n * q_dim), *out = malloc(sizeof(float) * n * q_dim);
    float *kf = malloc(sizeof(float) * kv_elems), *vf = malloc(sizeof(float) * kv_elems);
    uint16_t *k = malloc(sizeof(uint16_t) * kv_elems), *v = malloc(sizeof(uint16_t) * kv_elems);
    for (int i = 0; i < n * q_dim; i++) q[i] = rnd_unit() * q_scale;
    for (size_t i = 0; i < kv_elems; i++) {
        kf[i] = rnd_unit() * 2.0f;
        vf[i] = rnd_unit();
    }
    lf_attn_f32_to_f16_row(k, kf, (int64_t)kv_elems);
    lf_attn_f32_to_f16_row(v, vf, (int64_t)kv_elems);
    for (int i = 0; i < n * q_dim; i++) out[i] = NAN;

    lf_attention_ws *ws = lf_attention_ws_create(n_threads, sh.n_heads, sh.n_kv_heads, sh.hd, 32);
    lf_attention_args a = {.q = q, .q_stride = (size_t)q_dim, .k = k, .v = v, .kv_stride = kv_stride,
                           .kv_head_stride = head_major ? head_stride : 0, .out = out,
                           .out_stride = (size_t)q_dim, .n = n, .pos0 = pos0, .n_heads = sh.n_heads,
                           .n_kv_heads = sh.n_kv_heads, .head_dim = sh.hd, .splits = splits};
    lf_attention(pool, ws, &a);
    lf_attention_ws_free(ws);

    double worst = 0, ref_max = 0;
    double *sc = scratch_ref, *acc = scratch_ref + n_pos;
    for (int t = 0; t < n; t++)
        for (int h = 0; h < sh.n_heads; h++) {
            const float *qh = q + (size_t)t * q_dim + (size_t)h * sh.hd;
            int kvh = h / group, seen = pos0 + t + 1;
            double m = -INFINITY, sum = 0;
            for (int p = 0; p < seen; p++) {
                double d = 0;
                for (int i = 0; i < sh.hd; i++) d += (double)qh[i] * lf_f16_to_f32(k[(size_t)p * kv_stride + kvh * head_stride + i]);
                sc[p] = d / sqrt((double)sh.hd);
                m = fmax(m, sc[p]);
            }
            for (int i = 0; i < sh.hd; i++) acc[i] = 0;
            for (int p = 0; p < seen; p++) {
                double w = exp(sc[p] - m);
                sum += w;
                for (int i = 0; i < sh.hd; i++) acc[i] += w * lf_f16_to_f32(v[(size_t)p * kv_stride + kvh * head_stride + i]);
            }
            for (int i = 0; i < sh.hd; i++) {
                double r = acc[i] / sum, o = out[(size_t)t * q_dim + (size_t)h * sh.hd + i];
                ref_max = fmax(ref_max, fabs(r));
                double e = fabs(o - r);
                if (!(e <= worst)) worst = isnan(e) ? INFINITY : e;
            }
        }
    free(q), free(out), free(kf), free(vf), free(k), free(v);
    return worst / (ref_max > 0 ? ref_max : 1);
}

static void test_attention(lf_threadpool *pools[4], const char *level) {
    const shape shapes[] = {{4, 4, 64}, {6, 2, 64}, {8, 2, 64}, {9, 3, 64}, {6, 2, 20}, {8, 2, 128}, {1, 1, 72}};
    const int positions[] = {1, 7, 64, 300, 1030};
    const int tokens[] = {1, 17};
    double *scratch = malloc(sizeof(double) * (1030 + 256));
    double worst_all = 0;
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
        for (size_t pi = 0; pi < sizeof positions / sizeof positions[0]; pi++)
            for (size_t ni = 0; ni < 2; ni++) {
                int n = tokens[ni], n_pos = positions[pi];
                if (n > n_pos) continue;
                for (int nt = 1; nt <= 3; nt++) {
                    int forced[] = {0, 3};
                    for (int fi = 0; fi < 2; fi++) {
                        if (fi && (nt != 2 || shapes[si].hd == 128)) continue; /* forced ranges: one thread count */
                        float qs = (pi + si + nt) % 2 ? 1.0f : 6.0f; /* 6: peaked softmax, late maxima */
                        double e = run_case(pools[nt], nt, shapes[si], n_pos, n, forced[fi], qs, scratch);
                        worst_all = fmax(worst_all, e);
                        CHECK_MSG(e <= 2e-5, "%s heads %d/%d hd %d, %d positions, %d tokens, %d threads, splits %d: "
                                  "relative error %g", level, shapes[si].n_heads, shapes[si].n_kv_heads, shapes[si].hd,
                                  n_pos, n, nt, forced[fi], e);
                    }
                }
            }
    printf("%s: worst relative error against the double reference: %.3g\n", level, worst_all);
    free(scratch);
}

int main(void) {
    lf_kernels_init();
    test_conversions(lf_attn_kernels_scalar(), "scalar");
    lf_threadpool *pools[4] = {NULL, lf_threadpool_create(1), lf_threadpool_create(2), lf_threadpool_create(3)};
    CHECK(pools[1] && pools[2] && pools[3]);
    lf_simd_level detected = lf_kernels_detected_level();
    lf_kernels_set_level(LF_SIMD_SCALAR);
    CHECK(lf_attn_kernels_current() == lf_attn_kernels_scalar());
    test_attention(pools, "scalar");
    if (lf_attn_kernels_avx2() && detected >= LF_SIMD_AVX2) {
        lf_kernels_set_level(LF_SIMD_AVX2);
        CHECK(lf_attn_kernels_current() == lf_attn_kernels_avx2());
        test_conversions(lf_attn_kernels_avx2(), "avx2");
        test_tile_kernels(lf_attn_kernels_avx2(), "avx2");
        test_attention(pools, "avx2");
    } else {
        printf("no AVX2: SIMD attention kernels not tested\n");
    }
    lf_kernels_set_level(detected);
    /* a workspace refuses shapes it cannot serve */
    CHECK(lf_attention_ws_create(1, 6, 4, 64, 8) == NULL);
    CHECK(lf_attention_ws_create(0, 4, 4, 64, 8) == NULL);
    for (int i = 1; i < 4; i++) lf_threadpool_free(pools[i]);
    TEST_MAIN_END();
}
