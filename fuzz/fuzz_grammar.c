/* libFuzzer target for the GBNF parser and matcher: the input is grammar text, then
 * (after a NUL byte, if any) text fed to the matcher one byte at a time. Checked: a parse
 * either succeeds or fails with a message, and matching never crashes, loops without
 * bound or runs away in memory (the matcher's stack limits). Seeds: a few grammars. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/grammar_matcher.h"
#include "llamafast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    size_t glen = strlen(text);
    lf_grammar *g = NULL;
    lf_error err = {0};
    int rc = lf_grammar_parse(text, NULL, &g, &err);
    if (rc != LF_OK && (g || !err.message[0])) abort();
    grammar_matcher *m = NULL;
    if (g && grammar_matcher_create(g, NULL, &m, &err) == LF_OK) {
        for (size_t i = glen + 1; i < size; i++)
            if (!grammar_matcher_accept_bytes(m, text + i, 1)) break;
        (void)grammar_matcher_complete(m);
        grammar_matcher_free(m);
    }
    lf_grammar_free(g);
    free(text);
    return 0;
}
