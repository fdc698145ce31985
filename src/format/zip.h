/* ZIP archive reader (PKWARE APPNOTE 6.3): Python wheels, and PyTorch .pt/.pth
 * checkpoints, which are zip files of stored members. Parses a buffer the caller owns
 * (usually a mapped file), checks every offset and size of the central directory and of
 * each local header, and supports ZIP64. Members are stored (read in place, no copy) or
 * deflated (inflated with zlib into a caller's sink). Single-disk, unencrypted archives. */
#ifndef LF_FORMAT_ZIP_H
#define LF_FORMAT_ZIP_H

#include <stdbool.h>
#include <stdint.h>

#include "llamafast.h"

enum { ZIP_METHOD_STORED = 0, ZIP_METHOD_DEFLATE = 8 };

typedef struct zip_entry {
    const char *name; /* points into the archive; not NUL-terminated */
    uint64_t name_len;
    uint16_t method;  /* ZIP_METHOD_*, or another value the reader cannot extract */
    uint16_t flags;   /* general-purpose bits; bit 0 = encrypted */
    uint32_t crc32;
    uint64_t compressed_size, uncompressed_size;
    uint64_t data_offset; /* of the member's (compressed) bytes in the archive */
} zip_entry;

typedef struct zip_archive {
    const char *name; /* for messages */
    const unsigned char *base;
    uint64_t size;
    uint64_t n_entries;
    zip_entry *entries; /* in central-directory order */
} zip_archive;

/* Parses data[0, size), which must outlive the archive. Every entry's bytes are known to
 * lie inside the buffer when this succeeds. */
int lf_zip_parse(const void *data, uint64_t size, const char *name, zip_archive **out, lf_error *err);
void lf_zip_close(zip_archive *z);

/* The entry whose name equals name exactly, or NULL. */
const zip_entry *lf_zip_find(const zip_archive *z, const char *name);
bool lf_zip_entry_name_eq(const zip_entry *e, const char *name);

/* A stored member's bytes in place (no copy); LF_ERR_UNSUPPORTED for other methods. */
int lf_zip_stored_data(const zip_archive *z, const zip_entry *e, const void **data, lf_error *err);

/* Receives extracted bytes in order; returning non-zero stops the extraction, which then
 * fails with LF_ERR_CANCELLED. */
typedef int (*zip_sink)(const void *data, size_t len, void *user);

/* Extracts a stored or deflated member into sink, checking its size and CRC-32. */
int lf_zip_extract(const zip_archive *z, const zip_entry *e, zip_sink sink, void *user, lf_error *err);

#endif
