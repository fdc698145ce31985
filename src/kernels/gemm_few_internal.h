/* The batch of a few activations (continuous batching's decode steps) as the repacked
 * few-activation products read it (gemm_avx512_few.c, gemm_avx2_few.c), packed once per
 * step for every product that takes it (lf_repacked_acts_bytes, lf_repacked_pack_row):
 * groups of FEW_GROUP sources, FEW_GROUP activations or, in the activation + residual
 * product, FEW_GROUP / 2 and their residuals; each group's blocks in order, each block
 * the group's slots side by side, one cache line each. */
#ifndef LF_KERNELS_GEMM_FEW_INTERNAL_H
#define LF_KERNELS_GEMM_FEW_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/kernels_internal.h"

enum {
    FEW_GROUP = 8,
    /* the batches a packing serves: from two activations the products are at least as
     * fast as one gemv per activation, and 16 is the most whose sums stay in registers */
    FEW_MIN_BATCH = 2,
    FEW_MAX_BATCH = 16,
};

/* Block i of a source (an activation row or a residual), one cache line (so that threads
 * packing different rows share none), beside the other sources of its group (slot k of
 * block i at x[i * FEW_GROUP + k], so that one pointer reaches them all): q its 32 bytes,
 * d its scale, and for the weights' minimum (types with one) ds, the scale times the
 * bytes' sum, or for their zero point zs[z], the zero point times that sum, for each zero
 * point there is (ZERO_8: Q4_0, ZERO_16: Q5_0, ZERO_128: Q8_0 and IQ4_NL as unsigned
 * bytes), so that one packing serves every weight type of the activation type. A zero
 * point's term is taken off the integer sums: in float it would cancel most of them
 * (Q8_0's 128 * the sum). */
enum { ZERO_8, ZERO_16, ZERO_128, N_ZEROS };
typedef struct few_block {
    int8_t q[32];
    float d, ds;
    int32_t zs[N_ZEROS];
    int32_t unused[3];
} few_block;
_Static_assert(sizeof(few_block) == 64, "a cache line");

/* The types with a repacked layout (both sets' the same four): Q4_0, Q4_1 and IQ4_NL,
 * which store element j in the low nibble of byte j and element j + 16 in its high
 * nibble, so that transposed 4-byte runs split straight into elements (dword k's low
 * nibbles are elements 4k..4k+3, its high ones 16 + 4k...); and Q8_0, whose bytes are
 * the elements. An X-macro, for the sets' per-type dispatch. */
#define FEW_REPACKED_TYPES(X) X(LF_TYPE_Q4_0) X(LF_TYPE_Q4_1) X(LF_TYPE_IQ4_NL) X(LF_TYPE_Q8_0)
static inline bool few_repacked_type(lf_type type) {
    switch (type) {
#define FEW_LISTED(T) \
    case T: return true;
        FEW_REPACKED_TYPES(FEW_LISTED)
#undef FEW_LISTED
    default: return false;
    }
}
/* Where the quants of a stored block of a repacked type start, and its bytes of quants. */
static inline size_t few_stored_quants_at(lf_type type) { return type == LF_TYPE_Q4_1 ? 4 : 2; }
static inline int few_quant_bytes(lf_type type) { return type == LF_TYPE_Q8_0 ? 32 : 16; }

/* The zs entry of a type with a zero point. */
static inline int few_zero_index(lf_type type) {
    return type == LF_TYPE_Q4_0 ? ZERO_8 : type == LF_TYPE_Q5_0 ? ZERO_16 : ZERO_128;
}

/* Sources per group, groups of a batch of n_batch, and the activations of group g. */
static inline int few_per_group(bool resid) { return resid ? FEW_GROUP / 2 : FEW_GROUP; }
static inline int few_group_count(int n_batch, bool resid) {
    return (n_batch + few_per_group(resid) - 1) / few_per_group(resid);
}
static inline int few_group_outputs(int n_batch, bool resid, int g) {
    int first = g * few_per_group(resid);
    return n_batch - first < few_per_group(resid) ? n_batch - first : few_per_group(resid);
}

/* lf_repacked_acts_bytes and lf_repacked_pack_row of the sets with a few-activation
 * product (gemm_few_pack.c): a group's activations are slots 0 .. n_out, their residuals
 * slots n_out .. 2 n_out. */
size_t few_acts_bytes(int64_t n_cols, int n_batch, bool resid);
void few_pack_row(lf_type type, int64_t n_cols, int n_batch, bool resid, int b, const void *xq_row,
                  const void *xr_row, void *packed);
/* Sets a kernel table's repacked entries: the packed batch above, and for each type whose
 * block_bytes is not 0 that size, the repacking and the product. */
void few_set_repacked(lf_kernel_table *t, size_t (*block_bytes)(lf_type), lf_repack_fn repack,
                      lf_gemm_repacked_fn product);

#endif
