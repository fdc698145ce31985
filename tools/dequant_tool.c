/* dequant_tool TYPE_NAME N: reads the raw blocks of N elements of TYPE_NAME (e.g. Q4_K)
 * from stdin and writes the N float32 values lf_dequantize_row produces to stdout.
 * Used by tests/check_dequant.py to compare against the Python gguf package. */
#include "kernels/kernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int type_by_name(const char *name, lf_type *out) {
    for (uint32_t t = 0; t < LF_TYPE_COUNT; t++) {
        const lf_type_traits *tr = lf_type_get(t);
        if (tr && strcmp(tr->name, name) == 0) {
            *out = (lf_type)t;
            return 0;
        }
    }
    return -1;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s TYPE_NAME N < blocks > floats\n", argv[0]);
        return 2;
    }
    lf_type type;
    if (type_by_name(argv[1], &type) != 0) {
        fprintf(stderr, "unknown type %s\n", argv[1]);
        return 2;
    }
    char *end;
    long long n = strtoll(argv[2], &end, 10);
    uint64_t nbytes;
    if (*end || n <= 0 || n > (1LL << 28) || !lf_type_row_bytes(type, (uint64_t)n, &nbytes)) {
        fprintf(stderr, "bad element count %s for %s\n", argv[2], argv[1]);
        return 2;
    }
    void *src = malloc(nbytes);
    float *dst = malloc((size_t)n * sizeof(float));
    if (!src || !dst) return 1;
    if (fread(src, 1, nbytes, stdin) != nbytes) {
        fprintf(stderr, "expected %llu bytes on stdin\n", (unsigned long long)nbytes);
        return 1;
    }
    lf_dequantize_row(type, src, dst, n);
    if (fwrite(dst, sizeof(float), (size_t)n, stdout) != (size_t)n) return 1;
    free(src);
    free(dst);
    return 0;
}
