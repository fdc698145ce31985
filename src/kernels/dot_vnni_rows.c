/* The decode kernels of dot_avx2_rows.c compiled again for CPUs with AVX-512 VL + VNNI:
 * the same code, with every unsigned x signed byte product (dot_u8_i8, dot_pair) one
 * 256-bit vpdpbusd instead of vpmaddubsw + vpmaddwd. The integer sums are identical
 * (the AVX2 16-bit pair sums never saturate), so results match the AVX2 set exactly.
 * Q2_K and Q3_K go further (k16_sums): 512-bit steps over a plane of both qs halves;
 * Q4_K and Q5_K (k45_sums512): 512-bit steps over 64 nibble bytes, a vpdpbusd per group pair.
 * Wired into the avx512 set only (set_avx512.c). */
#define LF_VNNI 1
#define LF_AVX2 __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")))
#define LF_ROWS(name) vnni_##name
#include "kernels/dot_avx2_rows.c"
