/* AVX2 decode kernels: four weight rows against one activation (lf_dot_rows_fn). A
 * matrix-vector product should be bound by the weight stream alone; with one row at a
 * time it is bound by the latency of its single accumulator and by per-block work on the
 * activation. Here each activation block is loaded (and its derived values computed)
 * once for four rows, the four rows' accumulators are independent chains, and the four
 * weight scales of a block convert in one instruction.
 *
 * Q4_0 uses the unsigned nibbles u = q + 8: dot(q, x) = dot(u, x) - 8 * sum(x), where
 * the activation term is one vector per block shared by the four rows (no sign trick). */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/avx2_internal.h"
#include "kernels/blocks_internal.h"
#include "kernels/micro_x86_internal.h"
#include "kernels/rows_avx2_internal.h"
#include "kernels/unpack_avx2_internal.h"

#include <stdlib.h>

/* ------------------------------------------------------------------ legacy blocks */

/* Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL (see nib_layout): the eight (d, m) of a step (four rows, two
 * blocks) convert together; d scales each row's integer products, and the min terms
 * m * s of all four rows accumulate in one vector (lanes k and k+4 = row k). Inlined into
 * one decode function per type, so the layout is constant. */
static inline __attribute__((always_inline)) LF_AVX2 void nib_rows(const char *w, size_t rb, nib_layout L,
                                                                   const nib_act *e, int64_t pairs, float out[4]) {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    __m256 mins = _mm256_setzero_ps();
    for (int64_t p = 0; p < pairs; p++) {
        const char *b = w + (size_t)(2 * p) * L.bytes;
        __m256 m, d = nib_scales(b, rb, L, &m);
        __m256i offset = nib_level_offset(L, &e[p]);
        if (nib_has_min_term(L)) mins = _mm256_fmadd_ps(m, e[p].s, mins);
        d = _mm256_mul_ps(d, e[p].d);
        _Pragma("GCC unroll 4") for (int k = 0; k < 4; k++) {
            __m256i hi, lo = nib_quants(b + (size_t)k * rb, L, &hi);
            prefetch_next_group(b + (size_t)k * rb, rb);
            acc[k] = _mm256_fmadd_ps(lane4(d, k), _mm256_cvtepi32_ps(nib_dot(L, lo, hi, e[p].lo, e[p].hi, offset)), acc[k]);
        }
    }
    hsum4(acc[0], acc[1], acc[2], acc[3], out);
    add_lane_pairs(mins, out);
}

static inline __attribute__((always_inline)) LF_AVX2 bool nib_decode(lf_type type, const void *w, size_t rb,
                                                                     int64_t n, int64_t r0, int64_t r1,
                                                                     const void *xq, float *y) {
    nib_layout L = nib_layout_of(type);
    size_t ab = lf_act_row_bytes(type, QK);
    int64_t nb = n / QK, pairs = nb / 2, row = r0;
    lf_dot_fn dot = lf_kernels_table()->dot[type];
    void *mem;
    if (pairs < 1 || r1 - r0 < 4) return false;
    nib_act *e = alloc_expanded((size_t)pairs * sizeof(nib_act), &mem);
    if (!e) return false;
    nib_expand(type, xq, pairs, e);
    for (; row + 4 <= r1; row += 4) {
        const char *w0 = (const char *)w + (size_t)row * rb;
        nib_rows(w0, rb, L, e, pairs, y + row);
        for (int k = 0; nb & 1 && k < 4; k++) /* the odd last block */
            y[row + k] += dot(w0 + (size_t)k * rb + (size_t)(nb - 1) * L.bytes, (const char *)xq + (size_t)(nb - 1) * ab,
                              QK);
    }
    for (; row < r1; row++) y[row] = dot((const char *)w + (size_t)row * rb, xq, n);
    free(mem);
    return true;
}

#define NIB_DECODE(NAME, TYPE)                                                                                \
    LF_AVX2 bool NAME(const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq,    \
                             float *y) {                                                                      \
        return nib_decode(TYPE, w, rb, n, r0, r1, xq, y);                                                     \
    }
NIB_DECODE(LF_ROWS(decode_q4_0), LF_TYPE_Q4_0)
NIB_DECODE(LF_ROWS(decode_q4_1), LF_TYPE_Q4_1)
NIB_DECODE(LF_ROWS(decode_q5_0), LF_TYPE_Q5_0)
NIB_DECODE(LF_ROWS(decode_q5_1), LF_TYPE_Q5_1)
NIB_DECODE(LF_ROWS(decode_iq4_nl), LF_TYPE_IQ4_NL)
#undef NIB_DECODE

/* Signed int8 weights: |q| carries the product, q's sign moves onto the activation (|q|
 * is read as unsigned by maddubs, so q = -128 is exact). */
static inline LF_AVX2 __m256 q8_0_row(const block_q8_0 *b, __m256i x, __m256 scale, __m256 acc) {
    __m256i q = load256(b->qs);
    __m256i p = dot_u8_i8(_mm256_sign_epi8(q, q), _mm256_sign_epi8(x, q));
    return _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(p), acc);
}

LF_AVX2 void LF_ROWS(rows_q8_0)(const void *w, size_t rb, const void *xq, int64_t n, float out[4]) {
    const block_q8_0 *b0 = x4_at(w, rb, 0), *b1 = x4_at(w, rb, 1), *b2 = x4_at(w, rb, 2), *b3 = x4_at(w, rb, 3);
    const block_q8_0 *x = xq;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    for (int64_t i = 0; i < n / QK; i++) {
        __m256i xv = load256(x[i].qs);
        __m256 s = scales4(b0[i].d, b1[i].d, b2[i].d, b3[i].d, _mm_set1_ps(f16(x[i].d)));
        prefetch_next_group(&b0[i], rb);
        prefetch_next_group(&b1[i], rb);
        prefetch_next_group(&b2[i], rb);
        prefetch_next_group(&b3[i], rb);
        acc0 = q8_0_row(&b0[i], xv, lane4(s, 0), acc0);
        acc1 = q8_0_row(&b1[i], xv, lane4(s, 1), acc1);
        acc2 = q8_0_row(&b2[i], xv, lane4(s, 2), acc2);
        acc3 = q8_0_row(&b3[i], xv, lane4(s, 3), acc3);
    }
    hsum4(acc0, acc1, acc2, acc3, out);
}

/* ------------------------------------------------------------------ K-quants */

/* Four K-quant rows against one Q8_K activation: each super-block step prefetches the
 * next blocks of all four rows and runs ROW_FN once per row. */
#define K_ROWS(NAME, BLOCK, ROW_FN)                                                              \
    LF_AVX2 void NAME(const void *w, size_t rb, const void *xq, int64_t n, float out[4]) {        \
        const BLOCK *b0 = x4_at(w, rb, 0), *b1 = x4_at(w, rb, 1), *b2 = x4_at(w, rb, 2),          \
                    *b3 = x4_at(w, rb, 3);                                                        \
        const block_q8_K *x = xq;                                                                 \
        __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;                 \
        for (int64_t i = 0; i < n / QK_K; i++) {                                                  \
            __m256i bsums = load256(x[i].bsums);                                                  \
            __m256 dx = _mm256_broadcast_ss(&x[i].d);                                             \
            prefetch_k_block(&b0[i], sizeof b0[i], rb);                                           \
            prefetch_k_block(&b1[i], sizeof b1[i], rb);                                           \
            prefetch_k_block(&b2[i], sizeof b2[i], rb);                                           \
            prefetch_k_block(&b3[i], sizeof b3[i], rb);                                           \
            acc0 = ROW_FN(&b0[i], &x[i], bsums, dx, acc0);                                        \
            acc1 = ROW_FN(&b1[i], &x[i], bsums, dx, acc1);                                        \
            acc2 = ROW_FN(&b2[i], &x[i], bsums, dx, acc2);                                        \
            acc3 = ROW_FN(&b3[i], &x[i], bsums, dx, acc3);                                        \
        }                                                                                         \
        hsum4(acc0, acc1, acc2, acc3, out);                                                       \
    }

/* Q4_K and Q5_K: four rows over the expanded activation (k_act); per super-block the
 * rows' (d, dmin) pairs convert together, the integer sums scale by d * dx in each row's
 * chain and the four rows' min terms go to one vector (lane k = row k). Inlined into one
 * decode function per type, so the layout is constant. */
static inline __attribute__((always_inline)) LF_AVX2 void k45_rows(const char *w, size_t rb, k45_layout L,
                                                                   const k_act *e, int64_t nsb, float out[4]) {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    __m128 mins = _mm_setzero_ps();
    for (int64_t i = 0; i < nsb; i++) {
        const char *b = w + (size_t)i * L.bytes;
        const k_act *x[1] = {&e[i]};
        __m256 dm = _mm256_mul_ps(pairs4((const uint16_t *)b, (const uint16_t *)(b + rb), (const uint16_t *)(b + 2 * rb),
                                         (const uint16_t *)(b + 3 * rb)),
                                  _mm256_set1_ps(e[i].d));
        __m256i sm[2] = {k_scales_mins_x2((const uint8_t *)b + 4, (const uint8_t *)b + rb + 4),
                         k_scales_mins_x2((const uint8_t *)b + 2 * rb + 4, (const uint8_t *)b + 3 * rb + 4)};
        __m256i m[4];
        _Pragma("GCC unroll 4") for (int k = 0; k < 4; k++) {
            const uint8_t *bk = (const uint8_t *)b + (size_t)k * rb;
            __m256i sum;
            prefetch_k_block(bk, L.bytes, rb);
            k45_sums(bk + L.qs, L.qh < 0 ? NULL : bk + L.qh, k_row_scales(sm[k >> 1], k & 1), x, 1, &sum);
            m[k] = k_row_mins(sm[k >> 1], k & 1, e[i].bsums32);
            acc[k] = _mm256_fmadd_ps(pair_lane(dm, k), _mm256_cvtepi32_ps(sum), acc[k]);
        }
        mins = _mm_fmadd_ps(odd_lanes(dm), k_min_totals(m), mins);
    }
    hsum4(acc[0], acc[1], acc[2], acc[3], out);
    _mm_storeu_ps(out, _mm_sub_ps(_mm_loadu_ps(out), mins));
}

static inline __attribute__((always_inline)) LF_AVX2 bool k45_decode(lf_type type, const void *w, size_t rb,
                                                                     int64_t n, int64_t r0, int64_t r1,
                                                                     const void *xq, float *y) {
    int64_t nsb = n / QK_K, row = r0;
    lf_dot_fn dot = lf_kernels_table()->dot[type];
    if (r1 - r0 < 4) return false;
    void *mem;
#ifdef LF_VNNI
    const k45_act512 *e[1] = {k45_act_expand_row(xq, nsb, &mem)};
    if (!e[0]) return false;
    for (; row + 4 <= r1; row += 4)
        k45_rows512(type == LF_TYPE_Q5_K, (const char *)w + (size_t)row * rb, rb, e, 1, nsb, y + row);
#else
    k_act *e = k_act_expand_row(xq, nsb, &mem);
    if (!e) return false;
    for (; row + 4 <= r1; row += 4) k45_rows((const char *)w + (size_t)row * rb, rb, k45_layout_of(type), e, nsb, y + row);
#endif
    free(mem);
    for (; row < r1; row++) y[row] = dot((const char *)w + (size_t)row * rb, xq, n);
    return true;
}

LF_AVX2 bool LF_ROWS(decode_q4_K)(const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq,
                                float *y) {
    return k45_decode(LF_TYPE_Q4_K, w, rb, n, r0, r1, xq, y);
}

LF_AVX2 bool LF_ROWS(decode_q5_K)(const void *w, size_t rb, int64_t n, int64_t r0, int64_t r1, const void *xq,
                                float *y) {
    return k45_decode(LF_TYPE_Q5_K, w, rb, n, r0, r1, xq, y);
}

/* Q6_K row: u in 0..63, weight = d*scale*(u-32); the -32 offset meets the block sums in
 * the integer sum (one madd), so each super-block ends in one conversion. The loops are
 * unrolled so that the scale shuffles' controls are constants (as a loop, gcc -O2 built
 * them at run time and the kernel ran at two thirds of the speed). */
static inline LF_AVX2 __m256 q6_K_row(const block_q6_K *b, const block_q8_K *x, __m256i bsums, __m256 dx,
                                      __m256 acc) {
    __m256i sc16 = q6_K_scales16(b);
    __m256i sum = _mm256_slli_epi32(_mm256_madd_epi16(sc16, bsums), 5); /* 32 * sum scale*bsum */
    sum = _mm256_sub_epi32(_mm256_setzero_si256(), sum);
    _Pragma("GCC unroll 2") for (int half = 0; half < 2; half++) {
        __m256i u[4];
        q6_K_half(b, half, u);
        _Pragma("GCC unroll 4") for (int k = 0; k < 4; k++) {
            __m256i p = _mm256_maddubs_epi16(u[k], load256(x->qs + 128 * half + 32 * k));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p, k16_slice_scales(sc16, 4 * half + k)));
        }
    }
    __m256 d = _mm256_mul_ps(_mm256_set1_ps(f16(b->d)), dx);
    return _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sum), acc);
}

K_ROWS(LF_ROWS(rows_q6_K), block_q6_K, q6_K_row)

#ifdef LF_VNNI
LF_AVX2 void LF_ROWS(rows_q2_K)(const void *w, size_t rb, const void *xq, int64_t n, float out[4]) {
    const block_q8_K *x[1] = {xq};
    k16_rows(false, w, rb, x, 1, n / QK_K, out);
}

LF_AVX2 void LF_ROWS(rows_q3_K)(const void *w, size_t rb, const void *xq, int64_t n, float out[4]) {
    const block_q8_K *x[1] = {xq};
    k16_rows(true, w, rb, x, 1, n / QK_K, out);
}
#else
/* Q2_K row: u in 0..3, weight = d*(sc&15)*u - dmin*(sc>>4); the min terms (mins times
 * the activation's group sums) take their own FMA with dmin. */
static inline __attribute__((always_inline)) LF_AVX2 __m256 q2_K_row(const block_q2_K *b, const block_q8_K *x,
                                                                     __m256i bsums, __m256 dx, __m256 acc) {
    __m256i mn16, sum, sc16 = q2_K_scales16(b, &mn16);
    k16_sums(b->qs, NULL, sc16, &x, 1, &sum);
    __m256 dm = _mm256_mul_ps(q2_K_dm(b), dx);
    acc = _mm256_fmadd_ps(_mm256_moveldup_ps(dm), _mm256_cvtepi32_ps(sum), acc);
    return _mm256_fnmadd_ps(_mm256_movehdup_ps(dm), _mm256_cvtepi32_ps(_mm256_madd_epi16(mn16, bsums)), acc);
}

K_ROWS(LF_ROWS(rows_q2_K), block_q2_K, q2_K_row)

/* Q3_K row: u in 0..7, weight = d*scale*(u-4); the -4 meets the block sums in the
 * integer sum. */
static inline __attribute__((always_inline)) LF_AVX2 __m256 q3_K_row(const block_q3_K *b, const block_q8_K *x,
                                                                     __m256i bsums, __m256 dx, __m256 acc) {
    __m256i sum, sc16 = q3_K_scales16(b);
    k16_sums(b->qs, b->hmask, sc16, &x, 1, &sum);
    sum = _mm256_sub_epi32(sum, _mm256_slli_epi32(_mm256_madd_epi16(sc16, bsums), 2));
    return _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(f16(b->d)), dx), _mm256_cvtepi32_ps(sum), acc);
}

K_ROWS(LF_ROWS(rows_q3_K), block_q3_K, q3_K_row)
#endif

/* ------------------------------------------------------------------ float weights */

static inline LF_AVX2 __m256 load_f16x8(const uint16_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

static inline LF_AVX2 __m256 load_bf16x8(const uint16_t *p) {
    __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

/* 16 columns per step, two accumulators per row; the columns past the last multiple of
 * 16 are summed scalar. */
#define FLOAT_ROWS(name, LOAD, TO_F32)                                                                   \
    LF_AVX2 void name(const void *w, size_t rb, const void *xq, int64_t n, float out[4]) {               \
        const uint16_t *a0 = x4_at(w, rb, 0), *a1 = x4_at(w, rb, 1), *a2 = x4_at(w, rb, 2);             \
        const uint16_t *a3 = x4_at(w, rb, 3);                                                            \
        const float *x = xq;                                                                             \
        __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, d0 = c0, d1 = c0, d2 = c0, d3 = c0; \
        int64_t i = 0;                                                                                   \
        for (; i + 16 <= n; i += 16) {                                                                   \
            __m256 xa = _mm256_loadu_ps(x + i), xb = _mm256_loadu_ps(x + i + 8);                         \
            prefetch_next_group(a0 + i, rb);                                                             \
            prefetch_next_group(a1 + i, rb);                                                             \
            prefetch_next_group(a2 + i, rb);                                                             \
            prefetch_next_group(a3 + i, rb);                                                             \
            c0 = _mm256_fmadd_ps(LOAD(a0 + i), xa, c0);                                                  \
            c1 = _mm256_fmadd_ps(LOAD(a1 + i), xa, c1);                                                  \
            c2 = _mm256_fmadd_ps(LOAD(a2 + i), xa, c2);                                                  \
            c3 = _mm256_fmadd_ps(LOAD(a3 + i), xa, c3);                                                  \
            d0 = _mm256_fmadd_ps(LOAD(a0 + i + 8), xb, d0);                                              \
            d1 = _mm256_fmadd_ps(LOAD(a1 + i + 8), xb, d1);                                              \
            d2 = _mm256_fmadd_ps(LOAD(a2 + i + 8), xb, d2);                                              \
            d3 = _mm256_fmadd_ps(LOAD(a3 + i + 8), xb, d3);                                              \
        }                                                                                                \
        hsum4(_mm256_add_ps(c0, d0), _mm256_add_ps(c1, d1), _mm256_add_ps(c2, d2), _mm256_add_ps(c3, d3), \
              out);                                                                                      \
        for (; i < n; i++) {                                                                             \
            out[0] += TO_F32(a0[i]) * x[i];                                                              \
            out[1] += TO_F32(a1[i]) * x[i];                                                              \
            out[2] += TO_F32(a2[i]) * x[i];                                                              \
            out[3] += TO_F32(a3[i]) * x[i];                                                              \
        }                                                                                                \
    }

FLOAT_ROWS(LF_ROWS(rows_f16), load_f16x8, f16)
FLOAT_ROWS(LF_ROWS(rows_bf16), load_bf16x8, lf_bf16_to_f32)
#undef FLOAT_ROWS

#endif
