/* libFuzzer target for the safetensors reader: any bytes parse or fail cleanly with a
 * message naming the file; every tensor of a file that parses lies inside the input with
 * the size its dtype and shape give, and is read whole. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "format/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t element_bytes(const char *dtype) {
    if (!strcmp(dtype, "F64") || !strcmp(dtype, "I64") || !strcmp(dtype, "U64")) return 8;
    if (!strcmp(dtype, "F32") || !strcmp(dtype, "I32") || !strcmp(dtype, "U32")) return 4;
    if (!strcmp(dtype, "F16") || !strcmp(dtype, "BF16") || !strcmp(dtype, "I16") || !strcmp(dtype, "U16")) return 2;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    safetensors_file *f = NULL;
    lf_error err;
    if (safetensors_parse(data, size, "fuzz.safetensors", &f, &err) != LF_OK) {
        if (f || !strstr(err.message, "fuzz.safetensors")) __builtin_trap();
        return 0;
    }
    volatile uint8_t sink = 0;
    for (int i = 0; i < f->n_tensors; i++) {
        const safetensors_tensor *t = &f->tensors[i];
        const uint8_t *p = t->data;
        uint64_t count = 1;
        for (int d = 0; d < t->n_dims; d++) count *= (uint64_t)t->shape[d];
        if (p < data || p > data + size || t->nbytes > (uint64_t)(data + size - p) ||
            count * element_bytes(t->dtype) != t->nbytes || !t->name[0])
            __builtin_trap();
        for (uint64_t k = 0; k < t->nbytes; k++) sink ^= p[k];
    }
    (void)sink;
    safetensors_close(f);
    return 0;
}
