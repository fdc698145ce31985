/* The avx512 set (AVX-512 F/BW/VL + VNNI, on top of avx2): 512-bit one-row dots for the
 * hottest types, the decode micro-kernels rebuilt with VNNI, and VNNI int8 GEMMs for the
 * legacy quants and Q4_K (16-wide f32 GEMMs for the float types). */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/micro_x86_internal.h"

LF_GEMV_ENTRY(gemv, vnni_micro[type])
LF_BATCH_ENTRY(gemm_batch, vnni_micro[type])
LF_GEMM_ENTRY(gemm_int8, gemm_int8_run, avx512_gemm_int8, vnni_micro[type])
LF_GEMM_ENTRY(gemm_float, gemm_float_run, avx512_gemm_float, vnni_micro[type])

void lf_kernels_fill_avx512(lf_kernel_table *t) {
    static const lf_type int8_types[] = {LF_TYPE_Q4_0, LF_TYPE_Q4_1, LF_TYPE_Q5_0,
                                         LF_TYPE_Q5_1, LF_TYPE_Q8_0, LF_TYPE_Q4_K};
    lf_kernels_fill_avx512_dot(t);
    for (int i = 0; i < LF_TYPE_COUNT; i++) {
        t->gemv[i] = gemv;
        t->gemm[i] = gemm_batch;
    }
    for (size_t i = 0; i < sizeof int8_types / sizeof int8_types[0]; i++) t->gemm[int8_types[i]] = gemm_int8;
    t->gemm[LF_TYPE_F16] = t->gemm[LF_TYPE_BF16] = t->gemm[LF_TYPE_F32] = gemm_float;
}
#endif
