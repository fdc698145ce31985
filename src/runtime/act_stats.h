/* Activation statistics for an importance matrix: for every weight matrix of every
 * layer, the sum over the tokens run of the square of each input column (what
 * llama-imatrix collects), and the number of tokens. Weights that multiply the same
 * input (Q, K and V; gate and up) share one sum. Collected by the forward pass when a
 * context's act_stats is set, at no cost otherwise. */
#ifndef LF_RUNTIME_ACT_STATS_H
#define LF_RUNTIME_ACT_STATS_H

#include <stdint.h>

#include "llamafast.h"

typedef enum lf_act_input {
    LF_ACT_ATTN_IN,  /* attn_q, attn_k, attn_v: the normed residual stream */
    LF_ACT_ATTN_OUT, /* attn_output: the attention heads' output */
    LF_ACT_FFN_IN,   /* ffn_gate, ffn_up: the normed residual stream */
    LF_ACT_FFN_DOWN, /* ffn_down: silu(gate) * up */
    LF_ACT_INPUTS
} lf_act_input;

typedef struct lf_act_stats {
    int n_layers;
    int64_t cols[LF_ACT_INPUTS];
    double *sums[LF_ACT_INPUTS]; /* n_layers * cols: layer l's sums at l * cols */
    int64_t *rows;               /* n_layers * LF_ACT_INPUTS rows added */
} lf_act_stats;

int lf_act_stats_init(lf_act_stats *s, int n_layers, const int64_t cols[LF_ACT_INPUTS], lf_error *err);
void lf_act_stats_free(lf_act_stats *s);
/* Adds n rows of x (cols[input] floats each) to layer's sums for input. */
void lf_act_stats_add(lf_act_stats *s, int layer, lf_act_input input, const float *x, int n);

#endif
