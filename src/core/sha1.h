/* SHA-1 (FIPS 180-4), incremental. Not for security on its own: the model hub names files
 * not stored with Git LFS by their git blob id, SHA-1("blob <size>\0" + content), and a
 * download is checked against it (SHA-1's collision attacks need a crafted pair; they do
 * not let a server or a network fault pass off other bytes as a given published id
 * without that preparation, and files stored with LFS are checked with SHA-256). */
#ifndef LF_CORE_SHA1_H
#define LF_CORE_SHA1_H

#include <stddef.h>
#include <stdint.h>

#include "core/md_block.h"

typedef struct lf_sha1_ctx {
    uint32_t state[5];
    lf_md_block framing;
} lf_sha1_ctx;

void lf_sha1_init(lf_sha1_ctx *s);
void lf_sha1_update(lf_sha1_ctx *s, const void *data, size_t len);
void lf_sha1_final(lf_sha1_ctx *s, unsigned char digest[20]);
/* One-shot digest of a buffer. */
void lf_sha1_digest(const void *data, size_t len, unsigned char digest[20]);
/* Lower-case hex of a digest: 40 characters and a NUL. */
void lf_sha1_hex(const unsigned char digest[20], char hex[41]);
/* Starts s as git's object hash of a blob of size bytes: the content follows with update. */
void lf_sha1_init_git_blob(lf_sha1_ctx *s, uint64_t size);

#endif
