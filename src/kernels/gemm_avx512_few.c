/* A few activations (continuous batching's decode steps: 2 to 16 rows) against the
 * 32-weight-block types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, and Q4_K by its 32-weight
 * groups) with AVX-512 VNNI. The prompt GEMM (gemm_avx512_legacy.c) puts sixteen
 * activations in the lanes of a vector, so with eight of them half of every product is
 * padding. Here the lanes are sixteen weight rows: one vector holds four bytes of each,
 * and one four-byte broadcast of an activation meets them all, so no lane is padding
 * whatever the batch. A lane's int32 sum then covers a whole 32-weight block, and its
 * scaling (convert, scale, and the minimum's or zero point's term) is paid once per
 * eight products rather than once per four, as when each lane held half a block.
 *
 * The weights come in passes of sixteen rows x 32 blocks. Q4_0, Q4_1, IQ4_NL and Q8_0
 * have a repacked layout (avx512_repack), each block the rows' 4-byte runs side by side
 * (one 16 x 4-dword transpose per 16 bytes of a block, two rounds of in-lane unpacks, so
 * lane 4j + g holds row 4g + j, a permutation the stores undo): the product reads it
 * from the model's repacked copy, or from a pass of the row layout transposed per call
 * into an L1 buffer, and splits the nibbles itself. The other types are unpacked per
 * pass into bytes (rows_block). Every group of up to eight activations then meets the
 * pass, while the weights ahead are prefetched. One thread, 1536 x 576 Q4_1 in L2
 * (tools/kernel_bench --mib 1), G multiply-adds/s, row layout / repacked: 2 activations
 * 108 / 165, 4: 132 / 205, 8: 130 / 251, 16: 126 / 247; one activation (the decode
 * kernel) 54. The loop is bound by instructions, not by the arithmetic: a generic
 * prefetch of the next passes (loops over runs and lines with their bounds, per block)
 * had the repacked product at 79 / 126 / 195 / 214.
 *
 * As in the GEMM, block products are exact in integers and scaled in float, so results
 * equal the scalar reference up to the order of float additions, and the two layouts
 * give the same results. In the activation + residual product a group holds four
 * activations and their residuals, both added into the activation's sums. */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/micro_x86_internal.h"
#include "kernels/gemm_lanes16_internal.h"
#include "kernels/gemm_few_internal.h"
#include "kernels/gemm_legacy_internal.h"

enum {
    ROWS = 16,      /* weight rows in the lanes of a vector */
    GROUP = FEW_GROUP, /* activations (or four and their residuals) per read of the buffer */
    KC_BLOCKS = 32, /* blocks a pass unpacks: its rows and activation blocks stay in L1 */
    L2_PASSES_AHEAD = 3, /* row layout, the 1B's 8-stream decode: 2 -> 155, 3 -> 161, 4 -> 152 tok/s */
    /* How far ahead of the block in use the repacked stream is prefetched, in bytes
     * (SmolLM2 and the 1B, 8 streams: 1-8 KiB and 8-64 KiB all within 1 %) */
    STREAM_L1_AHEAD = 2048,
    STREAM_L2_AHEAD = 32768,
    MAX_GROUPS = FEW_MAX_BATCH / (GROUP / 2),
};

/* One block of ROWS rows: u[c] = elements 4c..4c+3 of each row as unsigned bytes, one
 * dword per lane; a weight is d * u + m in its lane. */
typedef struct rows_block {
    uint8_t u[8][64];
    float d[ROWS], m[ROWS];
} rows_block;
_Static_assert(sizeof(rows_block) == 640, "ten cache lines");

/* The lane of row r (and the row of lane r: the permutation is its own inverse). */
static inline int lane_of(int r) { return 4 * (r & 3) + (r >> 2); }




/* The 16 bytes at p[r] for rows r = 0..15 as four vectors: y[k] holds dword k of row r in
 * lane lane_of(r). Row groups of four fill the 128-bit quarters of z[g] (row 4g + j in
 * quarter j), then a 4 x 4 transpose within each quarter. */
static inline LF_AVX512_VNNI void transpose_rows(const uint8_t *const p[ROWS], __m512i y[4]) {
    __m512i z[4];
#pragma GCC unroll 4
    for (int g = 0; g < 4; g++) {
        __m512i v = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)p[4 * g]));
        v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)p[4 * g + 1]), 1);
        v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)p[4 * g + 2]), 2);
        z[g] = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)p[4 * g + 3]), 3);
    }
    __m512i t0 = _mm512_unpacklo_epi32(z[0], z[1]), t1 = _mm512_unpackhi_epi32(z[0], z[1]);
    __m512i t2 = _mm512_unpacklo_epi32(z[2], z[3]), t3 = _mm512_unpackhi_epi32(z[2], z[3]);
    y[0] = _mm512_unpacklo_epi64(t0, t2), y[1] = _mm512_unpackhi_epi64(t0, t2);
    y[2] = _mm512_unpacklo_epi64(t1, t3), y[3] = _mm512_unpackhi_epi64(t1, t3);
}

/* The types this kernel takes, the one list of them (those with a repacked layout:
 * FEW_REPACKED_TYPES; Q8_0's bytes are u once made unsigned). */
#define FEW_TYPES(X) X(LF_TYPE_Q4_0) X(LF_TYPE_Q4_1) X(LF_TYPE_Q5_0) X(LF_TYPE_Q5_1) X(LF_TYPE_Q8_0) X(LF_TYPE_IQ4_NL) X(LF_TYPE_Q4_K)
#define TYPE_LISTED(T) \
    case T: return true;

bool avx512_few_takes(lf_type type) {
    switch (type) {
        FEW_TYPES(TYPE_LISTED)
    default: return false;
    }
}
#undef TYPE_LISTED

/* The repacked layout, and the layout each pass of the row layout of these types is
 * transposed into: per group of ROWS rows, its blocks in order, each the rows' quants as
 * transpose_rows leaves them (four vectors per 16 bytes; nibbles not yet split: the
 * product splits them; Q8_0's made unsigned), then their d and (Q4_1) m in fp16, all in
 * lane order. */
size_t avx512_repacked_block_bytes(lf_type type) {
    if (!few_repacked_type(type)) return 0;
    return (size_t)few_quant_bytes(type) * ROWS + ROWS * sizeof(uint16_t) * (type == LF_TYPE_Q4_1 ? 2 : 1);
}

/* Block i of the rows row[0 .. ROWS) of a repacked type, blocks of bb bytes, into out, in
 * the repacked layout. The scales go out as scalar stores, read (as vectors) only once
 * the pass is done: read at once, the load would wait on sixteen store forwards. */
static inline __attribute__((always_inline)) LF_AVX512_VNNI void repack_block(lf_type type, size_t bb,
                                                                              const char *const row[ROWS], int64_t i,
                                                                              char *out) {
    size_t qs = few_stored_quants_at(type), scales = (size_t)few_quant_bytes(type) * ROWS;
    const uint8_t *p[ROWS];
#pragma GCC unroll 16
    for (int j = 0; j < ROWS; j++) {
        const char *b = row[j] + (size_t)i * bb;
        p[j] = (const uint8_t *)b + qs;
        memcpy(out + scales + 2 * lane_of(j), b, 2);
        if (type == LF_TYPE_Q4_1) memcpy(out + scales + 32 + 2 * lane_of(j), b + 2, 2);
    }
    const __m512i sign = _mm512_set1_epi8((char)0x80);
    for (int half = 0; half < few_quant_bytes(type) / 16; half++) {
        __m512i y[4];
        const uint8_t *ph[ROWS];
        for (int j = 0; j < ROWS; j++) ph[j] = p[j] + 16 * half;
        transpose_rows(ph, y);
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++)
            _mm512_storeu_si512((void *)(out + 256 * half + 64 * k),
                                type == LF_TYPE_Q8_0 ? _mm512_xor_si512(y[k], sign) : y[k]); /* w + 128 */
    }
}

LF_AVX512_VNNI void avx512_repack(lf_type type, const void *w, size_t row_bytes, int64_t rows, int64_t cols,
                                  void *out) {
    size_t ob = avx512_repacked_block_bytes(type), bb = (size_t)lf_type_get(type)->block_bytes;
    int64_t nb = cols / 32;
    char *o = out;
    for (int64_t r = 0; r < rows; r += ROWS) {
        const char *row[ROWS];
        for (int j = 0; j < ROWS; j++) row[j] = (const char *)w + (size_t)(r + j) * row_bytes;
        for (int64_t i = 0; i < nb; i++, o += ob) repack_block(type, bb, row, i, o);
    }
}

/* Blocks [b0, b0 + kb) of rows [r, r + nr) into out: a repacked type's in the repacked
 * layout, the others' as rows_block; rows past nr repeat the last one (computed, not
 * stored). Inlined per type, so the unpacking is straight-line code. */
static inline __attribute__((always_inline)) LF_AVX512_VNNI void unpack_rows(lf_type type, const char *w,
                                                                             size_t row_bytes, int64_t r, int nr,
                                                                             int64_t b0, int64_t kb, void *out) {
    const char *row[ROWS];
    for (int j = 0; j < ROWS; j++) row[j] = w + (size_t)(r + (j < nr ? j : nr - 1)) * row_bytes;
    if (few_repacked_type(type)) {
        size_t ob = avx512_repacked_block_bytes(type), bb = (size_t)lf_type_get(type)->block_bytes;
        for (int64_t i = 0; i < kb; i++) repack_block(type, bb, row, b0 + i, (char *)out + (size_t)i * ob);
        return;
    }
    rows_block *restrict blocks = out;
    for (int64_t i = 0; i < kb; i++) {
        _Alignas(32) uint8_t s[ROWS][32];
        const uint8_t *p[ROWS];
        for (int j = 0; j < ROWS; j++) {
            float d, m = 0.0f;
            _mm256_store_si256((__m256i *)s[j], gemm_unsigned_block(type, row[j], b0 + i, &d, &m));
            blocks[i].d[lane_of(j)] = d;
            blocks[i].m[lane_of(j)] = m; /* read only for types with a minimum */
        }
        __m512i y[4];
        for (int half = 0; half < 2; half++) {
            for (int j = 0; j < ROWS; j++) p[j] = s[j] + 16 * half;
            transpose_rows(p, y);
            for (int k = 0; k < 4; k++) _mm512_store_si512((void *)blocks[i].u[4 * half + k], y[k]);
        }
    }
}

/* The weights of a pass of the row layout: ROWS runs of bytes bytes from start, stride
 * apart, of which each block of the pass prefetches one line. */
typedef struct pass_run {
    const char *start;
    size_t bytes, stride;
} pass_run;

/* The run of the pass `ahead` passes after the one at rows r, block b0 of the row layout
 * (passes go through a group's blocks, then the next group's; a last group shorter than
 * ROWS is not followed), or {NULL} past the end. */
static pass_run run_ahead(const char *w, size_t row_bytes, int64_t nb, int64_t r, int64_t r1, int64_t b0, int ahead) {
    for (int k = 0; k < ahead; k++) {
        if (b0 + KC_BLOCKS < nb) {
            b0 += KC_BLOCKS;
        } else if (r + 2 * ROWS <= r1) {
            r += ROWS;
            b0 = 0;
        } else {
            return (pass_run){NULL, 0, 0};
        }
    }
    int64_t kb = nb - b0 < KC_BLOCKS ? nb - b0 : KC_BLOCKS;
    size_t first = (size_t)b0 * row_bytes / (size_t)nb & ~(size_t)63;
    return (pass_run){w + (size_t)r * row_bytes + first, (size_t)(b0 + kb) * row_bytes / (size_t)nb - first,
                      row_bytes};
}

/* Issues the prefetches of line i of each of the rows of run (a pointer; none when it is
 * NULL, and none past its end). A macro: the hint must be a constant. */
#define PREFETCH_LINE(run, i, hint)                                                                    \
    do {                                                                                               \
        if ((run) && (run)->start && (size_t)(i) * 64 < (run)->bytes)                                  \
            for (int j_ = 0; j_ < ROWS; j_++)                                                          \
                _mm_prefetch((run)->start + (size_t)j_ * (run)->stride + (size_t)(i) * 64, hint);      \
    } while (0)

/* acc + the products of u's bytes with the four bytes at p in every lane: vpdpbusd with
 * the broadcast embedded in its memory operand. The intrinsics give a broadcast load of
 * its own per product (GCC and clang alike), one more instruction for the front end per
 * eight activations' 64 products than this: SmolLM2 with 8 streams 2302 -> 2404 tok/s,
 * the 1B 296 -> 315. */
typedef struct byte_run4 {
    int8_t b[4];
} byte_run4;
static inline LF_AVX512_VNNI __m512i dpbusd_bcast4(__m512i acc, __m512i u, const int8_t *p) {
    __asm__("vpdpbusd %[m]%{1to16%}, %[u], %[acc]" : [acc] "+v"(acc) : [u] "v"(u), [m] "m"(*(const byte_run4 *)p));
    return acc;
}

/* Blocks [0, kb) of a pass against ns sources (resid: ns / 2 activations, then their
 * residuals), added to acc[o] (lanes: rows; o: the group's activation); has_min: the
 * weights have a minimum, else a zero point. The weights: unpacked in wb, or (repacked)
 * straight from the repacked blocks of type at rp, bb bytes each, whose nibbles are split
 * here (IQ4_NL's then mapped to its levels), which costs less than storing them split and
 * loading them back. Meanwhile the weights ahead come towards L1 and L2: the repacked
 * copy's STREAM_L1_AHEAD and STREAM_L2_AHEAD bytes on (the 1B, from memory: 8 streams
 * 189 tok/s without); the row layout's next pass and the pass L2_PASSES_AHEAD after
 * this one, whose unpacking waits on every line it misses otherwise (short runs far
 * apart, which the hardware prefetchers do not follow; one pass ahead is too short a
 * time to hide a miss to memory). Inlined per ns, so the sums stay in registers. */
/* Where rows_times_group reads the weights: unpacked (rows_block), or repacked blocks of
 * nibbles or (Q8_0) of bytes. */
typedef enum weight_source { FROM_UNPACKED, FROM_NIBBLES, FROM_BYTES } weight_source;

static inline __attribute__((always_inline)) LF_AVX512_VNNI void rows_times_group(
    weight_source from, const rows_block *wb, const char *rp, size_t bb, lf_type type, int64_t kb, const few_block *x,
    int ns, bool resid, bool has_min, const pass_run *next, const pass_run *after, __m512 acc_io[GROUP]) {
    int n_out = resid ? ns / 2 : ns;
    bool repacked = from != FROM_UNPACKED, bytes = from == FROM_BYTES, levels = type == LF_TYPE_IQ4_NL;
    int zi = few_zero_index(type);
    size_t scales = (size_t)few_quant_bytes(type) * ROWS;
    const __m512i low = _mm512_set1_epi8(0x0F);
    /* IQ4_NL's levels + 128, unsigned, in every quarter for the byte shuffle */
    const __m512i level_bytes = _mm512_broadcast_i32x4(
        _mm_xor_si128(_mm_loadu_si128((const __m128i *)iq4nl_values), _mm_set1_epi8((char)0x80)));
    /* locals, not the caller's memory: stores through acc_io would otherwise be redone
     * every block, for all the compiler knows of aliasing */
    __m512 acc[GROUP];
#pragma GCC unroll 8
    for (int o = 0; o < n_out; o++) acc[o] = acc_io[o];
    for (int64_t i = 0; i < kb; i++) {
        const char *blk = repacked ? rp + (size_t)i * bb : NULL;
        if (repacked) {
            /* a thread's passes follow each other in the copy: one stream, no end to check
             * (a prefetch past it, or past the weights, is a hint that never faults) */
            uintptr_t at = (uintptr_t)blk;
            for (size_t o = 0; o < bb; o += 64) {
                _mm_prefetch((const char *)(at + STREAM_L1_AHEAD + o), _MM_HINT_T0);
                _mm_prefetch((const char *)(at + STREAM_L2_AHEAD + o), _MM_HINT_T1);
            }
        } else {
            PREFETCH_LINE(next, i, _MM_HINT_T0);
            PREFETCH_LINE(after, i, _MM_HINT_T1);
        }
        __m512i sum[GROUP], raw[4];
        if (repacked && !bytes) {
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++) raw[k] = _mm512_loadu_si512((const void *)(blk + 64 * k));
        }
#pragma GCC unroll 8
        for (int k = 0; k < ns; k++) sum[k] = _mm512_setzero_si512();
#pragma GCC unroll 8
        for (int c = 0; c < 8; c++) {
            __m512i u;
            if (repacked && bytes) {
                u = _mm512_loadu_si512((const void *)(blk + 64 * c));
            } else if (repacked) {
                u = _mm512_and_si512(c < 4 ? raw[c] : _mm512_srli_epi16(raw[c - 4], 4), low);
                if (levels) u = _mm512_shuffle_epi8(level_bytes, u);
            } else {
                u = _mm512_load_si512((const void *)wb[i].u[c]);
            }
#pragma GCC unroll 8
            for (int k = 0; k < ns; k++)
                sum[k] = dpbusd_bcast4(sum[k], u, x[i * GROUP + k].q + 4 * c);
        }
        const __m512 d = repacked ? _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(blk + scales)))
                                  : _mm512_load_ps(wb[i].d);
        __m512 m = _mm512_setzero_ps();
        if (has_min)
            m = repacked ? _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(blk + scales + 32)))
                         : _mm512_load_ps(wb[i].m);
#pragma GCC unroll 8
        for (int k = 0; k < ns; k++) {
            int o = k % n_out;
            __m512 scale = _mm512_mul_ps(d, _mm512_set1_ps(x[i * GROUP + k].d));
            if (has_min) {
                acc[o] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[k]), scale, acc[o]);
                acc[o] = _mm512_fmadd_ps(m, _mm512_set1_ps(x[i * GROUP + k].ds), acc[o]);
            } else {
                __m512i centred = _mm512_sub_epi32(sum[k], _mm512_set1_epi32(x[i * GROUP + k].zs[zi]));
                acc[o] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(centred), scale, acc[o]);
            }
        }
    }
#pragma GCC unroll 8
    for (int o = 0; o < n_out; o++) acc_io[o] = acc[o];
}
#undef PREFETCH_LINE

#define FEW_GROUP_CALL(N, FROM)                                                                          \
    do {                                                                                                   \
        if (resid && has_min) rows_times_group(FROM, wb, rp, bb, type, kb, x, N, true, true, next, after, acc);   \
        else if (resid) rows_times_group(FROM, wb, rp, bb, type, kb, x, N, true, false, next, after, acc);       \
        else if (has_min) rows_times_group(FROM, wb, rp, bb, type, kb, x, N, false, true, next, after, acc);     \
        else rows_times_group(FROM, wb, rp, bb, type, kb, x, N, false, false, next, after, acc);                 \
    } while (0)
#define FEW_GROUP_CASE(N)                                                                                 \
    case N:                                                                                               \
        if (!rp) FEW_GROUP_CALL(N, FROM_UNPACKED);                                                        \
        else if (type != LF_TYPE_Q8_0) FEW_GROUP_CALL(N, FROM_NIBBLES);                                    \
        else if (resid) rows_times_group(FROM_BYTES, wb, rp, bb, type, kb, x, N, true, false, next, after, acc); \
        else rows_times_group(FROM_BYTES, wb, rp, bb, type, kb, x, N, false, false, next, after, acc);    \
        break;

/* rows_times_group for ns sources from wb, or (rp not NULL) from the repacked blocks at rp. */
static LF_AVX512_VNNI void rows_times_sources(const rows_block *wb, const char *rp, size_t bb, lf_type type, int64_t kb,
                                              const few_block *x, int ns, bool resid, bool has_min,
                                              const pass_run *next, const pass_run *after, __m512 acc[GROUP]) {
    switch (ns) {
        FEW_GROUP_CASE(1) FEW_GROUP_CASE(2) FEW_GROUP_CASE(3) FEW_GROUP_CASE(4)
        FEW_GROUP_CASE(5) FEW_GROUP_CASE(6) FEW_GROUP_CASE(7) FEW_GROUP_CASE(8)
    default: break;
    }
}
#undef FEW_GROUP_CALL
#undef FEW_GROUP_CASE


/* Rows [r0, r1) against the batch's sources, a group at a time, each pass of rows
 * unpacked once for all of them. */
typedef struct few_call {
    const few_block *x; /* group g's block i at x[(g * nb + i) * GROUP] */
    int n_batch;
    bool resid;
    float *y;
    size_t y_stride;
} few_call;

/* w: the weights in rows row_bytes apart, or (repacked) in the repacked layout. */
static inline __attribute__((always_inline)) LF_AVX512_VNNI void few_type(lf_type type, bool repacked,
                                                                          const char *w, size_t row_bytes,
                                                                          int64_t r0, int64_t r1, int64_t nb,
                                                                          rows_block *wb, const few_call *c) {
    int n_groups = few_group_count(c->n_batch, c->resid);
    size_t bb = avx512_repacked_block_bytes(type);
    /* lane_of(r) is its own inverse: row r's result is in lane lane_of(r) */
    const __m512i rows = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    __m512 acc[MAX_GROUPS][GROUP];
    for (int64_t r = r0; r < r1; r += ROWS) {
        int nr = r1 - r < ROWS ? (int)(r1 - r) : ROWS;
        for (int g = 0; g < n_groups; g++)
            for (int o = 0; o < GROUP; o++) acc[g][o] = _mm512_setzero_ps();
        for (int64_t b0 = 0; b0 < nb; b0 += KC_BLOCKS) {
            int64_t kb = nb - b0 < KC_BLOCKS ? nb - b0 : KC_BLOCKS;
            /* the repacked types' passes in the repacked layout: the copy's, or transposed here */
            const char *rp = repacked ? w + ((size_t)(r / ROWS) * (size_t)nb + (size_t)b0) * bb
                             : few_repacked_type(type) ? (const char *)wb
                                                 : NULL;
            if (!repacked) unpack_rows(type, w, row_bytes, r, nr, b0, kb, wb);
            /* by pointer, and none for the repacked: copies of a run built on the stack
             * wait on store forwarding (6 % of an 8-stream step) */
            pass_run next, after;
            if (!repacked) {
                next = run_ahead(w, row_bytes, nb, r, r1, b0, 1);
                after = run_ahead(w, row_bytes, nb, r, r1, b0, L2_PASSES_AHEAD);
            }
            for (int g = 0; g < n_groups; g++) {
                int n_out = few_group_outputs(c->n_batch, c->resid, g);
                rows_times_sources(wb, rp, bb, type, kb, c->x + ((size_t)g * (size_t)nb + (size_t)b0) * GROUP,
                                   c->resid ? 2 * n_out : n_out,
                                   c->resid, gemm_zero_point(type) == 0.0f, g == 0 && !repacked ? &next : NULL,
                                   g == 0 && !repacked ? &after : NULL, acc[g]);
            }
        }
        __mmask16 keep = (__mmask16)((1u << nr) - 1);
        for (int g = 0; g < n_groups; g++) {
            int first = g * few_per_group(c->resid), n_out = few_group_outputs(c->n_batch, c->resid, g);
            for (int o = 0; o < n_out; o++)
                _mm512_mask_storeu_ps(c->y + (size_t)(first + o) * c->y_stride + r, keep,
                                      _mm512_permutexvar_ps(rows, acc[g][o]));
        }
    }
}

#define FEW_TYPE_CASE(T) \
    case T: few_type(T, false, w, row_bytes, r0, r1, nb, wb, c); break;
#define REPACKED_TYPE_CASE(T) \
    case T: few_type(T, true, w, 0, r0, r1, nb, wb, c); break;

static LF_AVX512_VNNI void few_rows_all(lf_type type, bool repacked, const char *w, size_t row_bytes, int64_t r0,
                                        int64_t r1, int64_t nb, rows_block *wb, const few_call *c) {
    if (repacked) {
        switch (type) {
            FEW_REPACKED_TYPES(REPACKED_TYPE_CASE)
        default: break;
        }
        return;
    }
    switch (type) {
        FEW_TYPES(FEW_TYPE_CASE)
    default: break;
    }
}
#undef FEW_TYPE_CASE
#undef REPACKED_TYPE_CASE



/* The product of either layout from the packed batch x. wb: the buffer a pass of the row
 * layout is unpacked into (NULL for the repacked). */
static void gemm_few(lf_type type, bool repacked, const char *w, size_t row_bytes, int64_t n_cols, int64_t r0,
                     int64_t r1, const few_block *x, int n_batch, bool resid, rows_block *wb, float *y,
                     size_t y_stride) {
    few_call c = {x, n_batch, resid, y, y_stride};
    few_rows_all(type, repacked, w, row_bytes, r0, r1, n_cols / 32, wb, &c);
}

bool avx512_gemm_few(lf_type type, const void *w, size_t row_bytes, int64_t n_cols, int64_t r0, int64_t r1,
                     const void *xq, const void *xr, size_t stride, int n_batch, float *y, size_t y_stride) {
    if (!avx512_few_takes(type) || n_batch < 1 || n_batch > FEW_MAX_BATCH) return false;
    int64_t nb = n_cols / 32;
    size_t kc = (size_t)(nb < KC_BLOCKS ? nb : KC_BLOCKS);
    size_t wb_bytes = kc * sizeof(rows_block);
    int n_groups = few_group_count(n_batch, xr);
    size_t x_bytes = (size_t)n_groups * (size_t)nb * GROUP * sizeof(few_block);
    char *mem = aligned_alloc(64, wb_bytes + x_bytes);
    if (!mem) return false;
    few_block *x = (few_block *)(mem + wb_bytes);
    for (int b = 0; b < n_batch; b++)
        few_pack_row(type, n_cols, n_batch, xr, b, (const char *)xq + (size_t)b * stride,
                     xr ? (const char *)xr + (size_t)b * stride : NULL, x);
    gemm_few(type, false, w, row_bytes, n_cols, r0, r1, x, n_batch, xr, (rows_block *)mem, y, y_stride);
    free(mem);
    return true;
}

bool avx512_gemm_few_repacked(lf_type type, const void *wr, int64_t n_cols, int64_t r0, int64_t r1, const void *packed,
                              int n_batch, bool resid, float *y, size_t y_stride) {
    if (!avx512_repacked_block_bytes(type) || !few_acts_bytes(n_cols, n_batch, resid)) return false;
    gemm_few(type, true, wr, 0, n_cols, r0, r1, packed, n_batch, resid, NULL, y, y_stride);
    return true;
}
#endif
