/* The state of one conversation: KV cache, activation scratch, logits, thread pool. */
#ifndef LF_RUNTIME_CONTEXT_H
#define LF_RUNTIME_CONTEXT_H

#include "model/model.h"
#include "runtime/act_stats.h"
#include "runtime/attention.h"
#include "runtime/threadpool.h"

/* Tokens processed per forward step of a long prompt; bounds the scratch memory. */
#define LF_MAX_BATCH 256
/* Distinct activation encodings one step may need (weights of mixed types). */
#define LF_MAX_ACT_SLOTS 3

struct lf_context {
    const lf_model *model;
    int n_ctx, pos;
    int32_t *tokens; /* n_ctx slots: the ids whose keys/values fill positions [0, pos) */
    bool logits_all;
    int n_batch; /* tokens per forward step */
    void (*progress)(int done, int total, void *user);
    void *progress_user;
    lf_threadpool *pool;

    void *k_cache, *v_cache;  /* [layer][kv_head][position] rows of head_dim values: each
                                 attention task streams one contiguous run */
    lf_kv_type type_k, type_v;
    lf_type k_row_type, v_row_type; /* the kernels' row formats of type_k, type_v */
    size_t k_row_bytes, v_row_bytes; /* one row (KV head, position) */
    float *rope_freqs;        /* rope_dim/2 angular frequencies */
    float *rope_rot;          /* per row of a step: the rope_dim/2 cosines, then the sines, of
                                 its position's angles; made at the first layer, read at all */

    /* scratch for up to LF_MAX_BATCH tokens */
    float *x, *xb, *q, *k, *v, *att, *ffn_gate, *ffn_up;
    void *act[LF_MAX_ACT_SLOTS];       /* activations converted for a weight type */
    void *act_resid[LF_MAX_ACT_SLOTS]; /* their rounding residuals, converted likewise */
    size_t act_row_bytes;              /* capacity of one row in act[] */
    void *act_packed[LF_MAX_ACT_SLOTS]; /* a few rows of act[] (and act_resid[]) packed for the
                                          repacked weights' product, when the model has them */
    size_t act_packed_bytes;            /* capacity of each */
    bool precise_activations;          /* with residuals */
    float *act_float;                  /* a row of dequantized activations per thread */
    size_t act_float_cols;             /* the floats of each thread's row */
    lf_attention_ws *attn;             /* attention scratch (no n_ctx-sized buffers) */

    float *logits;      /* vocab × n_logits */
    int n_logits, logits_cap;

    lf_act_stats *act_stats; /* when set, the forward pass adds every weight input to it */

    float *step_logits; /* as the lead of lf_forward_parts: the logits of every part, grown on demand */
    int step_logits_cap;

    float *spec_probs;  /* speculative sampling with a draft model: distributions, grown on demand */
    size_t spec_probs_cap;
};

/* The kernel row type of a KV cache type (a valid lf_kv_type). */
lf_type lf_kv_row_type(lf_kv_type type);

/* One forward step over n <= LF_MAX_BATCH tokens at ctx->pos; advances pos. Appends the
 * logits of tokens [logits_from, n) to ctx->logits (none when logits_from >= n). */
int lf_forward_batch(lf_context *ctx, const int32_t *tokens, int n, int logits_from, lf_error *err);

/* n tokens of one context in a step over several (continuous batching). */
typedef struct lf_forward_part {
    lf_context *ctx;
    const int32_t *tokens;
    int n, logits_from; /* as lf_forward_batch's */
} lf_forward_part;

/* One forward step over the parts' tokens (distinct contexts of lead's model, at most
 * LF_MAX_BATCH tokens in all): each part as lf_forward_batch on its context would, the
 * rows going through the matrix products together on lead's threads and scratch. The
 * parts' contexts must have lead's precise_activations and act_stats (the products and
 * their observation are the lead's). */
int lf_forward_parts(lf_context *lead, const lf_forward_part *parts, int n_parts, lf_error *err);

_Static_assert(LF_MAX_BATCH == LF_DECODE_MULTI_MAX_TOKENS, "lf_decode_multi runs one forward step");

/* Makes room for the logits of n tokens. */
int lf_context_reserve_logits(lf_context *ctx, int n, lf_error *err);
/* LF_OK when n tokens (1 or more, in the vocabulary) fit in ctx after its position. */
int lf_context_check_tokens(const lf_context *ctx, const int32_t *tokens, int n, lf_error *err);

#endif
