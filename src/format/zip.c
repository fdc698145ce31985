#include "format/zip.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/checked_math.h"
#include "core/error.h"

/* Record signatures and fixed sizes, APPNOTE sections 4.3.7, 4.3.12, 4.3.14-16. */
#define LOCAL_SIG 0x04034b50u
#define LOCAL_SIZE 30
#define CENTRAL_SIG 0x02014b50u
#define CENTRAL_SIZE 46
#define EOCD_SIG 0x06054b50u
#define EOCD_SIZE 22
#define ZIP64_LOCATOR_SIG 0x07064b50u
#define ZIP64_LOCATOR_SIZE 20
#define ZIP64_EOCD_SIG 0x06064b50u
#define ZIP64_EOCD_SIZE 56
#define ZIP64_EXTRA_ID 0x0001
#define MAX_COMMENT 65535

static uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const unsigned char *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const unsigned char *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* Where the central directory is, and what bounds it. */
typedef struct central_dir {
    uint64_t n_entries, offset, size;
    uint64_t end; /* first byte after the space the directory may use */
} central_dir;

/* True when [off, off + len) lies inside [0, limit). */
static bool in_range(uint64_t off, uint64_t len, uint64_t limit) {
    uint64_t end;
    return lf_add_u64(off, len, &end) && end <= limit;
}

/* The end-of-central-directory record is the last one whose comment fits in the file;
 * it lies in the final 22 + 65535 bytes. Returns its offset or -1. */
static int64_t find_eocd(const unsigned char *b, uint64_t size) {
    if (size < EOCD_SIZE) return -1;
    uint64_t lowest = size - EOCD_SIZE > MAX_COMMENT ? size - EOCD_SIZE - MAX_COMMENT : 0;
    for (uint64_t off = size - EOCD_SIZE + 1; off-- > lowest;)
        if (rd32(b + off) == EOCD_SIG && off + EOCD_SIZE + rd16(b + off + 20) <= size) return (int64_t)off;
    return -1;
}

static int locate_central_dir(const zip_archive *z, central_dir *cd, lf_error *err) {
    const unsigned char *b = z->base;
    int64_t found = find_eocd(b, z->size);
    if (found < 0) return lf_fail(err, LF_ERR_FORMAT, "%s: not a zip archive (no end-of-central-directory record)", z->name);
    uint64_t eocd = (uint64_t)found;
    const unsigned char *e = b + eocd;
    if (rd16(e + 4) != 0 || rd16(e + 6) != 0 || rd16(e + 8) != rd16(e + 10))
        return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: multi-disk zip archives are not supported", z->name);
    cd->n_entries = rd16(e + 10);
    cd->size = rd32(e + 12);
    cd->offset = rd32(e + 16);
    cd->end = eocd;
    /* ZIP64: a locator just before the record points at the 64-bit end record. */
    if (eocd < ZIP64_LOCATOR_SIZE || rd32(b + eocd - ZIP64_LOCATOR_SIZE) != ZIP64_LOCATOR_SIG) return LF_OK;
    const unsigned char *loc = b + eocd - ZIP64_LOCATOR_SIZE;
    uint64_t z64 = rd64(loc + 8);
    if (rd32(loc + 4) != 0 || rd32(loc + 16) > 1)
        return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: multi-disk zip archives are not supported", z->name);
    if (!in_range(z64, ZIP64_EOCD_SIZE, eocd - ZIP64_LOCATOR_SIZE) || rd32(b + z64) != ZIP64_EOCD_SIG)
        return lf_fail(err, LF_ERR_FORMAT, "%s: ZIP64 end record offset %llu is invalid", z->name,
                       (unsigned long long)z64);
    const unsigned char *r = b + z64;
    if (rd32(r + 16) != 0 || rd32(r + 20) != 0 || rd64(r + 24) != rd64(r + 32))
        return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: multi-disk zip archives are not supported", z->name);
    cd->n_entries = rd64(r + 32);
    cd->size = rd64(r + 40);
    cd->offset = rd64(r + 48);
    cd->end = z64;
    return LF_OK;
}

/* The ZIP64 extended-information field holds 64-bit values for exactly those 32-bit
 * fields that are saturated, in the order: uncompressed size, compressed size, local
 * header offset. */
static int read_zip64_extra(const zip_archive *z, const unsigned char *extra, uint64_t len, zip_entry *e,
                            uint64_t *local_offset, lf_error *err) {
    while (len >= 4) {
        uint16_t id = rd16(extra), field = rd16(extra + 2);
        if (field > len - 4) break; /* a torn trailing field: ignored, like other readers */
        if (id == ZIP64_EXTRA_ID) {
            uint64_t *targets[3] = {&e->uncompressed_size, &e->compressed_size, local_offset};
            const unsigned char *p = extra + 4;
            uint64_t left = field;
            for (int i = 0; i < 3; i++) {
                if (*targets[i] != 0xffffffffu) continue;
                if (left < 8)
                    return lf_fail(err, LF_ERR_FORMAT, "%s: member '%.*s': ZIP64 field too short", z->name,
                                   (int)(e->name_len < 200 ? e->name_len : 200), e->name);
                *targets[i] = rd64(p);
                p += 8;
                left -= 8;
            }
            return LF_OK;
        }
        extra += 4 + field;
        len -= 4 + field;
    }
    return LF_OK;
}

/* Reads the central-directory entry at *pos and the local header it points to. */
static int read_entry(const zip_archive *z, const central_dir *cd, uint64_t *pos, zip_entry *e, lf_error *err) {
    const unsigned char *b = z->base;
    uint64_t dir_end = cd->offset + cd->size; /* checked by the caller */
    if (!in_range(*pos, CENTRAL_SIZE, dir_end) || rd32(b + *pos) != CENTRAL_SIG)
        return lf_fail(err, LF_ERR_FORMAT, "%s: central directory entry at offset %llu is invalid", z->name,
                       (unsigned long long)*pos);
    const unsigned char *c = b + *pos;
    uint64_t name_len = rd16(c + 28), extra_len = rd16(c + 30), comment_len = rd16(c + 32);
    uint64_t record = CENTRAL_SIZE + name_len + extra_len + comment_len;
    if (!in_range(*pos, record, dir_end))
        return lf_fail(err, LF_ERR_FORMAT, "%s: central directory entry at offset %llu runs past the directory",
                       z->name, (unsigned long long)*pos);
    e->flags = rd16(c + 8);
    e->method = rd16(c + 10);
    e->crc32 = rd32(c + 16);
    e->compressed_size = rd32(c + 20);
    e->uncompressed_size = rd32(c + 24);
    e->name = (const char *)c + CENTRAL_SIZE;
    e->name_len = name_len;
    uint64_t local = rd32(c + 42);
    int rc = read_zip64_extra(z, c + CENTRAL_SIZE + name_len, extra_len, e, &local, err);
    if (rc != LF_OK) return rc;
    *pos += record;
    int shown = (int)(name_len < 200 ? name_len : 200);
    if (rd16(c + 34) != 0 && rd16(c + 34) != 0xffff)
        return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: member '%.*s' is on another disk", z->name, shown, e->name);
    /* Member data lies before the central directory. */
    if (!in_range(local, LOCAL_SIZE, cd->offset) || rd32(b + local) != LOCAL_SIG)
        return lf_fail(err, LF_ERR_FORMAT, "%s: member '%.*s': local header offset %llu is invalid", z->name, shown,
                       e->name, (unsigned long long)local);
    e->data_offset = local + LOCAL_SIZE + rd16(b + local + 26) + rd16(b + local + 28);
    if (!in_range(e->data_offset, e->compressed_size, cd->offset))
        return lf_fail(err, LF_ERR_FORMAT, "%s: member '%.*s': %llu bytes at offset %llu run past the member area",
                       z->name, shown, e->name, (unsigned long long)e->compressed_size,
                       (unsigned long long)e->data_offset);
    return LF_OK;
}

int lf_zip_parse(const void *data, uint64_t size, const char *name, zip_archive **out, lf_error *err) {
    *out = NULL;
    zip_archive *z = calloc(1, sizeof *z);
    if (!z) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", name);
    z->name = name;
    z->base = data;
    z->size = size;
    central_dir cd = {0};
    int rc = locate_central_dir(z, &cd, err);
    if (rc == LF_OK && !in_range(cd.offset, cd.size, cd.end))
        rc = lf_fail(err, LF_ERR_FORMAT, "%s: central directory (%llu bytes at offset %llu) is outside the archive",
                     name, (unsigned long long)cd.size, (unsigned long long)cd.offset);
    if (rc == LF_OK && cd.n_entries > cd.size / CENTRAL_SIZE)
        rc = lf_fail(err, LF_ERR_FORMAT, "%s: %llu entries cannot fit in a %llu-byte central directory", name,
                     (unsigned long long)cd.n_entries, (unsigned long long)cd.size);
    if (rc == LF_OK && !(z->entries = calloc(cd.n_entries ? cd.n_entries : 1, sizeof *z->entries)))
        rc = lf_fail(err, LF_ERR_NOMEM, "%s: out of memory for %llu entries", name, (unsigned long long)cd.n_entries);
    uint64_t pos = cd.offset;
    for (uint64_t i = 0; rc == LF_OK && i < cd.n_entries; i++) rc = read_entry(z, &cd, &pos, &z->entries[i], err);
    if (rc != LF_OK) {
        lf_zip_close(z);
        return rc;
    }
    z->n_entries = cd.n_entries;
    *out = z;
    return LF_OK;
}

void lf_zip_close(zip_archive *z) {
    if (!z) return;
    free(z->entries);
    free(z);
}

bool lf_zip_entry_name_eq(const zip_entry *e, const char *name) {
    return strlen(name) == e->name_len && memcmp(e->name, name, e->name_len) == 0;
}

const zip_entry *lf_zip_find(const zip_archive *z, const char *name) {
    for (uint64_t i = 0; i < z->n_entries; i++)
        if (lf_zip_entry_name_eq(&z->entries[i], name)) return &z->entries[i];
    return NULL;
}

#define ENTRY_FAIL(code, ...) entry_fail(z, e, err, code, __VA_ARGS__)

static int entry_fail(const zip_archive *z, const zip_entry *e, lf_error *err, int code, const char *what, ...)
    __attribute__((format(printf, 5, 6)));

static int entry_fail(const zip_archive *z, const zip_entry *e, lf_error *err, int code, const char *what, ...) {
    char detail[256];
    va_list ap;
    va_start(ap, what);
    vsnprintf(detail, sizeof detail, what, ap);
    va_end(ap);
    return lf_fail(err, code, "%s: member '%.*s': %s", z->name, (int)(e->name_len < 200 ? e->name_len : 200), e->name,
                   detail);
}

static int check_extractable(const zip_archive *z, const zip_entry *e, lf_error *err) {
    if (e->flags & 1) return ENTRY_FAIL(LF_ERR_UNSUPPORTED, "encrypted members are not supported");
    if (e->method != ZIP_METHOD_STORED && e->method != ZIP_METHOD_DEFLATE)
        return ENTRY_FAIL(LF_ERR_UNSUPPORTED, "compression method %u is not supported (stored or deflate only)",
                          e->method);
    return LF_OK;
}

int lf_zip_stored_data(const zip_archive *z, const zip_entry *e, const void **data, lf_error *err) {
    *data = NULL;
    int rc = check_extractable(z, e, err);
    if (rc != LF_OK) return rc;
    if (e->method != ZIP_METHOD_STORED) return ENTRY_FAIL(LF_ERR_UNSUPPORTED, "compressed, not stored");
    if (e->compressed_size != e->uncompressed_size)
        return ENTRY_FAIL(LF_ERR_FORMAT, "stored member with different sizes (%llu, %llu)",
                          (unsigned long long)e->compressed_size, (unsigned long long)e->uncompressed_size);
    *data = z->base + e->data_offset;
    return LF_OK;
}

/* Chunks handed to the sink and to zlib (whose counts are 32-bit). */
#define PIECE (1u << 20)

static int extract_stored(const zip_archive *z, const zip_entry *e, zip_sink sink, void *user, lf_error *err) {
    const void *data;
    int rc = lf_zip_stored_data(z, e, &data, err);
    if (rc != LF_OK) return rc;
    const unsigned char *p = data;
    uLong crc = crc32(0, Z_NULL, 0);
    for (uint64_t done = 0; done < e->uncompressed_size;) {
        size_t n = e->uncompressed_size - done < PIECE ? (size_t)(e->uncompressed_size - done) : PIECE;
        crc = crc32(crc, p + done, (uInt)n);
        if (sink(p + done, n, user)) return ENTRY_FAIL(LF_ERR_CANCELLED, "extraction stopped");
        done += n;
    }
    if (crc != e->crc32) return ENTRY_FAIL(LF_ERR_FORMAT, "CRC-32 mismatch (data corrupt)");
    return LF_OK;
}

static int extract_deflated(const zip_archive *z, const zip_entry *e, zip_sink sink, void *user, lf_error *err) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return ENTRY_FAIL(LF_ERR_NOMEM, "cannot start zlib");
    unsigned char *buf = malloc(PIECE);
    if (!buf) {
        inflateEnd(&zs);
        return ENTRY_FAIL(LF_ERR_NOMEM, "out of memory");
    }
    const unsigned char *in = z->base + e->data_offset;
    uint64_t in_left = e->compressed_size, produced = 0;
    uLong crc = crc32(0, Z_NULL, 0);
    int rc = LF_OK, zr = Z_OK;
    while (rc == LF_OK && zr != Z_STREAM_END) {
        if (zs.avail_in == 0 && in_left > 0) {
            zs.next_in = (unsigned char *)in; /* zlib does not write through next_in */
            zs.avail_in = in_left < PIECE ? (uInt)in_left : PIECE;
            in += zs.avail_in;
            in_left -= zs.avail_in;
        }
        zs.next_out = buf;
        zs.avail_out = PIECE;
        zr = inflate(&zs, Z_NO_FLUSH);
        size_t n = PIECE - zs.avail_out;
        if (zr == Z_MEM_ERROR) rc = ENTRY_FAIL(LF_ERR_NOMEM, "out of memory while inflating");
        else if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT)
            rc = ENTRY_FAIL(LF_ERR_FORMAT, "corrupt deflate data (%s)", zs.msg ? zs.msg : "invalid");
        else if (zr == Z_BUF_ERROR && zs.avail_in == 0 && in_left == 0)
            rc = ENTRY_FAIL(LF_ERR_FORMAT, "deflate data ends early (truncated)");
        else if (n > e->uncompressed_size - produced)
            rc = ENTRY_FAIL(LF_ERR_FORMAT, "inflates to more than its stated %llu bytes",
                            (unsigned long long)e->uncompressed_size);
        else if (n) {
            crc = crc32(crc, buf, (uInt)n);
            produced += n;
            if (sink(buf, n, user)) rc = ENTRY_FAIL(LF_ERR_CANCELLED, "extraction stopped");
        }
    }
    inflateEnd(&zs);
    free(buf);
    if (rc != LF_OK) return rc;
    if (produced != e->uncompressed_size)
        return ENTRY_FAIL(LF_ERR_FORMAT, "inflates to %llu bytes, not the stated %llu", (unsigned long long)produced,
                          (unsigned long long)e->uncompressed_size);
    if (crc != e->crc32) return ENTRY_FAIL(LF_ERR_FORMAT, "CRC-32 mismatch (data corrupt)");
    return LF_OK;
}

int lf_zip_extract(const zip_archive *z, const zip_entry *e, zip_sink sink, void *user, lf_error *err) {
    int rc = check_extractable(z, e, err);
    if (rc != LF_OK) return rc;
    return e->method == ZIP_METHOD_STORED ? extract_stored(z, e, sink, user, err)
                                          : extract_deflated(z, e, sink, user, err);
}
