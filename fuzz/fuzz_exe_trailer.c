/* libFuzzer target for the trailer of an executable carrying a model: input is the
 * file's size (8 bytes, little-endian) then the 64 trailer bytes. Any input must be
 * accepted or refused cleanly, and an accepted trailer must tile the file exactly:
 * program <= offset, offset 64 KiB-aligned, offset + size + trailer = file size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "convert/exe_trailer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 8 + LF_EXE_TRAILER_BYTES) return 0;
    uint64_t file_size;
    memcpy(&file_size, data, 8);
    unsigned char t[LF_EXE_TRAILER_BYTES];
    memcpy(t, data + 8, sizeof t);
    if (!exe_trailer_present(t)) return 0;
    lf_embedded_model m;
    uint32_t head_crc;
    lf_error err;
    if (exe_trailer_decode(t, file_size, "fuzz", &m, &head_crc, &err) == LF_OK &&
        (m.program_size > m.offset || m.offset % LF_EXE_ALIGN != 0 || m.size < 4 ||
         m.offset + m.size + LF_EXE_TRAILER_BYTES != file_size || m.offset + m.size < m.offset))
        abort();
    return 0;
}
