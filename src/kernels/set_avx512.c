/* The avx512 set (AVX-512 F/BW/VL + VNNI, on top of avx2): 512-bit one-row dots for the
 * hottest types, the decode micro-kernels rebuilt with VNNI, and VNNI int8 GEMMs for the
 * legacy quants and Q4_K (16-wide f32 GEMMs for the float types). */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/micro_x86_internal.h"

LF_X86_SET_ENTRIES(vnni_micro, avx512_gemm_int8, avx512_gemm_kquants, avx512_gemm_float)

void lf_kernels_fill_avx512(lf_kernel_table *t) {
    lf_kernels_fill_avx512_dot(t);
    lf_table_set_drivers(t, gemv, gemm_batch);
    t->attn = lf_attn_kernels_avx512();
    t->gemm[LF_TYPE_Q4_0] = t->gemm[LF_TYPE_Q4_1] = t->gemm[LF_TYPE_Q5_0] = gemm_int8;
    t->gemm[LF_TYPE_Q5_1] = t->gemm[LF_TYPE_Q8_0] = t->gemm[LF_TYPE_Q4_K] = gemm_int8;
    t->gemm[LF_TYPE_Q2_K] = t->gemm[LF_TYPE_Q3_K] = t->gemm[LF_TYPE_Q5_K] = t->gemm[LF_TYPE_Q6_K] = gemm_kquants;
    t->gemm[LF_TYPE_F16] = t->gemm[LF_TYPE_BF16] = t->gemm[LF_TYPE_F32] = gemm_float;
}
#endif
