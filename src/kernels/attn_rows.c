/* KV cache row formats, and the attention kernels of the current kernel set (see
 * attention_kernels.h). */
#include "kernels/kernels_internal.h"
#include "kernels/blocks_internal.h"

#include <math.h>
#include <string.h>

const lf_attn_kernels *lf_attn_kernels_current(void) { return lf_kernels_table()->attn; }

bool lf_attn_kv_type_ok(lf_type type) { return type == LF_TYPE_F32 || type == LF_TYPE_F16 || type == LF_TYPE_Q8_0; }

int lf_attn_kv_block(lf_type type) { return type == LF_TYPE_Q8_0 ? 32 : 1; }

size_t lf_attn_kv_row_bytes(lf_type type, int n) {
    switch (type) {
    case LF_TYPE_F32: return (size_t)n * sizeof(float);
    case LF_TYPE_Q8_0: return (size_t)n / 32 * sizeof(block_q8_0);
    default: return (size_t)n * sizeof(uint16_t);
    }
}

void lf_attn_store_row(const lf_attn_kernels *k, lf_type type, void *dst, const float *src, int n) {
    switch (type) {
    case LF_TYPE_F32: memcpy(dst, src, (size_t)n * sizeof(float)); break;
    case LF_TYPE_Q8_0: k->f32_to_q8_0(dst, src, n); break;
    default: k->f32_to_f16(dst, src, n); break;
    }
}

/* n values of the type from src into dst. */
static void convert(const lf_attn_kernels *k, lf_type type, float *dst, const void *src, int64_t n) {
    switch (type) {
    case LF_TYPE_F32: memcpy(dst, src, (size_t)n * sizeof(float)); break;
    case LF_TYPE_Q8_0: k->q8_0_to_f32(dst, src, n); break;
    default: k->f16_to_f32(dst, src, n); break;
    }
}

const void *lf_attn_load_rows(const lf_attn_kernels *k, lf_type type, float *tile, const void *src, size_t stride,
                              int np, int hd, lf_type *as) {
    size_t row = lf_attn_kv_row_bytes(type, hd);
    if (stride == row && (type == LF_TYPE_F32 || type == LF_TYPE_F16)) {
        *as = type;
        return src;
    }
    *as = LF_TYPE_F32;
    if (stride == row) {
        convert(k, type, tile, src, (int64_t)np * hd);
        return tile;
    }
    for (int j = 0; j < np; j++) convert(k, type, tile + (size_t)j * hd, (const char *)src + (size_t)j * stride, hd);
    return tile;
}

void lf_attn_softmax_rows(float *s, int s_stride, int rows, int np, const int *valid, float *mx, float *l,
                          float *corr) {
    for (int r = 0; r < rows; r++) {
        float *row = s + (size_t)r * s_stride;
        int nv = valid[r] < np ? valid[r] : np;
        if (nv <= 0) {
            memset(row, 0, (size_t)np * sizeof *row);
            corr[r] = 1.0f;
            continue;
        }
        float m = mx[r];
        float tsum = lf_softmax_running_f32(row, nv, &m);
        for (int j = nv; j < np; j++) row[j] = 0.0f;
        corr[r] = m == mx[r] ? 1.0f : expf(mx[r] - m);
        l[r] = l[r] * corr[r] + tsum;
        mx[r] = m;
    }
}
