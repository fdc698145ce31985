/* Kernel tests: fp16/bf16 conversions against known bit patterns (and the compiler's
 * _Float16 where available), the type table, activation quantization error bounds, and
 * every dot product at every SIMD level the machine has, checked against a double
 * precision dot of the dequantized operands (dequantization itself is checked against
 * the Python gguf package by tests/check_dequant.py). */
#include "kernels/kernels.h"
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/micro_x86_internal.h" /* the vdpbf16ps GEMM, tested directly */
#endif
#include "test.h"

#include <float.h>
#include <stdint.h>
#include <unistd.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd_u32(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static float rnd_uniform(void) { return (float)(rnd_u32() & 0xFFFFFF) / 16777216.0f * 2.0f - 1.0f; }

static float bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static void test_f16_known_values(void) {
    struct { float f; uint16_t h; } exact[] = {
        {1.0f, 0x3C00}, {-2.0f, 0xC000}, {0.5f, 0x3800}, {65504.0f, 0x7BFF},
        {0x1p-14f, 0x0400}, {0x1p-24f, 0x0001}, {0x1.ff8p-15f, 0x03FF}, {0.0f, 0x0000},
        {-0.0f, 0x8000}, {INFINITY, 0x7C00}, {-INFINITY, 0xFC00}, {0.333251953125f, 0x3555},
    };
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) {
        CHECK_MSG(lf_f32_to_f16(exact[i].f) == exact[i].h, "f32->f16 %g", exact[i].f);
        float back = lf_f16_to_f32(exact[i].h);
        CHECK_MSG(f32_bits(back) == f32_bits(exact[i].f), "f16->f32 0x%04x", exact[i].h);
    }
    /* rounding: to nearest, ties to even, overflow to Inf, underflow to zero */
    CHECK(lf_f32_to_f16(1.0f + 0x1p-11f) == 0x3C00);        /* tie, even stays */
    CHECK(lf_f32_to_f16(1.0f + 3 * 0x1p-11f) == 0x3C02);    /* tie, odd rounds up */
    CHECK(lf_f32_to_f16(1.0f + 0x1p-11f + 0x1p-20f) == 0x3C01);
    CHECK(lf_f32_to_f16(65519.0f) == 0x7BFF);
    CHECK(lf_f32_to_f16(65520.0f) == 0x7C00);
    CHECK(lf_f32_to_f16(1e10f) == 0x7C00);
    CHECK(lf_f32_to_f16(0x1p-25f) == 0x0000);               /* tie to even zero */
    CHECK(lf_f32_to_f16(0x1.000002p-25f) == 0x0001);
    CHECK(lf_f32_to_f16(3 * 0x1p-25f) == 0x0002);           /* 1.5 ulp ties to even 2 */
    CHECK(lf_f32_to_f16(0x1.ffcp-15f) == 0x0400);           /* subnormal rounds up to normal */
    CHECK(lf_f32_to_f16(-1e-30f) == 0x8000);
    uint16_t nan = lf_f32_to_f16(NAN);
    CHECK((nan & 0x7C00) == 0x7C00 && (nan & 0x03FF) != 0);
    CHECK(isnan(lf_f16_to_f32(0x7E00)) && isnan(lf_f16_to_f32(0xFC01)));
}

static void test_f16_round_trip_all(void) {
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = lf_f16_to_f32((uint16_t)h);
        uint16_t back = lf_f32_to_f16(f);
        bool is_nan = (h & 0x7C00) == 0x7C00 && (h & 0x3FF);
        if (is_nan ? !(isnan(f) && (back & 0x7C00) == 0x7C00 && (back & 0x3FF)) : back != h) bad++;
    }
    CHECK_MSG(bad == 0, "%d fp16 values do not round-trip", bad);
}

#ifdef __FLT16_MAX__
/* The compiler's _Float16 conversions are an independent implementation of IEEE RNE. */
static void test_f16_against_compiler(void) {
    int bad = 0;
    for (int i = 0; i < 200000; i++) {
        uint32_t u = rnd_u32();
        if (i % 2) u = (u & 0x80000000u) | (0x30000000u + u % 0x18000000u); /* near fp16 range */
        float f = bits_f32(u);
        if (isnan(f)) continue;
        _Float16 h = (_Float16)f;
        uint16_t hb;
        memcpy(&hb, &h, 2);
        if (lf_f32_to_f16(f) != hb) bad++;
        if (f32_bits(lf_f16_to_f32(hb)) != f32_bits((float)h)) bad++;
    }
    CHECK_MSG(bad == 0, "%d conversions differ from _Float16", bad);
}
#endif

static void test_bf16(void) {
    CHECK(lf_f32_to_bf16(1.0f) == 0x3F80);
    CHECK(lf_f32_to_bf16(-2.0f) == 0xC000);
    CHECK(lf_bf16_to_f32(0x3F80) == 1.0f);
    CHECK(lf_bf16_to_f32(0x4049) == bits_f32(0x40490000));
    CHECK(lf_f32_to_bf16(bits_f32(0x3F808000)) == 0x3F80); /* tie to even */
    CHECK(lf_f32_to_bf16(bits_f32(0x3F818000)) == 0x3F82);
    CHECK(lf_f32_to_bf16(bits_f32(0x3F808001)) == 0x3F81);
    CHECK(lf_f32_to_bf16(INFINITY) == 0x7F80);
    CHECK(lf_f32_to_bf16(bits_f32(0x7F7FFFFF)) == 0x7F80);  /* FLT_MAX rounds to Inf */
    CHECK(lf_f32_to_bf16(bits_f32(0x00000001)) == 0x0000);
    uint16_t nan = lf_f32_to_bf16(bits_f32(0x7F800001));    /* signalling NaN stays NaN */
    CHECK((nan & 0x7F80) == 0x7F80 && (nan & 0x7F) != 0);
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        bool is_nan = (h & 0x7F80) == 0x7F80 && (h & 0x7F);
        if (!is_nan && lf_f32_to_bf16(lf_bf16_to_f32((uint16_t)h)) != h) bad++;
    }
    CHECK_MSG(bad == 0, "%d bf16 values do not round-trip", bad);
}

/* ------------------------------------------------------------------ type table */

struct weight_type {
    lf_type type;
    const char *name;
    int block_elems, block_bytes;
    int fp16_offsets[2], n_fp16; /* scale fields to overwrite with finite values */
};

/* Block geometry from the GGML/GGUF specification. */
static const struct weight_type weight_types[] = {
    {LF_TYPE_F32, "F32", 1, 4, {0}, 0},
    {LF_TYPE_F16, "F16", 1, 2, {0}, 1},
    {LF_TYPE_BF16, "BF16", 1, 2, {0}, 0},
    {LF_TYPE_Q4_0, "Q4_0", 32, 18, {0}, 1},
    {LF_TYPE_Q4_1, "Q4_1", 32, 20, {0, 2}, 2},
    {LF_TYPE_Q5_0, "Q5_0", 32, 22, {0}, 1},
    {LF_TYPE_Q5_1, "Q5_1", 32, 24, {0, 2}, 2},
    {LF_TYPE_Q8_0, "Q8_0", 32, 34, {0}, 1},
    {LF_TYPE_IQ4_NL, "IQ4_NL", 32, 18, {0}, 1},
    {LF_TYPE_Q2_K, "Q2_K", 256, 84, {80, 82}, 2},
    {LF_TYPE_Q3_K, "Q3_K", 256, 110, {108}, 1},
    {LF_TYPE_Q4_K, "Q4_K", 256, 144, {0, 2}, 2},
    {LF_TYPE_Q5_K, "Q5_K", 256, 176, {0, 2}, 2},
    {LF_TYPE_Q6_K, "Q6_K", 256, 210, {208}, 1},
};
enum { N_WEIGHT_TYPES = sizeof weight_types / sizeof weight_types[0] };

static void test_type_table(void) {
    for (int i = 0; i < N_WEIGHT_TYPES; i++) {
        const struct weight_type *wt = &weight_types[i];
        const lf_type_traits *t = lf_type_get(wt->type);
        CHECK(t && strcmp(t->name, wt->name) == 0 && t->block_elems == wt->block_elems &&
              t->block_bytes == wt->block_bytes && t->weight_type);
        uint64_t bytes = 0;
        CHECK(lf_type_row_bytes(wt->type, 4096, &bytes) && bytes == 4096u / wt->block_elems * wt->block_bytes);
        if (wt->block_elems > 1) CHECK(!lf_type_row_bytes(wt->type, 4096 + 16, &bytes));
        /* a row whose byte count would not fit in 64 bits is refused */
        uint64_t huge = (UINT64_MAX / wt->block_bytes + 1) * wt->block_elems;
        if (huge / wt->block_elems > UINT64_MAX / wt->block_bytes) CHECK(!lf_type_row_bytes(wt->type, huge, &bytes));
    }
    const lf_type_traits *q81 = lf_type_get(LF_TYPE_Q8_1), *q8k = lf_type_get(LF_TYPE_Q8_K);
    CHECK(q81 && !q81->weight_type && q81->block_elems == 32);
    CHECK(q8k && !q8k->weight_type && q8k->block_elems == 256 && q8k->block_bytes == 4 + 256 + 32);
    CHECK(lf_type_get(4) == NULL && lf_type_get(LF_TYPE_COUNT) == NULL && lf_type_get(0xFFFFFFFF) == NULL);
    CHECK(lf_act_type(LF_TYPE_Q4_0) == LF_TYPE_Q8_0 && lf_act_type(LF_TYPE_Q8_0) == LF_TYPE_Q8_0);
    CHECK(lf_act_type(LF_TYPE_Q4_1) == LF_TYPE_Q8_1 && lf_act_type(LF_TYPE_Q5_1) == LF_TYPE_Q8_1);
    CHECK(lf_act_type(LF_TYPE_Q4_K) == LF_TYPE_Q8_K && lf_act_type(LF_TYPE_Q6_K) == LF_TYPE_Q8_K);
    CHECK(lf_act_type(LF_TYPE_F16) == LF_TYPE_F32 && lf_act_type(LF_TYPE_BF16) == LF_TYPE_F32);
    CHECK(lf_act_row_bytes(LF_TYPE_Q4_K, 512) == 2 * 292);
    CHECK(lf_act_row_bytes(LF_TYPE_Q4_0, 64) == 2 * 34);
    CHECK(lf_act_row_bytes(LF_TYPE_F16, 10) == 40);
}

/* ------------------------------------------------------------ random operands */

static uint16_t small_f16(void) { return lf_f32_to_f16(rnd_uniform() * 0.08f); }

static void put_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* Random valid weights: random bytes, fp16 scale fields replaced by small finite values. */
static void random_weights(const struct weight_type *wt, uint8_t *w, int64_t n) {
    int64_t nb = n / wt->block_elems;
    if (wt->type == LF_TYPE_F32) {
        for (int64_t i = 0; i < n; i++) {
            float v = rnd_uniform(); /* rows may be unaligned on purpose */
            memcpy(w + 4 * i, &v, sizeof v);
        }
        return;
    }
    if (wt->type == LF_TYPE_BF16) {
        for (int64_t i = 0; i < n; i++) put_u16(w + 2 * i, lf_f32_to_bf16(rnd_uniform()));
        return;
    }
    for (int64_t i = 0; i < nb * wt->block_bytes; i++) w[i] = (uint8_t)rnd_u32();
    for (int64_t b = 0; b < nb; b++)
        for (int f = 0; f < wt->n_fp16; f++) put_u16(w + b * wt->block_bytes + wt->fp16_offsets[f], small_f16());
}

static void random_activations(float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = rnd_uniform() * (i % 7 == 0 ? 4.0f : 1.0f);
}

/* Reference: double-precision dot of dequantized weights and dequantized activations;
 * *mag receives sum |w_i x_i| for relative tolerances. */
static double reference_dot(lf_type type, const void *w, const void *xq, int64_t n, double *mag) {
    float *wf = malloc((size_t)n * sizeof(float)), *xf = malloc((size_t)n * sizeof(float));
    lf_dequantize_row(type, w, wf, n);
    lf_dequantize_row(lf_act_type(type), xq, xf, n);
    double s = 0.0, m = 0.0;
    for (int64_t i = 0; i < n; i++) {
        s += (double)wf[i] * xf[i];
        m += fabs((double)wf[i] * xf[i]);
    }
    free(wf);
    free(xf);
    *mag = m;
    return s;
}

static float dot_one(lf_type type, const void *w, size_t row_bytes, int64_t n, const void *xq) {
    float y = NAN;
    lf_matmul_rows(type, w, row_bytes, n, 0, 1, xq, 0, 1, &y, 1);
    return y;
}

/* ------------------------------------------------------- activation quantization */

static void test_quantize_act(void) {
    const int64_t n = 1024;
    float *x = malloc(n * sizeof(float)), *back = malloc(n * sizeof(float));
    void *xq = malloc(lf_act_row_bytes(LF_TYPE_Q4_K, n) + lf_act_row_bytes(LF_TYPE_F32, n));
    random_activations(x, n);
    x[5] = 0.0f;
    for (int i = 64; i < 96; i++) x[i] = 0.0f; /* an all-zero block must give zeros */
    lf_type weights[] = {LF_TYPE_Q4_0, LF_TYPE_Q4_1, LF_TYPE_Q4_K, LF_TYPE_F16};
    for (size_t k = 0; k < sizeof weights / sizeof weights[0]; k++) {
        lf_type act = lf_act_type(weights[k]);
        int block = lf_type_get(act)->block_elems == 1 ? 32 : lf_type_get(act)->block_elems;
        lf_quantize_act(weights[k], x, xq, n);
        lf_dequantize_row(act, xq, back, n);
        int bad = 0;
        for (int64_t b0 = 0; b0 < n; b0 += block) {
            float amax = 0.0f;
            for (int j = 0; j < block; j++) amax = fmaxf(amax, fabsf(x[b0 + j]));
            /* half a quantization step, widened by the fp16 rounding of the Q8_0 scale */
            float bound = act == LF_TYPE_F32 ? 0.0f : amax / 127.0f * 0.5f * 1.002f + 1e-7f;
            for (int j = 0; j < block; j++)
                if (!(fabsf(back[b0 + j] - x[b0 + j]) <= bound)) bad++;
        }
        CHECK_MSG(bad == 0, "%s activations: %d values off by more than half a step",
                  lf_type_get(act)->name, bad);
        CHECK(back[70] == 0.0f);
    }
    /* Q8_1 carries s = d * sum(qs); Q8_K carries bsums[j] = sum of qs[16j..16j+15]. */
    lf_quantize_act(LF_TYPE_Q4_1, x, xq, n);
    const uint8_t *blk = (const uint8_t *)xq + 3 * 40;
    float d, s;
    memcpy(&d, blk, 4);
    memcpy(&s, blk + 4, 4);
    int sum = 0;
    for (int j = 0; j < 32; j++) sum += (int8_t)blk[8 + j];
    CHECK(fabsf(s - d * (float)sum) <= 1e-6f * fabsf(d) * 32 * 127);
    lf_quantize_act(LF_TYPE_Q6_K, x, xq, n);
    blk = (const uint8_t *)xq + 292;
    int bad = 0;
    for (int g = 0; g < 16; g++) {
        int16_t bs;
        memcpy(&bs, blk + 4 + 256 + 2 * g, 2);
        int ref = 0;
        for (int j = 0; j < 16; j++) ref += (int8_t)blk[4 + 16 * g + j];
        if (bs != ref) bad++;
    }
    CHECK(bad == 0);
    free(x);
    free(back);
    free(xq);
}

/* The kernel sets in the dispatch list (lf_simd_level is an index into it). */
static int n_sets(void) {
    const lf_kernel_set_info *sets;
    return lf_kernel_sets(&sets);
}

/* The sets whose prompt GEMM rounds BF16 weights' activations to bf16 (vdpbf16ps): those
 * requiring AVX512_BF16. The generic product tests give them bf16-exact activations, so
 * the rounding changes nothing and the f32 tolerances hold; test_bf16_prompt checks the
 * rounding itself. */
static bool rounds_to_bf16(lf_type type, lf_simd_level level) {
    const lf_kernel_set_info *sets;
    int n = lf_kernel_sets(&sets);
    return type == LF_TYPE_BF16 && (int)level < n && (sets[level].required & LF_ISA_AVX512_BF16);
}

static void round_to_bf16(float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = lf_bf16_to_f32(lf_f32_to_bf16(x[i]));
}

/* Every SIMD level's activation quantization is bit-identical to the scalar reference:
 * same scales, same quants (round to nearest, ties to even), same Q8_1 sums and Q8_K
 * bsums. Inputs cover random values, zeros, all-equal blocks, exact ties, huge and
 * tiny (subnormal) magnitudes, scales whose inverse overflows, and quiet NaN/inf. */
static float act_input(int mode, int64_t i, float mag) {
    float u = rnd_uniform();
    switch (mode) {
    case 0: return u;
    case 1: return u * mag;                               /* magnitudes 2^-150 .. 2^120 */
    case 2: return 0.0f;                                  /* all zero */
    case 3: return mag;                                   /* all equal */
    case 4: return (float)((int)(u * 127.0f)) + (i % 32 == 0 ? 127.0f : 0.5f); /* ties */
    case 5: return bits_f32(rnd_u32() & 0x807FFFFFu);     /* subnormals */
    case 6: return u * 1e-37f;                            /* 1/d overflows for fp32 scales */
    case 7: return u * 3e38f;                             /* fp16 scale overflows */
    case 8: return i % 5 == 0 ? 0.0f : u * (i % 7 == 0 ? 100.0f : 1.0f);
    default: {                                            /* any bits, NaNs quiet */
        uint32_t b = rnd_u32();
        if ((b & 0x7F800000u) == 0x7F800000u) b |= 0x00400000u;
        return bits_f32(b);
    }
    }
}

static void test_quantize_act_levels(void) {
    if (lf_kernels_detected_level() == LF_SIMD_SCALAR) return;
    const lf_type weights[] = {LF_TYPE_Q4_0, LF_TYPE_Q4_1, LF_TYPE_Q4_K};
    const int64_t sizes[] = {256, 32 * 3, 256 * 9};
    enum { N_MODES = 10 };
    float *x = malloc(256 * 9 * sizeof(float));
    uint8_t *ref = malloc(lf_act_row_bytes(LF_TYPE_Q4_1, 256 * 9)), *got = malloc(lf_act_row_bytes(LF_TYPE_Q4_1, 256 * 9));
    for (int level = LF_SIMD_AVX2; level < n_sets(); level++) {
        if (!lf_kernels_supported((lf_simd_level)level)) continue;
        int bad[3] = {0, 0, 0}, runs = 0;
        for (int rep = 0; rep < 60; rep++)
            for (int mode = 0; mode < N_MODES; mode++)
                for (size_t s = 0; s < 3; s++) {
                    int64_t n = sizes[s];
                    float mag = ldexpf(1.0f, (int)(rnd_u32() % 271) - 150);
                    for (int64_t i = 0; i < n; i++) x[i] = act_input(mode, i, mag);
                    for (size_t k = 0; k < 3; k++) {
                        int64_t nk = weights[k] == LF_TYPE_Q4_K ? n / 256 * 256 : n / 32 * 32;
                        if (weights[k] == LF_TYPE_Q4_K && s == 1) nk = 0; /* 96 is not a Q8_K row */
                        if (nk == 0) continue;
                        if (s == 0 && weights[k] != LF_TYPE_Q4_K) nk = 32; /* one block */
                        size_t bytes = lf_act_row_bytes(weights[k], nk);
                        memset(ref, 0xA5, bytes);
                        memset(got, 0x5A, bytes);
                        lf_kernels_set_level(LF_SIMD_SCALAR);
                        lf_quantize_act(weights[k], x, ref, nk);
                        lf_kernels_set_level((lf_simd_level)level);
                        lf_quantize_act(weights[k], x, got, nk);
                        lf_kernels_set_level(LF_SIMD_SCALAR);
                        if (memcmp(ref, got, bytes) != 0 && bad[k]++ == 0)
                            fprintf(stderr, "%s activations differ at %s: mode %d, n=%lld\n",
                                    lf_type_get(lf_act_type(weights[k]))->name, lf_simd_level_name(level), mode,
                                    (long long)nk);
                        runs++;
                    }
                }
        for (int k = 0; k < 3; k++)
            CHECK_MSG(bad[k] == 0, "%s %s: %d of the runs not bit-identical to scalar",
                      lf_type_get(lf_act_type(weights[k]))->name, lf_simd_level_name(level), bad[k]);
        CHECK(runs > 1000);
    }
    /* ties round to even: a block with amax 127 has d = 1, so x = k + 0.5 is a tie */
    for (int level = LF_SIMD_SCALAR; level < n_sets(); level++) {
        if (!lf_kernels_supported((lf_simd_level)level)) continue;
        lf_kernels_set_level((lf_simd_level)level);
        float t[32];
        for (int j = 0; j < 32; j++) t[j] = j == 0 ? 127.0f : (float)(j - 16) + 0.5f;
        uint8_t q[40];
        lf_quantize_act(LF_TYPE_Q4_0, t, q, 32);
        int bad = 0;
        for (int j = 1; j < 32; j++) {
            int k = j - 16, even = (k % 2 == 0) ? k : k + 1; /* k + 0.5 -> the even of k, k+1 */
            if ((int8_t)q[2 + j] != even) bad++;
        }
        CHECK_MSG(bad == 0, "%s: %d ties not rounded to even", lf_simd_level_name((lf_simd_level)level), bad);
    }
    lf_kernels_set_level(LF_SIMD_SCALAR);
    free(x);
    free(ref);
    free(got);
}

/* ------------------------------------------------------- norms, SwiGLU, softmax */

static bool close_rel(double got, double want, double rel, double abs_tol) {
    if (isnan(want)) return isnan(got);
    if (isinf(want)) return got == want;
    return fabs(got - want) <= rel * fabs(want) + abs_tol;
}

static void test_float_kernels(void) {
    const int64_t sizes[] = {1, 7, 8, 33, 1000};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        int64_t n = sizes[si];
        float *x = malloc(n * sizeof(float)), *w = malloc(n * sizeof(float)), *up = malloc(n * sizeof(float));
        float *ref = malloc(n * sizeof(float)), *got = malloc(n * sizeof(float));
        for (int64_t i = 0; i < n; i++) {
            x[i] = rnd_uniform() * (i % 5 == 0 ? 20.0f : 2.0f);
            w[i] = rnd_uniform() + 1.0f;
            up[i] = rnd_uniform() * 3.0f;
        }
        /* rmsnorm: double reference, and every level against scalar */
        double ss = 0.0;
        for (int64_t i = 0; i < n; i++) ss += (double)x[i] * x[i];
        double dscale = 1.0 / sqrt(ss / (double)n + 1e-5);
        for (int level = LF_SIMD_SCALAR; level < n_sets(); level++) {
        if (!lf_kernels_supported((lf_simd_level)level)) continue;
            lf_kernels_set_level((lf_simd_level)level);
            lf_rmsnorm_f32(got, x, w, n, 1e-5f);
            if (level == LF_SIMD_SCALAR) memcpy(ref, got, n * sizeof(float));
            int bad_d = 0, bad_s = 0;
            for (int64_t i = 0; i < n; i++) {
                if (!close_rel(got[i], x[i] * dscale * w[i], 1e-6, 1e-30)) bad_d++;
                if (!close_rel(got[i], ref[i], 1e-6, 1e-30)) bad_s++;
            }
            CHECK_MSG(bad_d == 0 && bad_s == 0, "rmsnorm %s n=%lld: %d off double, %d off scalar",
                      lf_simd_level_name((lf_simd_level)level), (long long)n, bad_d, bad_s);
        }
        /* add + rmsnorm: x + add stored in x and normed, out aliasing add (as the
         * forward pass calls it); bit-identical to the add and then lf_rmsnorm_f32 */
        for (int level = LF_SIMD_SCALAR; level < n_sets(); level++) {
            if (!lf_kernels_supported((lf_simd_level)level)) continue;
            lf_kernels_set_level((lf_simd_level)level);
            float *sum = malloc(n * sizeof(float)), *want_x = malloc(n * sizeof(float));
            for (int64_t i = 0; i < n; i++) sum[i] = x[i], got[i] = up[i], want_x[i] = x[i] + up[i];
            lf_rmsnorm_f32(ref, want_x, w, n, 1e-5f);
            lf_add_rmsnorm_f32(got, sum, got, w, n, 1e-5f);
            int bad_x = 0, bad_out = 0;
            for (int64_t i = 0; i < n; i++) {
                bad_x += memcmp(&sum[i], &want_x[i], sizeof(float)) != 0;
                bad_out += memcmp(&got[i], &ref[i], sizeof(float)) != 0;
            }
            CHECK_MSG(bad_x == 0 && bad_out == 0, "add_rmsnorm %s n=%lld: %d sums, %d outputs differ",
                      lf_simd_level_name((lf_simd_level)level), (long long)n, bad_x, bad_out);
            free(sum);
            free(want_x);
        }
        /* swiglu, over g in [-100, 100] */
        float *g = malloc(n * sizeof(float));
        for (int64_t i = 0; i < n; i++) g[i] = n == 1000 ? -100.0f + 0.2f * (float)i : rnd_uniform() * 12.0f;
        for (int level = LF_SIMD_SCALAR; level < n_sets(); level++) {
        if (!lf_kernels_supported((lf_simd_level)level)) continue;
            lf_kernels_set_level((lf_simd_level)level);
            memcpy(got, g, n * sizeof(float));
            lf_swiglu_f32(got, up, n);
            if (level == LF_SIMD_SCALAR) memcpy(ref, got, n * sizeof(float));
            int bad_d = 0, bad_s = 0;
            for (int64_t i = 0; i < n; i++) {
                double want = (double)g[i] / (1.0 + exp(-(double)g[i])) * up[i];
                /* below g = -88.7, exp(-g) overflows float and the float formula gives 0 */
                if (!close_rel(got[i], want, 1e-6, 1e-35)) bad_d++;
                if (!close_rel(got[i], ref[i], 1e-6, 1e-37)) bad_s++;
            }
            CHECK_MSG(bad_d == 0 && bad_s == 0, "swiglu %s n=%lld: %d off double, %d off scalar",
                      lf_simd_level_name((lf_simd_level)level), (long long)n, bad_d, bad_s);
        }
        /* softmax with -inf and very negative entries */
        for (int64_t i = 0; i < n; i++) {
            g[i] = rnd_uniform() * 30.0f;
            if (i % 9 == 4) g[i] = -INFINITY;
            if (i % 11 == 6) g[i] = -1e30f;
            if (i % 13 == 8) g[i] = -95.0f; /* exp underflows into subnormals */
        }
        float gmax = -INFINITY;
        for (int64_t i = 0; i < n; i++) gmax = g[i] > gmax ? g[i] : gmax;
        double dsum = 0.0;
        /* the kernel's argument is the float difference x - max: exp of that, in double */
        for (int64_t i = 0; i < n; i++) dsum += exp((double)(float)(g[i] - gmax));
        float ref_sum = 0.0f;
        for (int level = LF_SIMD_SCALAR; level < n_sets(); level++) {
        if (!lf_kernels_supported((lf_simd_level)level)) continue;
            lf_kernels_set_level((lf_simd_level)level);
            memcpy(got, g, n * sizeof(float));
            float sum = lf_softmax_f32(got, n);
            if (level == LF_SIMD_SCALAR) {
                memcpy(ref, got, n * sizeof(float));
                ref_sum = sum;
            }
            int bad_d = 0, bad_s = 0;
            for (int64_t i = 0; i < n; i++) {
                double want = exp((double)(float)(g[i] - gmax));
                /* relative for normal results; subnormal results within a subnormal step */
                if (!close_rel(got[i], want, 1e-6, 2e-45) || isnan(got[i])) bad_d++;
                if (!close_rel(got[i], ref[i], 1e-6, 2e-45)) bad_s++;
            }
            CHECK_MSG(bad_d == 0 && bad_s == 0, "softmax %s n=%lld: %d off double, %d off scalar",
                      lf_simd_level_name((lf_simd_level)level), (long long)n, bad_d, bad_s);
            CHECK_MSG(close_rel(sum, dsum, 1e-6, 0) && close_rel(sum, ref_sum, 1e-6, 0),
                      "softmax %s n=%lld: sum %.9g, double %.9g, scalar %.9g", lf_simd_level_name((lf_simd_level)level),
                      (long long)n, sum, dsum, ref_sum);
            /* every input -inf: zeros and a zero sum, no NaN */
            for (int64_t i = 0; i < n; i++) got[i] = -INFINITY;
            sum = lf_softmax_f32(got, n);
            int nonzero = 0;
            for (int64_t i = 0; i < n; i++) nonzero += got[i] != 0.0f;
            CHECK(sum == 0.0f && nonzero == 0);
        }
        lf_kernels_set_level(LF_SIMD_SCALAR);
        free(x);
        free(w);
        free(up);
        free(ref);
        free(got);
        free(g);
    }
}

/* The SIMD exp inside softmax over its whole range: softmax of {0, v} gives exp(v). */
/* lf_argmax_f32 at every level: the lowest index of the largest value above -inf, NaNs
 * skipped, -1 when there is none; lengths 0-70 (every tail) and a vocabulary, with ties
 * (the first wins), NaNs, +inf and all -inf. */
static void test_argmax(void) {
    enum { N = 49157 };
    float *x = malloc(N * sizeof *x);
    for (int level = LF_SIMD_SCALAR; level < n_sets(); level++) {
        if (!lf_kernels_supported((lf_simd_level)level)) continue;
        lf_kernels_set_level((lf_simd_level)level);
        int bad = 0, cases = 0;
        for (int kind = 0; kind < 6; kind++)
            for (int n = 0; n <= 71; n++) {
                int len = n == 71 ? N : n;
                for (int i = 0; i < len; i++) {
                    float r = (float)(rnd_u32() % 1000) / 100.0f - 5.0f;
                    x[i] = kind == 0 ? r
                           : kind == 1 ? (float)(rnd_u32() % 4)                    /* many ties */
                           : kind == 2 ? (rnd_u32() % 3 ? r : NAN)                 /* NaNs */
                           : kind == 3 ? -INFINITY                             /* none */
                           : kind == 4 ? (rnd_u32() % 7 ? r : INFINITY)            /* +inf */
                                       : (rnd_u32() % 2 ? NAN : -INFINITY);        /* none */
                }
                int64_t want = -1;
                float top = -INFINITY;
                for (int i = 0; i < len; i++)
                    if (x[i] > top) top = x[want = i];
                bad += lf_argmax_f32(x, len) != want;
                cases++;
            }
        CHECK_MSG(bad == 0, "%s argmax: %d of %d cases wrong", lf_simd_level_name((lf_simd_level)level), bad, cases);
    }
    lf_kernels_set_level(LF_SIMD_SCALAR);
    free(x);
}

static void test_exp_range(void) {
    enum { N = 20001 };
    float *x = malloc(N * sizeof(float)), *e = malloc(N * sizeof(float));
    for (int level = LF_SIMD_SCALAR; level < n_sets(); level++) {
        if (!lf_kernels_supported((lf_simd_level)level)) continue;
        lf_kernels_set_level((lf_simd_level)level);
        double worst = 0.0;
        int bad = 0;
        for (int rep = 0; rep < 10; rep++) {
            x[0] = 0.0f;
            for (int i = 1; i < N; i++) x[i] = -110.0f * (float)(rnd_u32() & 0xFFFFFF) / 16777216.0f;
            memcpy(e, x, N * sizeof(float));
            lf_softmax_f32(e, N);
            for (int i = 0; i < N; i++) {
                double want = exp((double)x[i]);
                if (want >= FLT_MIN) {
                    double rel = fabs(e[i] - want) / want;
                    if (rel > worst) worst = rel;
                    if (rel > 1e-6) bad++;
                } else if (!(fabs(e[i] - want) <= 0x1p-149)) {
                    bad++;
                }
            }
        }
        CHECK_MSG(bad == 0, "exp %s: %d values off (worst relative error %.3g)",
                  lf_simd_level_name((lf_simd_level)level), bad, worst);
        printf("exp %s: worst relative error %.3g (%.2f ulp of 2^-24)\n", lf_simd_level_name((lf_simd_level)level),
               worst, worst / 0x1p-24);
    }
    lf_kernels_set_level(LF_SIMD_SCALAR);
    free(x);
    free(e);
}

/* ------------------------------------------------------------- dot products */

static void test_dots_for_type(const struct weight_type *wt, lf_simd_level level) {
    const int64_t sizes[] = {wt->block_elems == 1 ? 1 : wt->block_elems, 3 * wt->block_elems,
                             wt->block_elems == 1 ? 37 : 8 * wt->block_elems, 4096};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int64_t n = sizes[s] < 32 && wt->block_elems > 1 ? wt->block_elems : sizes[s];
        uint64_t row_bytes;
        if (!lf_type_row_bytes(wt->type, (uint64_t)n, &row_bytes)) {
            CHECK_MSG(0, "%s: no row size for n=%lld", wt->name, (long long)n);
            continue;
        }
        uint8_t *w = malloc(row_bytes);
        float *x = malloc((size_t)n * sizeof(float));
        void *xq = malloc(lf_act_row_bytes(wt->type, n));
        for (int trial = 0; trial < 3; trial++) {
            random_weights(wt, w, n);
            random_activations(x, n);
            lf_quantize_act(wt->type, x, xq, n);
            double mag;
            double ref = reference_dot(wt->type, w, xq, n, &mag);
            lf_kernels_set_level(level);
            float got = dot_one(wt->type, w, row_bytes, n, xq);
            lf_kernels_set_level(LF_SIMD_SCALAR);
            float scalar = dot_one(wt->type, w, row_bytes, n, xq);
            double tol = 2e-5 * mag + 1e-6;
            CHECK_MSG(fabs(got - ref) <= tol, "%s %s n=%lld: dot %.9g, dequantized reference %.9g",
                      wt->name, lf_simd_level_name(level), (long long)n, got, ref);
            CHECK_MSG(fabs((double)got - scalar) <= 1e-4 * mag + 1e-6, "%s %s n=%lld: %.9g vs scalar %.9g",
                      wt->name, lf_simd_level_name(level), (long long)n, got, scalar);
        }
        free(w);
        free(x);
        free(xq);
    }
}

/* matmul_rows over a row range and a batch must equal the single-row dots (batched
 * kernels may sum in another order, hence a tolerance), write only its rows, and honour
 * the strides. */
static void test_matmul_rows(const struct weight_type *wt, lf_simd_level level) {
    enum { MAX_BATCH = 16, Y_STRIDE = 12 };
    const int64_t n = 2 * (wt->block_elems == 1 ? 64 : wt->block_elems);
    const int rows = 9, r0 = 2, r1 = 9;
    uint64_t row_bytes;
    lf_type_row_bytes(wt->type, (uint64_t)n, &row_bytes);
    size_t w_stride = row_bytes + 8; /* rows need not be packed */
    size_t x_stride = lf_act_row_bytes(wt->type, n) + 8;
    uint8_t *w = calloc(rows, w_stride);
    uint8_t *xq = calloc(MAX_BATCH, x_stride);
    float *x = malloc((size_t)n * sizeof(float));
    for (int r = 0; r < rows; r++) random_weights(wt, w + r * w_stride, n);
    for (int b = 0; b < MAX_BATCH; b++) {
        random_activations(x, n);
        if (rounds_to_bf16(wt->type, level)) round_to_bf16(x, n);
        lf_quantize_act(wt->type, x, xq + b * x_stride, n);
    }
    lf_kernels_set_level(level);
    /* Below the type's gemm_min_batch a batch runs as one gemv per activation; above,
     * the batched kernels (on AVX-512 the few-activation kernel up to 16, the GEMM where
     * the type has one, else four activations at a time and leftover activations one by
     * one); the row ranges start and end off the 4- and 8-row groups and the row-pair
     * grid. */
    const int batches[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 16};
    const int ranges[][2] = {{r0, r1}, {1, 8}, {3, 6}, {0, 9}};
    for (size_t k = 0; k < sizeof batches / sizeof batches[0]; k++)
        for (size_t g = 0; g < sizeof ranges / sizeof ranges[0]; g++) {
            int n_batch = batches[k], g0 = ranges[g][0], g1 = ranges[g][1];
            float y[MAX_BATCH * Y_STRIDE];
            for (int i = 0; i < MAX_BATCH * Y_STRIDE; i++) y[i] = -12345.0f;
            lf_matmul_rows(wt->type, w, w_stride, n, g0, g1, xq, x_stride, n_batch, y, Y_STRIDE);
            int bad = 0, bad_ref = 0, clobbered = 0;
            for (int b = 0; b < MAX_BATCH; b++)
                for (int r = 0; r < Y_STRIDE; r++) {
                    float v = y[b * Y_STRIDE + r];
                    if (b < n_batch && r >= g0 && r < g1) {
                        const uint8_t *wr = w + r * w_stride, *xb = xq + b * x_stride;
                        double mag;
                        double ref = reference_dot(wt->type, wr, xb, n, &mag);
                        lf_kernels_set_level(LF_SIMD_SCALAR);
                        float scalar = dot_one(wt->type, wr, row_bytes, n, xb);
                        lf_kernels_set_level(level);
                        if (!(fabs((double)v - scalar) <= 1e-5 * mag + 1e-6)) bad++;
                        if (!(fabs((double)v - ref) <= 2e-5 * mag + 1e-6)) bad_ref++;
                    } else if (v != -12345.0f) {
                        clobbered++;
                    }
                }
            CHECK_MSG(bad == 0 && bad_ref == 0 && clobbered == 0,
                      "%s %s matmul_rows batch %d rows [%d,%d): %d off scalar, %d off reference, %d clobbered",
                      wt->name, lf_simd_level_name(level), n_batch, g0, g1, bad, bad_ref, clobbered);
        }
    lf_kernels_set_level(LF_SIMD_SCALAR);
    free(w);
    free(xq);
    free(x);
}

/* ------------------------------------------------ activation + residual products */

/* xq = quant(x) and xr = quant(x - dequant(xq)), the way the runtime sends activations. */
static void quantize_with_residual(lf_type type, const float *x, void *xq, void *xr, int64_t n) {
    float *back = malloc((size_t)n * sizeof(float));
    lf_quantize_act(type, x, xq, n);
    lf_dequantize_row(lf_act_type(type), xq, back, n);
    for (int64_t i = 0; i < n; i++) back[i] = x[i] - back[i];
    lf_quantize_act(type, back, xr, n);
    free(back);
}

static float dot2_one(lf_type type, const void *w, size_t row_bytes, int64_t n, const void *xq, const void *xr) {
    float y = NAN;
    lf_matmul_rows_residual(type, w, row_bytes, n, 0, 1, xq, xr, 0, 1, &y, 1);
    return y;
}

/* The fused kernel (dot2) at this level against the scalar dot2 and against two plain
 * dots, on real residuals and on an unrelated second activation (full int8 range). */
static void test_dot2_for_type(const struct weight_type *wt, lf_simd_level level) {
    if (wt->block_elems == 1) return; /* float weights take float activations: no residual */
    const int64_t sizes[] = {wt->block_elems, 3 * wt->block_elems, 8 * wt->block_elems, 4096};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int64_t n = sizes[s];
        uint64_t row_bytes;
        lf_type_row_bytes(wt->type, (uint64_t)n, &row_bytes);
        uint8_t *w = malloc(row_bytes);
        float *x = malloc((size_t)n * sizeof(float));
        size_t act_bytes = lf_act_row_bytes(wt->type, n);
        void *xq = malloc(act_bytes), *xr = malloc(act_bytes);
        for (int trial = 0; trial < 4; trial++) {
            random_weights(wt, w, n);
            random_activations(x, n);
            if (trial < 2) {
                quantize_with_residual(wt->type, x, xq, xr, n);
            } else {
                lf_quantize_act(wt->type, x, xq, n);
                random_activations(x, n);
                lf_quantize_act(wt->type, x, xr, n);
            }
            double mag_q, mag_r;
            reference_dot(wt->type, w, xq, n, &mag_q);
            reference_dot(wt->type, w, xr, n, &mag_r);
            double mag = mag_q + mag_r;
            lf_kernels_set_level(level);
            float got = dot2_one(wt->type, w, row_bytes, n, xq, xr);
            float two = dot_one(wt->type, w, row_bytes, n, xq) + dot_one(wt->type, w, row_bytes, n, xr);
            lf_kernels_set_level(LF_SIMD_SCALAR);
            float scalar = dot2_one(wt->type, w, row_bytes, n, xq, xr);
            float scalar_two = dot_one(wt->type, w, row_bytes, n, xq) + dot_one(wt->type, w, row_bytes, n, xr);
            CHECK_MSG(scalar == scalar_two, "%s n=%lld: scalar dot2 %.9g != dot + dot %.9g", wt->name,
                      (long long)n, scalar, scalar_two);
            CHECK_MSG(fabs((double)got - two) <= 1e-5 * mag + 1e-7, "%s %s n=%lld trial %d: dot2 %.9g vs dot+dot %.9g",
                      wt->name, lf_simd_level_name(level), (long long)n, trial, got, two);
            CHECK_MSG(fabs((double)got - scalar) <= 1e-5 * mag + 1e-7, "%s %s n=%lld trial %d: dot2 %.9g vs scalar %.9g",
                      wt->name, lf_simd_level_name(level), (long long)n, trial, got, scalar);
        }
        free(w);
        free(x);
        free(xq);
        free(xr);
    }
}

/* lf_matmul_rows_residual over a row range and a batch equals two lf_matmul_rows calls
 * summed (rel. 1e-5), writes only its rows and honours the strides; 1, 3, 5 exercise
 * the single path, 4 and 5 the four-activation kernels, 9 both. */
static void test_matmul_rows_residual(const struct weight_type *wt, lf_simd_level level) {
    if (wt->block_elems == 1) return;
    enum { MAX_BATCH = 16, Y_STRIDE = 12 };
    const int64_t n = 4 * wt->block_elems;
    const int rows = 9, r0 = 1, r1 = 8;
    uint64_t row_bytes;
    lf_type_row_bytes(wt->type, (uint64_t)n, &row_bytes);
    size_t w_stride = row_bytes + 8;
    size_t x_stride = lf_act_row_bytes(wt->type, n) + 8;
    uint8_t *w = calloc(rows, w_stride);
    uint8_t *xq = calloc(MAX_BATCH, x_stride), *xr = calloc(MAX_BATCH, x_stride);
    float *x = malloc((size_t)n * sizeof(float));
    for (int r = 0; r < rows; r++) random_weights(wt, w + r * w_stride, n);
    for (int b = 0; b < MAX_BATCH; b++) {
        random_activations(x, n);
        quantize_with_residual(wt->type, x, xq + b * x_stride, xr + b * x_stride, n);
    }
    lf_kernels_set_level(level);
    /* Also against the scalar level's fused product (batches > 1 take the GEMM where the
     * type has one), on row ranges off the tile and row-pair grids. */
    const int batches[] = {1, 3, 4, 5, 8, 9, 13, 16};
    const int ranges[][2] = {{r0, r1}, {2, 9}, {3, 6}, {0, 9}};
    for (size_t k = 0; k < sizeof batches / sizeof batches[0]; k++)
        for (size_t g = 0; g < sizeof ranges / sizeof ranges[0]; g++) {
            int n_batch = batches[k], g0 = ranges[g][0], g1 = ranges[g][1];
            float y[MAX_BATCH * Y_STRIDE], yq[MAX_BATCH * Y_STRIDE], yr[MAX_BATCH * Y_STRIDE];
            float ys[MAX_BATCH * Y_STRIDE];
            for (int i = 0; i < MAX_BATCH * Y_STRIDE; i++) y[i] = -12345.0f;
            lf_matmul_rows_residual(wt->type, w, w_stride, n, g0, g1, xq, xr, x_stride, n_batch, y, Y_STRIDE);
            lf_matmul_rows(wt->type, w, w_stride, n, g0, g1, xq, x_stride, n_batch, yq, Y_STRIDE);
            lf_matmul_rows(wt->type, w, w_stride, n, g0, g1, xr, x_stride, n_batch, yr, Y_STRIDE);
            lf_kernels_set_level(LF_SIMD_SCALAR);
            lf_matmul_rows_residual(wt->type, w, w_stride, n, g0, g1, xq, xr, x_stride, n_batch, ys, Y_STRIDE);
            lf_kernels_set_level(level);
            int bad = 0, bad_scalar = 0, clobbered = 0;
            for (int b = 0; b < MAX_BATCH; b++)
                for (int r = 0; r < Y_STRIDE; r++) {
                    float v = y[b * Y_STRIDE + r];
                    if (b < n_batch && r >= g0 && r < g1) {
                        double mag_q, mag_r;
                        reference_dot(wt->type, w + r * w_stride, xq + b * x_stride, n, &mag_q);
                        reference_dot(wt->type, w + r * w_stride, xr + b * x_stride, n, &mag_r);
                        double sum = (double)yq[b * Y_STRIDE + r] + yr[b * Y_STRIDE + r];
                        double tol = 1e-5 * (mag_q + mag_r) + 1e-7;
                        if (!(fabs(v - sum) <= tol)) bad++;
                        if (!(fabs((double)v - ys[b * Y_STRIDE + r]) <= tol)) bad_scalar++;
                    } else if (v != -12345.0f) {
                        clobbered++;
                    }
                }
            CHECK_MSG(bad == 0 && bad_scalar == 0 && clobbered == 0,
                      "%s %s matmul_rows_residual batch %d rows [%d,%d): %d wrong, %d off scalar, %d clobbered",
                      wt->name, lf_simd_level_name(level), n_batch, g0, g1, bad, bad_scalar, clobbered);
        }
    lf_kernels_set_level(LF_SIMD_SCALAR);
    free(w);
    free(xq);
    free(xr);
    free(x);
}

/* Prompt-sized products (the cache-blocked GEMMs) on K = one block (or super-block),
 * 67 legacy blocks or nine super-blocks (more than one K chunk) and 131 blocks or 17
 * super-blocks: rows past a multiple of the tile (11; float weights also 70, several
 * tiles of rows, each meeting every K chunk), odd batches, one or many lane groups
 * (on AVX-512 batches up to 16 take the few-activation kernel: 10 in two groups, rows
 * 11 in one short group of sixteen).
 * Batch 321 makes the K chunks of the nine super-blocks smaller than 64 blocks (as the
 * lane groups of a chunk must fit in L2), so chunks start inside a super-block. Every
 * output of the plain and the activation + residual product equals the scalar level's
 * single-row product (rel. 1e-5); nothing else is written. fill >= 0: every weight byte
 * but the fp16 scales is fill (0x00, 0xFF: the extreme scales and quants, e.g. Q3_K's
 * scale -32 with quant 0), and the activations are large and of one sign per row, so
 * the integer sums reach their bounds. */
static void test_matmul_prompt_k(const struct weight_type *wt, lf_simd_level level, int64_t n, int max_batch,
                                 int fill, int rows) {
    const int y_stride = rows + 2;
    uint64_t row_bytes;
    lf_type_row_bytes(wt->type, (uint64_t)n, &row_bytes);
    size_t w_stride = row_bytes + 8, x_stride = lf_act_row_bytes(wt->type, n) + 4; /* rows not packed */
    uint8_t *w = calloc(rows, w_stride);
    uint8_t *xq = calloc(max_batch, x_stride), *xr = calloc(max_batch, x_stride);
    float *x = malloc((size_t)n * sizeof(float));
    float *y = malloc((size_t)max_batch * y_stride * sizeof(float));
    float *want = malloc((size_t)max_batch * rows * sizeof(float));
    double *tol = malloc((size_t)max_batch * rows * sizeof(double));
    for (int r = 0; r < rows; r++) {
        random_weights(wt, w + r * w_stride, n);
        for (int64_t i = 0; fill >= 0 && i < n / wt->block_elems * wt->block_bytes; i++) {
            bool scale = false;
            for (int f = 0; f < wt->n_fp16; f++)
                scale |= (uint64_t)(i % wt->block_bytes - wt->fp16_offsets[f]) < 2;
            if (!scale) w[r * w_stride + i] = (uint8_t)fill;
        }
    }
    bool quantized = wt->block_elems > 1;
    for (int b = 0; b < max_batch; b++) {
        random_activations(x, n);
        for (int64_t i = 0; fill >= 0 && i < n; i++) x[i] = (b % 2 ? -3.0f : 3.0f) + 0.01f * (float)(i % 5);
        if (rounds_to_bf16(wt->type, level)) round_to_bf16(x, n);
        if (quantized) quantize_with_residual(wt->type, x, xq + b * x_stride, xr + b * x_stride, n);
        else lf_quantize_act(wt->type, x, xq + b * x_stride, n);
    }
    const int batches[] = {2, 4, 7, 10, 24, 33, 321};
    const int ranges[][2] = {{1, rows - 1}, {0, rows}, {5, 8}};
    for (int resid = 0; resid <= (quantized ? 1 : 0); resid++) {
        lf_kernels_set_level(LF_SIMD_SCALAR);
        for (int b = 0; b < max_batch; b++)
            for (int r = 0; r < rows; r++) {
                const uint8_t *wr = w + r * w_stride, *q = xq + b * x_stride, *res = xr + b * x_stride;
                double mag, mag_r = 0;
                reference_dot(wt->type, wr, q, n, &mag);
                if (resid) reference_dot(wt->type, wr, res, n, &mag_r);
                want[b * rows + r] = resid ? dot2_one(wt->type, wr, row_bytes, n, q, res)
                                           : dot_one(wt->type, wr, row_bytes, n, q);
                tol[b * rows + r] = 1e-5 * (mag + mag_r) + 1e-6;
            }
        for (size_t k = 0; k < sizeof batches / sizeof batches[0] && batches[k] <= max_batch; k++)
            for (size_t g = 0; g < sizeof ranges / sizeof ranges[0]; g++) {
                int n_batch = batches[k], g0 = ranges[g][0], g1 = ranges[g][1];
                for (int i = 0; i < max_batch * y_stride; i++) y[i] = -12345.0f;
                lf_kernels_set_level(level);
                if (resid) lf_matmul_rows_residual(wt->type, w, w_stride, n, g0, g1, xq, xr, x_stride, n_batch, y, y_stride);
                else lf_matmul_rows(wt->type, w, w_stride, n, g0, g1, xq, x_stride, n_batch, y, y_stride);
                lf_kernels_set_level(LF_SIMD_SCALAR);
                int bad = 0, clobbered = 0;
                for (int b = 0; b < max_batch; b++)
                    for (int r = 0; r < y_stride; r++) {
                        float v = y[b * y_stride + r];
                        if (b >= n_batch || r < g0 || r >= g1) clobbered += v != -12345.0f;
                        else bad += !(fabs((double)v - want[b * rows + r]) <= tol[b * rows + r]);
                    }
                CHECK_MSG(bad == 0 && clobbered == 0,
                          "%s %s %s prompt n=%lld batch %d rows [%d,%d): %d off scalar, %d clobbered", wt->name,
                          lf_simd_level_name(level), resid ? "residual" : "plain", (long long)n, n_batch, g0, g1, bad,
                          clobbered);
            }
    }
    free(w);
    free(xq);
    free(xr);
    free(x);
    free(y);
    free(want);
    free(tol);
}

static void test_matmul_prompt(const struct weight_type *wt, lf_simd_level level) {
    int64_t block = wt->block_elems == 256 ? 256 : 32;
    test_matmul_prompt_k(wt, level, block, 33, -1, 11);
    test_matmul_prompt_k(wt, level, block == 256 ? 9 * 256 : 67 * 32, block == 256 ? 321 : 33, -1, 11);
    test_matmul_prompt_k(wt, level, block == 256 ? 17 * 256 : 131 * 32, 33, -1, 11);
    if (wt->block_elems == 1) { /* row tiles after row tiles, across K spans (gemm_float_run) */
        test_matmul_prompt_k(wt, level, 131 * 32, 33, -1, 70);
        return;
    }
    test_matmul_prompt_k(wt, level, 2 * block, 33, 0x00, 11);
    test_matmul_prompt_k(wt, level, 2 * block, 33, 0xFF, 11);
}

/* The repacked product (lf_repack_rows, lf_repacked_pack_row, lf_matmul_repacked), where
 * the level has one for the type: 48 rows (three groups of sixteen) of one block, 67
 * blocks (passes of 32 and a short one) and, with fill, two blocks of extreme bytes (as
 * in test_matmul_prompt_k). Batches 1-17, plain and with the residual, over row ranges
 * on multiples of 16: every output equals the scalar level's single-row product (rel.
 * 1e-5) and nothing else is written; batches it does not serve (no packed size) and
 * ranges off the groups are refused with nothing written. Levels and types without
 * one, and shapes off its groups, have no layout. */
static void test_matmul_repacked_k(const struct weight_type *wt, lf_simd_level level, int64_t n, int fill) {
    enum { ROWS = 48, Y_STRIDE = 50, MAX_BATCH = 17 };
    lf_kernels_set_level(level);
    size_t bytes = lf_repacked_bytes(wt->type, ROWS, n);
    CHECK_MSG(lf_repacked_bytes(wt->type, ROWS - 8, n) == 0 && lf_repacked_bytes(wt->type, ROWS, n + 16) == 0,
              "%s %s: a repacked layout for rows or columns off its groups", wt->name, lf_simd_level_name(level));
    bool expected = level >= LF_SIMD_AVX2 && (wt->type == LF_TYPE_Q4_0 || wt->type == LF_TYPE_Q4_1 ||
                                                 wt->type == LF_TYPE_IQ4_NL || wt->type == LF_TYPE_Q8_0);
    CHECK_MSG((bytes != 0) == expected, "%s %s: repacked layout of %zu bytes", wt->name, lf_simd_level_name(level),
              bytes);
    if (!bytes) {
        lf_kernels_set_level(LF_SIMD_SCALAR);
        return;
    }
    uint64_t row_bytes;
    lf_type_row_bytes(wt->type, (uint64_t)n, &row_bytes);
    CHECK_MSG(bytes == row_bytes * ROWS, "%s %s: repacked %zu bytes, stored %llu", wt->name,
              lf_simd_level_name(level), bytes, (unsigned long long)(row_bytes * ROWS));
    size_t x_stride = lf_act_row_bytes(wt->type, n) + 4;
    uint8_t *w = calloc(ROWS, row_bytes), *wr = malloc(bytes);
    uint8_t *xq = calloc(MAX_BATCH, x_stride), *xr = calloc(MAX_BATCH, x_stride);
    float *x = malloc((size_t)n * sizeof(float)), *y = malloc((size_t)MAX_BATCH * Y_STRIDE * sizeof(float));
    for (int r = 0; r < ROWS; r++) {
        random_weights(wt, w + r * row_bytes, n);
        for (int64_t i = 0; fill >= 0 && i < n / wt->block_elems * wt->block_bytes; i++) {
            bool scale = false;
            for (int f = 0; f < wt->n_fp16; f++) scale |= (uint64_t)(i % wt->block_bytes - wt->fp16_offsets[f]) < 2;
            if (!scale) w[r * row_bytes + i] = (uint8_t)fill;
        }
    }
    for (int b = 0; b < MAX_BATCH; b++) {
        random_activations(x, n);
        for (int64_t i = 0; fill >= 0 && i < n; i++) x[i] = (b % 2 ? -3.0f : 3.0f) + 0.01f * (float)(i % 5);
        quantize_with_residual(wt->type, x, xq + b * x_stride, xr + b * x_stride, n);
    }
    lf_repack_rows(wt->type, w, row_bytes, ROWS, n, wr);
    const int ranges[][2] = {{0, ROWS}, {16, 32}, {16, ROWS}};
    for (int resid = 0; resid <= 1; resid++)
        for (int n_batch = 1; n_batch <= MAX_BATCH; n_batch++)
            for (size_t g = 0; g < sizeof ranges / sizeof ranges[0]; g++) {
                int g0 = ranges[g][0], g1 = ranges[g][1];
                for (int i = 0; i < MAX_BATCH * Y_STRIDE; i++) y[i] = -12345.0f;
                lf_kernels_set_level(level);
                /* the packed batch, rows in reverse order (a row's place is its index) */
                size_t packed_bytes = lf_repacked_acts_bytes(n, n_batch, resid);
                void *packed = malloc(packed_bytes ? packed_bytes : 1);
                for (int b = n_batch - 1; packed_bytes && b >= 0; b--)
                    lf_repacked_pack_row(wt->type, n, n_batch, resid, b, xq + b * x_stride,
                                         resid ? xr + b * x_stride : NULL, packed);
                bool done = packed_bytes && lf_matmul_repacked(wt->type, wr, n, g0, g1, packed, n_batch, resid, y,
                                                               Y_STRIDE);
                bool off = packed_bytes && lf_matmul_repacked(wt->type, wr, n, g0 + 1, g1, packed, n_batch, resid, y,
                                                              Y_STRIDE);
                free(packed);
                lf_kernels_set_level(LF_SIMD_SCALAR);
                int bad = 0, clobbered = 0;
                for (int b = 0; b < MAX_BATCH; b++)
                    for (int r = 0; r < Y_STRIDE; r++) {
                        float v = y[b * Y_STRIDE + r];
                        if (!done || b >= n_batch || r < g0 || r >= g1) {
                            clobbered += v != -12345.0f;
                            continue;
                        }
                        const uint8_t *row = w + r * row_bytes, *q = xq + b * x_stride, *res = xr + b * x_stride;
                        double mag, mag_r = 0;
                        reference_dot(wt->type, row, q, n, &mag);
                        if (resid) reference_dot(wt->type, row, res, n, &mag_r);
                        double want = resid ? dot2_one(wt->type, row, row_bytes, n, q, res)
                                            : dot_one(wt->type, row, row_bytes, n, q);
                        bad += !(fabs((double)v - want) <= 1e-5 * (mag + mag_r) + 1e-6);
                    }
                /* it serves the batches of a few activations: 2 to 16 */
                CHECK_MSG(done == (n_batch >= 2 && n_batch <= 16) && !off && bad == 0 && clobbered == 0,
                          "%s %s %s repacked n=%lld batch %d rows [%d,%d): done %d, off-group done %d, %d off scalar, "
                          "%d clobbered",
                          wt->name, lf_simd_level_name(level), resid ? "residual" : "plain", (long long)n, n_batch, g0,
                          g1, done, off, bad, clobbered);
            }
    free(w);
    free(wr);
    free(xq);
    free(xr);
    free(x);
    free(y);
}

static void test_matmul_repacked(const struct weight_type *wt, lf_simd_level level) {
    if (wt->block_elems != 32) return; /* the repacked types are all of 32-weight blocks */
    test_matmul_repacked_k(wt, level, 32, -1);
    test_matmul_repacked_k(wt, level, 67 * 32, -1);
    test_matmul_repacked_k(wt, level, 2 * 32, 0x00);
    test_matmul_repacked_k(wt, level, 2 * 32, 0xFF);
}

/* BF16 prompts with activations rounded to bf16 (vdpbf16ps): every output equals the
 * double-precision product of the weights with the bf16-rounded (nearest even)
 * activations, within f32 summation error, and most are farther than that from the
 * unrounded product (so the bf16 GEMM ran). Through a set that rounds them (level >= 0),
 * also the precise product (lf_matmul_rows_residual without a residual), which must equal
 * the unrounded one; level < 0: the vdpbf16ps GEMM directly (on any CPU with AVX512_BF16,
 * also where the avx512-bf16 set is not chosen because vdpbf16ps is slow). K: one partial
 * step, a ragged count and more than two K chunks; rows and batches off the tiles;
 * nothing else is written. */
static void test_bf16_prompt(int level) {
    enum { ROWS = 11, Y_STRIDE = 13, MAX_BATCH = 33 };
    const struct weight_type *wt = &weight_types[2];
    const int64_t sizes[] = {24, 1000, 2 * 1024 + 96};
    const int batches[] = {2, 7, 33};
    const int ranges[][2] = {{1, 10}, {0, 11}, {3, 9}};
    const char *name = level >= 0 ? lf_simd_level_name((lf_simd_level)level) : "vdpbf16ps GEMM";
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int64_t n = sizes[s];
        size_t w_stride = (size_t)n * 2 + 6, x_stride = (size_t)n * 4 + 4; /* rows not packed */
        uint8_t *w = calloc(ROWS, w_stride);
        float *x = calloc((size_t)MAX_BATCH, x_stride), *wf = malloc((size_t)n * sizeof(float));
        float *y = malloc((size_t)MAX_BATCH * Y_STRIDE * sizeof(float));
        double *want_r = malloc(MAX_BATCH * ROWS * sizeof(double)), *want_f = malloc(MAX_BATCH * ROWS * sizeof(double));
        double *tol = malloc(MAX_BATCH * ROWS * sizeof(double));
        for (int r = 0; r < ROWS; r++) random_weights(wt, w + r * w_stride, n);
        for (int b = 0; b < MAX_BATCH; b++) random_activations((float *)((char *)x + b * x_stride), n);
        for (int r = 0; r < ROWS; r++) {
            lf_dequantize_row(LF_TYPE_BF16, w + r * w_stride, wf, n);
            for (int b = 0; b < MAX_BATCH; b++) {
                const float *xb = (const float *)((const char *)x + b * x_stride);
                double sr = 0, sf = 0, mag = 0;
                for (int64_t i = 0; i < n; i++) {
                    sr += (double)wf[i] * lf_bf16_to_f32(lf_f32_to_bf16(xb[i]));
                    sf += (double)wf[i] * xb[i];
                    mag += fabs((double)wf[i] * xb[i]);
                }
                want_r[b * ROWS + r] = sr;
                want_f[b * ROWS + r] = sf;
                tol[b * ROWS + r] = 1e-5 * mag + 1e-6;
            }
        }
        if (level >= 0) lf_kernels_set_level((lf_simd_level)level);
        for (int precise = 0; precise <= (level >= 0); precise++)
            for (size_t k = 0; k < sizeof batches / sizeof batches[0]; k++)
                for (size_t g = 0; g < sizeof ranges / sizeof ranges[0]; g++) {
                    int n_batch = batches[k], g0 = ranges[g][0], g1 = ranges[g][1];
                    for (int i = 0; i < MAX_BATCH * Y_STRIDE; i++) y[i] = -12345.0f;
                    bool ran = true;
                    if (precise)
                        lf_matmul_rows_residual(LF_TYPE_BF16, w, w_stride, n, g0, g1, x, NULL, x_stride, n_batch, y,
                                                Y_STRIDE);
                    else if (level >= 0)
                        lf_matmul_rows(LF_TYPE_BF16, w, w_stride, n, g0, g1, x, x_stride, n_batch, y, Y_STRIDE);
#if defined(__x86_64__) || defined(__i386__)
                    else
                        ran = gemm_float_run(&avx512_gemm_bf16, LF_TYPE_BF16, w, w_stride, n, g0, g1, x, NULL,
                                             x_stride, n_batch, y, Y_STRIDE);
#endif
                    int bad = 0, unrounded = 0, outputs = 0, clobbered = 0;
                    for (int b = 0; b < MAX_BATCH; b++)
                        for (int r = 0; r < Y_STRIDE; r++) {
                            double v = y[b * Y_STRIDE + r];
                            if (b >= n_batch || r < g0 || r >= g1) {
                                clobbered += v != -12345.0f;
                                continue;
                            }
                            int i = b * ROWS + r;
                            outputs++;
                            bad += !(fabs(v - (precise ? want_f[i] : want_r[i])) <= tol[i]);
                            unrounded += fabs(v - want_f[i]) <= tol[i];
                        }
                    CHECK_MSG(ran && bad == 0 && clobbered == 0 && (precise || 2 * unrounded < outputs),
                              "BF16 %s %s prompt n=%lld batch %d rows [%d,%d): %d off, %d of %d as if unrounded, "
                              "%d clobbered",
                              name, precise ? "precise" : "bf16-rounded", (long long)n, n_batch, g0, g1, bad,
                              unrounded, outputs, clobbered);
                }
        lf_kernels_set_level(LF_SIMD_SCALAR);
        free(w);
        free(x);
        free(wf);
        free(y);
        free(want_r);
        free(want_f);
        free(tol);
    }
}

/* Decode (batch 1) products go through the row-group kernels (four rows against one
 * activation, two legacy blocks per step): every row of a range that starts off the
 * group grid and ends off it must match the scalar reference dot (and dot2) of that row,
 * on 1 block, odd and even block counts and 4096 columns, and write nothing else. */
static void test_matmul_decode(const struct weight_type *wt, lf_simd_level level) {
    const int64_t be = wt->block_elems;
    const int64_t sizes[] = {be == 1 ? 1 : be, be == 1 ? 37 : 3 * be, be == 1 ? 48 : 8 * be, 4096, 4096 + be * 3};
    const int row_counts[] = {1, 3, 4, 5, 7, 8, 13};
    enum { MAX_ROWS = 15 };
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int64_t n = sizes[s];
        uint64_t row_bytes;
        if (!lf_type_row_bytes(wt->type, (uint64_t)n, &row_bytes)) continue;
        /* packed, and rows padded apart (by 6 bytes, or 8 for F32, which needs 4-byte alignment) */
        size_t w_stride = (size_t)row_bytes + (s & 1 ? (wt->type == LF_TYPE_F32 ? 8 : 6) : 0);
        size_t act_bytes = lf_act_row_bytes(wt->type, n);
        uint8_t *w = malloc(MAX_ROWS * w_stride);
        float *x = malloc((size_t)n * sizeof(float));
        void *xq = malloc(act_bytes), *xr = malloc(act_bytes);
        for (int r = 0; r < MAX_ROWS; r++) random_weights(wt, w + r * w_stride, n);
        random_activations(x, n);
        if (wt->block_elems > 1) {
            quantize_with_residual(wt->type, x, xq, xr, n);
        } else {
            lf_quantize_act(wt->type, x, xq, n);
            random_activations(x, n);
            lf_quantize_act(wt->type, x, xr, n);
        }
        float ref[MAX_ROWS], ref2[MAX_ROWS];
        double mag[MAX_ROWS], mag2[MAX_ROWS];
        lf_kernels_set_level(LF_SIMD_SCALAR);
        for (int r = 0; r < MAX_ROWS; r++) {
            const uint8_t *wr = w + r * w_stride;
            double mq, mr;
            reference_dot(wt->type, wr, xq, n, &mq);
            reference_dot(wt->type, wr, xr, n, &mr);
            mag[r] = mq;
            mag2[r] = mq + mr;
            ref[r] = dot_one(wt->type, wr, row_bytes, n, xq);
            ref2[r] = dot2_one(wt->type, wr, row_bytes, n, xq, xr);
        }
        lf_kernels_set_level(level);
        for (size_t k = 0; k < sizeof row_counts / sizeof row_counts[0]; k++) {
            int r0 = k & 1 ? 1 : 0, r1 = r0 + row_counts[k];
            float y[MAX_ROWS + 1], y2[MAX_ROWS + 1];
            for (int i = 0; i <= MAX_ROWS; i++) y[i] = y2[i] = -12345.0f;
            lf_matmul_rows(wt->type, w, w_stride, n, r0, r1, xq, act_bytes, 1, y, MAX_ROWS);
            lf_matmul_rows_residual(wt->type, w, w_stride, n, r0, r1, xq, xr, act_bytes, 1, y2, MAX_ROWS);
            int bad = 0, bad2 = 0, clobbered = 0;
            for (int r = 0; r <= MAX_ROWS; r++) {
                if (r >= r0 && r < r1) {
                    if (!(fabs((double)y[r] - ref[r]) <= 1e-5 * mag[r] + 1e-6)) bad++;
                    if (!(fabs((double)y2[r] - ref2[r]) <= 1e-5 * mag2[r] + 1e-6)) bad2++;
                } else if (y[r] != -12345.0f || y2[r] != -12345.0f) {
                    clobbered++;
                }
            }
            CHECK_MSG(bad == 0 && bad2 == 0 && clobbered == 0,
                      "%s %s decode n=%lld rows [%d,%d): %d wrong, %d residual wrong, %d clobbered", wt->name,
                      lf_simd_level_name(level), (long long)n, r0, r1, bad, bad2, clobbered);
        }
        lf_kernels_set_level(LF_SIMD_SCALAR);
        free(w);
        free(x);
        free(xq);
        free(xr);
    }
}

/* The residual must actually buy accuracy: against the float product, W·xq + W·xr is far
 * closer than W·xq alone (checked on the sum over many rows). */
static void test_residual_accuracy(void) {
    const int64_t n = 1024;
    const int rows = 16;
    for (int i = 0; i < N_WEIGHT_TYPES; i++) {
        const struct weight_type *wt = &weight_types[i];
        if (wt->block_elems == 1) continue;
        uint64_t row_bytes;
        lf_type_row_bytes(wt->type, (uint64_t)n, &row_bytes);
        uint8_t *w = malloc(rows * row_bytes);
        float *x = malloc(n * sizeof(float)), *wf = malloc(n * sizeof(float));
        size_t act_bytes = lf_act_row_bytes(wt->type, n);
        void *xq = malloc(act_bytes), *xr = malloc(act_bytes);
        for (int r = 0; r < rows; r++) random_weights(wt, w + r * row_bytes, n);
        random_activations(x, n);
        quantize_with_residual(wt->type, x, xq, xr, n);
        lf_kernels_set_level(lf_kernels_detected_level());
        float y2[16], y1[16];
        lf_matmul_rows_residual(wt->type, w, row_bytes, n, 0, rows, xq, xr, 0, 1, y2, rows);
        lf_matmul_rows(wt->type, w, row_bytes, n, 0, rows, xq, 0, 1, y1, rows);
        lf_kernels_set_level(LF_SIMD_SCALAR);
        double err1 = 0, err2 = 0;
        for (int r = 0; r < rows; r++) {
            lf_dequantize_row(wt->type, w + r * row_bytes, wf, n);
            double ref = 0;
            for (int64_t j = 0; j < n; j++) ref += (double)wf[j] * x[j];
            err1 += fabs(y1[r] - ref);
            err2 += fabs(y2[r] - ref);
        }
        CHECK_MSG(err2 * 20 < err1, "%s: residual error %.3g not far below int8 error %.3g", wt->name, err2, err1);
        free(w);
        free(x);
        free(wf);
        free(xq);
        free(xr);
    }
}

static void test_float_helpers(lf_simd_level level) {
    const int64_t sizes[] = {1, 7, 33, 1000};
    lf_kernels_set_level(level);
    for (size_t s = 0; s < 4; s++) {
        int64_t n = sizes[s];
        float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
        double ref = 0.0, mag = 0.0;
        for (int64_t i = 0; i < n; i++) {
            a[i] = rnd_uniform();
            b[i] = rnd_uniform();
            y[i] = rnd_uniform();
            ref += (double)a[i] * b[i];
            mag += fabs((double)a[i] * b[i]);
        }
        float got = lf_dot_f32(a, b, n);
        CHECK_MSG(fabs(got - ref) <= 1e-6 * mag + 1e-7, "dot_f32 %s n=%lld: %.9g vs %.9g",
                  lf_simd_level_name(level), (long long)n, got, ref);
        float *y0 = malloc(n * sizeof(float));
        memcpy(y0, y, n * sizeof(float));
        lf_axpy_f32(y, 0.75f, a, n);
        int bad = 0;
        for (int64_t i = 0; i < n; i++)
            if (fabs(y[i] - (y0[i] + 0.75 * (double)a[i])) > 1e-6) bad++;
        CHECK_MSG(bad == 0, "axpy %s n=%lld: %d wrong", lf_simd_level_name(level), (long long)n, bad);
        free(a);
        free(b);
        free(y);
        free(y0);
    }
    lf_kernels_set_level(LF_SIMD_SCALAR);
}

static void test_levels(void) {
    lf_kernels_init();
    lf_simd_level detected = lf_kernels_detected_level();
    lf_kernels_set_level((lf_simd_level)(n_sets() - 1)); /* the last set: what this CPU has of it */
    CHECK(lf_kernels_level() == detected);
    lf_kernels_set_level(LF_SIMD_SCALAR);
    CHECK(lf_kernels_level() == LF_SIMD_SCALAR);
    CHECK(strcmp(lf_simd_level_name(LF_SIMD_AVX2), "avx2") == 0);
    printf("detected SIMD level: %s\n", lf_simd_level_name(detected));
}

/* The dispatch list is a tree rooted at scalar: every set extends one listed before it
 * and requires at least its parent's features, names are unique and found by name, and
 * forcing a set this CPU lacks gives its nearest supported ancestor. */
static void test_dispatch_list(void) {
    const lf_kernel_set_info *sets;
    int n = lf_kernel_sets(&sets);
    uint32_t have = lf_isa_detected();
    CHECK(n >= 1 && strcmp(sets[0].name, "scalar") == 0 && sets[0].parent == -1 && sets[0].required == 0);
    CHECK(lf_kernels_supported(LF_SIMD_SCALAR));
    for (int i = 1; i < n; i++) {
        int p = sets[i].parent;
        CHECK_MSG(p >= 0 && p < i, "%s: parent %d is not listed before it", sets[i].name, p);
        if (p < 0 || p >= i) continue;
        CHECK_MSG((sets[p].required & ~sets[i].required) == 0, "%s requires less than its parent %s", sets[i].name,
                  sets[p].name);
        CHECK(lf_kernels_supported((lf_simd_level)i) == ((sets[i].required & ~have) == 0));
    }
    for (int i = 0; i < n; i++) {
        CHECK_MSG(lf_simd_level_by_name(sets[i].name) == i, "%s is not found by its name", sets[i].name);
        lf_kernels_set_level((lf_simd_level)i);
        int got = (int)lf_kernels_level(), a = i;
        while (a >= 0 && !lf_kernels_supported((lf_simd_level)a)) a = sets[a].parent;
        CHECK_MSG(got == a && lf_kernels_supported((lf_simd_level)got), "forcing %s gave %s", sets[i].name,
                  lf_simd_level_name((lf_simd_level)got));
    }
    lf_kernels_set_level((lf_simd_level)n); /* past the list: the best supported set */
    CHECK(lf_kernels_level() == lf_kernels_detected_level());
    CHECK(lf_simd_level_by_name("no-such-set") == -1);
    CHECK(strcmp(lf_simd_level_name((lf_simd_level)n), "unknown") == 0);
    for (int b = 0; b < LF_ISA_COUNT; b++) CHECK(lf_isa_name(1u << b) != NULL);
    CHECK(lf_isa_name(0) == NULL && lf_isa_name(1u << LF_ISA_COUNT) == NULL);
    printf("CPU features:");
    for (int b = 0; b < LF_ISA_COUNT; b++)
        if (have & 1u << b) printf(" %s", lf_isa_name(1u << b));
    printf("\n");
    lf_kernels_set_level(LF_SIMD_SCALAR);
}

/* Which kernel sets this run checked and which the CPU cannot run (their checks were
 * counted as skipped), with the features each lacks. */
static void print_sets_tested(void) {
    const lf_kernel_set_info *sets;
    int n = lf_kernel_sets(&sets);
    uint32_t have = lf_isa_detected();
    printf("tested:");
    for (int i = 0; i < n; i++)
        if (lf_kernels_supported((lf_simd_level)i)) printf(" %s", sets[i].name);
    printf("; skipped (CPU lacks):");
    int skipped = 0;
    for (int i = 0; i < n; i++) {
        if (lf_kernels_supported((lf_simd_level)i)) continue;
        skipped++;
        printf(" %s (", sets[i].name);
        for (int b = 0, first = 1; b < LF_ISA_COUNT; b++)
            if (sets[i].required & ~have & 1u << b) {
                printf("%s%s", first ? "" : " ", lf_isa_name(1u << b));
                first = 0;
            }
        printf(")");
    }
    printf("%s\n", skipped ? "" : " none");
}

/* LLAMA_FAST_SIMD caps the level chosen at init: run this binary again with it set. */
static void test_env_cap(void) {
    char self[4096], cmd[4200], line[64] = "";
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK(len > 0);
    if (len <= 0) return;
    self[len] = 0;
    snprintf(cmd, sizeof cmd, "LLAMA_FAST_SIMD=scalar '%s' --print-level", self);
    FILE *p = popen(cmd, "r");
    if (p) {
        if (!fgets(line, sizeof line, p)) line[0] = 0;
        pclose(p);
    }
    CHECK_MSG(strcmp(line, "scalar\n") == 0, "LLAMA_FAST_SIMD=scalar gave level '%s'", line);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--print-level") == 0) {
        printf("%s\n", lf_simd_level_name(lf_kernels_level()));
        return 0;
    }
    test_env_cap();
    test_f16_known_values();
    test_f16_round_trip_all();
#ifdef __FLT16_MAX__
    test_f16_against_compiler();
#endif
    test_bf16();
    test_type_table();
    test_levels();
    test_dispatch_list();
    test_quantize_act();
    test_quantize_act_levels();
    test_argmax();
    test_float_kernels();
    test_exp_range();
    for (int level = LF_SIMD_SCALAR; level < n_sets(); level++) {
        if (!lf_kernels_supported((lf_simd_level)level)) { /* cannot run here: counted, not passed */
            for (int i = 0; i < N_WEIGHT_TYPES; i++)
                SKIP("%s %s kernels: this CPU lacks the instructions", lf_simd_level_name((lf_simd_level)level),
                     weight_types[i].name);
            SKIP("%s float kernels: this CPU lacks the instructions", lf_simd_level_name((lf_simd_level)level));
            continue;
        }
        for (int i = 0; i < N_WEIGHT_TYPES; i++) {
            test_dots_for_type(&weight_types[i], (lf_simd_level)level);
            test_matmul_rows(&weight_types[i], (lf_simd_level)level);
            test_dot2_for_type(&weight_types[i], (lf_simd_level)level);
            test_matmul_rows_residual(&weight_types[i], (lf_simd_level)level);
            test_matmul_decode(&weight_types[i], (lf_simd_level)level);
            test_matmul_prompt(&weight_types[i], (lf_simd_level)level);
            test_matmul_repacked(&weight_types[i], (lf_simd_level)level);
        }
        if (rounds_to_bf16(LF_TYPE_BF16, (lf_simd_level)level)) test_bf16_prompt(level);
        test_float_helpers((lf_simd_level)level);
    }
#if defined(__x86_64__) || defined(__i386__)
    if (lf_isa_detected() & LF_ISA_AVX512_BF16) test_bf16_prompt(-1);
    else
#endif
        SKIP("vdpbf16ps GEMM: this CPU lacks AVX512_BF16");
    print_sets_tested();
    test_residual_accuracy();
    TEST_MAIN_END();
}
