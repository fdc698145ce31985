#include "core/md_block.h"

#include <string.h>

void lf_md_block_init(lf_md_block *b) {
    b->total = 0;
    b->used = 0;
}

void lf_md_block_update(lf_md_block *b, uint32_t *state, lf_md_compress_fn compress, const void *data, size_t len) {
    const unsigned char *p = data;
    b->total += len;
    if (b->used) {
        size_t take = 64 - b->used < len ? 64 - b->used : len;
        memcpy(b->block + b->used, p, take);
        b->used += take;
        p += take;
        len -= take;
        if (b->used < 64) return;
        compress(state, b->block);
        b->used = 0;
    }
    for (; len >= 64; p += 64, len -= 64) compress(state, p);
    memcpy(b->block, p, len);
    b->used = len;
}

void lf_md_block_final(lf_md_block *b, uint32_t *state, lf_md_compress_fn compress, size_t n_words,
                       unsigned char *digest) {
    uint64_t bits = b->total * 8;
    b->block[b->used++] = 0x80;
    if (b->used > 56) {
        memset(b->block + b->used, 0, 64 - b->used);
        compress(state, b->block);
        b->used = 0;
    }
    memset(b->block + b->used, 0, 56 - b->used);
    for (int i = 0; i < 8; i++) b->block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
    compress(state, b->block);
    for (size_t i = 0; i < n_words; i++)
        for (int j = 0; j < 4; j++) digest[4 * i + (size_t)j] = (unsigned char)(state[i] >> (24 - 8 * j));
}

void lf_md_hex(const unsigned char *digest, size_t n, char *hex) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[2 * n] = 0;
}
