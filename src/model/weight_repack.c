/* Repacked copies of the matrix weights (lf_model_params.repack): the layout the kernel
 * set's product for batches of a few tokens reads (lf_repack_rows), made once at load
 * beside the weights as stored, which single-token steps and prompts keep reading. */
#include <stdio.h>
#include <stdlib.h>

#include "core/error.h"
#include "core/huge_alloc.h"
#include "model/model.h"

static int repack_weight(lf_model *m, lf_weight *w, const char *name, lf_error *err) {
    size_t bytes = lf_repacked_bytes(w->type, w->rows, w->cols);
    if (!bytes) return LF_OK; /* no repacked product for this type or shape: the stored rows serve */
    void *dst = lf_huge_alloc(bytes);
    if (!dst || lf_model_own(m, dst)) {
        free(dst);
        return lf_fail(err, LF_ERR_NOMEM, "out of memory repacking tensor '%s' (%zu bytes) for batches", name, bytes);
    }
    lf_repack_rows(w->type, w->data, w->row_bytes, w->rows, w->cols, dst);
    w->repacked = dst;
    m->repacked_bytes += bytes;
    return LF_OK;
}

int lf_model_repack_weights(lf_model *m, lf_error *err) {
    static const char *const names[] = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"};
    for (int l = 0; l < m->cfg.n_layers; l++) {
        lf_layer_weights *L = &m->layers[l];
        lf_weight *ws[] = {&L->wq, &L->wk, &L->wv, &L->wo, &L->ffn_gate, &L->ffn_up, &L->ffn_down};
        for (int i = 0; i < 7; i++) {
            char name[64];
            snprintf(name, sizeof name, "blk.%d.%s", l, names[i]);
            int rc = repack_weight(m, ws[i], name, err);
            if (rc) return rc;
        }
    }
    return repack_weight(m, &m->output, "output", err);
}
