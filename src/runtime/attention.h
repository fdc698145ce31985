/* Causal multi-head attention over a KV cache, flash-attention style.
 *
 * K and V rows are stored as f32, f16 or q8_0 (src/kernels/attention_kernels.h; f16 and
 * q8_0 halve and nearly quarter the cache and the bytes attention reads per token). Work
 * is cut into tasks of
 * (block of query tokens, KV head, range of positions): every query head that shares the
 * KV head (the GQA group) and every token of the block is scored against the same K row
 * and accumulates the same V row, so each K/V row is read (F16 in place, Q8_0 converted to f32) once per
 * task, not once per query head and token. Positions are walked in tiles of
 * LF_ATTN_TILE with a running maximum and sum per query row (online softmax), so no
 * buffer grows with the context: the scratch of a thread is a few tiles.
 *
 * When (token blocks x KV heads) would leave threads idle, as in decoding one token with
 * few KV heads, the positions are also split into ranges; each range leaves a partial
 * (max, sum, unnormalized output) per query row and a second pass merges them.
 *
 * The tile kernels (KV rows to f32, Q·K scores of a tile, its online-softmax step, P·V accumulation) live in
 * src/kernels (attention_kernels.h); this file plans the tasks and runs them on threads. */
#ifndef LF_RUNTIME_ATTENTION_H
#define LF_RUNTIME_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/attention_kernels.h"
#include "runtime/threadpool.h"

#define LF_ATTN_TILE 64        /* positions per tile */
#define LF_ATTN_ROWS 32        /* target query rows (tokens x group heads) per task */
#define LF_ATTN_MIN_SPLIT 256  /* fewest positions worth a range of their own */

typedef struct lf_attention_args {
    const float *q;        /* n rows of n_heads*head_dim floats, q_stride floats apart (RoPE applied) */
    size_t q_stride;
    const void *k, *v;     /* caches of one layer: position p of KV head h at byte h*kv_head_stride + p*kv_stride */
    lf_type k_type, v_type; /* F32, F16 or Q8_0 rows of head_dim values */
    size_t k_stride, v_stride; /* bytes between positions */
    size_t k_head_stride, v_head_stride; /* bytes between KV heads; 0 = one row ([position][kv_dim] rows) */
    float *out;            /* n rows of n_heads*head_dim floats, out_stride apart */
    size_t out_stride;
    int n, pos0;           /* query token t is at position pos0 + t and sees positions [0, pos0 + t] */
    int n_heads, n_kv_heads, head_dim;
    int splits;            /* position ranges per task group; 0 = choose (tests force it) */
} lf_attention_args;

typedef struct lf_attention_ws lf_attention_ws;

/* Scratch for up to max_tokens query tokens per call on n_threads threads; NULL when out
 * of memory. */
/* Memory for a KV cache of n bytes (uninitialised; free() it), on transparent huge pages
 * when large enough; NULL when out of memory. */
void *lf_attn_kv_alloc(size_t n);

lf_attention_ws *lf_attention_ws_create(int n_threads, int n_heads, int n_kv_heads, int head_dim, int max_tokens);
void lf_attention_ws_free(lf_attention_ws *ws);

/* out = softmax(q k^T / sqrt(head_dim), causal) v for every token and head. n_heads must
 * be a multiple of n_kv_heads; n <= max_tokens of ws. */
void lf_attention(lf_threadpool *pool, lf_attention_ws *ws, const lf_attention_args *a);

/* lf_attention of each of n_parts calls (queries against different caches, as the
 * contexts of a batched step), in one run of the pool when their tasks keep every thread
 * busy without splitting positions; the results are those of separate calls with
 * splits = 1 (bit for bit), or of the separate calls. before (NULL: none) runs first,
 * all of its tasks finished before any attention task starts: in the same job as the
 * attention when that is one run (lf_threadpool_run2). */
void lf_attention_parts(lf_threadpool *pool, lf_attention_ws *ws, const lf_attention_args *parts, int n_parts,
                        const lf_pool_part *before);

#endif
