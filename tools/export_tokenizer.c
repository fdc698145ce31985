/* export_tokenizer: writes a tokenizer (tokenizer.model, tokenizer.json, a .gguf's
 * vocabulary, ...) as llama2.c's tokenizer.bin with lf_export_llama2c_tokenizer, for the
 * tests that compare it with llama2.c's tokenizer.py, which needs no model.
 *
 *   export_tokenizer TOKENIZER OUT */
#include <stdio.h>

#include "llamafast.h"

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: export_tokenizer TOKENIZER OUT\n");
        return 2;
    }
    lf_tokenizer *tok = NULL;
    lf_error err = {0};
    int rc = lf_tokenizer_load(argv[1], &tok, &err);
    if (!rc) rc = lf_export_llama2c_tokenizer(tok, argv[2], &err);
    if (rc) fprintf(stderr, "error: %s\n", err.message);
    lf_tokenizer_free(tok);
    return rc ? 1 : 0;
}
