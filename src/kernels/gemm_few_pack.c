/* The packed batch of the few-activation products (gemm_few_internal.h). */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/gemm_few_internal.h"

#include "kernels/gemm_lanes_internal.h"

/* Blocks 0 .. nb of activation row src (of type act) into x[0], x[FEW_GROUP], ... */
static LF_AVX2 void pack_source(const char *src, lf_type act, int64_t nb, few_block *x) {
    const __m256i bias = _mm256_set1_epi8((char)0x80);
    for (int64_t i = 0; i < nb; i++) {
        float d;
        __m256i v = _mm256_loadu_si256((const __m256i *)gemm_act_block(src, act, i, &d));
        few_block *out = &x[i * FEW_GROUP];
        _mm256_storeu_si256((__m256i *)out->q, v);
        /* sums of the bytes + 128, unsigned, in four 64-bit lanes */
        __m256i s = _mm256_sad_epu8(_mm256_xor_si256(v, bias), _mm256_setzero_si256());
        __m128i h = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
        h = _mm_add_epi64(h, _mm_unpackhi_epi64(h, h));
        int32_t sum = _mm_cvtsi128_si32(h) - 32 * 128;
        out->d = d;
        out->ds = d * (float)sum;
        out->zs[ZERO_8] = 8 * sum;
        out->zs[ZERO_16] = 16 * sum;
        out->zs[ZERO_128] = 128 * sum;
    }
}

size_t few_acts_bytes(int64_t n_cols, int n_batch, bool resid) {
    if (n_batch < FEW_MIN_BATCH || n_batch > FEW_MAX_BATCH || n_cols % 32) return 0;
    return (size_t)few_group_count(n_batch, resid) * (size_t)(n_cols / 32) * FEW_GROUP * sizeof(few_block);
}

void few_pack_row(lf_type type, int64_t n_cols, int n_batch, bool resid, int b, const void *xq_row,
                  const void *xr_row, void *packed) {
    int64_t nb = n_cols / 32;
    int g = b / few_per_group(resid), o = b % few_per_group(resid), n_out = few_group_outputs(n_batch, resid, g);
    few_block *x = (few_block *)packed + (size_t)g * (size_t)nb * FEW_GROUP;
    pack_source(xq_row, lf_act_type(type), nb, x + o);
    if (resid) pack_source(xr_row, lf_act_type(type), nb, x + n_out + o);
}

void few_set_repacked(lf_kernel_table *t, size_t (*block_bytes)(lf_type), lf_repack_fn repack,
                      lf_gemm_repacked_fn product) {
    t->repacked_acts_bytes = few_acts_bytes;
    t->repacked_pack_row = few_pack_row;
    for (int k = 0; k < LF_TYPE_COUNT; k++) {
        t->repacked_block_bytes[k] = block_bytes((lf_type)k);
        t->repack[k] = t->repacked_block_bytes[k] ? repack : NULL;
        t->gemm_repacked[k] = t->repacked_block_bytes[k] ? product : NULL;
    }
}
#endif
