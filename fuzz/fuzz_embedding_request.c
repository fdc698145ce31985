/* libFuzzer target for the /v1/embeddings body parser (src/server/embedding_request.c,
 * with request_fields.c's unknown-field check that /tokenize and /detokenize share): any
 * body gives inputs of 1..MAX_TOKENS ids inside the vocabulary, or a 400/500 with a
 * message. Strings are tokenized with the GPT-2 vocab GGUF of the shared test data
 * (LF_TEST_DATA, default ../shared/data). The server sources are compiled in here. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/api_error.c"
#include "server/embedding_request.c"
#include "server/request_fields.c"
#include "server/utf8_text.c"

#define MAX_TOKENS 64 /* small, so that the length limit is reached */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lf_tokenizer *tok;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    const char *dir = getenv("LF_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/vocab/ggml-vocab-gpt-2.gguf", dir ? dir : "../shared/data");
    lf_error err;
    if (lf_tokenizer_load(path, &tok, &err) != LF_OK) {
        fprintf(stderr, "fuzz_embedding_request: %s\n", err.message);
        exit(1);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int32_t n_vocab = lf_tokenizer_vocab_size(tok);
    embedding_request r;
    api_error e = {0};
    if (embedding_request_parse((const char *)data, size, tok, n_vocab, MAX_TOKENS, &r, &e) == 0) {
        if (r.n_inputs < 1 || r.n_inputs > EMBEDDING_MAX_INPUTS || r.dimensions < 0) abort();
        for (int i = 0; i < r.n_inputs; i++) {
            if (r.inputs[i].n < 1 || r.inputs[i].n > MAX_TOKENS) abort();
            for (int k = 0; k < r.inputs[i].n; k++)
                if (r.inputs[i].tokens[k] < 0 || r.inputs[i].tokens[k] >= n_vocab) abort();
        }
    } else if ((e.status != 400 && e.status != 500) || !e.message[0] || strlen(e.message) >= sizeof e.message) {
        abort();
    }
    embedding_request_free(&r);
    return 0;
}
