/* Attention (src/runtime/attention.c over the tile kernels of src/kernels/attn_*.c)
 * against a plain double-precision causal softmax(q k^T / sqrt(hd)) v computed here, on
 * random Q/K/V: MHA and GQA groups of 3 and 4, head sizes with and without a tail of 8,
 * 1..1030 positions, 1 and 17 query tokens, 1-3 threads, position ranges chosen or
 * forced, every KV cache type (f32, f16, q8_0, and q8_0 keys with f16 values), the
 * scalar, AVX2 and AVX-512 kernels. The reference sees K and V as the cache stores them
 * (rounded), so what remains is float rounding and the tolerance is tight; a second
 * reference on the unrounded K and V bounds the error each KV type adds. Each SIMD run
 * is also compared with the scalar kernels' output, and the tile kernels one by one (SIMD
 * against scalar, row conversions bit for bit). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/attention_kernels.h"
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

/* Q8_0 rows: SIMD bits equal the scalar ones; the scalar rows round-trip within half a
 * step (d/2, plus the fp16 rounding of d) of every value, and a block of zeros stays zero. */
static void test_q8_0(const lf_attn_kernels *k, const char *name) {
    const lf_attn_kernels *ref = lf_attn_kernels_scalar();
    int lens[] = {32, 64, 96, 4096};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        int n = lens[li];
        float *x = malloc(sizeof(float) * n), *y1 = malloc(sizeof(float) * n), *y2 = malloc(sizeof(float) * n);
        size_t bytes = lf_attn_kv_row_bytes(LF_TYPE_Q8_0, n);
        unsigned char *b1 = malloc(bytes), *b2 = malloc(bytes);
        for (int i = 0; i < n; i++) x[i] = ldexpf(rnd_unit(), (int)(i / 32 % 20) - 10);
        for (int i = 0; i < 32; i++) x[i] = 0.0f;              /* a zero block */
        if (n > 64) { /* a block with step d = 1 and values halfway between steps: ties go to even */
            x[64] = 127.0f, x[65] = 2.5f, x[66] = -3.5f, x[67] = 0.5f;
            for (int j = 68; j < 96; j++) x[j] = 0.25f;
        }
        k->f32_to_q8_0(b1, x, n);
        ref->f32_to_q8_0(b2, x, n);
        CHECK_MSG(!memcmp(b1, b2, bytes), "%s f32_to_q8_0 n=%d: bytes differ from the scalar reference", name, n);
        k->q8_0_to_f32(y1, b2, n);
        ref->q8_0_to_f32(y2, b2, n);
        CHECK_MSG(!memcmp(y1, y2, sizeof(float) * n), "%s q8_0_to_f32 n=%d: values differ from the scalar reference",
                  name, n);
        int bad = 0;
        for (int i = 0; i < n; i += 32) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[i + j]));
            /* half a step, plus what rounding the scale to fp16 moves the largest q */
            float d = amax / 127.0f, d16 = lf_f16_to_f32(lf_f32_to_f16(d));
            for (int j = 0; j < 32; j++) bad += !(fabsf(y2[i + j] - x[i + j]) <= d * 0.5001f + 127.0f * fabsf(d16 - d));
        }
        CHECK_MSG(bad == 0, "%s q8_0 n=%d: %d values off by more than half a step", name, n, bad);
        CHECK(y2[0] == 0.0f && y2[31] == 0.0f);
        if (n > 64)
            CHECK_MSG(y2[64] == 127.0f && y2[65] == 2.0f && y2[66] == -4.0f && y2[67] == 0.0f && y2[68] == 0.0f,
                      "%s q8_0: 127, 2.5, -3.5, 0.5, 0.25 at step 1 gave %g %g %g %g %g", name, y2[64], y2[65], y2[66],
                      y2[67], y2[68]);
        free(x), free(y1), free(y2), free(b1), free(b2);
    }
}

static void test_tile_kernels(const lf_attn_kernels *k, const char *name) {
    const lf_attn_kernels *ref = lf_attn_kernels_scalar();
    int hds[] = {1, 7, 8, 20, 64, 72, 128};
    for (size_t hi = 0; hi < sizeof hds / sizeof hds[0]; hi++)
        for (int rows = 1; rows <= 9; rows++) /* groups of three and four, and rests */
            for (int np = 1; np <= 11; np += 2) {
                int hd = hds[hi], stride = 13;
                float *q = malloc(sizeof(float) * rows * hd), *kk = malloc(sizeof(float) * np * hd);
                uint16_t *kh = malloc(sizeof(uint16_t) * np * hd);
                float *s1 = calloc((size_t)rows * stride, sizeof(float)), *s2 = calloc((size_t)rows * stride, sizeof(float));
                float *o1 = malloc(sizeof(float) * rows * hd), *o2 = malloc(sizeof(float) * rows * hd);
                float c[9];
                for (int i = 0; i < rows * hd; i++) q[i] = rnd_unit();
                for (int i = 0; i < np * hd; i++) kk[i] = rnd_unit();
                for (int r = 0; r < rows; r++) c[r] = (float)(rnd32() % 1000) / 1000.0f;
                ref->f32_to_f16(kh, kk, (int64_t)np * hd);
                for (int half = 0; half < 2; half++) { /* K and V rows as F32, then as F16 */
                    lf_type t = half ? LF_TYPE_F16 : LF_TYPE_F32;
                    const void *rows_in = half ? (const void *)kh : (const void *)kk;
                    for (int i = 0; i < rows * stride; i++) s1[i] = s2[i] = -1.0f; /* outside the scores stays */
                    k->qk(q, rows, rows_in, t, np, hd, s1, stride);
                    ref->qk(q, rows, rows_in, t, np, hd, s2, stride);
                    double err = 0;
                    for (int i = 0; i < rows * stride; i++) err = fmax(err, fabs(s1[i] - s2[i]));
                    CHECK_MSG(err <= 1e-5 * hd, "%s qk %s rows=%d np=%d hd=%d: error %g", name, half ? "f16" : "f32",
                              rows, np, hd, err);
                    for (int i = 0; i < rows * stride; i++) s1[i] = fabsf(rnd_unit());
                    for (int i = 0; i < rows * hd; i++) o1[i] = o2[i] = rnd_unit();
                    k->pv(o1, c, rows, s1, stride, rows_in, t, np, hd);
                    ref->pv(o2, c, rows, s1, stride, rows_in, t, np, hd);
                    err = 0;
                    for (int i = 0; i < rows * hd; i++) err = fmax(err, fabs(o1[i] - o2[i]));
                    CHECK_MSG(err <= 1e-5 * np, "%s pv %s rows=%d np=%d hd=%d: error %g", name, half ? "f16" : "f32",
                              rows, np, hd, err);
                }
                free(q), free(kk), free(kh), free(s1), free(s2), free(o1), free(o2);
            }
}

/* The softmax step against expf in double: rows with running maxima below, at and above
 * their scores, with all, some and none of the positions valid. */
static void test_softmax_tile(const lf_attn_kernels *k, const char *name) {
    enum { STRIDE = 70 };
    for (int np = 1; np <= 64; np += 9)
        for (int rows = 1; rows <= 5; rows++) {
            float s[5 * STRIDE], in[5 * STRIDE], mx[5], l[5], corr[5];
            int valid[5];
            for (int i = 0; i < 5 * STRIDE; i++) s[i] = in[i] = 4.0f * rnd_unit();
            for (int r = 0; r < rows; r++) {
                valid[r] = r == 0 ? np : r == 1 ? 0 : r == 2 ? np / 2 : np + r;
                mx[r] = r == 3 ? -INFINITY : 3.0f * rnd_unit();
                l[r] = r == 3 ? 0.0f : 2.0f;
            }
            float mx0[5], l0[5];
            memcpy(mx0, mx, sizeof mx), memcpy(l0, l, sizeof l);
            k->softmax(s, STRIDE, rows, np, valid, mx, l, corr);
            for (int r = 0; r < rows; r++) {
                int nv = valid[r] < np ? valid[r] : np;
                double m = mx0[r], sum = 0, err = 0;
                for (int j = 0; j < nv; j++) m = fmax(m, in[r * STRIDE + j]);
                for (int j = 0; j < np; j++) {
                    double want = j < nv ? exp((double)in[r * STRIDE + j] - m) : 0.0;
                    sum += want;
                    err = fmax(err, fabs(s[r * STRIDE + j] - want));
                }
                double c = nv <= 0 || m == mx0[r] ? 1.0 : exp(mx0[r] - m);
                CHECK_MSG(err <= 1e-6 && s[r * STRIDE + np] == in[r * STRIDE + np], "%s softmax np=%d row %d: error %g",
                          name, np, r, err);
                CHECK_MSG(fabs(corr[r] - c) <= 1e-6 && fabs(l[r] - (l0[r] * c + sum)) <= 1e-5 * (1 + sum) &&
                              (nv <= 0 ? mx[r] == mx0[r] : mx[r] == (float)m),
                          "%s softmax np=%d row %d: corr %g (want %g), sum %g (want %g), max %g (want %g)", name, np,
                          r, corr[r], c, l[r], l0[r] * c + sum, mx[r], m);
            }
        }
}

/* ---------------------------------------------------------- full attention */

typedef struct shape {
    int n_heads, n_kv_heads, hd;
} shape;

typedef struct kv_types {
    lf_type k, v;
    const char *name;
    double raw_tol; /* error against the unrounded K and V, relative to the largest output */
} kv_types;

/* One cache of n_pos positions: rows stored from the logical [position][kv_head][hd]
 * floats x; odd cases [position][kv_dim] rows with padding, even ones [kv_head][position]
 * runs with a gap between heads. */
typedef struct cache {
    unsigned char *data;
    size_t stride, head_stride, bytes;
    lf_type type;
} cache;

static cache make_cache(lf_type type, bool head_major, shape sh, int n_pos, const float *x) {
    size_t row = lf_attn_kv_row_bytes(type, sh.hd);
    cache c = {.type = type};
    c.stride = head_major ? row : row * sh.n_kv_heads + 32;
    c.head_stride = head_major ? row * n_pos + 64 : 0;
    c.bytes = head_major ? c.head_stride * sh.n_kv_heads : c.stride * n_pos;
    c.data = calloc(1, c.bytes);
    size_t head = c.head_stride ? c.head_stride : row;
    for (int p = 0; p < n_pos; p++)
        for (int h = 0; h < sh.n_kv_heads; h++)
            lf_attn_store_row(lf_attn_kernels_scalar(), type, c.data + (size_t)p * c.stride + h * head,
                              x + ((size_t)p * sh.n_kv_heads + h) * sh.hd, sh.hd);
    return c;
}

/* x as the cache holds it (rounded), in the logical layout. */
static void cache_values(const cache *c, shape sh, int n_pos, float *x) {
    size_t row = lf_attn_kv_row_bytes(c->type, sh.hd), head = c->head_stride ? c->head_stride : row;
    for (int p = 0; p < n_pos; p++)
        for (int h = 0; h < sh.n_kv_heads; h++) {
            float *dst = x + ((size_t)p * sh.n_kv_heads + h) * sh.hd;
            lf_type as;
            const void *got = lf_attn_load_rows(lf_attn_kernels_scalar(), c->type, dst,
                                                c->data + (size_t)p * c->stride + h * head, row, 1, sh.hd, &as);
            if (as == LF_TYPE_F16) lf_attn_kernels_scalar()->f16_to_f32(dst, got, sh.hd);
            else if (got != dst) memcpy(dst, got, sizeof(float) * sh.hd);
        }
}

/* Worst |out - softmax(q k^T/sqrt(hd)) v| over every output, in double, with K and V from
 * k and v ([position][kv_head][hd]). */
static double reference_error(const float *out, const float *q, const float *k, const float *v, shape sh, int n_pos,
                              int n, double *sc, double *ref_max) {
    int q_dim = sh.n_heads * sh.hd, group = sh.n_heads / sh.n_kv_heads, pos0 = n_pos - n;
    double worst = 0, *acc = sc + n_pos;
    *ref_max = 0;
    for (int t = 0; t < n; t++)
        for (int h = 0; h < sh.n_heads; h++) {
            const float *qh = q + (size_t)t * q_dim + (size_t)h * sh.hd;
            int kvh = h / group, seen = pos0 + t + 1;
            double m = -INFINITY, sum = 0;
            for (int p = 0; p < seen; p++) {
                const float *kp = k + ((size_t)p * sh.n_kv_heads + kvh) * sh.hd;
                double d = 0;
                for (int i = 0; i < sh.hd; i++) d += (double)qh[i] * kp[i];
                sc[p] = d / sqrt((double)sh.hd);
                m = fmax(m, sc[p]);
            }
            for (int i = 0; i < sh.hd; i++) acc[i] = 0;
            for (int p = 0; p < seen; p++) {
                const float *vp = v + ((size_t)p * sh.n_kv_heads + kvh) * sh.hd;
                double w = exp(sc[p] - m);
                sum += w;
                for (int i = 0; i < sh.hd; i++) acc[i] += w * vp[i];
            }
            for (int i = 0; i < sh.hd; i++) {
                double r = acc[i] / sum, e = fabs(out[(size_t)t * q_dim + (size_t)h * sh.hd + i] - r);
                *ref_max = fmax(*ref_max, fabs(r));
                if (!(e <= worst)) worst = isnan(e) ? INFINITY : e;
            }
        }
    return worst;
}

static void attend(lf_threadpool *pool, int n_threads, shape sh, const cache *k, const cache *v, const float *q,
                   int n_pos, int n, int splits, float *out) {
    int q_dim = sh.n_heads * sh.hd;
    for (int i = 0; i < n * q_dim; i++) out[i] = NAN;
    lf_attention_ws *ws = lf_attention_ws_create(n_threads, sh.n_heads, sh.n_kv_heads, sh.hd, 32);
    lf_attention_args a = {.q = q, .q_stride = (size_t)q_dim, .k = k->data, .v = v->data, .k_type = k->type,
                           .v_type = v->type, .k_stride = k->stride, .v_stride = v->stride,
                           .k_head_stride = k->head_stride, .v_head_stride = v->head_stride, .out = out,
                           .out_stride = (size_t)q_dim, .n = n, .pos0 = n_pos - n, .n_heads = sh.n_heads,
                           .n_kv_heads = sh.n_kv_heads, .head_dim = sh.hd, .splits = splits};
    lf_attention(pool, ws, &a);
    lf_attention_ws_free(ws);
}

typedef struct case_result {
    double rounded, raw, vs_scalar; /* relative errors */
} case_result;

/* One configuration at the current kernel level: errors against the double reference of
 * the cached (rounded) and of the unrounded K/V, and against the scalar kernels' output. */
static case_result run_case(lf_threadpool *pool, int n_threads, shape sh, kv_types kt, int n_pos, int n, int splits,
                            float q_scale, double *scratch_ref) {
    int q_dim = sh.n_heads * sh.hd;
    size_t kv_elems = (size_t)n_pos * sh.n_kv_heads * sh.hd;
    bool head_major = (n_pos + sh.hd + n_threads + splits) % 2 == 0;
    float *q = malloc(sizeof(float) * n * q_dim), *out = malloc(sizeof(float) * n * q_dim),
          *out_ref = malloc(sizeof(float) * n * q_dim);
    float *kf = malloc(sizeof(float) * kv_elems), *vf = malloc(sizeof(float) * kv_elems);
    float *kr = malloc(sizeof(float) * kv_elems), *vr = malloc(sizeof(float) * kv_elems);
    for (int i = 0; i < n * q_dim; i++) q[i] = rnd_unit() * q_scale;
    for (size_t i = 0; i < kv_elems; i++) {
        kf[i] = rnd_unit() * 2.0f;
        vf[i] = rnd_unit();
    }
    cache k = make_cache(kt.k, head_major, sh, n_pos, kf), v = make_cache(kt.v, !head_major, sh, n_pos, vf);
    cache_values(&k, sh, n_pos, kr);
    cache_values(&v, sh, n_pos, vr);
    attend(pool, n_threads, sh, &k, &v, q, n_pos, n, splits, out);
    lf_simd_level level = lf_kernels_level();
    lf_kernels_set_level(LF_SIMD_SCALAR);
    attend(pool, n_threads, sh, &k, &v, q, n_pos, n, splits, out_ref);
    lf_kernels_set_level(level);

    case_result r;
    double ref_max, d = 0;
    r.rounded = reference_error(out, q, kr, vr, sh, n_pos, n, scratch_ref, &ref_max) / (ref_max > 0 ? ref_max : 1);
    r.raw = reference_error(out, q, kf, vf, sh, n_pos, n, scratch_ref, &ref_max) / (ref_max > 0 ? ref_max : 1);
    for (int i = 0; i < n * q_dim; i++) {
        double e = fabs((double)out[i] - out_ref[i]);
        if (!(e <= d)) d = isnan(e) ? INFINITY : e;
    }
    r.vs_scalar = d / (ref_max > 0 ? ref_max : 1);
    free(q), free(out), free(out_ref), free(kf), free(vf), free(kr), free(vr), free(k.data), free(v.data);
    return r;
}

static void test_attention(lf_threadpool *pools[4], const char *level) {
    const shape shapes[] = {{4, 4, 64}, {6, 2, 64}, {8, 2, 64}, {9, 3, 64}, {6, 2, 20}, {8, 2, 128}, {1, 1, 72}};
    const int positions[] = {1, 7, 64, 300, 1030};
    const int tokens[] = {1, 17};
    /* raw tolerances: f16 rounds K and V by 2^-11 relative, q8_0 by up to 1/254 of a block's largest value */
    const kv_types kinds[] = {{LF_TYPE_F16, LF_TYPE_F16, "f16", 3e-3},
                              {LF_TYPE_F32, LF_TYPE_F32, "f32", 2e-5},
                              {LF_TYPE_Q8_0, LF_TYPE_Q8_0, "q8_0", 6e-2},
                              {LF_TYPE_Q8_0, LF_TYPE_F16, "q8_0 keys, f16 values", 6e-2}};
    double *scratch = malloc(sizeof(double) * (1030 + 256));
    for (size_t ki = 0; ki < sizeof kinds / sizeof kinds[0]; ki++) {
        kv_types kt = kinds[ki];
        int block = lf_attn_kv_block(kt.k) > lf_attn_kv_block(kt.v) ? lf_attn_kv_block(kt.k) : lf_attn_kv_block(kt.v);
        double worst = 0, worst_raw = 0, worst_scalar = 0;
        for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
            if (shapes[si].hd % block) continue;
            for (size_t pi = 0; pi < sizeof positions / sizeof positions[0]; pi++)
                for (size_t ni = 0; ni < 2; ni++) {
                    int n = tokens[ni], n_pos = positions[pi];
                    if (n > n_pos) continue;
                    for (int nt = 1; nt <= 3; nt++) {
                        if (ki && nt == 3 && n_pos != 1030) continue; /* the other types: fewer thread counts */
                        int forced[] = {0, 3};
                        for (int fi = 0; fi < 2; fi++) {
                            if (fi && (nt != 2 || shapes[si].hd == 128)) continue; /* forced ranges: one thread count */
                            float qs = (pi + si + nt) % 2 ? 1.0f : 6.0f; /* 6: peaked softmax, late maxima */
                            case_result e = run_case(pools[nt], nt, shapes[si], kt, n_pos, n, forced[fi], qs, scratch);
                            worst = fmax(worst, e.rounded);
                            worst_raw = fmax(worst_raw, e.raw);
                            worst_scalar = fmax(worst_scalar, e.vs_scalar);
                            CHECK_MSG(e.rounded <= 2e-5 && e.raw <= kt.raw_tol && e.vs_scalar <= 2e-5,
                                      "%s, KV %s: heads %d/%d hd %d, %d positions, %d tokens, %d threads, splits %d: "
                                      "relative error %g (to unrounded K/V %g, to the scalar kernels %g)",
                                      level, kt.name, shapes[si].n_heads, shapes[si].n_kv_heads, shapes[si].hd, n_pos,
                                      n, nt, forced[fi], e.rounded, e.raw, e.vs_scalar);
                        }
                    }
                }
        }
        printf("%s, KV %s: worst relative error against the double reference %.3g (unrounded K/V %.3g), against "
               "the scalar kernels %.3g\n", level, kt.name, worst, worst_raw, worst_scalar);
    }
    free(scratch);
}

int main(void) {
    lf_kernels_init();
    test_conversions(lf_attn_kernels_scalar(), "scalar");
    test_q8_0(lf_attn_kernels_scalar(), "scalar");
    test_softmax_tile(lf_attn_kernels_scalar(), "scalar");
    lf_threadpool *pools[4] = {NULL, lf_threadpool_create(1), lf_threadpool_create(2), lf_threadpool_create(3)};
    CHECK(pools[1] && pools[2] && pools[3]);
    lf_simd_level chosen = lf_kernels_level();
    const lf_kernel_set_info *sets;
    int n_sets = lf_kernel_sets(&sets);
    for (int i = 0; i < n_sets; i++) {
        if (!lf_kernels_supported(i)) {
            SKIP("%s attention kernels: not on this CPU", sets[i].name);
            continue;
        }
        lf_kernels_set_level(i);
        const lf_attn_kernels *k = lf_attn_kernels_current();
        CHECK_MSG(k != NULL, "set %s has no attention kernels", sets[i].name);
        if (!k) continue;
        if (i == LF_SIMD_SCALAR) {
            CHECK(k == lf_attn_kernels_scalar());
            test_attention(pools, "scalar");
            continue;
        }
        test_conversions(k, sets[i].name);
        test_q8_0(k, sets[i].name);
        test_tile_kernels(k, sets[i].name);
        test_softmax_tile(k, sets[i].name);
        test_attention(pools, sets[i].name);
    }
    lf_kernels_set_level(chosen);
    /* a workspace refuses shapes it cannot serve */
    CHECK(lf_attention_ws_create(1, 6, 4, 64, 8) == NULL);
    CHECK(lf_attention_ws_create(0, 4, 4, 64, 8) == NULL);
    /* KV row formats */
    CHECK(lf_attn_kv_type_ok(LF_TYPE_F32) && lf_attn_kv_type_ok(LF_TYPE_F16) && lf_attn_kv_type_ok(LF_TYPE_Q8_0));
    CHECK(!lf_attn_kv_type_ok(LF_TYPE_Q4_0) && !lf_attn_kv_type_ok(LF_TYPE_BF16));
    CHECK(lf_attn_kv_row_bytes(LF_TYPE_F32, 64) == 256 && lf_attn_kv_row_bytes(LF_TYPE_F16, 64) == 128 &&
          lf_attn_kv_row_bytes(LF_TYPE_Q8_0, 64) == 68);
    for (int i = 1; i < 4; i++) lf_threadpool_free(pools[i]);
    TEST_MAIN_END();
}
