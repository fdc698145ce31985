/* lf_quantize_row: round trips through lf_dequantize_row stay within each type's error
 * bound, and hostile rows (zeros, one huge outlier, denormals, scales whose reciprocal
 * overflows, NaN/inf, bad lengths) give a defined answer. Byte identity with ggml is
 * checked by tests/check_quantize.py. */
#include "kernels/kernels.h"
#include "kernels/quantize_internal.h"
#include "test.h"

#include <float.h>
#include <stdint.h>

#define N 1024 /* a multiple of every block size */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static float gaussian(void) {
    float s = 0.0f; /* sum of 12 uniforms: close enough to a normal for error bounds */
    for (int k = 0; k < 12; k++) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        s += (float)(rng_state >> 40) / (float)(1 << 24);
    }
    return s - 6.0f;
}

/* RMS reconstruction error relative to the row's RMS: the measured value for this row
 * plus about 30% (float types: 2x), so a wrong scale or a misplaced code fails. */
static const struct { lf_type type; double max_rel_rms; } TYPES[] = {
    {LF_TYPE_F32, 0.0},    {LF_TYPE_F16, 4e-4},   {LF_TYPE_BF16, 3.5e-3}, {LF_TYPE_Q8_0, 0.007},
    {LF_TYPE_Q6_K, 0.024}, {LF_TYPE_Q5_0, 0.054}, {LF_TYPE_Q5_1, 0.05},   {LF_TYPE_Q5_K, 0.048},
    {LF_TYPE_Q4_0, 0.114}, {LF_TYPE_Q4_1, 0.102}, {LF_TYPE_Q4_K, 0.092},  {LF_TYPE_Q3_K, 0.193},
    {LF_TYPE_Q2_K, 0.37},  {LF_TYPE_IQ4_NL, 0.1},
};
#define N_TYPES (sizeof TYPES / sizeof TYPES[0])

static uint8_t qbuf[N * 4];
static float back[N];

static bool round_trip(lf_type type, const float *x) {
    if (!lf_quantize_row(type, x, N, qbuf)) return false;
    lf_dequantize_row(type, qbuf, back, N);
    return true;
}

static bool all_finite(const float *y) {
    for (int i = 0; i < N; i++)
        if (!isfinite(y[i])) return false;
    return true;
}

static void test_error_bounds(void) {
    float x[N];
    double ss = 0.0;
    for (int i = 0; i < N; i++) {
        x[i] = gaussian() * 0.02f;
        ss += (double)x[i] * x[i];
    }
    for (size_t t = 0; t < N_TYPES; t++) {
        const char *name = lf_type_get(TYPES[t].type)->name;
        CHECK_MSG(round_trip(TYPES[t].type, x), "%s refused a normal row", name);
        double es = 0.0;
        for (int i = 0; i < N; i++) es += ((double)back[i] - x[i]) * ((double)back[i] - x[i]);
        double rel = sqrt(es / ss);
        CHECK_MSG(rel <= TYPES[t].max_rel_rms, "%s relative RMS error %.4g > %.4g", name, rel,
                  TYPES[t].max_rel_rms);
        uint8_t again[sizeof qbuf];
        uint64_t bytes;
        CHECK(lf_type_row_bytes(TYPES[t].type, N, &bytes));
        CHECK(lf_quantize_row(TYPES[t].type, x, N, again) && memcmp(again, qbuf, bytes) == 0);
    }
}

static void test_hostile_rows(void) {
    float zeros[N] = {0}, outlier[N], denormal[N], tiny[N], huge[N];
    for (int i = 0; i < N; i++) {
        outlier[i] = gaussian() * 0.01f;
        denormal[i] = gaussian() * 1e-40f;     /* subnormal floats */
        tiny[i] = gaussian() * 1e-38f;         /* a block scale's reciprocal overflows */
        huge[i] = (i & 1 ? -1.0f : 1.0f) * FLT_MAX;
    }
    outlier[N / 3] = 1e4f;
    for (size_t t = 0; t < N_TYPES; t++) {
        lf_type type = TYPES[t].type;
        const char *name = lf_type_get(type)->name;
        CHECK_MSG(round_trip(type, zeros), "%s zeros", name);
        bool zero_back = true;
        for (int i = 0; i < N; i++) zero_back &= back[i] == 0.0f;
        CHECK_MSG(zero_back, "%s: zeros do not come back as zeros", name);

        CHECK_MSG(round_trip(type, outlier) && all_finite(back), "%s outlier", name);
        /* the outlier sets its block's scale, so it comes back within one step */
        CHECK_MSG(fabsf(back[N / 3] - 1e4f) <= 1e4f * 0.07f, "%s outlier came back as %g", name, back[N / 3]);

        CHECK_MSG(round_trip(type, denormal) && all_finite(back), "%s denormals", name);
        CHECK_MSG(round_trip(type, tiny) && all_finite(back), "%s tiny", name);
        /* finite but beyond fp16: accepted (ggml writes an infinite scale; llama-quantize's
         * validation, not the kernel, refuses such a tensor) and must not crash */
        CHECK_MSG(lf_quantize_row(type, huge, N, qbuf), "%s huge", name);

        float bad[N];
        memcpy(bad, outlier, sizeof bad);
        const float specials[] = {INFINITY, -INFINITY, NAN};
        for (int s = 0; s < 3; s++) {
            bad[N - 1] = specials[s];
            memset(qbuf, 0xAB, sizeof qbuf);
            bool refused = !lf_quantize_row(type, bad, N, qbuf);
            bool untouched = true;
            for (size_t i = 0; i < sizeof qbuf; i++) untouched &= qbuf[i] == 0xAB;
            CHECK_MSG(refused && untouched, "%s accepted non-finite value %d", name, s);
        }
    }
}

static void test_bad_lengths(void) {
    float x[N] = {0};
    CHECK(!lf_quantize_row(LF_TYPE_Q4_0, x, 33, qbuf));
    CHECK(!lf_quantize_row(LF_TYPE_Q4_K, x, 256 + 32, qbuf));
    CHECK(!lf_quantize_row(LF_TYPE_Q8_0, x, 0, qbuf));
    CHECK(!lf_quantize_row(LF_TYPE_Q8_0, x, -32, qbuf));
    /* activation-only and unknown types are not weights ggml quantizes to files */
    CHECK(!lf_quantize_row(LF_TYPE_Q8_K, x, 256, qbuf));
    CHECK(!lf_quantize_row(LF_TYPE_Q8_1, x, 32, qbuf));
    CHECK(!lf_quantize_row((lf_type)39, x, 32, qbuf));
    CHECK(lf_quantize_row(LF_TYPE_F16, x, 1, qbuf));
}

/* IQ4_NL with an importance row (the imatrix hook): NULL importances give lf_quantize_row's
 * bytes; a column made 1000x as important as the rest comes back closer in total. */
static void test_iq4_nl_importance(void) {
    enum { NB = N / 32 };
    float x[N], imp[N], plain[N], weighted[N];
    static block_iq4_nl a[NB], b[NB];
    for (int i = 0; i < N; i++) {
        x[i] = gaussian() * 0.02f;
        imp[i] = i % 32 == 5 ? 1000.0f : 1.0f;
    }
    CHECK(lf_quantize_row(LF_TYPE_IQ4_NL, x, N, a));
    lf_quantize_iq4_nl(x, NB, NULL, b);
    CHECK(memcmp(a, b, sizeof a) == 0);
    lf_dequantize_row(LF_TYPE_IQ4_NL, a, plain, N);
    lf_quantize_iq4_nl(x, NB, imp, b);
    lf_dequantize_row(LF_TYPE_IQ4_NL, b, weighted, N);
    double err_plain = 0.0, err_weighted = 0.0;
    for (int i = 5; i < N; i += 32) {
        err_plain += fabs((double)plain[i] - x[i]);
        err_weighted += fabs((double)weighted[i] - x[i]);
    }
    CHECK_MSG(all_finite(weighted) && err_weighted < 0.5 * err_plain, "important column error %g, unweighted %g",
              err_weighted, err_plain);
}

int main(void) {
    test_error_bounds();
    test_hostile_rows();
    test_bad_lengths();
    test_iq4_nl_importance();
    TEST_MAIN_END();
}
