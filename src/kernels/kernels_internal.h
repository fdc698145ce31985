/* The kernel table of a set: per weight type a reference-shaped one-row dot, a gemv
 * (decode) and a gemm (prompt); per activation type a quantizer; the float kernels.
 * Each set's fill function overrides what it implements in a copy of its parent's table
 * (dispatch.c), so a missing entry falls back. See README.md. */
#ifndef LF_KERNELS_INTERNAL_H
#define LF_KERNELS_INTERNAL_H

#include "kernels/attention_kernels.h"
#include "kernels/kernels.h"

/* Dot product of n weights (one row, type fixed by the table slot) with n activations
 * already converted to lf_act_type of that weight type: the reference-shaped product,
 * which drivers use for the rows and activations their micro-kernels leave over. */
typedef float (*lf_dot_fn)(const void *w, const void *xq, int64_t n);

/* One activation xq (and, if xr is non-NULL, its rounding residual of the same layout)
 * against weight rows [r0, r1), row_bytes apart: y[r] = dot(row r, xq) (+ dot(row r, xr))
 * -- decoding, lf_matmul_rows(_residual) with n_batch == 1. */
typedef void (*lf_gemv_fn)(lf_type type, const void *w, size_t row_bytes, int64_t n, int64_t r0, int64_t r1,
                           const void *xq, const void *xr, float *y);

/* A batch of n_batch activations xq_stride bytes apart (residuals at the same offsets
 * from xr, or xr NULL) against rows [r0, r1): y as in lf_matmul_rows(_residual). */
typedef void (*lf_gemm_fn)(lf_type type, const void *w, size_t row_bytes, int64_t n_cols, int64_t r0, int64_t r1,
                           const void *xq, const void *xr, size_t xq_stride, int n_batch, float *y, size_t y_stride);

/* Activation quantization of nb blocks of the activation type the table slot names
 * (Q8_0, Q8_1, Q8_K); every level's output is bit-identical to the scalar reference. */
typedef void (*lf_quantize_act_fn)(const float *x, void *y, int64_t nb);

/* Repacked weights (lf_repack_rows): rows [0, rows) into out; the product of
 * lf_matmul_repacked; the packed batch it reads (lf_repacked_acts_bytes,
 * lf_repacked_pack_row). */
typedef void (*lf_repack_fn)(lf_type type, const void *w, size_t row_bytes, int64_t rows, int64_t cols, void *out);
typedef bool (*lf_gemm_repacked_fn)(lf_type type, const void *wr, int64_t n_cols, int64_t r0, int64_t r1,
                                    const void *packed, int n_batch, bool resid, float *y, size_t y_stride);
typedef size_t (*lf_acts_bytes_fn)(int64_t n_cols, int n_batch, bool resid);
typedef void (*lf_pack_row_fn)(lf_type type, int64_t n_cols, int n_batch, bool resid, int b, const void *xq_row,
                               const void *xr_row, void *packed);

typedef struct lf_kernel_table {
    lf_dot_fn dot[LF_TYPE_COUNT];   /* indexed by weight type */
    lf_gemv_fn gemv[LF_TYPE_COUNT];
    lf_gemm_fn gemm[LF_TYPE_COUNT];
    /* The prompt product of lf_matmul_rows_residual: for float weights one that never
     * rounds the f32 activations (gemm may, e.g. to bf16 for vdpbf16ps); for the others
     * the same as gemm. */
    lf_gemm_fn gemm_precise[LF_TYPE_COUNT];
    /* Batches of fewer activations than this run through gemv, one activation at a time
     * over blocks of 64 rows (which the activations after the first find in cache): a
     * blocked GEMM unpacks its weight tiles and packs the activations whatever the
     * batch. SmolLM2 Q4_1 on AVX-512, tokens per CPU second of whole forward steps: 2
     * rows 86 as the GEMM, 160 row by row; 4 rows 155 / 220; 8 rows 300 / 260 (one row:
     * 105). A set with a kernel made for a few activations lowers it for its types. */
    int gemm_min_batch[LF_TYPE_COUNT];
    float (*dot_f32)(const float *a, const float *b, int64_t n);
    void (*axpy_f32)(float *y, float a, const float *x, int64_t n);
    lf_quantize_act_fn quantize_act[LF_TYPE_COUNT]; /* indexed by activation type */
    void (*rmsnorm_f32)(float *out, const float *x, const float *w, int64_t n, float eps);
    void (*add_rmsnorm_f32)(float *out, float *x, const float *add, const float *w, int64_t n, float eps);
    void (*swiglu_f32)(float *gate, const float *up, int64_t n);
    float (*softmax_f32)(float *x, int64_t n, float *running_max); /* lf_softmax_running_f32 */
    int64_t (*argmax_f32)(const float *x, int64_t n);             /* lf_argmax_f32 */
    const lf_attn_kernels *attn; /* attention tile kernels and KV row conversions */
    /* The repacked layout of a type: bytes per 16 rows x 32 columns (0: none), the
     * function making it and the product reading it. */
    size_t repacked_block_bytes[LF_TYPE_COUNT];
    lf_repack_fn repack[LF_TYPE_COUNT];
    lf_gemm_repacked_fn gemm_repacked[LF_TYPE_COUNT];
    lf_acts_bytes_fn repacked_acts_bytes;
    lf_pack_row_fn repacked_pack_row;
} lf_kernel_table;

/* Parts of the sets' fill functions (declared in dispatch.c): the scalar reference dots (dot_scalar.c), activation quantization
 * (quantize_act*.c, also AVX-512), the float kernels of norms, SwiGLU and softmax (float_ops*.c), the
 * AVX2 and AVX-512 one-row dots (dot_avx2_*.c, dot_avx512.c). */
void lf_kernels_fill_scalar_dot(lf_kernel_table *t);
void lf_kernels_fill_scalar_act(lf_kernel_table *t);
void lf_kernels_fill_scalar_float(lf_kernel_table *t);
void lf_kernels_fill_avx2_dot(lf_kernel_table *t);
void lf_kernels_fill_avx2_kquants(lf_kernel_table *t);
void lf_kernels_fill_avx2_act(lf_kernel_table *t);
void lf_kernels_fill_avx2_float(lf_kernel_table *t);
void lf_kernels_fill_avx512_dot(lf_kernel_table *t);
void lf_kernels_fill_avx512_act(lf_kernel_table *t);

/* The table of the current set (initialises on first use). */
const lf_kernel_table *lf_kernels_table(void);

#endif
