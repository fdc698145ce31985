/* libFuzzer target for the terminal escaping (src/core/text_escape.c): on any bytes the
 * output holds nothing left to escape (escaping it again changes nothing), a cut output
 * is a prefix of the whole one that is itself whole, and lf_vformat_escaped gives a %s
 * argument exactly what lf_escape_text gives it. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llamafast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int format(char *dst, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = lf_vformat_escaped(dst, cap, fmt, ap);
    va_end(ap);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *in = (const char *)data;
    size_t need = lf_escape_text(NULL, 0, in, size);
    char *once = malloc(need + 1), *again = malloc(need + 1), *cut = malloc(need + 1);
    char *text = malloc(size + 1), *formatted = malloc(need + 3);
    if (!once || !again || !cut || !text || !formatted) abort();
    if (lf_escape_text(once, need + 1, in, size) != need || strlen(once) != need) abort();
    if (lf_escape_text(again, need + 1, once, need) != need || strcmp(once, again)) abort();
    size_t cap = size ? data[0] % (need + 1) + 1 : 1;
    lf_escape_text(cut, cap, in, size);
    size_t w = strlen(cut);
    if (w >= cap || strncmp(cut, once, w) || lf_escape_text(again, need + 1, cut, w) != w) abort();
    /* %s stops at the first NUL, as C strings do */
    memcpy(text, data, size);
    text[size] = 0;
    size_t n_text = lf_escape_text(again, need + 1, text, strlen(text));
    if (format(formatted, need + 3, "[%s]", text) != (int)n_text + 2 || strncmp(formatted + 1, again, n_text)) abort();
    free(once), free(again), free(cut), free(text), free(formatted);
    return 0;
}
