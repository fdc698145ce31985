/* The avx512-bf16 set (avx512 + AVX512_BF16): BF16 weights' prompts by vdpbf16ps with the
 * activations rounded to bf16 (gemm_avx512_bf16.c), as llama.cpp computes them. The
 * precise entry keeps avx512's f32 FMA GEMM (no rounding of activations) for
 * --precise-activations; everything else is avx512's. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/micro_x86_internal.h"

LF_GEMM_ENTRY(gemm_bf16, gemm_float_run, avx512_gemm_bf16, vnni_micro[type])

void lf_kernels_fill_avx512_bf16(lf_kernel_table *t) { t->gemm[LF_TYPE_BF16] = gemm_bf16; }
#endif
