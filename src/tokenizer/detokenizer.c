/* Streaming detokenizer: token bytes are appended to the bytes held back from earlier
 * tokens, complete UTF-8 characters are emitted, and a trailing incomplete character is
 * held until a later token completes it. Control tokens (BOS, <|im_end|>, …) print
 * nothing; other invalid bytes print as U+FFFD. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenizer_internal.h"
#include "tokenizer/unicode_internal.h"

static const char REPLACEMENT[] = "\xEF\xBF\xBD";

void lf_detokenizer_init(lf_detokenizer *d, const lf_tokenizer *tok) {
    memset(d, 0, sizeof *d);
    d->tok = tok;
    d->at_start = tok && tok->kind == TOKENIZER_SPM && tok->add_space_prefix;
}

/* True when s[0..avail) is the start of a valid multi-byte sequence longer than avail. */
static bool incomplete_prefix(const unsigned char *s, size_t avail) {
    size_t need = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (need == 0 || avail >= need) return false;
    for (size_t i = 1; i < avail; i++)
        if ((s[i] & 0xC0) != 0x80) return false;
    return true;
}

/* Writes the complete characters of s to out; holds an incomplete tail in d->pending
 * unless final. Output that does not fit in cap (with its NUL) is dropped whole
 * characters at a time. */
static int emit(lf_detokenizer *d, const unsigned char *s, size_t len, bool final, char *out,
                size_t cap) {
    size_t n = 0;
    d->n_pending = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = utf8_decode(s + i, len - i, &cp);
        const void *bytes = s + i;
        size_t nbytes = k;
        if (cp == 0xFFFD && k == 1) {
            if (!final && incomplete_prefix(s + i, len - i)) {
                memcpy(d->pending, s + i, len - i);
                d->n_pending = (int)(len - i);
                break;
            }
            bytes = REPLACEMENT;
            nbytes = 3;
        }
        if (n + nbytes < cap) {
            memcpy(out + n, bytes, nbytes);
            n += nbytes;
        }
        i += k;
    }
    if (cap) out[n] = '\0';
    return (int)n;
}

int lf_detokenizer_push(lf_detokenizer *d, int32_t id, char *out, size_t cap) {
    if (!out || cap == 0) return 0;
    out[0] = '\0';
    const lf_tokenizer *t = d->tok;
    if (!t || id < 0 || id >= t->n_vocab || t->types[id] == TOKEN_CONTROL) return 0;
    int n = lf_token_to_bytes(t, id, NULL, 0);
    if (n <= 0) return 0;
    size_t total = (size_t)d->n_pending + (size_t)n;
    unsigned char local[256];
    unsigned char *buf = total <= sizeof local ? local : malloc(total);
    if (!buf) return 0;
    memcpy(buf, d->pending, (size_t)d->n_pending);
    lf_token_to_bytes(t, id, (char *)buf + d->n_pending, (size_t)n);
    size_t skip = d->at_start && buf[0] == ' ' ? 1 : 0;
    d->at_start = false;
    int written = emit(d, buf + skip, total - skip, false, out, cap);
    if (buf != local) free(buf);
    return written;
}

int lf_detokenizer_flush(lf_detokenizer *d, char *out, size_t cap) {
    if (!out || cap == 0) return 0;
    unsigned char held[sizeof d->pending];
    size_t n = (size_t)d->n_pending;
    memcpy(held, d->pending, n);
    return emit(d, held, n, true, out, cap);
}
