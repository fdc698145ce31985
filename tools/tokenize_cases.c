/* tokenize_cases TOKENIZER_FILE CASES_FILE [--bos]
 * CASES_FILE holds test strings separated by "\n__ggml_vocab_test__\n" (llama.cpp's
 * vocab test format, the file ending with a separator); prints, per string, one line
 * of token ids each preceded by a space, as in the matching .out file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llamafast.h"

#include "cli/read_file.h"

static const char SEPARATOR[] = "\n__ggml_vocab_test__\n";

static int print_case(const lf_tokenizer *tok, const char *s, size_t len, int flags) {
    size_t n = 0;
    lf_error err;
    if (lf_tokenize(tok, s, len, flags, NULL, 0, &n, &err) != LF_OK) {
        fprintf(stderr, "tokenize: %s\n", err.message);
        return 1;
    }
    int32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    if (!ids || lf_tokenize(tok, s, len, flags, ids, n, &n, &err) != LF_OK) {
        free(ids);
        fprintf(stderr, "tokenize failed\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++) printf(" %d", ids[i]);
    putchar('\n');
    free(ids);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "--bos") != 0)) {
        fprintf(stderr, "usage: %s TOKENIZER_FILE CASES_FILE [--bos]\n", argv[0]);
        return 2;
    }
    int flags = argc == 4 ? LF_TOKENIZE_ADD_BOS : LF_TOKENIZE_NO_BOS;
    lf_tokenizer *tok;
    lf_error err;
    if (lf_tokenizer_load(argv[1], &tok, &err) != LF_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    size_t len;
    char *text = cli_read_file(argv[2], &len);
    if (!text) {
        fprintf(stderr, "%s: cannot read\n", argv[2]);
        lf_tokenizer_free(tok);
        return 1;
    }
    int rc = 0;
    size_t sep = strlen(SEPARATOR);
    for (size_t pos = 0; pos < len && rc == 0;) {
        char *end = memmem(text + pos, len - pos, SEPARATOR, sep);
        size_t case_len = end ? (size_t)(end - (text + pos)) : len - pos;
        rc = print_case(tok, text + pos, case_len, flags);
        pos += case_len + (end ? sep : 0);
    }
    free(text);
    lf_tokenizer_free(tok);
    return rc;
}
