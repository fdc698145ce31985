/* libFuzzer target for PyTorch checkpoints: the zip reader, the restricted unpickler of
 * data.pkl and the binding of tensors to their storages. Any bytes load or fail cleanly
 * with a message naming the file; every tensor of a checkpoint that loads lies inside
 * the input with the size its dtype and shape give, and is read whole. */
#include "format/torch_checkpoint.h"
#include "fuzz_tensor_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    safetensors_file *f = NULL;
    lf_error err;
    if (torch_checkpoint_parse(data, size, "fuzz.pth", &f, &err) != LF_OK) {
        if (f || !strstr(err.message, "fuzz.pth")) __builtin_trap();
        return 0;
    }
    fuzz_check_tensors(f, data, size);
    safetensors_close(f);
    return 0;
}
