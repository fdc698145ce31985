/* The avx512 set (AVX-512 F/BW/VL + VNNI, on top of avx2): 512-bit one-row dots for the
 * hottest types, the decode micro-kernels rebuilt with VNNI, and VNNI int8 GEMMs for
 * every quantized type (16-wide f32 GEMMs for the float types). */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/micro_x86_internal.h"

LF_X86_SET_ENTRIES(vnni_micro, avx512_gemm_int8, avx512_gemm_kquants, avx512_gemm_float)

/* Batches of a few activations (continuous batching's decode steps) through the
 * eight-lane kernel, larger ones through the blocked GEMM. */
#define FEW_THEN(name, gemm)                                                                                     \
    static void name(lf_type type, const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq, \
                     const void *xr, size_t stride, int n_batch, float *y, size_t y_stride) {                   \
        if (!avx512_gemm_few(type, w, rb, n, r0, r1, xq, xr, stride, n_batch, y, y_stride))                    \
            gemm(type, w, rb, n, r0, r1, xq, xr, stride, n_batch, y, y_stride);                                 \
    }
FEW_THEN(few_then_int8, gemm_int8)
FEW_THEN(few_then_kquants, gemm_kquants)

void lf_kernels_fill_avx512(lf_kernel_table *t) {
    lf_kernels_fill_avx512_dot(t);
    lf_table_set_drivers(t, gemv, gemm_batch);
    t->attn = lf_attn_kernels_avx512();
    lf_x86_set_gemms(t, gemm_int8, gemm_kquants, gemm_float);
    /* Q4_K as well: its tiles unpack a super-block at a time (AVX2 keeps the int8 one,
     * whose 16-bit products suit its 32-weight groups better) */
    t->gemm[LF_TYPE_Q4_K] = gemm_kquants;
    const lf_type few[] = {LF_TYPE_Q4_0, LF_TYPE_Q4_1, LF_TYPE_Q5_0, LF_TYPE_Q5_1, LF_TYPE_Q8_0, LF_TYPE_IQ4_NL};
    for (size_t i = 0; i < sizeof few / sizeof few[0]; i++) {
        t->gemm[few[i]] = t->gemm_precise[few[i]] = few_then_int8;
        t->gemm_min_batch[few[i]] = AVX512_FEW_MIN_BATCH;
    }
    t->gemm[LF_TYPE_Q4_K] = t->gemm_precise[LF_TYPE_Q4_K] = few_then_kquants;
    t->gemm_min_batch[LF_TYPE_Q4_K] = AVX512_FEW_MIN_BATCH;
}
#endif
