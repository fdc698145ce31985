/* Repacked copies of the matrix weights (lf_model_params.repack): the layout the kernel
 * set's product for batches of a few tokens reads (lf_repack_rows), made once at load
 * beside the weights as stored, which single-token steps and prompts keep reading. The
 * copies are an optimisation, so a model that would not fit them loads without them
 * (a warning says why) rather than failing or pushing the machine into swap: when the
 * allocation fails, or when they would take more than half the memory the system says
 * is available (MemAvailable of /proc/meminfo, where there is one). */
#include <stdio.h>
#include <stdlib.h>

#include "core/error.h"
#include "core/huge_alloc.h"
#include "model/model.h"

/* The matrices a copy is made of: each layer's, then the output. */
static int matrices(lf_model *m, lf_weight **out) {
    int n = 0;
    for (int l = 0; l < m->cfg.n_layers; l++)
        for (int i = 0; i < LF_LAYER_MATRICES; i++) out[n++] = &m->layers[l].matrices[i];
    out[n++] = &m->output;
    return n;
}

/* MemAvailable in bytes, or 0 when the system does not say. */
static uint64_t memory_available(void) {
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return 0;
    char line[256];
    unsigned long long kib = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1) break;
    fclose(f);
    return (uint64_t)kib * 1024;
}

int lf_model_repack_weights(lf_model *m, lf_error *err) {
    lf_weight **ws = malloc(((size_t)m->cfg.n_layers * LF_LAYER_MATRICES + 1) * sizeof *ws);
    if (!ws) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    int n = matrices(m, ws);
    uint64_t total = 0;
    for (int i = 0; i < n; i++) total += lf_repacked_bytes(ws[i]->type, ws[i]->rows, ws[i]->cols);
    uint64_t avail = memory_available();
    char *copy = NULL;
    if (total && avail && total > avail / 2)
        lf_log(LF_LOG_WARN, "weights not repacked for batched streams: the copy would take %.0f MiB, more than half "
                            "of the %.0f MiB available",
               (double)total / 1048576.0, (double)avail / 1048576.0);
    else if (total && (!(copy = lf_huge_alloc((size_t)total)) || lf_model_own(m, copy))) {
        free(copy);
        copy = NULL;
        lf_log(LF_LOG_WARN, "weights not repacked for batched streams: no memory for the copy (%.0f MiB)",
               (double)total / 1048576.0);
    }
    for (int i = 0; copy && i < n; i++) {
        size_t bytes = lf_repacked_bytes(ws[i]->type, ws[i]->rows, ws[i]->cols);
        if (!bytes) continue; /* no repacked product for this type or shape: the stored rows serve */
        lf_repack_rows(ws[i]->type, ws[i]->data, ws[i]->row_bytes, ws[i]->rows, ws[i]->cols, copy);
        ws[i]->repacked = copy;
        copy += bytes;
    }
    if (copy) m->repacked_bytes = total;
    free(ws);
    return LF_OK;
}
