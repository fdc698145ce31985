/* The byte ranges of a file's tensors, checked together. Each parser already keeps every
 * range inside the file; this keeps them apart: a tensor whose offset, shape or type was
 * altered would otherwise read its neighbour's bytes as its own and compute garbage. */
#ifndef LF_FORMAT_TENSOR_RANGES_H
#define LF_FORMAT_TENSOR_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llamafast.h"

typedef struct tensor_range {
    const char *name;
    int name_len;        /* GGUF names are not NUL-terminated */
    uint64_t begin, end; /* [begin, end), offsets as the file states them */
} tensor_range;

/* Sorts r by begin and fails with LF_ERR_FORMAT, naming both tensors and their ranges,
 * when one range runs into the next. Empty ranges hold no bytes and are skipped. With
 * contiguous, the ranges must also cover [0, area_size) without a gap (safetensors: no
 * bytes that belong to no tensor). */
int tensor_ranges_check(tensor_range *r, size_t n, uint64_t area_size, bool contiguous, const char *file,
                        lf_error *err);

#endif
