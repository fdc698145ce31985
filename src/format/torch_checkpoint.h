/* PyTorch checkpoints (.pth/.pt written by torch.save since 1.6: a zip of stored
 * members, <archive>/data.pkl and one <archive>/data/<key> per storage). The file is
 * memory-mapped, data.pkl is read by the restricted unpickler (torch_pickle.h), and every
 * tensor is checked against its storage member — stored (not compressed), inside the
 * member, C-contiguous — so that its bytes are used in place. The result has the form of
 * a safetensors file, so the loaders of safetensors weights take it unchanged. */
#ifndef LF_FORMAT_TORCH_CHECKPOINT_H
#define LF_FORMAT_TORCH_CHECKPOINT_H

#include "format/safetensors.h"

/* Opens path; the tensors keep their state-dict names. Tensors of dtypes the runtime
 * does not compute with get type -1 (refused only when used). */
int torch_checkpoint_open(const char *path, safetensors_file **out, lf_error *err);

/* The same for a checkpoint held in memory (which must outlive the result). */
int torch_checkpoint_parse(const void *data, size_t size, const char *name, safetensors_file **out, lf_error *err);

#endif
