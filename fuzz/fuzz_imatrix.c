/* libFuzzer target for the imatrix file reader (GGUF and legacy .dat): any byte string
 * must parse or fail cleanly. When it parses, every entry's sums, counts and importance
 * are read end to end and looked up by name, so that a bad length shows up under
 * AddressSanitizer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/imatrix_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* the GGUF reader needs aligned input, as a mapping or malloc gives it */
    void *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
    lf_imatrix *im = NULL;
    lf_error err;
    if (lf_imatrix_file_parse(copy, size, "fuzz.imatrix", &im, &err) == LF_OK) {
        volatile float sink = 0.0f;
        for (int i = 0; i < im->n_entries; i++) {
            const lf_imatrix_entry *e = lf_imatrix_find(im, im->entries[i].name);
            if (e != &im->entries[i]) abort();
            for (int64_t j = 0; j < e->n_values; j++) sink += e->sums[j] + e->importance[j];
            for (int64_t j = 0; j < e->n_mat; j++) sink += (float)e->counts[j];
        }
        for (int i = 0; i < im->n_datasets; i++) sink += (float)strlen(im->datasets[i]);
        (void)sink;
    }
    lf_imatrix_free(im);
    free(copy);
    return 0;
}
