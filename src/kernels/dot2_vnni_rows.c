/* The fused activation + residual decode kernels of dot2_avx2_rows.c compiled again for
 * AVX-512 VL + VNNI, as dot_vnni_rows.c does for the plain ones. */
#define LF_VNNI 1
#define LF_AVX2 __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")))
#define LF_ROWS(name) vnni_##name
#include "kernels/dot2_avx2_rows.c"
