/* A restricted reader of the pickle inside a PyTorch checkpoint (data.pkl of a .pth/.pt
 * zip). It is not a Python unpickler: it understands exactly the opcodes and callables
 * that torch.save writes for a state dict — dicts and OrderedDicts of tensors, each
 * rebuilt by torch._utils._rebuild_tensor_v2 (or _rebuild_parameter) from a storage that
 * a persistent id names — and refuses every other global or opcode by name, so loading a
 * checkpoint can never run code. Nested dicts are flattened with "." between keys. */
#ifndef LF_FORMAT_TORCH_PICKLE_H
#define LF_FORMAT_TORCH_PICKLE_H

#include <stddef.h>
#include <stdint.h>

#include "llamafast.h"

#define TORCH_MAX_DIMS 8

typedef struct torch_tensor_ref {
    char *name;          /* dotted path of dict keys */
    int type;            /* lf_type F32/F16/BF16, or -1 for storages the runtime does not compute with */
    char dtype[16];      /* the storage class, e.g. "FloatStorage" */
    char *storage_key;   /* the zip member data/<key> that holds the storage */
    uint64_t storage_numel;  /* elements of the storage as the persistent id declares */
    int64_t storage_offset;  /* of the tensor's first element, in elements */
    int n_dims;
    int64_t shape[TORCH_MAX_DIMS], stride[TORCH_MAX_DIMS];
} torch_tensor_ref;

typedef struct torch_state_dict {
    torch_tensor_ref *tensors;
    int n_tensors;
} torch_state_dict;

/* Reads the pickle data[0, size); name is for messages. Fails with LF_ERR_FORMAT (and a
 * message naming the opcode or global) on anything a state dict does not contain. */
int torch_pickle_read(const void *data, size_t size, const char *name, torch_state_dict *out, lf_error *err);
void torch_state_dict_free(torch_state_dict *sd);

#endif
