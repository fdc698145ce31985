/* libFuzzer target for the llama2.c tokenizer.bin loader. Reading "until the end" gives
 * n tokens; then asking for exactly n must succeed with n tokens and asking for n + 1 must
 * fail, which checks the two reading modes agree. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_tokenizer_common.h"
#include "tokenizer/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lf_tokenizer *tok = NULL;
    lf_error err;
    if (lf_tokenizer_from_llama2c(data, size, "fuzz.bin", 0, &tok, &err) != LF_OK) {
        if (tok || !strstr(err.message, "fuzz.bin")) __builtin_trap(); /* failures name the file */
        return 0;
    }
    fuzz_exercise_tokenizer(tok);
    int32_t n = lf_tokenizer_vocab_size(tok);
    lf_tokenizer_free(tok);
    tok = NULL;
    if (lf_tokenizer_from_llama2c(data, size, "fuzz.bin", n, &tok, &err) != LF_OK ||
        lf_tokenizer_vocab_size(tok) != n)
        __builtin_trap();
    lf_tokenizer_free(tok);
    tok = NULL;
    if (lf_tokenizer_from_llama2c(data, size, "fuzz.bin", n + 1, &tok, &err) == LF_OK) __builtin_trap();
    return 0;
}
