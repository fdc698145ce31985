/* Tensor element types (GGML numbering, as stored in GGUF) and the compute kernels the
 * runtime needs. Every kernel has a scalar reference; SIMD kernel sets (AVX2, AVX-512) are
 * chosen once at start-up by CPU detection (lf_kernels_init) and can be forced for tests.
 * Kernels know nothing about files or models. */
#ifndef LF_KERNELS_H
#define LF_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum lf_type {
    LF_TYPE_F32 = 0,
    LF_TYPE_F16 = 1,
    LF_TYPE_Q4_0 = 2,
    LF_TYPE_Q4_1 = 3,
    LF_TYPE_Q5_0 = 6,
    LF_TYPE_Q5_1 = 7,
    LF_TYPE_Q8_0 = 8,
    LF_TYPE_Q8_1 = 9,
    LF_TYPE_Q2_K = 10,
    LF_TYPE_Q3_K = 11,
    LF_TYPE_Q4_K = 12,
    LF_TYPE_Q5_K = 13,
    LF_TYPE_Q6_K = 14,
    LF_TYPE_Q8_K = 15,
    LF_TYPE_IQ4_NL = 20, /* Q4_0's layout, nibbles index a 16-value non-linear int8 table */
    LF_TYPE_BF16 = 30,
    LF_TYPE_COUNT = 40
} lf_type;

typedef struct lf_type_traits {
    const char *name;     /* "Q4_K" */
    int block_elems;      /* weights per block (1 for float types) */
    int block_bytes;      /* bytes per block */
    bool weight_type;     /* may appear as a model weight (false for Q8_1/Q8_K) */
} lf_type_traits;

/* NULL for an unknown type id. */
const lf_type_traits *lf_type_get(uint32_t type);
/* Bytes of a row of n elements; false if n is not a multiple of the block or overflows. */
bool lf_type_row_bytes(lf_type type, uint64_t n, uint64_t *bytes);

/* fp16 / bf16 scalar conversions (exact, round-to-nearest-even). */
float lf_f16_to_f32(uint16_t h);
uint16_t lf_f32_to_f16(float f);
float lf_bf16_to_f32(uint16_t h);
uint16_t lf_f32_to_bf16(float f);

/* Scalar reference dequantization of n elements (n a multiple of the block size); also
 * expands activations (Q8_1, Q8_K) back to floats. */
void lf_dequantize_row(lf_type type, const void *src, float *dst, int64_t n);

/* Reference quantization of n f32 values into the GGUF blocks of a weight type, byte for
 * byte what ggml's quantize_row_*_ref writes (no importance matrix). False, with out
 * untouched, for a type it cannot write, an n the type's blocks cannot hold, or a
 * non-finite value in x. Tiny blocks whose scale's reciprocal overflows float (largest
 * magnitude below about 4e-37) get deterministic codes where ggml's are undefined. */
bool lf_quantize_row(lf_type type, const float *x, int64_t n, void *out);
/* lf_quantize_row with an importance matrix: importance[j] (n values, >= 0) weighs
 * column j of the row, as the mean square of the activation it multiplies (what
 * llama-quantize computes from an imatrix file). Byte for byte ggml's
 * quantize_row_*_impl for Q4_0, Q4_1, Q5_0, Q5_1 and the K-quants; the other types
 * ignore it as ggml does, and a NULL importance is lf_quantize_row. The legacy types'
 * result depends on the whole row (its mean square), so x must be a full row. False
 * also for a non-finite importance. */
bool lf_quantize_row_weighted(lf_type type, const float *x, int64_t n, const float *importance, void *out);

/* Matrix-vector products: weights of type W are dotted with activations first converted
 * to lf_act_type(W) (Q8_0-style int8 blocks for legacy quants, Q8_K for K-quants, F32 for
 * float weights). */
lf_type lf_act_type(lf_type weight_type);
void lf_quantize_act(lf_type weight_type, const float *x, void *xq, int64_t n);
/* Bytes of n activations converted for weight_type. */
size_t lf_act_row_bytes(lf_type weight_type, int64_t n);

/* y[b*y_stride + r] = dot(row r of W, activation b) for r in [r0, r1), b in [0, n_batch).
 * W rows are w_row_bytes apart (rows 4-byte aligned for F32, 2-byte for every other type);
 * activations xq are xq_stride bytes apart (4-byte aligned). A kernel set may round float
 * weights' f32 activations where that is its fast path, as llama.cpp does: BF16 weights'
 * prompts (n_batch > 1) on the avx512-bf16 set (CPUs where vdpbf16ps outruns f32 FMAs)
 * multiply bf16-rounded activations. */
void lf_matmul_rows(lf_type type, const void *w, size_t w_row_bytes, int64_t n_cols,
                    int64_t r0, int64_t r1, const void *xq, size_t xq_stride, int n_batch,
                    float *y, size_t y_stride);

/* The precise product. y[b*y_stride + r] = dot(row r of W, xq_b) + dot(row r of W, xr_b):
 * an activation sent as its int8 quantization xq plus the int8 quantization xr of the
 * rounding residual (x - dequant(xq)), which matches float arithmetic far better than xq
 * alone. xr has the layout and stride of xq. Each weight block is read and unpacked once
 * for both, so this costs far less than two lf_matmul_rows calls. F32/F16/BF16 weights
 * take float activations, which have no residual: with xr NULL it is their product with
 * the f32 activations never rounded (f32 products and sums). */
void lf_matmul_rows_residual(lf_type type, const void *w, size_t w_row_bytes, int64_t n_cols, int64_t r0,
                             int64_t r1, const void *xq, const void *xr, size_t xq_stride, int n_batch, float *y,
                             size_t y_stride);

/* Weights repacked for batches of a few activations (continuous batching's decode
 * steps): sixteen rows interleaved block by block, so that one vector holds four bytes
 * of each and a broadcast activation meets all sixteen, without the per-call transpose
 * the row layout needs. A copy beside the weights (the other products read the row
 * layout). lf_repacked_bytes: its size, or 0 when the kernel set has no repacked product
 * for the type, or rows is not a multiple of 16 or cols of 32. */
size_t lf_repacked_bytes(lf_type type, int64_t rows, int64_t cols);
/* Rows [0, rows) of W (w_row_bytes apart) into out, lf_repacked_bytes(type, rows, cols)
 * bytes. */
void lf_repack_rows(lf_type type, const void *w, size_t w_row_bytes, int64_t rows, int64_t cols, void *out);
/* The batch of activations as the repacked product reads it, packed once for all the
 * products (and threads) that take it: lf_repacked_acts_bytes, its size for n_batch rows
 * of n_cols (resid: with their residuals), or 0 when the kernel set has no repacked
 * product or it does not serve that batch (it is for a few activations: 2-16);
 * lf_repacked_pack_row, row b (xq_row, converted for weights of the type, and with resid
 * its residual xr_row) into packed. One packing serves every weight type of the
 * activation type (lf_act_type). */
size_t lf_repacked_acts_bytes(int64_t n_cols, int n_batch, bool resid);
void lf_repacked_pack_row(lf_type type, int64_t n_cols, int n_batch, bool resid, int b, const void *xq_row,
                          const void *xr_row, void *packed);
/* lf_matmul_rows (resid false) or lf_matmul_rows_residual from repacked weights wr and
 * the packed batch, for r0 and r1 multiples of 16; false, having written nothing, for
 * rows off those groups or a batch it does not serve (lf_repacked_acts_bytes 0), where
 * lf_matmul_rows is the product to call. */
bool lf_matmul_repacked(lf_type type, const void *wr, int64_t n_cols, int64_t r0, int64_t r1, const void *packed,
                        int n_batch, bool resid, float *y, size_t y_stride);

/* Float helpers for attention and norms. */
float lf_dot_f32(const float *a, const float *b, int64_t n);
void lf_axpy_f32(float *y, float a, const float *x, int64_t n); /* y += a*x */
/* out[i] = x[i] * w[i] / sqrt(mean(x^2) + eps); the sum of squares is kept in double.
 * out may alias x. */
void lf_rmsnorm_f32(float *out, const float *x, const float *w, int64_t n, float eps);
/* x[i] += add[i], then lf_rmsnorm_f32(out, x, w, n, eps) (the residual stream and its
 * norm in one pass). out may alias x or add: every add[i] is read before out is written. */
void lf_add_rmsnorm_f32(float *out, float *x, const float *add, const float *w, int64_t n, float eps);
/* gate[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + exp(-g)). */
void lf_swiglu_f32(float *gate, const float *up, int64_t n);
/* x[i] = exp(x[i] - max(x)) in place; returns the sum (accumulated in double), which the
 * caller divides by. -inf inputs give 0; if every input is -inf all outputs and the sum
 * are 0. SIMD variants' exp is within a few ulp of the scalar libm expf. */
float lf_softmax_f32(float *x, int64_t n);
/* The step of an online softmax: m = the larger of *running_max and max(x), x[i] =
 * exp(x[i] - m), *running_max = m; returns the sum as lf_softmax_f32 does (which is this
 * with *running_max = -inf). Shifting by the running maximum at once, not by the
 * block's own, spares the caller a pass rescaling the block. */
float lf_softmax_running_f32(float *x, int64_t n, float *running_max);
/* The lowest index of the largest of x[0, n) above -inf (NaNs skipped: greedy sampling's
 * token), or -1 when there is none. */
int64_t lf_argmax_f32(const float *x, int64_t n);

/* CPU features, one bit each (a kernel set requires a mask of them). Detected once from
 * CPUID, with the OS's XSAVE state (XGETBV) confirming that the AVX / AVX-512 / AMX
 * registers are saved across context switches. */
enum {
    LF_ISA_AVX2 = 1u << 0,        /* with FMA and F16C */
    LF_ISA_AVX512 = 1u << 1,      /* F, BW, VL */
    LF_ISA_AVX512_VNNI = 1u << 2,
    LF_ISA_AVX_VNNI = 1u << 3,    /* the VEX-coded 256-bit VNNI */
    LF_ISA_AVX512_BF16 = 1u << 4,
    LF_ISA_AMX_INT8 = 1u << 5,    /* with AMX-TILE */
    LF_ISA_AMX_BF16 = 1u << 6,
    /* Not a CPUID bit: AVX512_BF16's vdpbf16ps measured (once, at init) to do at least the
     * f32 FMA's FLOPs per cycle. Intel's Sapphire/Emerald Rapids do half (bench/peak.c). */
    LF_ISA_BF16_FAST = 1u << 7,
    LF_ISA_COUNT = 8
};
uint32_t lf_isa_detected(void);
/* "avx2", "avx512-vnni", ... for one bit; NULL for an unknown bit. */
const char *lf_isa_name(uint32_t bit);

/* A kernel set (named; in the dispatch list of dispatch.c): each requires a mask of
 * features and extends a parent set, whose entries it inherits and overrides.
 * lf_simd_level is a set's index in that list; the names are those LLAMA_FAST_SIMD takes. */
typedef enum lf_simd_level {
    LF_SIMD_SCALAR = 0,
    LF_SIMD_AVX2 = 1,
    LF_SIMD_AVX512 = 2,
    LF_SIMD_AVX512_BF16 = 3
} lf_simd_level;
typedef struct lf_kernel_set_info {
    const char *name;
    uint32_t required; /* LF_ISA_* bits the CPU must have */
    int parent;        /* index of the set it extends; -1 for scalar */
} lf_kernel_set_info;
/* The dispatch list: *sets gets the array, the count is returned. */
int lf_kernel_sets(const lf_kernel_set_info **sets);
/* Detects the CPU once; idempotent and thread-safe. */
void lf_kernels_init(void);
/* Whether this CPU has every feature the set requires. */
bool lf_kernels_supported(lf_simd_level level);
/* The best set this CPU runs (the last supported one in the list). */
lf_simd_level lf_kernels_detected_level(void);
lf_simd_level lf_kernels_level(void);
/* Forces a set for tests and benchmarks; one the CPU lacks is refused in favour of its
 * nearest supported ancestor. */
void lf_kernels_set_level(lf_simd_level level);
/* "unknown" for an index outside the list. */
const char *lf_simd_level_name(lf_simd_level level);
/* The set named name ("scalar", "avx2", ...), or -1. */
int lf_simd_level_by_name(const char *name);

#endif
