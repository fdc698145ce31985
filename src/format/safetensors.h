/* safetensors reader: an 8-byte little-endian header length, a JSON header mapping each
 * tensor name to {dtype, shape, data_offsets}, then the tensor bytes. The file is
 * memory-mapped and the whole header is validated before anything is used: every dtype
 * known, every size equal to the element count times the element size (overflow-checked),
 * every range inside the file, no two ranges overlapping, no data byte outside a tensor
 * (the format allows no holes). Model directories either hold
 * model.safetensors or shards listed by model.safetensors.index.json (weight_map). */
#ifndef LF_FORMAT_SAFETENSORS_H
#define LF_FORMAT_SAFETENSORS_H

#include <stdint.h>

#include "core/mapped_file.h"
#include "llamafast.h"

#define SAFETENSORS_MAX_DIMS 8

typedef struct safetensors_tensor {
    char *name;
    char dtype[8];  /* as written, e.g. "BF16" */
    int type;       /* lf_type for F32/F16/BF16, -1 for dtypes the runtime does not compute with */
    int n_dims;
    int64_t shape[SAFETENSORS_MAX_DIMS]; /* row-major: the last dimension is contiguous */
    const void *data;
    uint64_t nbytes;
    uint64_t offset; /* of the data, from the start of the file */
} safetensors_tensor;

typedef struct safetensors_file {
    char *name;
    lf_mapped_file map; /* empty when parsed from a caller's buffer */
    safetensors_tensor *tensors;
    int n_tensors;
} safetensors_file;

/* Parses a file held in memory (which must outlive the result); name is for messages. */
int safetensors_parse(const void *data, size_t size, const char *name, safetensors_file **out, lf_error *err);
int safetensors_open(const char *path, safetensors_file **out, lf_error *err);
void safetensors_close(safetensors_file *f);

/* Every file of a model directory. */
typedef struct safetensors_set {
    safetensors_file **files;
    int n_files;
} safetensors_set;

/* Opens dir/model.safetensors.index.json's shards (each weight_map entry must be in the
 * shard it names, and no tensor in two shards), else dir/model.safetensors. */
int safetensors_set_open(const char *dir, safetensors_set *set, lf_error *err);
void safetensors_set_close(safetensors_set *set);
/* The tensor of that name, or NULL. */
const safetensors_tensor *safetensors_set_find(const safetensors_set *set, const char *name);

#endif
