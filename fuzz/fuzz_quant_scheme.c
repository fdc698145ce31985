/* libFuzzer target for torchchat's quantization schemes (src/model/quant_scheme.c): any
 * text is refused with a message or read into roles whose types are weight types (float
 * types for the dtype), and a scheme that parses describes itself. Inputs are always JSON
 * text ('{' is put first): the other form names a file to read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/quant_scheme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 2);
    if (!text) abort();
    text[0] = '{';
    memcpy(text + 1, data, size);
    text[size + 1] = 0;
    lf_quant_scheme s;
    lf_error err = {0};
    int rc = lf_quant_scheme_parse(text, &s, &err);
    if (rc != LF_OK && !err.message[0]) abort();
    if (rc == LF_OK) {
        for (int r = 0; r < LF_ROLE_COUNT; r++)
            if (s.role_type[r] != LF_TYPE_KEEP &&
                (!lf_type_get((uint32_t)s.role_type[r]) || !lf_type_get((uint32_t)s.role_type[r])->weight_type))
                abort();
        if (s.dtype != LF_TYPE_KEEP && s.dtype != LF_TYPE_F32 && s.dtype != LF_TYPE_F16 && s.dtype != LF_TYPE_BF16) abort();
        char buf[256];
        if (lf_quantize_scheme_describe(text, NULL, buf, sizeof buf, NULL) != LF_OK || !buf[0]) abort();
    }
    free(text);
    return 0;
}
