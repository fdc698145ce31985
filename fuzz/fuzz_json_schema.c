/* libFuzzer target for the JSON Schema translator (and the pattern translator inside it):
 * the input is a schema. Checked: translation either gives a grammar that compiles, or
 * fails with a message; the grammar then matches a few JSON texts without crashing.
 * Seeds: schemas with every keyword supported. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/grammar_matcher.h"
#include "llamafast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const samples[] = {"{\"a\": [1, \"x\", null], \"b\": {\"c\": true}}", "\"AB-123\"", "[1,2,3]",
                                      "-0.5e3"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    lf_grammar *g = NULL;
    lf_error err = {0};
    int rc = lf_grammar_from_json_schema(text, &g, &err);
    if (rc != LF_OK && (g || !err.message[0])) abort();
    for (size_t s = 0; g && s < sizeof samples / sizeof *samples; s++) {
        grammar_matcher *m = NULL;
        if (grammar_matcher_create(g, NULL, &m, &err) != LF_OK) break;
        for (const char *p = samples[s]; *p && grammar_matcher_accept_bytes(m, p, 1); p++) continue;
        grammar_matcher_free(m);
    }
    lf_grammar_free(g);
    free(text);
    return 0;
}
