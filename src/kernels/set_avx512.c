/* The avx512 set (AVX-512 F/BW/VL + VNNI, on top of avx2): 512-bit one-row dots for the
 * hottest types, the decode micro-kernels rebuilt with VNNI, and VNNI int8 GEMMs for
 * every quantized type (16-wide f32 GEMMs for the float types). */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/micro_x86_internal.h"

LF_X86_SET_ENTRIES(vnni_micro, avx512_gemm_int8, avx512_gemm_kquants, avx512_gemm_float)

void lf_kernels_fill_avx512(lf_kernel_table *t) {
    lf_kernels_fill_avx512_dot(t);
    lf_table_set_drivers(t, gemv, gemm_batch);
    t->attn = lf_attn_kernels_avx512();
    lf_x86_set_gemms(t, gemm_int8, gemm_kquants, gemm_float);
    /* Q4_K as well: its tiles unpack a super-block at a time (AVX2 keeps the int8 one,
     * whose 16-bit products suit its 32-weight groups better) */
    t->gemm[LF_TYPE_Q4_K] = gemm_kquants;
}
#endif
