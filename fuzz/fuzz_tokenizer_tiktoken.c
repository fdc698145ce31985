/* libFuzzer target for the tiktoken rank-file loader (Llama 3's tokenizer.model): any
 * bytes load or fail cleanly with a message naming the file; a tokenizer that loads
 * tokenizes, detokenizes and answers every query within its vocabulary. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_tokenizer_common.h"
#include "tokenizer/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lf_tokenizer *tok = NULL;
    lf_error err;
    if (lf_tokenizer_from_tiktoken(data, size, "fuzz.model", &tok, &err) != LF_OK) {
        if (tok || !strstr(err.message, "fuzz.model")) __builtin_trap();
        return 0;
    }
    fuzz_exercise_tokenizer(tok);
    lf_tokenizer_free(tok);
    return 0;
}
