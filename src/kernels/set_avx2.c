/* The avx2 set (AVX2 + FMA + F16C): the AVX2 one-row dots, decode micro-kernels and
 * blocked GEMMs (int8 for Q4_0, Q8_0, Q4_K; f32 FMA for the float types), other batches
 * through the four-activation driver. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/micro_x86_internal.h"

LF_X86_SET_ENTRIES(avx2_micro, avx2_gemm_int8, avx2_gemm_kquants, avx2_gemm_float)

void lf_kernels_fill_avx2(lf_kernel_table *t) {
    lf_kernels_fill_avx2_dot(t);
    lf_kernels_fill_avx2_act(t);
    lf_kernels_fill_avx2_float(t);
    lf_table_set_drivers(t, gemv, gemm_batch);
    t->attn = lf_attn_kernels_avx2();
    t->gemm[LF_TYPE_Q4_0] = t->gemm[LF_TYPE_Q4_1] = t->gemm[LF_TYPE_Q5_0] = gemm_int8;
    t->gemm[LF_TYPE_Q5_1] = t->gemm[LF_TYPE_Q8_0] = t->gemm[LF_TYPE_Q4_K] = gemm_int8;
    t->gemm[LF_TYPE_Q2_K] = t->gemm[LF_TYPE_Q3_K] = t->gemm[LF_TYPE_Q5_K] = t->gemm[LF_TYPE_Q6_K] = gemm_kquants;
    t->gemm[LF_TYPE_F16] = t->gemm[LF_TYPE_BF16] = t->gemm[LF_TYPE_F32] = gemm_float;
}
#endif
