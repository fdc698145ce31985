/* Which importance each tensor is quantized with, as llama-quantize --imatrix picks it:
 * the file's entry of the same name when its size is the tensor's, an error when the
 * size differs (but for the token embedding), and an error for a tensor whose target
 * type llama.cpp will not write without one. */
#ifndef LF_CONVERT_QUANT_IMATRIX_H
#define LF_CONVERT_QUANT_IMATRIX_H

#include "convert/quant_types.h"
#include "format/gguf_write.h"
#include "model/tensor_view.h"

/* The quantize.imatrix.* keys as llama-quantize states them, keys[0..n) (at most 4). */
typedef struct quant_imatrix_kv {
    const char *keys[4];
    int n;
} quant_imatrix_kv;
quant_imatrix_kv quant_imatrix_keys(const lf_imatrix *im);
/* Adds those keys to w; path is the imatrix file as the user named it. */
int quant_imatrix_write_metadata(const lf_imatrix *im, const char *path, gguf_writer *w, lf_error *err);

/* The importance (ne[0] values per expert) tensor t goes to type `to` with, NULL for
 * none; im may be NULL. Called only for tensors that are converted (a tensor already of
 * its target type is copied and needs none). */
int quant_imatrix_for(const lf_imatrix *im, const char *im_path, const lf_tensor_view *t, lf_type to,
                      quant_ftype ftype, const float **importance, lf_error *err);

#endif
