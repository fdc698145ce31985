/* quant_tool TYPE_NAME N [IMPORTANCE COLS]: reads N float32 values from stdin and writes
 * the GGUF blocks lf_quantize_row makes of them (TYPE_NAME e.g. Q4_0) to stdout; with
 * IMPORTANCE (a file of COLS float32 values), lf_quantize_row_weighted of each row of
 * COLS values. Exit status 3 when the quantizer refuses a row. Used by
 * tests/check_quantize.py and tests/check_imatrix.py to compare against the Python gguf
 * package and llama.cpp's llama-quantize. */
#include "kernels/kernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 3 && argc != 5) {
        fprintf(stderr, "usage: %s TYPE_NAME N [IMPORTANCE COLS] < floats > blocks\n", argv[0]);
        return 2;
    }
    lf_type type = LF_TYPE_COUNT;
    for (uint32_t t = 0; t < LF_TYPE_COUNT; t++) {
        const lf_type_traits *tr = lf_type_get(t);
        if (tr && strcmp(tr->name, argv[1]) == 0) type = (lf_type)t;
    }
    char *end, *cend = "";
    long long n = strtoll(argv[2], &end, 10), cols = argc == 5 ? strtoll(argv[4], &cend, 10) : n;
    uint64_t nbytes, row_bytes;
    if (type == LF_TYPE_COUNT || *end || *cend || n <= 0 || n > (1LL << 28) || cols <= 0 || n % cols ||
        !lf_type_row_bytes(type, (uint64_t)n, &nbytes) || !lf_type_row_bytes(type, (uint64_t)cols, &row_bytes)) {
        fprintf(stderr, "bad type %s, element count %s or row length\n", argv[1], argv[2]);
        return 2;
    }
    float *importance = NULL;
    if (argc == 5) {
        FILE *f = fopen(argv[3], "rb");
        importance = malloc((size_t)cols * sizeof(float));
        size_t got = f && importance ? fread(importance, sizeof(float), (size_t)cols, f) : 0;
        if (f) fclose(f);
        if (got != (size_t)cols) {
            fprintf(stderr, "cannot read %lld floats from %s\n", cols, argv[3]);
            free(importance);
            return 2;
        }
    }
    float *src = malloc((size_t)n * sizeof(float));
    void *dst = malloc(nbytes);
    int status = 0;
    if (!src || !dst) {
        status = 1;
    } else if (fread(src, sizeof(float), (size_t)n, stdin) != (size_t)n) {
        fprintf(stderr, "expected %lld floats on stdin\n", n);
        status = 1;
    } else {
        for (long long r = 0; r < n / cols && !status; r++)
            if (!lf_quantize_row_weighted(type, src + r * cols, cols, importance, (char *)dst + r * row_bytes)) {
                fprintf(stderr, "the quantizer refused row %lld as %s\n", r, argv[1]);
                status = 3;
            }
    }
    if (!status && fwrite(dst, 1, nbytes, stdout) != nbytes) status = 1;
    free(src);
    free(dst);
    free(importance);
    return status;
}
