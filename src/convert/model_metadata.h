/* The metadata a GGUF loader needs (llama-fast's and llama.cpp's) for a model whose source
 * is not a GGUF file: general.*, the llama.* hyper-parameters, tokenizer.ggml.* and the
 * chat template, derived from the loaded model (a Hugging Face directory, a PyTorch
 * checkpoint, a llama2.c .bin with its tokenizer). */
#ifndef LF_CONVERT_MODEL_METADATA_H
#define LF_CONVERT_MODEL_METADATA_H

#include "format/gguf_write.h"
#include "model/model.h"

int convert_write_model_metadata(const lf_model *m, gguf_writer *w, lf_error *err);

#endif
