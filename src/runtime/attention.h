/* Causal multi-head attention over an fp16 KV cache, flash-attention style.
 *
 * K and V rows are stored as IEEE fp16 ([position][kv_dim], one layer at a time), which
 * halves the cache and the bytes attention reads per token. Work is cut into tasks of
 * (block of query tokens, KV head, range of positions): every query head that shares the
 * KV head (the GQA group) and every token of the block is scored against the same K row
 * and accumulates the same V row, so each K/V row is read (and converted to f32) once per
 * task, not once per query head and token. Positions are walked in tiles of
 * LF_ATTN_TILE with a running maximum and sum per query row (online softmax), so no
 * buffer grows with the context: the scratch of a thread is a few tiles.
 *
 * When (token blocks x KV heads) would leave threads idle, as in decoding one token with
 * few KV heads, the positions are also split into ranges; each range leaves a partial
 * (max, sum, unnormalized output) per query row and a second pass merges them.
 *
 * The tile kernels (f16 <-> f32 rows, Q·K scores of a tile, P·V accumulation) have a
 * scalar reference and AVX2/FMA/F16C variants (attention_avx2.c), chosen at run time
 * from lf_kernels_level(). */
#ifndef LF_RUNTIME_ATTENTION_H
#define LF_RUNTIME_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/threadpool.h"

#define LF_ATTN_TILE 64        /* positions per tile */
#define LF_ATTN_ROWS 32        /* target query rows (tokens x group heads) per task */
#define LF_ATTN_MIN_SPLIT 256  /* fewest positions worth a range of their own */

typedef struct lf_attention_args {
    const float *q;        /* n rows of n_heads*head_dim floats, q_stride floats apart (RoPE applied) */
    size_t q_stride;
    const uint16_t *k, *v; /* fp16 caches of one layer: position p of KV head h at h*kv_head_stride + p*kv_stride */
    size_t kv_stride;      /* elements between positions */
    size_t kv_head_stride; /* elements between KV heads; 0 = head_dim ([position][kv_dim] rows) */
    float *out;            /* n rows of n_heads*head_dim floats, out_stride apart */
    size_t out_stride;
    int n, pos0;           /* query token t is at position pos0 + t and sees positions [0, pos0 + t] */
    int n_heads, n_kv_heads, head_dim;
    int splits;            /* position ranges per task group; 0 = choose (tests force it) */
} lf_attention_args;

typedef struct lf_attention_ws lf_attention_ws;

/* Scratch for up to max_tokens query tokens per call on n_threads threads; NULL when out
 * of memory. */
lf_attention_ws *lf_attention_ws_create(int n_threads, int n_heads, int n_kv_heads, int head_dim, int max_tokens);
void lf_attention_ws_free(lf_attention_ws *ws);

/* out = softmax(q k^T / sqrt(head_dim), causal) v for every token and head. n_heads must
 * be a multiple of n_kv_heads; n <= max_tokens of ws. */
void lf_attention(lf_threadpool *pool, lf_attention_ws *ws, const lf_attention_args *a);

/* f32 <-> fp16 rows (round to nearest even; SIMD and scalar give identical bits). */
void lf_attn_f32_to_f16_row(uint16_t *dst, const float *src, int64_t n);
void lf_attn_f16_to_f32_row(float *dst, const uint16_t *src, int64_t n);

/* The tile kernels, for the tests. s[r*s_stride + j] = dot(q[r*hd ...], k[j*hd ...]) for
 * r < rows, j < np. o[r*hd + d] = o[r*hd + d]*c[r] + sum_j p[r*p_stride + j]*v[j*hd + d]. */
typedef struct lf_attn_kernels {
    void (*f32_to_f16)(uint16_t *dst, const float *src, int64_t n);
    void (*f16_to_f32)(float *dst, const uint16_t *src, int64_t n);
    void (*qk)(const float *q, int rows, const float *k, int np, int hd, float *s, int s_stride);
    void (*pv)(float *o, const float *c, int rows, const float *p, int p_stride, const float *v, int np, int hd);
} lf_attn_kernels;
/* The kernels of the current lf_kernels_level() (scalar when not x86 or no AVX2). */
const lf_attn_kernels *lf_attn_kernels_current(void);
const lf_attn_kernels *lf_attn_kernels_scalar(void);
/* NULL when not built for x86. */
const lf_attn_kernels *lf_attn_kernels_avx2(void);

#endif
