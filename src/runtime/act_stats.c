/* Sums of squared activations per input column (act_stats.h). Doubles, so that the
 * order tokens arrive in changes nothing that a float file would show. */
#include "runtime/act_stats.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

int lf_act_stats_init(lf_act_stats *s, int n_layers, const int64_t cols[LF_ACT_INPUTS], lf_error *err) {
    memset(s, 0, sizeof *s);
    s->n_layers = n_layers;
    s->rows = calloc((size_t)n_layers * LF_ACT_INPUTS, sizeof *s->rows);
    bool ok = s->rows != NULL;
    for (int i = 0; i < LF_ACT_INPUTS; i++) {
        s->cols[i] = cols[i];
        ok = ok && (s->sums[i] = calloc((size_t)n_layers * (size_t)cols[i], sizeof(double))) != NULL;
    }
    if (ok) return LF_OK;
    lf_act_stats_free(s);
    return lf_fail(err, LF_ERR_NOMEM, "out of memory for activation statistics");
}

void lf_act_stats_free(lf_act_stats *s) {
    for (int i = 0; i < LF_ACT_INPUTS; i++) free(s->sums[i]);
    free(s->rows);
    memset(s, 0, sizeof *s);
}

void lf_act_stats_add(lf_act_stats *s, int layer, lf_act_input input, const float *x, int n) {
    int64_t cols = s->cols[input];
    double *acc = s->sums[input] + (size_t)layer * (size_t)cols;
    for (int t = 0; t < n; t++, x += cols)
        for (int64_t j = 0; j < cols; j++) acc[j] += (double)x[j] * (double)x[j];
    s->rows[layer * LF_ACT_INPUTS + input] += n;
}
