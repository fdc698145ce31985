/* libFuzzer target for the SentencePiece tokenizer.model (protobuf) loader: any bytes load
 * or fail cleanly; a tokenizer that loads must tokenize and detokenize safely. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_tokenizer_common.h"
#include "tokenizer/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lf_tokenizer *tok = NULL;
    lf_error err;
    if (lf_tokenizer_from_sentencepiece(data, size, "fuzz.model", &tok, &err) != LF_OK) {
        if (tok || !strstr(err.message, "fuzz.model")) __builtin_trap(); /* failures name the file */
        return 0;
    }
    fuzz_exercise_tokenizer(tok);
    lf_tokenizer_free(tok);
    return 0;
}
