/* Per-SIMD-level kernel tables. Each level's file fills in the entries it implements;
 * dispatch.c starts every level from the level below, so a missing entry falls back. */
#ifndef LF_KERNELS_INTERNAL_H
#define LF_KERNELS_INTERNAL_H

#include "kernels/kernels.h"

/* Dot product of n weights (one row, type fixed by the table slot) with n activations
 * already converted to lf_act_type of that weight type. */
typedef float (*lf_dot_fn)(const void *w, const void *xq, int64_t n);

/* One weight row against four activations (xq_stride bytes apart): the row is unpacked
 * once per block and reused, which is what makes batched prompt processing cheap. */
typedef void (*lf_dot_x4_fn)(const void *w, const void *xq, size_t xq_stride, int64_t n, float out[4]);

/* One weight row against an activation xq and its rounding residual xr (same layout):
 * dot(w, xq) + dot(w, xr), with each weight block unpacked once for both. Quantized
 * weight types only (float weights take float activations, which have no residual). */
typedef float (*lf_dot2_fn)(const void *w, const void *xq, const void *xr, int64_t n);

/* The same for four activations (and their four residuals, at the same offsets from xr
 * as the activations from xq), xq_stride bytes apart. */
typedef void (*lf_dot2_x4_fn)(const void *w, const void *xq, const void *xr, size_t xq_stride, int64_t n,
                              float out[4]);

/* Decode (batch 1): LF_ROW_GROUP weight rows, row_bytes apart, against one activation
 * (and its residual): the activation block is loaded once for all rows and the rows'
 * accumulators form independent chains. out[r] is row r's product. */
enum { LF_ROW_GROUP = 4 };
typedef void (*lf_dot_rows_fn)(const void *w, size_t row_bytes, const void *xq, int64_t n, float out[LF_ROW_GROUP]);
typedef void (*lf_dot2_rows_fn)(const void *w, size_t row_bytes, const void *xq, const void *xr, int64_t n,
                                float out[LF_ROW_GROUP]);

/* Decode over a whole row range [r0, r1) with activation xq (and residual xr), for kernels
 * that first expand the activations once per call into the form every row group reuses
 * (pre-arranged quant vectors, converted scales, offset terms). Returns false (having
 * written nothing) when it cannot run, e.g. without memory for the expansion; the caller
 * then takes the row-group path. */
typedef bool (*lf_decode_fn)(const void *w, size_t row_bytes, int64_t n, int64_t r0, int64_t r1, const void *xq,
                             float *y);
typedef bool (*lf_decode2_fn)(const void *w, size_t row_bytes, int64_t n, int64_t r0, int64_t r1, const void *xq,
                              const void *xr, float *y);

/* Batched products (prompts) over rows [r0, r1) as a cache-blocked GEMM: y as in
 * lf_matmul_rows, or with xr non-NULL as in lf_matmul_rows_residual. Returns false
 * (having written nothing) when it cannot run, e.g. without memory for its packed
 * operands; the caller then takes the per-row kernels. */
typedef bool (*lf_gemm_fn)(const void *w, size_t row_bytes, int64_t n_cols, int64_t r0, int64_t r1, const void *xq,
                           const void *xr, size_t xq_stride, int n_batch, float *y, size_t y_stride);

/* The lf_gemm_fn `name` of one weight type: a blocking driver (gemm_int8_run,
 * gemm_float_run) over a SIMD level's kernels. */
#define LF_GEMM_ENTRY(name, driver, TYPE, kernels)                                                          \
    static bool name(const void *w, size_t row_bytes, int64_t n_cols, int64_t r0, int64_t r1, const void *xq, \
                     const void *xr, size_t stride, int n_batch, float *y, size_t y_stride) {               \
        return driver(&kernels, TYPE, w, row_bytes, n_cols, r0, r1, xq, xr, stride, n_batch, y, y_stride);  \
    }

/* Activation quantization of nb blocks of the activation type the table slot names
 * (Q8_0, Q8_1, Q8_K); every level's output is bit-identical to the scalar reference. */
typedef void (*lf_quantize_act_fn)(const float *x, void *y, int64_t nb);

typedef struct lf_kernel_table {
    lf_dot_fn dot[LF_TYPE_COUNT];       /* indexed by weight type */
    lf_dot_x4_fn dot_x4[LF_TYPE_COUNT]; /* optional: NULL means four calls of dot */
    lf_dot2_fn dot2[LF_TYPE_COUNT];     /* quantized types; NULL (float types) means dot + dot */
    lf_dot2_x4_fn dot2_x4[LF_TYPE_COUNT]; /* optional: NULL means four calls of dot2 */
    lf_dot_rows_fn dot_rows[LF_TYPE_COUNT];   /* optional: NULL means one dot per row */
    lf_dot2_rows_fn dot2_rows[LF_TYPE_COUNT]; /* optional: NULL means one dot2 (or dot + dot) per row */
    lf_decode_fn decode[LF_TYPE_COUNT];       /* optional, tried before dot_rows */
    lf_decode2_fn decode2[LF_TYPE_COUNT];     /* optional, tried before dot2_rows */
    lf_gemm_fn gemm[LF_TYPE_COUNT];           /* optional, tried first for batches */
    float (*dot_f32)(const float *a, const float *b, int64_t n);
    void (*axpy_f32)(float *y, float a, const float *x, int64_t n);
    lf_quantize_act_fn quantize_act[LF_TYPE_COUNT]; /* indexed by activation type */
    void (*rmsnorm_f32)(float *out, const float *x, const float *w, int64_t n, float eps);
    void (*swiglu_f32)(float *gate, const float *up, int64_t n);
    float (*softmax_f32)(float *x, int64_t n);
} lf_kernel_table;

void lf_kernels_fill_scalar(lf_kernel_table *t);
void lf_kernels_fill_avx2(lf_kernel_table *t);
void lf_kernels_fill_avx512(lf_kernel_table *t);
/* Fused activation + residual kernels (dot2, dot2_x4), AVX2: legacy types in
 * dot2_avx2_legacy.c (which also fills the K-quants from dot2_avx2_kquants.c). */
void lf_kernels_fill_avx2_dot2(lf_kernel_table *t);
void lf_kernels_fill_avx2_dot2_kquants(lf_kernel_table *t);
/* Row-group (decode) kernels dot_rows (dot_avx2_rows.c) and dot2_rows (dot2_avx2_rows.c). */
void lf_kernels_fill_avx2_rows(lf_kernel_table *t);
void lf_kernels_fill_avx2_dot2_rows(lf_kernel_table *t);
/* Prompt GEMMs: legacy quants and Q4_K in gemm_avx2_legacy.c, which also fills the
 * float types from gemm_avx2_float.c. */
void lf_kernels_fill_avx2_gemm(lf_kernel_table *t);
/* AVX-512 prompt GEMMs: Q4_0/Q4_1/Q5_0/Q5_1/Q8_0/Q4_K with VNNI (gemm_avx512_legacy.c),
 * which also fills the float types from gemm_avx512_float.c. */
void lf_kernels_fill_avx512_gemm(lf_kernel_table *t);
void lf_kernels_fill_avx512_gemm_float(lf_kernel_table *t);
/* Q2_K/Q3_K/Q5_K/Q6_K prompt GEMMs (gemm_avx2_kquants.c, gemm_avx512_kquants.c), filled
 * by the level's lf_kernels_fill_*_gemm. */
void lf_kernels_fill_avx2_gemm_kquants(lf_kernel_table *t);
void lf_kernels_fill_avx512_gemm_kquants(lf_kernel_table *t);
/* The AVX2 decode kernels recompiled with VNNI byte products (dot_vnni_rows.c,
 * dot2_vnni_rows.c). */
void lf_kernels_fill_vnni_rows(lf_kernel_table *t);
void lf_kernels_fill_vnni_dot2_rows(lf_kernel_table *t);
/* Activation quantization (quantize_act.c, quantize_act_avx2.c) and the float kernels
 * of norms, SwiGLU and softmax (float_ops.c, float_ops_avx2.c). */
void lf_kernels_fill_scalar_act(lf_kernel_table *t);
void lf_kernels_fill_avx2_act(lf_kernel_table *t);
void lf_kernels_fill_scalar_float(lf_kernel_table *t);
void lf_kernels_fill_avx2_float(lf_kernel_table *t);

/* The table of the current level (initialises on first use). */
const lf_kernel_table *lf_kernels_table(void);

#endif
