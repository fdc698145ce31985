/* AVX2 kernels taking one weight row against four activations at once (batched prompt
 * processing): each weight block is loaded and unpacked once and multiplied with the
 * matching block of all four activations, so the unpacking cost and the weight traffic
 * are shared four ways. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/avx2_internal.h"
#include "kernels/micro_x86_internal.h"
#include "kernels/blocks_internal.h"
#include "kernels/unpack_avx2_internal.h"

/* The four activations are written out as separate variables (not arrays indexed in a
 * loop) so that the compilers keep all accumulators in registers. */

LF_AVX2 void avx2_dot_x4_q4_1(const void *w, const void *xq, size_t stride, int64_t n, float out[4]) {
    const block_q4_1 *b = w;
    const block_q8_1 *x0 = x4_at(xq, stride, 0), *x1 = x4_at(xq, stride, 1);
    const block_q8_1 *x2 = x4_at(xq, stride, 2), *x3 = x4_at(xq, stride, 3);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    __m128 mins0 = _mm_setzero_ps(), mins1 = mins0, mins2 = mins0, mins3 = mins0;
    for (int64_t i = 0; i < n / QK; i++) {
        __m256i q = legacy_nibbles(b[i].qs);
        __m128 dm = q4_1_dm(&b[i]);
        unsigned_step(q, dm, &x0[i], &acc0, &mins0);
        unsigned_step(q, dm, &x1[i], &acc1, &mins1);
        unsigned_step(q, dm, &x2[i], &acc2, &mins2);
        unsigned_step(q, dm, &x3[i], &acc3, &mins3);
    }
    out[0] = unsigned_result(acc0, mins0);
    out[1] = unsigned_result(acc1, mins1);
    out[2] = unsigned_result(acc2, mins2);
    out[3] = unsigned_result(acc3, mins3);
}

#endif
