/* The check the safetensors and PyTorch checkpoint fuzz targets share: every tensor of a
 * file that parsed lies inside the input with the size its dtype and shape give, and is
 * read whole (so that ASan sees any byte outside the input). */
#ifndef LF_FUZZ_TENSOR_TABLE_H
#define LF_FUZZ_TENSOR_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "format/safetensors.h"

static uint64_t fuzz_element_bytes(const char *dtype) {
    if (!strcmp(dtype, "F64") || !strcmp(dtype, "I64") || !strcmp(dtype, "U64")) return 8;
    if (!strcmp(dtype, "F32") || !strcmp(dtype, "I32") || !strcmp(dtype, "U32")) return 4;
    if (!strcmp(dtype, "F16") || !strcmp(dtype, "BF16") || !strcmp(dtype, "I16") || !strcmp(dtype, "U16")) return 2;
    return 1;
}

static void fuzz_check_tensors(const safetensors_file *f, const uint8_t *data, size_t size) {
    volatile uint8_t sink = 0;
    for (int i = 0; i < f->n_tensors; i++) {
        const safetensors_tensor *t = &f->tensors[i];
        const uint8_t *p = t->data;
        uint64_t count = 1;
        for (int d = 0; d < t->n_dims; d++) count *= (uint64_t)t->shape[d];
        if (p < data || p > data + size || t->nbytes > (uint64_t)(data + size - p) ||
            count * fuzz_element_bytes(t->dtype) != t->nbytes || !t->name[0])
            __builtin_trap();
        for (uint64_t k = 0; k < t->nbytes; k++) sink ^= p[k];
    }
    (void)sink;
}

#endif
