/* Scalar reference dot products: every weight type against its activation type, with
 * integer sums inside a block and one float multiply per block (or per group), the way
 * the SIMD variants must compute too. */
#include "kernels/kernels_internal.h"
#include "kernels/unpack_internal.h"

static int32_t isum(const int8_t *a, const int8_t *b, int n) {
    int32_t s = 0;
    for (int j = 0; j < n; j++) s += (int32_t)a[j] * b[j];
    return s;
}

/* Legacy blocks: unpacked signed quants q (Q4_0, Q5_0, Q8_0, IQ4_NL) with scale d against a Q8_0
 * block, and unsigned ones (Q4_1, Q5_1) with scale d and min m against a Q8_1 block,
 * whose s = xd * sum(xq) carries the min term. */
static inline float signed_block(uint16_t d, const int8_t *q, const block_q8_0 *x) {
    return lf_f16_to_f32(d) * lf_f16_to_f32(x->d) * (float)isum(q, x->qs, QK);
}

static inline float min_block(uint16_t d, uint16_t m, const int8_t *q, const block_q8_1 *x) {
    return lf_f16_to_f32(d) * x->d * (float)isum(q, x->qs, QK) + lf_f16_to_f32(m) * x->s;
}

static float dot_q4_0(const void *w, const void *xq, int64_t n) {
    const block_q4_0 *b = w;
    const block_q8_0 *x = xq;
    int8_t q[QK];
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; i++) {
        unpack_nibbles32(b[i].qs, 8, q);
        sum += signed_block(b[i].d, q, &x[i]);
    }
    return sum;
}

static float dot_iq4_nl(const void *w, const void *xq, int64_t n) {
    const block_iq4_nl *b = w;
    const block_q8_0 *x = xq;
    int8_t q[QK];
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; i++) {
        unpack_iq4_nl(b[i].qs, q);
        sum += signed_block(b[i].d, q, &x[i]);
    }
    return sum;
}

static float dot_q4_1(const void *w, const void *xq, int64_t n) {
    const block_q4_1 *b = w;
    const block_q8_1 *x = xq;
    int8_t q[QK];
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; i++) {
        unpack_nibbles32(b[i].qs, 0, q);
        sum += min_block(b[i].d, b[i].m, q, &x[i]);
    }
    return sum;
}

static float dot_q5_0(const void *w, const void *xq, int64_t n) {
    const block_q5_0 *b = w;
    const block_q8_0 *x = xq;
    int8_t q[QK];
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; i++) {
        unpack_q5(b[i].qh, b[i].qs, 16, q);
        sum += signed_block(b[i].d, q, &x[i]);
    }
    return sum;
}

static float dot_q5_1(const void *w, const void *xq, int64_t n) {
    const block_q5_1 *b = w;
    const block_q8_1 *x = xq;
    int8_t q[QK];
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; i++) {
        unpack_q5(b[i].qh, b[i].qs, 0, q);
        sum += min_block(b[i].d, b[i].m, q, &x[i]);
    }
    return sum;
}

static float dot_q8_0(const void *w, const void *xq, int64_t n) {
    const block_q8_0 *b = w;
    const block_q8_0 *x = xq;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; i++) sum += signed_block(b[i].d, b[i].qs, &x[i]);
    return sum;
}

/* K-quants with a per-group min (Q2_K, Q4_K, Q5_K): weight = d*sc*q - dmin*m, so
 * dot = x.d * (d * sum_g sc_g*isum_g - dmin * sum_g m_g*xsum_g). */
static float dot_q2_K(const void *w, const void *xq, int64_t n) {
    const block_q2_K *b = w;
    const block_q8_K *x = xq;
    int8_t q[QK_K];
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK_K; i++) {
        unpack_q2_K(&b[i], q);
        int32_t qsum = 0, msum = 0;
        for (int g = 0; g < 16; g++) {
            qsum += (b[i].scales[g] & 0x0F) * isum(q + 16 * g, x[i].qs + 16 * g, 16);
            msum += (b[i].scales[g] >> 4) * x[i].bsums[g];
        }
        sum += x[i].d * (lf_f16_to_f32(b[i].d) * (float)qsum - lf_f16_to_f32(b[i].dmin) * (float)msum);
    }
    return sum;
}

static float dot_q3_K(const void *w, const void *xq, int64_t n) {
    const block_q3_K *b = w;
    const block_q8_K *x = xq;
    int8_t q[QK_K];
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK_K; i++) {
        unpack_q3_K(&b[i], q);
        int32_t qsum = 0;
        for (int g = 0; g < 16; g++)
            qsum += q3_k_scale(b[i].scales, g) * isum(q + 16 * g, x[i].qs + 16 * g, 16);
        sum += x[i].d * lf_f16_to_f32(b[i].d) * (float)qsum;
    }
    return sum;
}

/* Shared by Q4_K and Q5_K: q holds the unpacked 256 quants. */
static float k_minmax_block(const uint8_t scales[12], const int8_t *q, const block_q8_K *x,
                            float d, float dmin) {
    int32_t qsum = 0, msum = 0;
    for (int g = 0; g < 8; g++) {
        uint8_t sc, m;
        k_scale_min(scales, g, &sc, &m);
        qsum += sc * isum(q + 32 * g, x->qs + 32 * g, 32);
        msum += m * (x->bsums[2 * g] + x->bsums[2 * g + 1]);
    }
    return x->d * (d * (float)qsum - dmin * (float)msum);
}

static float dot_q4_K(const void *w, const void *xq, int64_t n) {
    const block_q4_K *b = w;
    const block_q8_K *x = xq;
    int8_t q[QK_K];
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK_K; i++) {
        unpack_q4_K(&b[i], q);
        sum += k_minmax_block(b[i].scales, q, &x[i], lf_f16_to_f32(b[i].d), lf_f16_to_f32(b[i].dmin));
    }
    return sum;
}

static float dot_q5_K(const void *w, const void *xq, int64_t n) {
    const block_q5_K *b = w;
    const block_q8_K *x = xq;
    int8_t q[QK_K];
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK_K; i++) {
        unpack_q5_K(&b[i], q);
        sum += k_minmax_block(b[i].scales, q, &x[i], lf_f16_to_f32(b[i].d), lf_f16_to_f32(b[i].dmin));
    }
    return sum;
}

static float dot_q6_K(const void *w, const void *xq, int64_t n) {
    const block_q6_K *b = w;
    const block_q8_K *x = xq;
    int8_t q[QK_K];
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK_K; i++) {
        unpack_q6_K(&b[i], q);
        int32_t qsum = 0;
        for (int g = 0; g < 16; g++) qsum += b[i].scales[g] * isum(q + 16 * g, x[i].qs + 16 * g, 16);
        sum += x[i].d * lf_f16_to_f32(b[i].d) * (float)qsum;
    }
    return sum;
}

static float dot_f16(const void *w, const void *xq, int64_t n) {
    const uint16_t *a = w;
    const float *x = xq;
    float sum = 0.0f;
    for (int64_t i = 0; i < n; i++) sum += lf_f16_to_f32(a[i]) * x[i];
    return sum;
}

static float dot_bf16(const void *w, const void *xq, int64_t n) {
    const uint16_t *a = w;
    const float *x = xq;
    float sum = 0.0f;
    for (int64_t i = 0; i < n; i++) sum += lf_bf16_to_f32(a[i]) * x[i];
    return sum;
}

static float dot_f32(const float *a, const float *b, int64_t n) {
    float sum = 0.0f;
    for (int64_t i = 0; i < n; i++) sum += a[i] * b[i];
    return sum;
}

static float dot_f32_weights(const void *w, const void *xq, int64_t n) { return dot_f32(w, xq, n); }

static void axpy_f32(float *y, float a, const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}

void lf_kernels_fill_scalar_dot(lf_kernel_table *t) {
    t->dot[LF_TYPE_F32] = dot_f32_weights;
    t->dot[LF_TYPE_F16] = dot_f16;
    t->dot[LF_TYPE_BF16] = dot_bf16;
    t->dot[LF_TYPE_Q4_0] = dot_q4_0;
    t->dot[LF_TYPE_Q4_1] = dot_q4_1;
    t->dot[LF_TYPE_Q5_0] = dot_q5_0;
    t->dot[LF_TYPE_Q5_1] = dot_q5_1;
    t->dot[LF_TYPE_Q8_0] = dot_q8_0;
    t->dot[LF_TYPE_IQ4_NL] = dot_iq4_nl;
    t->dot[LF_TYPE_Q2_K] = dot_q2_K;
    t->dot[LF_TYPE_Q3_K] = dot_q3_K;
    t->dot[LF_TYPE_Q4_K] = dot_q4_K;
    t->dot[LF_TYPE_Q5_K] = dot_q5_K;
    t->dot[LF_TYPE_Q6_K] = dot_q6_K;
    t->dot_f32 = dot_f32;
    t->axpy_f32 = axpy_f32;
}
