/* Attention tile kernels: the arithmetic of one step of flash-style attention (scores of a
 * block of query rows against a tile of keys, accumulation of the tile's values) and the
 * formats a KV cache row may be stored in. They know nothing of threads, models or tasks:
 * src/runtime/attention.c plans the work and calls them.
 *
 * KV rows (one KV head at one position, n values) are stored as
 *   LF_TYPE_F32   n floats: read in place, no conversion;
 *   LF_TYPE_F16   n IEEE halves (round to nearest even);
 *   LF_TYPE_Q8_0  n/32 weight-type blocks (block_q8_0: an fp16 scale d and 32 int8 q,
 *                 value = d*q), d = max|x|/127 and q = x/d rounded to nearest even (unlike
 *                 the activation quantizer, which scales by the fp16-rounded d): n must be
 *                 a multiple of 32. A quarter of f32's bytes plus 1/16, half of f16's plus 1/32.
 * Every kernel has a scalar reference; the AVX2 (+FMA, F16C) and AVX-512 variants give
 * the same bits for the row conversions and agree to float rounding for qk and pv. */
#ifndef LF_KERNELS_ATTENTION_KERNELS_H
#define LF_KERNELS_ATTENTION_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/kernels.h"

typedef struct lf_attn_kernels {
    const char *name;
    void (*f32_to_f16)(uint16_t *dst, const float *src, int64_t n);
    void (*f16_to_f32)(float *dst, const uint16_t *src, int64_t n);
    void (*f32_to_q8_0)(void *dst, const float *src, int64_t n); /* n a multiple of 32 */
    void (*q8_0_to_f32)(float *dst, const void *src, int64_t n);
    /* s[r*s_stride + j] = dot(q[r*hd ...], k[j*hd ...]) for r < rows, j < np; the np
     * rows of k are adjacent, hd values each of k_type, F32 or F16 (read in place) */
    void (*qk)(const float *q, int rows, const void *k, lf_type k_type, int np, int hd, float *s, int s_stride);
    /* o[r*hd + d] = o[r*hd + d]*c[r] + sum_j p[r*p_stride + j]*v[j*hd + d]; v's rows as
     * k's in qk */
    void (*pv)(float *o, const float *c, int rows, const float *p, int p_stride, const void *v, lf_type v_type,
               int np, int hd);
    /* The online-softmax step of a tile: row r of s (s_stride apart) has np scores of
     * which the first valid[r] count (causal mask). With m = max(mx[r], those scores):
     * they become exp(score - m), the rest 0; corr[r] = exp(mx[r] - m) (1 when m did not
     * change; 0 on a first tile, mx = -inf); l[r] = l[r]*corr[r] + their sum (summed in
     * double); mx[r] = m. A row with valid[r] <= 0 becomes zeros with corr[r] = 1. */
    void (*softmax)(float *s, int s_stride, int rows, int np, const int *valid, float *mx, float *l, float *corr);
} lf_attn_kernels;

/* The softmax step of lf_attn_kernels over rows of the kernel set's float softmax
 * (lf_softmax_running_f32): the scalar and AVX2 entries. */
void lf_attn_softmax_rows(float *s, int s_stride, int rows, int np, const int *valid, float *mx, float *l,
                          float *corr);

const lf_attn_kernels *lf_attn_kernels_scalar(void);
/* NULL when the library is not built for x86. */
const lf_attn_kernels *lf_attn_kernels_avx2(void);
const lf_attn_kernels *lf_attn_kernels_avx512(void);
/* The attention kernels of the current kernel set (its table's attn entry, filled by
 * the set's fill function: see README.md). */
const lf_attn_kernels *lf_attn_kernels_current(void);

/* True for the types a KV row may have (F32, F16, Q8_0). */
bool lf_attn_kv_type_ok(lf_type type);
/* Values per block of a KV row type (1 or 32): a row length must be a multiple. */
int lf_attn_kv_block(lf_type type);
/* Bytes of a KV row of n values (n a multiple of lf_attn_kv_block). */
size_t lf_attn_kv_row_bytes(lf_type type, int n);
/* Stores n floats as a KV row of the type. */
void lf_attn_store_row(const lf_attn_kernels *k, lf_type type, void *dst, const float *src, int n);
/* np KV rows of hd values, stride bytes apart, as adjacent rows qk and pv read: dense
 * F32 or F16 rows themselves, anything else converted into tile as F32 (returned either
 * way, its type in *as). */
const void *lf_attn_load_rows(const lf_attn_kernels *k, lf_type type, float *tile, const void *src, size_t stride,
                              int np, int hd, lf_type *as);

#endif
