/* The avx512 set (AVX-512 F/BW/VL + VNNI, on top of avx2): 512-bit one-row dots for the
 * hottest types, the decode micro-kernels rebuilt with VNNI, and VNNI int8 GEMMs for
 * every quantized type (16-wide f32 GEMMs for the float types). */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/gemm_few_internal.h"
#include "kernels/micro_x86_internal.h"

LF_X86_SET_ENTRIES(vnni_micro, avx512_gemm_int8, avx512_gemm_kquants, avx512_gemm_float)

/* Batches of a few activations (continuous batching's decode steps) through the
 * eight-lane kernel, larger ones through the blocked GEMM. */
static void few_then_gemm(lf_type type, const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq,
                          const void *xr, size_t stride, int n_batch, float *y, size_t y_stride) {
    if (!avx512_gemm_few(type, w, rb, n, r0, r1, xq, xr, stride, n_batch, y, y_stride))
        (type == LF_TYPE_Q4_K ? gemm_kquants : gemm_int8)(type, w, rb, n, r0, r1, xq, xr, stride, n_batch, y,
                                                          y_stride);
}

void lf_kernels_fill_avx512(lf_kernel_table *t) {
    lf_kernels_fill_avx512_dot(t);
    lf_kernels_fill_avx512_act(t);
    lf_table_set_drivers(t, gemv, gemm_batch);
    t->attn = lf_attn_kernels_avx512();
    lf_x86_set_gemms(t, gemm_int8, gemm_kquants, gemm_float);
    /* Q4_K's larger batches as well take the K-quant GEMM: its tiles unpack a super-block
     * at a time (AVX2 keeps the int8 one, whose 16-bit products suit its 32-weight groups
     * better) */
    for (int k = 0; k < LF_TYPE_COUNT; k++)
        if (avx512_few_takes((lf_type)k)) {
            t->gemm[k] = t->gemm_precise[k] = few_then_gemm;
            t->gemm_min_batch[k] = FEW_MIN_BATCH;
        }
    few_set_repacked(t, avx512_repacked_block_bytes, avx512_repack, avx512_gemm_few_repacked);
}
#endif
