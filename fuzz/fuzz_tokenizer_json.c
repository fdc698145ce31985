/* libFuzzer target for tokenizer.json (Hugging Face tokenizers): any bytes load or fail
 * cleanly with a message naming the file; a tokenizer that loads must tokenize and
 * detokenize safely. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "format/json_file.h"
#include "fuzz_tokenizer_common.h"
#include "tokenizer/load_hf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_t *root = NULL;
    lf_tokenizer *tok = NULL;
    lf_error err;
    int rc = lf_json_load_buffer(data, size, "fuzz.json", &root, &err);
    if (rc == LF_OK) rc = lf_tokenizer_from_hf_json(root, "fuzz.json", NULL, &tok, &err);
    json_decref(root);
    if (rc != LF_OK) {
        if (tok || !strstr(err.message, "fuzz.json")) __builtin_trap(); /* failures name the file */
        return 0;
    }
    fuzz_exercise_tokenizer(tok);
    lf_tokenizer_free(tok);
    return 0;
}
