/* SHA-256 (FIPS 180-4), incremental: downloads are verified against the digests the
 * model hub and the Python package index publish. */
#ifndef LF_CORE_SHA256_H
#define LF_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "core/md_block.h"

typedef struct lf_sha256_ctx {
    uint32_t state[8];
    lf_md_block framing;
} lf_sha256_ctx;

void lf_sha256_init(lf_sha256_ctx *s);
void lf_sha256_update(lf_sha256_ctx *s, const void *data, size_t len);
void lf_sha256_final(lf_sha256_ctx *s, unsigned char digest[32]);
/* One-shot digest of a buffer. */
void lf_sha256_digest(const void *data, size_t len, unsigned char digest[32]);
/* Lower-case hex of a digest: 64 characters and a NUL. */
void lf_sha256_hex(const unsigned char digest[32], char hex[65]);

#endif
