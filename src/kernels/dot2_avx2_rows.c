/* AVX2 fused activation + residual decode kernels: four weight rows against an activation
 * xq and its rounding residual xr (lf_dot2_rows_fn). Each weight block is loaded and
 * unpacked once per row and meets both activation blocks; everything that depends only
 * on the activations (their loads, the Q4_0 offset terms, the two activation scales) is
 * computed once per block for the four rows. Per row and block the two integer products
 * combine in float as t = dq * pq + dr * pr, and one FMA with the weight scale adds t to
 * the row's accumulator (four independent chains). See dot_avx2_rows.c. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/avx2_internal.h"
#include "kernels/blocks_internal.h"
#include "kernels/micro_x86_internal.h"
#include "kernels/rows_avx2_internal.h"
#include "kernels/unpack_avx2_internal.h"

#include <stdlib.h>

/* ------------------------------------------------------------------ legacy blocks */

/* The activation side of one legacy block pair: both quant vectors and both scales. */
typedef struct act2 {
    __m256i q, r;
    __m256 dq, dr;
} act2;

static inline LF_AVX2 act2 act2_q8_0(const block_q8_0 *xq, const block_q8_0 *xr) {
    act2 a;
    a.q = load256(xq->qs);
    a.r = load256(xr->qs);
    __m128 d = _mm_cvtph_ps(_mm_cvtsi32_si128((int)((uint32_t)xq->d | (uint32_t)xr->d << 16)));
    a.dq = _mm256_broadcastss_ps(d);
    a.dr = _mm256_broadcastss_ps(_mm_movehdup_ps(d));
    return a;
}

/* Q8_0: |q| once, q's sign moved onto both activations. */
static inline LF_AVX2 __m256 q8_0_row2(const block_q8_0 *b, const act2 *a, __m256 dw, __m256 acc) {
    __m256i w = load256(b->qs), abs_w = _mm256_sign_epi8(w, w);
    __m256 pq = _mm256_cvtepi32_ps(dot_u8_i8(abs_w, _mm256_sign_epi8(a->q, w)));
    __m256 pr = _mm256_cvtepi32_ps(dot_u8_i8(abs_w, _mm256_sign_epi8(a->r, w)));
    return _mm256_fmadd_ps(dw, _mm256_fmadd_ps(a->dr, pr, _mm256_mul_ps(a->dq, pq)), acc);
}

LF_AVX2 void LF_ROWS(rows2_q8_0)(const void *w, size_t rb, const void *xq, const void *xr, int64_t n, float out[4]) {
    const block_q8_0 *b0 = x4_at(w, rb, 0), *b1 = x4_at(w, rb, 1), *b2 = x4_at(w, rb, 2), *b3 = x4_at(w, rb, 3);
    const block_q8_0 *q = xq, *r = xr;
    const __m128 one = _mm_set1_ps(1.0f);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    for (int64_t i = 0; i < n / QK; i++) {
        act2 a = act2_q8_0(&q[i], &r[i]);
        __m256 s = scales4(b0[i].d, b1[i].d, b2[i].d, b3[i].d, one);
        prefetch_next_group(&b0[i], rb);
        prefetch_next_group(&b1[i], rb);
        prefetch_next_group(&b2[i], rb);
        prefetch_next_group(&b3[i], rb);
        acc0 = q8_0_row2(&b0[i], &a, lane4(s, 0), acc0);
        acc1 = q8_0_row2(&b1[i], &a, lane4(s, 1), acc1);
        acc2 = q8_0_row2(&b2[i], &a, lane4(s, 2), acc2);
        acc3 = q8_0_row2(&b3[i], &a, lane4(s, 3), acc3);
    }
    hsum4(acc0, acc1, acc2, acc3, out);
}

/* Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL (see nib_layout): two blocks per row and step over the expanded
 * activation and residual (nib_act each), as nib_rows in dot_avx2_rows.c; per row
 * t = dq * u·q + dr * u·r, and the min terms meet both activations' sums. */
static inline __attribute__((always_inline)) LF_AVX2 void nib_rows2(const char *w, size_t rb, nib_layout L,
                                                                    const nib_act *eq, const nib_act *er,
                                                                    int64_t pairs, float out[4]) {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    __m256 mins = _mm256_setzero_ps();
    for (int64_t p = 0; p < pairs; p++) {
        const char *b = w + (size_t)(2 * p) * L.bytes;
        __m256 m, d = nib_scales(b, rb, L, &m);
        __m256i off_q = nib_level_offset(L, &eq[p]), off_r = nib_level_offset(L, &er[p]);
        if (nib_has_min_term(L)) mins = _mm256_fmadd_ps(m, _mm256_add_ps(eq[p].s, er[p].s), mins);
        _Pragma("GCC unroll 4") for (int k = 0; k < 4; k++) {
            __m256i hi, lo = nib_quants(b + (size_t)k * rb, L, &hi);
            prefetch_next_group(b + (size_t)k * rb, rb);
            __m256 pq = _mm256_cvtepi32_ps(nib_dot(L, lo, hi, eq[p].lo, eq[p].hi, off_q));
            __m256 pr = _mm256_cvtepi32_ps(nib_dot(L, lo, hi, er[p].lo, er[p].hi, off_r));
            acc[k] = _mm256_fmadd_ps(lane4(d, k), _mm256_fmadd_ps(er[p].d, pr, _mm256_mul_ps(eq[p].d, pq)), acc[k]);
        }
    }
    hsum4(acc[0], acc[1], acc[2], acc[3], out);
    add_lane_pairs(mins, out);
}

static inline __attribute__((always_inline)) LF_AVX2 bool nib_decode2(lf_type type, lf_dot2_fn dot2, const void *w, size_t rb,
                                                                      int64_t n, int64_t r0, int64_t r1,
                                                                      const void *xq, const void *xr, float *y) {
    nib_layout L = nib_layout_of(type);
    size_t ab = lf_act_row_bytes(type, QK);
    int64_t nb = n / QK, pairs = nb / 2, row = r0;
    void *mem;
    if (pairs < 1 || r1 - r0 < 4) return false;
    nib_act *eq = alloc_expanded(2 * (size_t)pairs * sizeof(nib_act), &mem), *er = eq + pairs;
    if (!eq) return false;
    nib_expand(type, xq, pairs, eq);
    nib_expand(type, xr, pairs, er);
    size_t last = (size_t)(nb - 1) * ab; /* the odd last block's activation offset */
    for (; row + 4 <= r1; row += 4) {
        const char *w0 = (const char *)w + (size_t)row * rb;
        nib_rows2(w0, rb, L, eq, er, pairs, y + row);
        for (int k = 0; nb & 1 && k < 4; k++)
            y[row + k] += dot2(w0 + (size_t)k * rb + (size_t)(nb - 1) * L.bytes, (const char *)xq + last,
                               (const char *)xr + last, QK);
    }
    for (; row < r1; row++) y[row] = dot2((const char *)w + (size_t)row * rb, xq, xr, n);
    free(mem);
    return true;
}

#define NIB_DECODE2(NAME, TYPE, DOT2)                                                                               \
    LF_AVX2 bool NAME(const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq,             \
                             const void *xr, float *y) {                                                        \
        return nib_decode2(TYPE, DOT2, w, rb, n, r0, r1, xq, xr, y);                                                  \
    }
NIB_DECODE2(LF_ROWS(decode2_q4_0), LF_TYPE_Q4_0, avx2_dot2_q4_0)
NIB_DECODE2(LF_ROWS(decode2_q4_1), LF_TYPE_Q4_1, avx2_dot2_q4_1)
NIB_DECODE2(LF_ROWS(decode2_q5_0), LF_TYPE_Q5_0, avx2_dot2_q5_0)
NIB_DECODE2(LF_ROWS(decode2_q5_1), LF_TYPE_Q5_1, avx2_dot2_q5_1)
NIB_DECODE2(LF_ROWS(decode2_iq4_nl), LF_TYPE_IQ4_NL, avx2_dot2_iq4_nl)
#undef NIB_DECODE2

/* ------------------------------------------------------------------ K-quants */

/* dq * sq + dr * sr in float: the two activations' integer sums with their scales. */
static inline LF_AVX2 __m256 act_pair_sum(__m256 dq, __m256i sq, __m256 dr, __m256i sr) {
    return _mm256_fmadd_ps(dr, _mm256_cvtepi32_ps(sr), _mm256_mul_ps(dq, _mm256_cvtepi32_ps(sq)));
}

/* Four K-quant rows against an activation and its residual (both Q8_K): each super-block
 * step prefetches the next blocks of all four rows and runs ROW_FN once per row. */
#define K_ROWS2(NAME, BLOCK, ROW_FN)                                                               \
    LF_AVX2 void NAME(const void *w, size_t rb, const void *xq, const void *xr, int64_t n,        \
                             float out[4]) {                                                        \
        const BLOCK *b0 = x4_at(w, rb, 0), *b1 = x4_at(w, rb, 1), *b2 = x4_at(w, rb, 2),            \
                    *b3 = x4_at(w, rb, 3);                                                          \
        const block_q8_K *q = xq, *r = xr;                                                          \
        __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;                   \
        for (int64_t i = 0; i < n / QK_K; i++) {                                                    \
            __m256i bsq = load256(q[i].bsums), bsr = load256(r[i].bsums);                           \
            __m256 dq = _mm256_broadcast_ss(&q[i].d), dr = _mm256_broadcast_ss(&r[i].d);           \
            prefetch_k_block(&b0[i], sizeof b0[i], rb);                                             \
            prefetch_k_block(&b1[i], sizeof b1[i], rb);                                             \
            prefetch_k_block(&b2[i], sizeof b2[i], rb);                                             \
            prefetch_k_block(&b3[i], sizeof b3[i], rb);                                             \
            acc0 = ROW_FN(&b0[i], &q[i], &r[i], bsq, bsr, dq, dr, acc0);                            \
            acc1 = ROW_FN(&b1[i], &q[i], &r[i], bsq, bsr, dq, dr, acc1);                            \
            acc2 = ROW_FN(&b2[i], &q[i], &r[i], bsq, bsr, dq, dr, acc2);                            \
            acc3 = ROW_FN(&b3[i], &q[i], &r[i], bsq, bsr, dq, dr, acc3);                            \
        }                                                                                           \
        hsum4(acc0, acc1, acc2, acc3, out);                                                         \
    }

/* Q4_K and Q5_K: four rows over the expanded activation and residual (k_act, see k45_rows
 * in dot_avx2_rows.c); each weight vector meets both, and per row and super-block the two
 * integer sums combine in float as dq * sum_q + dr * sum_r before the row's d. */
static inline __attribute__((always_inline)) LF_AVX2 void k45_rows2(const char *w, size_t rb, k45_layout L,
                                                                    const k_act *eq, const k_act *er, int64_t nsb,
                                                                    float out[4]) {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    __m128 mins = _mm_setzero_ps();
    for (int64_t i = 0; i < nsb; i++) {
        const char *b = w + (size_t)i * L.bytes;
        const k_act *x[2] = {&eq[i], &er[i]};
        __m256 dq = _mm256_set1_ps(eq[i].d), dr = _mm256_set1_ps(er[i].d);
        __m256 dm = pairs4((const uint16_t *)b, (const uint16_t *)(b + rb), (const uint16_t *)(b + 2 * rb),
                           (const uint16_t *)(b + 3 * rb));
        __m256i sm[2] = {k_scales_mins_x2((const uint8_t *)b + 4, (const uint8_t *)b + rb + 4),
                         k_scales_mins_x2((const uint8_t *)b + 2 * rb + 4, (const uint8_t *)b + 3 * rb + 4)};
        __m256i mq[4], mr[4];
        _Pragma("GCC unroll 4") for (int k = 0; k < 4; k++) {
            const uint8_t *bk = (const uint8_t *)b + (size_t)k * rb;
            __m256i sum[2];
            prefetch_k_block(bk, L.bytes, rb);
            k45_sums(bk + L.qs, L.qh < 0 ? NULL : bk + L.qh, k_row_scales(sm[k >> 1], k & 1), x, 2, sum);
            mq[k] = k_row_mins(sm[k >> 1], k & 1, eq[i].bsums32);
            mr[k] = k_row_mins(sm[k >> 1], k & 1, er[i].bsums32);
            acc[k] = _mm256_fmadd_ps(pair_lane(dm, k), act_pair_sum(dq, sum[0], dr, sum[1]), acc[k]);
        }
        __m128 tm = _mm_fmadd_ps(_mm256_castps256_ps128(dr), k_min_totals(mr),
                                 _mm_mul_ps(_mm256_castps256_ps128(dq), k_min_totals(mq)));
        mins = _mm_fmadd_ps(odd_lanes(dm), tm, mins);
    }
    hsum4(acc[0], acc[1], acc[2], acc[3], out);
    _mm_storeu_ps(out, _mm_sub_ps(_mm_loadu_ps(out), mins));
}

static inline __attribute__((always_inline)) LF_AVX2 bool k45_decode2(lf_type type, lf_dot2_fn dot2, const void *w, size_t rb,
                                                                      int64_t n, int64_t r0, int64_t r1,
                                                                      const void *xq, const void *xr, float *y) {
    int64_t nsb = n / QK_K, row = r0;
    if (r1 - r0 < 4) return false;
    void *mem_q, *mem_r = NULL;
#ifdef LF_VNNI
    k45_act512 *eq = k45_act_expand_row(xq, nsb, &mem_q), *er = eq ? k45_act_expand_row(xr, nsb, &mem_r) : NULL;
#else
    k_act *eq = k_act_expand_row(xq, nsb, &mem_q), *er = eq ? k_act_expand_row(xr, nsb, &mem_r) : NULL;
#endif
    if (!er) {
        free(mem_q);
        return false;
    }
#ifdef LF_VNNI
    const k45_act512 *x[2] = {eq, er};
    for (; row + 4 <= r1; row += 4)
        k45_rows512(type == LF_TYPE_Q5_K, (const char *)w + (size_t)row * rb, rb, x, 2, nsb, y + row);
#else
    for (; row + 4 <= r1; row += 4)
        k45_rows2((const char *)w + (size_t)row * rb, rb, k45_layout_of(type), eq, er, nsb, y + row);
#endif
    free(mem_q);
    free(mem_r);
    for (; row < r1; row++) y[row] = dot2((const char *)w + (size_t)row * rb, xq, xr, n);
    return true;
}

LF_AVX2 bool LF_ROWS(decode2_q4_K)(const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq,
                                 const void *xr, float *y) {
    return k45_decode2(LF_TYPE_Q4_K, avx2_dot2_q4_K, w, rb, n, r0, r1, xq, xr, y);
}

LF_AVX2 bool LF_ROWS(decode2_q5_K)(const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq,
                                 const void *xr, float *y) {
    return k45_decode2(LF_TYPE_Q5_K, avx2_dot2_q5_K, w, rb, n, r0, r1, xq, xr, y);
}

/* Q6_K row: u in 0..63, weight = d*scale*(u-32); the offset meets each activation's
 * block sums inside its integer sum. Unrolled as in q6_K_row (dot_avx2_rows.c). */
static inline LF_AVX2 __m256 q6_K_row2(const block_q6_K *b, const block_q8_K *xq, const block_q8_K *xr,
                                       __m256i bsq, __m256i bsr, __m256 dq, __m256 dr, __m256 acc) {
    __m256i sc16 = q6_K_scales16(b);
    __m256i sum_q = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(sc16, bsq), 5));
    __m256i sum_r = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(sc16, bsr), 5));
    _Pragma("GCC unroll 2") for (int half = 0; half < 2; half++) {
        __m256i u[4];
        q6_K_half(b, half, u);
        _Pragma("GCC unroll 4") for (int k = 0; k < 4; k++) {
            __m256i ss = k16_slice_scales(sc16, 4 * half + k);
            int off = 128 * half + 32 * k;
            sum_q = _mm256_add_epi32(sum_q, _mm256_madd_epi16(_mm256_maddubs_epi16(u[k], load256(xq->qs + off)), ss));
            sum_r = _mm256_add_epi32(sum_r, _mm256_madd_epi16(_mm256_maddubs_epi16(u[k], load256(xr->qs + off)), ss));
        }
    }
    return _mm256_fmadd_ps(_mm256_set1_ps(f16(b->d)), act_pair_sum(dq, sum_q, dr, sum_r), acc);
}

K_ROWS2(LF_ROWS(rows2_q6_K), block_q6_K, q6_K_row2)

#ifdef LF_VNNI
LF_AVX2 void LF_ROWS(rows2_q2_K)(const void *w, size_t rb, const void *xq, const void *xr, int64_t n, float out[4]) {
    const block_q8_K *x[2] = {xq, xr};
    k16_rows(false, w, rb, x, 2, n / QK_K, out);
}

LF_AVX2 void LF_ROWS(rows2_q3_K)(const void *w, size_t rb, const void *xq, const void *xr, int64_t n, float out[4]) {
    const block_q8_K *x[2] = {xq, xr};
    k16_rows(true, w, rb, x, 2, n / QK_K, out);
}
#else
/* Q2_K row (see q2_K_row in dot_avx2_rows.c): d scales both activations' sums, dmin both
 * activations' min terms. */
static inline __attribute__((always_inline)) LF_AVX2 __m256 q2_K_row2(const block_q2_K *b, const block_q8_K *xq,
                                                                      const block_q8_K *xr, __m256i bsq, __m256i bsr,
                                                                      __m256 dq, __m256 dr, __m256 acc) {
    const block_q8_K *x[2] = {xq, xr};
    __m256i mn16, sum[2], sc16 = q2_K_scales16(b, &mn16);
    k16_sums(b->qs, NULL, sc16, x, 2, sum);
    __m256 dm = q2_K_dm(b);
    __m256 mins = act_pair_sum(dq, _mm256_madd_epi16(mn16, bsq), dr, _mm256_madd_epi16(mn16, bsr));
    acc = _mm256_fmadd_ps(_mm256_moveldup_ps(dm), act_pair_sum(dq, sum[0], dr, sum[1]), acc);
    return _mm256_fnmadd_ps(_mm256_movehdup_ps(dm), mins, acc);
}

K_ROWS2(LF_ROWS(rows2_q2_K), block_q2_K, q2_K_row2)

/* Q3_K row (see q3_K_row in dot_avx2_rows.c): the -4 offset meets each activation's
 * block sums inside its integer sum. */
static inline __attribute__((always_inline)) LF_AVX2 __m256 q3_K_row2(const block_q3_K *b, const block_q8_K *xq,
                                                                      const block_q8_K *xr, __m256i bsq, __m256i bsr,
                                                                      __m256 dq, __m256 dr, __m256 acc) {
    const block_q8_K *x[2] = {xq, xr};
    __m256i sum[2], sc16 = q3_K_scales16(b);
    k16_sums(b->qs, b->hmask, sc16, x, 2, sum);
    sum[0] = _mm256_sub_epi32(sum[0], _mm256_slli_epi32(_mm256_madd_epi16(sc16, bsq), 2));
    sum[1] = _mm256_sub_epi32(sum[1], _mm256_slli_epi32(_mm256_madd_epi16(sc16, bsr), 2));
    return _mm256_fmadd_ps(_mm256_set1_ps(f16(b->d)), act_pair_sum(dq, sum[0], dr, sum[1]), acc);
}

K_ROWS2(LF_ROWS(rows2_q3_K), block_q3_K, q3_K_row2)
#endif

#endif
