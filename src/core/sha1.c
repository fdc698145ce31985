#include "core/sha1.h"

#include <stdio.h>
#include <string.h>

static uint32_t rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void compress(uint32_t *state, const unsigned char block[64]) {
    uint32_t w[80];
    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)block[4 * t] << 24 | (uint32_t)block[4 * t + 1] << 16 | (uint32_t)block[4 * t + 2] << 8 |
               block[4 * t + 3];
    for (int t = 16; t < 80; t++) w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
    for (int t = 0; t < 80; t++) {
        uint32_t f, k;
        if (t < 20) f = (b & c) | (~b & d), k = 0x5a827999;
        else if (t < 40) f = b ^ c ^ d, k = 0x6ed9eba1;
        else if (t < 60) f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
        else f = b ^ c ^ d, k = 0xca62c1d6;
        uint32_t tmp = rotl(a, 5) + f + e + k + w[t];
        e = d;
        d = c;
        c = rotl(b, 30);
        b = a;
        a = tmp;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
}

void lf_sha1_init(lf_sha1_ctx *s) {
    static const uint32_t initial[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    memcpy(s->state, initial, sizeof initial);
    lf_md_block_init(&s->framing);
}

void lf_sha1_update(lf_sha1_ctx *s, const void *data, size_t len) {
    lf_md_block_update(&s->framing, s->state, compress, data, len);
}

void lf_sha1_final(lf_sha1_ctx *s, unsigned char digest[20]) {
    lf_md_block_final(&s->framing, s->state, compress, 5, digest);
}

void lf_sha1_digest(const void *data, size_t len, unsigned char digest[20]) {
    lf_sha1_ctx s;
    lf_sha1_init(&s);
    lf_sha1_update(&s, data, len);
    lf_sha1_final(&s, digest);
}

void lf_sha1_hex(const unsigned char digest[20], char hex[41]) { lf_md_hex(digest, 20, hex); }

void lf_sha1_init_git_blob(lf_sha1_ctx *s, uint64_t size) {
    char header[32];
    int n = snprintf(header, sizeof header, "blob %llu", (unsigned long long)size);
    lf_sha1_init(s);
    lf_sha1_update(s, header, (size_t)n + 1); /* with its NUL */
}
