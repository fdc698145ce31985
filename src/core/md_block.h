/* The framing SHA-1 and SHA-256 share (FIPS 180-4 §5): the message is cut into 64-byte
 * blocks, each fed to the hash's compression function, and the last one is padded with a
 * 1 bit, zeros and the message length in bits, big-endian. */
#ifndef LF_CORE_MD_BLOCK_H
#define LF_CORE_MD_BLOCK_H

#include <stddef.h>
#include <stdint.h>

typedef void (*lf_md_compress_fn)(uint32_t *state, const unsigned char block[64]);

typedef struct lf_md_block {
    uint64_t total;          /* bytes hashed so far */
    unsigned char block[64];
    size_t used;             /* bytes waiting in block */
} lf_md_block;

void lf_md_block_init(lf_md_block *b);
void lf_md_block_update(lf_md_block *b, uint32_t *state, lf_md_compress_fn compress, const void *data, size_t len);
/* Pads and compresses the last block(s), then writes the n_words state words big-endian. */
void lf_md_block_final(lf_md_block *b, uint32_t *state, lf_md_compress_fn compress, size_t n_words,
                       unsigned char *digest);
/* Lower-case hex of n bytes: 2n characters and a NUL. */
void lf_md_hex(const unsigned char *digest, size_t n, char *hex);

#endif
