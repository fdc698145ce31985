/* quant_tool TYPE_NAME N: reads N float32 values from stdin and writes the GGUF blocks
 * lf_quantize_row makes of them (TYPE_NAME e.g. Q4_0) to stdout; exit status 3 when
 * lf_quantize_row refuses the row. Used by tests/check_quantize.py to compare against
 * the Python gguf package and llama.cpp's llama-quantize. */
#include "kernels/kernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s TYPE_NAME N < floats > blocks\n", argv[0]);
        return 2;
    }
    lf_type type = LF_TYPE_COUNT;
    for (uint32_t t = 0; t < LF_TYPE_COUNT; t++) {
        const lf_type_traits *tr = lf_type_get(t);
        if (tr && strcmp(tr->name, argv[1]) == 0) type = (lf_type)t;
    }
    char *end;
    long long n = strtoll(argv[2], &end, 10);
    uint64_t nbytes;
    if (type == LF_TYPE_COUNT || *end || n <= 0 || n > (1LL << 28) || !lf_type_row_bytes(type, (uint64_t)n, &nbytes)) {
        fprintf(stderr, "bad type %s or element count %s\n", argv[1], argv[2]);
        return 2;
    }
    float *src = malloc((size_t)n * sizeof(float));
    void *dst = malloc(nbytes);
    int status = 0;
    if (!src || !dst) {
        status = 1;
    } else if (fread(src, sizeof(float), (size_t)n, stdin) != (size_t)n) {
        fprintf(stderr, "expected %lld floats on stdin\n", n);
        status = 1;
    } else if (!lf_quantize_row(type, src, n, dst)) {
        fprintf(stderr, "lf_quantize_row refused the row as %s\n", argv[1]);
        status = 3;
    } else if (fwrite(dst, 1, nbytes, stdout) != nbytes) {
        status = 1;
    }
    free(src);
    free(dst);
    return status;
}
