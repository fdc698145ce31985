/* The x86 micro-kernels that the sets' wiring files (set_avx2.c, set_avx512.c) bind into
 * gemv and gemm entries: defined in the per-ISA kernel files, named <isa>_<kernel>_<type>. */
#ifndef LF_KERNELS_MICRO_X86_INTERNAL_H
#define LF_KERNELS_MICRO_X86_INTERNAL_H

#include "kernels/drivers_internal.h"
#include "kernels/gemm_float_internal.h"
#include "kernels/gemm_int8_internal.h"

/* One row against activation + residual (dot2_avx2_legacy.c, dot2_avx2_kquants.c). */
float avx2_dot2_q4_0(const void *w, const void *xq, const void *xr, int64_t n);
float avx2_dot2_q4_1(const void *w, const void *xq, const void *xr, int64_t n);
float avx2_dot2_q5_0(const void *w, const void *xq, const void *xr, int64_t n);
float avx2_dot2_q5_1(const void *w, const void *xq, const void *xr, int64_t n);
float avx2_dot2_q8_0(const void *w, const void *xq, const void *xr, int64_t n);
float avx2_dot2_iq4_nl(const void *w, const void *xq, const void *xr, int64_t n);
float avx2_dot2_q2_K(const void *w, const void *xq, const void *xr, int64_t n);
float avx2_dot2_q3_K(const void *w, const void *xq, const void *xr, int64_t n);
float avx2_dot2_q4_K(const void *w, const void *xq, const void *xr, int64_t n);
float avx2_dot2_q5_K(const void *w, const void *xq, const void *xr, int64_t n);
float avx2_dot2_q6_K(const void *w, const void *xq, const void *xr, int64_t n);

/* One row against four activations (dot_avx2_x4.c), or four with residuals
 * (dot2_avx2_legacy.c). */
void avx2_dot_x4_q4_1(const void *w, const void *xq, size_t stride, int64_t n, float out[4]);
void avx2_dot2_x4_q4_1(const void *w, const void *xq, const void *xr, size_t stride, int64_t n, float out[4]);
void avx2_dot2_x4_q5_0(const void *w, const void *xq, const void *xr, size_t stride, int64_t n, float out[4]);
void avx2_dot2_x4_q5_1(const void *w, const void *xq, const void *xr, size_t stride, int64_t n, float out[4]);

/* Decode kernels (dot_avx2_rows.c, dot2_avx2_rows.c), compiled once for AVX2 (prefix
 * avx2_) and once with VNNI byte products (vnni_: dot_vnni_rows.c, dot2_vnni_rows.c). */
#ifndef LF_ROWS
#define LF_ROWS(name) avx2_##name
#endif
#define LF_ROWS_DECLARE(P)                                                                                        \
    bool P##decode_q4_0(const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq, float *y);  \
    bool P##decode_q4_1(const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq, float *y);  \
    bool P##decode_q5_0(const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq, float *y);  \
    bool P##decode_q5_1(const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq, float *y);  \
    bool P##decode_iq4_nl(const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq, float *y); \
    bool P##decode_q4_K(const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq, float *y);  \
    bool P##decode_q5_K(const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq, float *y);  \
    void P##rows_q8_0(const void *w, size_t rb, const void *xq, int64_t n, float out[4]);                        \
    void P##rows_q2_K(const void *w, size_t rb, const void *xq, int64_t n, float out[4]);                        \
    void P##rows_q3_K(const void *w, size_t rb, const void *xq, int64_t n, float out[4]);                        \
    void P##rows_q6_K(const void *w, size_t rb, const void *xq, int64_t n, float out[4]);                        \
    void P##rows_f16(const void *w, size_t rb, const void *xq, int64_t n, float out[4]);                         \
    void P##rows_bf16(const void *w, size_t rb, const void *xq, int64_t n, float out[4]);                        \
    bool P##decode2_q4_0(const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq,           \
                         const void *xr, float *y);                                                              \
    bool P##decode2_q4_1(const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq,           \
                         const void *xr, float *y);                                                              \
    bool P##decode2_q5_0(const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq,           \
                         const void *xr, float *y);                                                              \
    bool P##decode2_q5_1(const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq,           \
                         const void *xr, float *y);                                                              \
    bool P##decode2_iq4_nl(const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq,         \
                           const void *xr, float *y);                                                            \
    bool P##decode2_q4_K(const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq,           \
                         const void *xr, float *y);                                                              \
    bool P##decode2_q5_K(const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq,           \
                         const void *xr, float *y);                                                              \
    void P##rows2_q8_0(const void *w, size_t rb, const void *xq, const void *xr, int64_t n, float out[4]);      \
    void P##rows2_q2_K(const void *w, size_t rb, const void *xq, const void *xr, int64_t n, float out[4]);      \
    void P##rows2_q3_K(const void *w, size_t rb, const void *xq, const void *xr, int64_t n, float out[4]);      \
    void P##rows2_q6_K(const void *w, size_t rb, const void *xq, const void *xr, int64_t n, float out[4]);
LF_ROWS_DECLARE(avx2_)
LF_ROWS_DECLARE(vnni_)
#undef LF_ROWS_DECLARE

/* Per weight type, the micro-kernels of the AVX2 decode kernels (P = avx2_) or of their
 * VNNI build (P = vnni_), with the AVX2 one-row and four-activation kernels. */
#define LF_X86_MICRO(P)                                                                                        \
    {                                                                                                          \
        [LF_TYPE_F16] = {.rows = P##rows_f16},                                                                 \
        [LF_TYPE_BF16] = {.rows = P##rows_bf16},                                                               \
        [LF_TYPE_Q4_0] = {.dot2 = avx2_dot2_q4_0, .decode = P##decode_q4_0, .decode2 = P##decode2_q4_0},       \
        [LF_TYPE_Q4_1] = {.dot2 = avx2_dot2_q4_1, .decode = P##decode_q4_1, .decode2 = P##decode2_q4_1,        \
                          .x4 = avx2_dot_x4_q4_1, .x4_2 = avx2_dot2_x4_q4_1},                                  \
        [LF_TYPE_Q5_0] = {.dot2 = avx2_dot2_q5_0, .decode = P##decode_q5_0, .decode2 = P##decode2_q5_0,        \
                          .x4_2 = avx2_dot2_x4_q5_0},                                                          \
        [LF_TYPE_Q5_1] = {.dot2 = avx2_dot2_q5_1, .decode = P##decode_q5_1, .decode2 = P##decode2_q5_1,        \
                          .x4_2 = avx2_dot2_x4_q5_1},                                                          \
        [LF_TYPE_Q8_0] = {.dot2 = avx2_dot2_q8_0, .rows = P##rows_q8_0, .rows2 = P##rows2_q8_0},               \
        [LF_TYPE_IQ4_NL] = {.dot2 = avx2_dot2_iq4_nl, .decode = P##decode_iq4_nl,                              \
                            .decode2 = P##decode2_iq4_nl},                                                     \
        [LF_TYPE_Q2_K] = {.dot2 = avx2_dot2_q2_K, .rows = P##rows_q2_K, .rows2 = P##rows2_q2_K},               \
        [LF_TYPE_Q3_K] = {.dot2 = avx2_dot2_q3_K, .rows = P##rows_q3_K, .rows2 = P##rows2_q3_K},               \
        [LF_TYPE_Q4_K] = {.dot2 = avx2_dot2_q4_K, .decode = P##decode_q4_K, .decode2 = P##decode2_q4_K},       \
        [LF_TYPE_Q5_K] = {.dot2 = avx2_dot2_q5_K, .decode = P##decode_q5_K, .decode2 = P##decode2_q5_K},       \
        [LF_TYPE_Q6_K] = {.dot2 = avx2_dot2_q6_K, .rows = P##rows_q6_K, .rows2 = P##rows2_q6_K},               \
    }
extern const lf_micro_kernels avx2_micro[LF_TYPE_COUNT], vnni_micro[LF_TYPE_COUNT];

/* The blocked prompt GEMMs' tile kernels (gemm_avx2_*.c, gemm_avx512_*.c). */
extern const gemm_int8_kernels avx2_gemm_int8, avx512_gemm_int8;
/* Up to FEW_MAX_BATCH activations (gemm_few_internal.h) against the 32-weight-block
 * types and Q4_K (gemm_avx512_few.c); false, having written nothing, for other types or
 * batches. From FEW_MIN_BATCH (two) activations it is at least as fast as one gemv per
 * activation (tokens/s of `bench -np 2 --no-repack`, 2 threads: SmolLM2 Q4_1 487 here,
 * 500 row by row; the 1B Q4_0 62 / 51), and repacked weights 735 on SmolLM2. */
bool avx512_gemm_few(lf_type type, const void *w, size_t row_bytes, int64_t n_cols, int64_t r0, int64_t r1,
                     const void *xq, const void *xr, size_t stride, int n_batch, float *y, size_t y_stride);
/* The types avx512_gemm_few takes. */
bool avx512_few_takes(lf_type type);
/* The repacked layout (lf_repack_rows) of the types that have one (Q4_0, Q4_1, IQ4_NL, Q8_0;
 * 0 bytes for the others), and avx512_gemm_few from it. */
size_t avx512_repacked_block_bytes(lf_type type);
void avx512_repack(lf_type type, const void *w, size_t row_bytes, int64_t rows, int64_t cols, void *out);
bool avx512_gemm_few_repacked(lf_type type, const void *wr, int64_t n_cols, int64_t r0, int64_t r1, const void *packed,
                              int n_batch, bool resid, float *y, size_t y_stride);
/* The avx2 set's repacked layout of Q4_0, Q4_1, IQ4_NL and Q8_0 and the few-activation
 * product from it (gemm_avx2_few.c), as above without VNNI. */
size_t avx2_repacked_block_bytes(lf_type type);
void avx2_repack(lf_type type, const void *w, size_t row_bytes, int64_t rows, int64_t cols, void *out);
bool avx2_gemm_few_repacked(lf_type type, const void *wr, int64_t n_cols, int64_t r0, int64_t r1, const void *packed,
                            int n_batch, bool resid, float *y, size_t y_stride);
/* Q2_K, Q3_K, Q5_K, Q6_K: their own lane layout (Q8_K group sums) and tiles. */
extern const gemm_int8_kernels avx2_gemm_kquants, avx512_gemm_kquants;
extern const gemm_float_kernels avx2_gemm_float, avx512_gemm_float;
/* BF16 weights by vdpbf16ps, activations rounded to bf16 (the avx512-bf16 set). */
extern const gemm_float_kernels avx512_gemm_bf16;

/* An x86 set's entries: gemv and gemm_batch over the micro-kernel list MICRO (indexed by
 * type), gemm_int8, gemm_kquants and gemm_float over its blocked GEMMs, falling back to
 * MICRO. */
#define LF_X86_SET_ENTRIES(MICRO, INT8, KQUANTS, FLOAT)                  \
    LF_GEMV_ENTRY(gemv, MICRO[type])                                     \
    LF_BATCH_ENTRY(gemm_batch, MICRO[type])                              \
    LF_GEMM_ENTRY(gemm_int8, gemm_int8_run, INT8, MICRO[type])           \
    LF_GEMM_ENTRY(gemm_kquants, gemm_int8_run, KQUANTS, MICRO[type])     \
    LF_GEMM_ENTRY(gemm_float, gemm_float_run, FLOAT, MICRO[type])

/* Which blocked GEMM takes each weight type's prompts in the x86 sets: every quantized
 * type an int8 one (its own lanes for the 16-weight-group K-quants), the float types
 * the f32 FMA one, which is also their precise entry (activations never rounded). */
static inline void lf_x86_set_gemms(lf_kernel_table *t, lf_gemm_fn int8, lf_gemm_fn kquants, lf_gemm_fn f32) {
    t->gemm[LF_TYPE_Q4_0] = t->gemm[LF_TYPE_Q4_1] = t->gemm[LF_TYPE_Q5_0] = int8;
    t->gemm[LF_TYPE_Q5_1] = t->gemm[LF_TYPE_Q8_0] = t->gemm[LF_TYPE_Q4_K] = t->gemm[LF_TYPE_IQ4_NL] = int8;
    t->gemm[LF_TYPE_Q2_K] = t->gemm[LF_TYPE_Q3_K] = t->gemm[LF_TYPE_Q5_K] = t->gemm[LF_TYPE_Q6_K] = kquants;
    t->gemm[LF_TYPE_F16] = t->gemm[LF_TYPE_BF16] = t->gemm[LF_TYPE_F32] = f32;
    for (int i = 0; i < LF_TYPE_COUNT; i++) t->gemm_precise[i] = t->gemm[i];
}

#endif
