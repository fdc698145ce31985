#include "core/base64.h"

int lf_base64_value(unsigned char c, lf_base64_alphabet alphabet) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == (alphabet == LF_BASE64_URLSAFE ? '-' : '+')) return 62;
    if (c == (alphabet == LF_BASE64_URLSAFE ? '_' : '/')) return 63;
    return -1;
}

long lf_base64_decode(const char *s, size_t n, lf_base64_alphabet alphabet, unsigned char *out, size_t cap) {
    size_t pads = 0;
    while (pads < 2 && n > pads && s[n - 1 - pads] == '=') pads++;
    if (pads && n % 4) return -1;
    n -= pads;
    if (n % 4 == 1) return -1;
    unsigned bits = 0;
    int held = 0;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        int v = lf_base64_value((unsigned char)s[i], alphabet);
        if (v < 0) return -1;
        bits = (bits << 6 | (unsigned)v) & 0xFFFFFF;
        held += 6;
        if (held >= 8) {
            if (len == cap) return -1;
            out[len++] = (unsigned char)(bits >> (held -= 8));
        }
    }
    return (long)len;
}
