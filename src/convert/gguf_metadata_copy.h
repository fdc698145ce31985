/* The metadata of a GGUF source carried into a quantized GGUF, as llama-quantize
 * carries it: every key-value in order, less what the new file states anew. */
#ifndef LF_CONVERT_GGUF_METADATA_COPY_H
#define LF_CONVERT_GGUF_METADATA_COPY_H

#include "format/gguf.h"
#include "format/gguf_write.h"

/* Copies f's key-values to w except general.file_type, general.quantization_version,
 * general.alignment (the writer states its own), the split.* keys of a shard and the
 * n_restated keys the caller writes after them (llama.cpp's gguf_set_val moves a key it
 * sets to the end). */
int convert_copy_gguf_metadata(const gguf_file *f, const char *const *restated, int n_restated, gguf_writer *w,
                               lf_error *err);

#endif
