#include "convert/quant_imatrix.h"

#include <string.h>

#include "core/error.h"
#include "format/gguf_write.h"

quant_imatrix_kv quant_imatrix_keys(const lf_imatrix *im) {
    quant_imatrix_kv kv = {.keys = {"quantize.imatrix.file"}, .n = 1};
    if (lf_imatrix_dataset(im)) kv.keys[kv.n++] = "quantize.imatrix.dataset";
    kv.keys[kv.n++] = "quantize.imatrix.entries_count";
    if (lf_imatrix_chunk_count(im) > 0) kv.keys[kv.n++] = "quantize.imatrix.chunks_count";
    return kv;
}

/* strings cut to 127 bytes as llama-quantize's key-value overrides hold them, counts
 * as u32 (gguf_set_val_u32 of an INT override); the keys quant_imatrix_keys lists */
int quant_imatrix_write_metadata(const lf_imatrix *im, const char *path, gguf_writer *w, lf_error *err) {
    const char *dataset = lf_imatrix_dataset(im);
    int rc = gguf_writer_add_str_n(w, "quantize.imatrix.file", path, strnlen(path, 127), err);
    if (!rc && dataset) rc = gguf_writer_add_str_n(w, "quantize.imatrix.dataset", dataset, strnlen(dataset, 127), err);
    if (!rc) rc = gguf_writer_add_u32(w, "quantize.imatrix.entries_count", (uint32_t)lf_imatrix_n_entries(im), err);
    if (!rc && lf_imatrix_chunk_count(im) > 0)
        rc = gguf_writer_add_u32(w, "quantize.imatrix.chunks_count", (uint32_t)lf_imatrix_chunk_count(im), err);
    return rc;
}

/* tensor_name_match_token_embd: llama.cpp ignores an imatrix size mismatch there (its
 * comment: the embedding always causes one) */
static bool is_token_embd(const char *name) {
    return strcmp(name, "token_embd.weight") == 0 || strcmp(name, "per_layer_token_embd.weight") == 0;
}

/* tensor_requires_imatrix for the types quantize writes: Q2_K in a Q2_K_S file, the
 * embedding and output excepted */
static bool requires_imatrix(const char *name, lf_type to, quant_ftype ftype) {
    return to == LF_TYPE_Q2_K && ftype == FTYPE_Q2_K_S && !is_token_embd(name) && strcmp(name, "output.weight") != 0;
}

int quant_imatrix_for(const lf_imatrix *im, const char *im_path, const lf_tensor_view *t, lf_type to,
                      quant_ftype ftype, const float **importance, lf_error *err) {
    *importance = NULL;
    int64_t n = 0;
    const float *v = im ? lf_imatrix_importance(im, t->name, &n) : NULL;
    /* one row of importances per expert (ne[2]); llama.cpp's weights have no ne[3] */
    int64_t want = t->ne[0] * t->ne[2] * t->ne[3];
    if (v && n == want)
        *importance = v;
    else if (v && !is_token_embd(t->name))
        return lf_fail(err, LF_ERR_FORMAT, "%s: imatrix size %lld is different from tensor size %lld for %s (an "
                       "imatrix of another model?)", im_path, (long long)n, (long long)want, t->name);
    if (*importance || !requires_imatrix(t->name, to, ftype)) return LF_OK;
    if (!im)
        return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: Q2_K_S quantizes it to Q2_K, which needs an importance matrix "
                       "(--imatrix FILE, as llama-quantize requires); use Q2_K or Q3_K_S", t->name);
    return lf_fail(err, LF_ERR_FORMAT, "%s: no importance for %s, which Q2_K_S quantizes to Q2_K (llama-quantize "
                   "too refuses this very low-bit type without one)", im_path, t->name);
}
