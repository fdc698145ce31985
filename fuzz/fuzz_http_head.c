/* libFuzzer target for the server's HTTP request parsing (src/server/http_head.c and
 * http_chunked.c), compiled in here because the server is not part of the library.
 * The first byte picks the parser. Heads: a parse must not read or write out of bounds,
 * and a complete head must report fields that lie inside its own copy. Chunked bodies:
 * decoding the input in pieces, as it arrives from a socket, must give the same result
 * and the same bytes as decoding it whole. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/http_chunked.c"
#include "server/http_head.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_head(const char *text, size_t n) {
    static http_head h;
    size_t used = 0;
    int status = 0;
    const char *why = NULL;
    http_head_result r = http_head_parse(text, n, &h, &used, &status, &why);
    if (r == HTTP_HEAD_BAD && (!why || status < 400 || status > 505)) abort();
    if (r != HTTP_HEAD_DONE) return;
    if (used > n || !h.method || !h.target || h.n_fields > HTTP_MAX_FIELDS) abort();
    for (int i = 0; i < h.n_fields; i++)
        if (h.fields[i].name < h.text || h.fields[i].value >= h.text + sizeof h.text) abort();
    if (h.minor >= 1 && !http_head_field(&h, "host")) abort();
}

static void fuzz_chunked(const char *text, size_t n, size_t step, size_t max) {
    char *whole = malloc(n + 1), *pieces = malloc(n + 1);
    if (!whole || !pieces) abort();
    memcpy(whole, text, n);
    memcpy(pieces, text, n);
    chunked_decoder a = {0}, b = {0};
    chunked_result ra = chunked_decode(&a, whole, n, max), rb = CHUNKED_MORE;
    for (size_t have = 0; rb == CHUNKED_MORE && have < n;) {
        have = have + step < n ? have + step : n;
        rb = chunked_decode(&b, pieces, have, max);
    }
    if (ra != rb || a.out > a.raw || a.raw > n) abort();
    if (ra == CHUNKED_DONE && (a.raw != b.raw || a.out != b.out || memcmp(whole, pieces, a.out))) abort();
    free(whole);
    free(pieces);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    const char *text = (const char *)data + 2;
    if (data[0] & 1) fuzz_head(text, size - 2);
    else fuzz_chunked(text, size - 2, 1 + data[1] % 17, data[0] & 2 ? 64 : 1 << 20);
    return 0;
}
