/* The trailer that ends an executable carrying a model (LF_EXE_TRAILER_BYTES,
 * little-endian):
 *   0 u32 version (1)      4 u32 trailer bytes (64)   8 u64 program size
 *  16 u64 model offset    24 u64 model size         32 u32 CRC-32 of the model's first
 *  36..47 zero                                          min(size, EXE_HEAD_CHECKED) bytes
 *  48 u32 CRC-32 of bytes 0..47   52 u32 zero        56 "LLAMAFST"
 * The model offset is a multiple of LF_EXE_ALIGN (64 KiB), so it can be mapped in place
 * on any page size and a GGUF's alignment, counted from its own start, holds in memory. */
#ifndef LF_CONVERT_EXE_TRAILER_H
#define LF_CONVERT_EXE_TRAILER_H

#include <stdbool.h>
#include <stdint.h>

#include "llamafast.h"

#define EXE_HEAD_CHECKED 65536u

void exe_trailer_encode(const lf_embedded_model *m, uint32_t head_crc, unsigned char t[LF_EXE_TRAILER_BYTES]);
/* True when t ends in the trailer's magic (the file claims to carry a model). */
bool exe_trailer_present(const unsigned char t[LF_EXE_TRAILER_BYTES]);
/* Checks a present trailer against the size of the file it ends: version, checksum, and
 * that program, padding, model and trailer tile the file exactly. Fills *out and the
 * expected CRC-32 of the model's head; LF_ERR_FORMAT naming name otherwise. */
int exe_trailer_decode(const unsigned char t[LF_EXE_TRAILER_BYTES], uint64_t file_size, const char *name,
                       lf_embedded_model *out, uint32_t *head_crc, lf_error *err);
uint32_t exe_crc32(const void *p, uint64_t n);

#endif
