/* libFuzzer target for the llama2.c checkpoint reader: any byte string must parse or
 * fail cleanly. When it parses, every tensor view is read end to end so that a view
 * pointing outside the input shows up under AddressSanitizer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/llama2c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* the reader needs 4-byte aligned input, as a mapping or malloc gives it */
    void *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
    lf_llama2c_file *f = NULL;
    lf_error err;
    if (lf_llama2c_parse(copy, size, "fuzz.bin", &f, &err) == LF_OK) {
        volatile unsigned char sink = 0;
        for (int i = 0; i < f->n_tensors; i++) {
            const unsigned char *p = f->tensors[i].data;
            for (uint64_t j = 0; j < f->tensors[i].nbytes; j++) sink ^= p[j];
        }
        (void)sink;
    }
    lf_llama2c_close(f);
    free(copy);
    return 0;
}
