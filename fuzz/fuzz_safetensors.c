/* libFuzzer target for the safetensors reader: any bytes parse or fail cleanly with a
 * message naming the file; every tensor of a file that parses lies inside the input with
 * the size its dtype and shape give, and is read whole. */
#include "fuzz_tensor_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    safetensors_file *f = NULL;
    lf_error err;
    if (safetensors_parse(data, size, "fuzz.safetensors", &f, &err) != LF_OK) {
        if (f || !strstr(err.message, "fuzz.safetensors")) __builtin_trap();
        return 0;
    }
    fuzz_check_tensors(f, data, size);
    safetensors_close(f);
    return 0;
}
