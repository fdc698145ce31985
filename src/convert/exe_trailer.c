#include "convert/exe_trailer.h"

#include <string.h>
#include <zlib.h>

#include "core/error.h"

#define TRAILER_MAGIC "LLAMAFST"
#define TRAILER_VERSION 1u

_Static_assert(LF_EXE_TRAILER_BYTES == 64, "the trailer layout is 64 bytes");

static uint32_t get_u32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get_u64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

uint32_t exe_crc32(const void *p, uint64_t n) {
    uLong c = crc32(0L, Z_NULL, 0);
    for (const unsigned char *b = p; n;) {
        uInt take = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, b, take);
        b += take;
        n -= take;
    }
    return (uint32_t)c;
}

void exe_trailer_encode(const lf_embedded_model *m, uint32_t head_crc, unsigned char t[LF_EXE_TRAILER_BYTES]) {
    uint32_t v32[2] = {TRAILER_VERSION, LF_EXE_TRAILER_BYTES};
    uint64_t v64[3] = {m->program_size, m->offset, m->size};
    memset(t, 0, LF_EXE_TRAILER_BYTES);
    memcpy(t, v32, 8);
    memcpy(t + 8, v64, 24);
    memcpy(t + 32, &head_crc, 4);
    uint32_t crc = exe_crc32(t, 48);
    memcpy(t + 48, &crc, 4);
    memcpy(t + 56, TRAILER_MAGIC, 8);
}

bool exe_trailer_present(const unsigned char t[LF_EXE_TRAILER_BYTES]) { return memcmp(t + 56, TRAILER_MAGIC, 8) == 0; }

int exe_trailer_decode(const unsigned char t[LF_EXE_TRAILER_BYTES], uint64_t file_size, const char *name,
                       lf_embedded_model *out, uint32_t *head_crc, lf_error *err) {
    uint32_t version = get_u32(t);
    if (version != TRAILER_VERSION || get_u32(t + 4) != LF_EXE_TRAILER_BYTES)
        return lf_fail(err, LF_ERR_FORMAT, "%s: embedded-model trailer version %u is not one this program reads (%u)",
                       name, version, TRAILER_VERSION);
    if (get_u32(t + 48) != exe_crc32(t, 48))
        return lf_fail(err, LF_ERR_FORMAT, "%s: embedded-model trailer is damaged (checksum mismatch)", name);
    uint64_t prog = get_u64(t + 8), off = get_u64(t + 16), size = get_u64(t + 24);
    if (file_size < LF_EXE_TRAILER_BYTES || off % LF_EXE_ALIGN != 0 || prog > off ||
        off > file_size - LF_EXE_TRAILER_BYTES || size != file_size - LF_EXE_TRAILER_BYTES - off || size < 4)
        return lf_fail(err, LF_ERR_FORMAT, "%s: embedded model at %llu (%llu bytes) does not fit the file of %llu "
                       "bytes: truncated or damaged", name, (unsigned long long)off, (unsigned long long)size,
                       (unsigned long long)file_size);
    *out = (lf_embedded_model){.program_size = prog, .offset = off, .size = size};
    *head_crc = get_u32(t + 32);
    return LF_OK;
}
