/* libFuzzer target for the restricted unpickler alone: any bytes give a state dict or a
 * clean LF_ERR_FORMAT / LF_ERR_NOMEM naming the file; every tensor it returns has a name,
 * a storage key and at most TORCH_MAX_DIMS dimensions. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "format/torch_pickle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    torch_state_dict sd;
    lf_error err;
    int rc = torch_pickle_read(data, size, "fuzz.pkl", &sd, &err);
    if (rc != LF_OK) {
        if ((rc != LF_ERR_FORMAT && rc != LF_ERR_NOMEM) || sd.n_tensors || !strstr(err.message, "fuzz.pkl"))
            __builtin_trap();
        return 0;
    }
    for (int i = 0; i < sd.n_tensors; i++)
        if (!sd.tensors[i].name || !sd.tensors[i].storage_key || sd.tensors[i].n_dims < 0 ||
            sd.tensors[i].n_dims > TORCH_MAX_DIMS)
            __builtin_trap();
    torch_state_dict_free(&sd);
    return 0;
}
