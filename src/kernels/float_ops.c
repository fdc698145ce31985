/* Float kernels of the forward pass outside the matrix products: RMSNorm, SwiGLU and the
 * exponentials of softmax. Scalar references here (libm expf); SIMD variants in
 * float_ops_avx2.c. The public functions dispatch through the kernel table. */
#include "kernels/kernels_internal.h"

#include <math.h>

static void rmsnorm_f32(float *out, const float *x, const float *w, int64_t n, float eps) {
    double ss = 0.0;
    for (int64_t i = 0; i < n; i++) ss += (double)x[i] * x[i];
    float scale = 1.0f / sqrtf((float)(ss / (double)n) + eps);
    for (int64_t i = 0; i < n; i++) out[i] = x[i] * scale * w[i];
}

static void add_rmsnorm_f32(float *out, float *x, const float *add, const float *w, int64_t n, float eps) {
    for (int64_t i = 0; i < n; i++) x[i] += add[i];
    rmsnorm_f32(out, x, w, n, eps);
}

static void swiglu_f32(float *gate, const float *up, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        float g = gate[i];
        gate[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

static float softmax_f32(float *x, int64_t n, float *running_max) {
    float max = *running_max;
    for (int64_t i = 0; i < n; i++)
        if (x[i] > max) max = x[i];
    *running_max = max;
    if (max == -INFINITY) max = 0.0f; /* all -inf (or empty): exp(-inf) = 0 everywhere */
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += x[i];
    }
    return (float)sum;
}

static int64_t argmax_f32(const float *x, int64_t n) {
    int64_t best = -1;
    float top = -INFINITY;
    for (int64_t i = 0; i < n; i++)
        if (x[i] > top) top = x[best = i];
    return best;
}

void lf_kernels_fill_scalar_float(lf_kernel_table *t) {
    t->rmsnorm_f32 = rmsnorm_f32;
    t->add_rmsnorm_f32 = add_rmsnorm_f32;
    t->swiglu_f32 = swiglu_f32;
    t->softmax_f32 = softmax_f32;
    t->argmax_f32 = argmax_f32;
}

void lf_rmsnorm_f32(float *out, const float *x, const float *w, int64_t n, float eps) {
    lf_kernels_table()->rmsnorm_f32(out, x, w, n, eps);
}

void lf_add_rmsnorm_f32(float *out, float *x, const float *add, const float *w, int64_t n, float eps) {
    lf_kernels_table()->add_rmsnorm_f32(out, x, add, w, n, eps);
}

void lf_swiglu_f32(float *gate, const float *up, int64_t n) { lf_kernels_table()->swiglu_f32(gate, up, n); }

float lf_softmax_f32(float *x, int64_t n) {
    float max = -INFINITY;
    return lf_kernels_table()->softmax_f32(x, n, &max);
}

float lf_softmax_running_f32(float *x, int64_t n, float *running_max) {
    return lf_kernels_table()->softmax_f32(x, n, running_max);
}

int64_t lf_argmax_f32(const float *x, int64_t n) { return lf_kernels_table()->argmax_f32(x, n); }
