/* The avx2 set (AVX2 + FMA + F16C): the AVX2 one-row dots, decode micro-kernels and
 * blocked GEMMs (int8 for every quantized type, f32 FMA for the float types), batches
 * a blocked GEMM cannot take through the four-activation driver. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/gemm_few_internal.h"
#include "kernels/micro_x86_internal.h"

LF_X86_SET_ENTRIES(avx2_micro, avx2_gemm_int8, avx2_gemm_kquants, avx2_gemm_float)

void lf_kernels_fill_avx2(lf_kernel_table *t) {
    lf_kernels_fill_avx2_dot(t);
    lf_kernels_fill_avx2_act(t);
    lf_kernels_fill_avx2_float(t);
    lf_table_set_drivers(t, gemv, gemm_batch);
    t->attn = lf_attn_kernels_avx2();
    lf_x86_set_gemms(t, gemm_int8, gemm_kquants, gemm_float);
    /* continuous batching's steps: the repacked copy and the few-activation product */
    few_set_repacked(t, avx2_repacked_block_bytes, avx2_repack, avx2_gemm_few_repacked);
}
#endif
