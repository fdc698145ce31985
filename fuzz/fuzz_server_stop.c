/* libFuzzer target for the server's stop-string matcher (src/server/stop_match.c), checked
 * against the obvious answer computed on the whole text: the input, split at NUL bytes,
 * gives up to four stop strings and then the pieces of text a generation produces. The
 * streamed output must be the text up to the earliest stop string (all of it when none
 * occurs), and at no point may more be held back than the longest stop string minus one
 * byte. Compiled in here because the server is not part of the library. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/stop_match.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    /* the first byte says how many of the NUL-separated fields are stop strings */
    int n_stops = data[0] % 5, n = 0;
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    char *stops[4];
    size_t longest = 0;
    for (; n < n_stops && p < end; p++) {
        const char *z = memchr(p, 0, (size_t)(end - p));
        size_t len = (size_t)((z ? z : end) - p);
        if (len) {
            stops[n] = strndup(p, len);
            longest = len > longest ? len : longest;
            n++;
        }
        p += len;
    }
    stop_matcher m;
    stop_matcher_init(&m, (const char *const *)stops, n);
    char *text = malloc((size_t)(end - p) + 1), *out = malloc((size_t)(end - p) + 1);
    size_t n_text = 0, n_out = 0;
    int rc = 0;
    while (p < end && rc == 0) { /* each NUL-separated field is one piece of generated text */
        const char *z = memchr(p, 0, (size_t)(end - p));
        size_t len = (size_t)((z ? z : end) - p);
        memcpy(text + n_text, p, len);
        n_text += len;
        rc = stop_matcher_push(&m, p, len);
        memcpy(out + n_out, m.out, m.n_out);
        n_out += m.n_out;
        if (rc == 0 && n_text - n_out > (longest ? longest - 1 : 0)) abort(); /* held back too much */
        p += len + 1;
    }
    if (rc == 0) {
        rc = stop_matcher_finish(&m, "", 0);
        memcpy(out + n_out, m.out, m.n_out);
        n_out += m.n_out;
    }
    /* the reference: the earliest complete stop string in the whole text */
    size_t cut = n_text;
    for (int s = 0; s < n; s++) {
        const char *hit = memmem(text, n_text, stops[s], strlen(stops[s]));
        if (hit && (size_t)(hit - text) < cut) cut = (size_t)(hit - text);
    }
    if (rc < 0 || (rc == 1) != (cut < n_text) || n_out != cut ||
        memcmp(out, text, cut))
        abort();
    stop_matcher_free(&m);
    for (int s = 0; s < n; s++) free(stops[s]);
    free(text);
    free(out);
    return 0;
}
