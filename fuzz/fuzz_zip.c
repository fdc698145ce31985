/* libFuzzer target for the zip reader: any byte string must parse or fail cleanly with a
 * message naming the archive. When it parses, every entry's name and stored bytes are
 * read (so a pointer outside the input shows under AddressSanitizer) and every member is
 * extracted, its output capped so that deflate bombs stay cheap. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "format/zip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned char sink_byte;

static void touch(const void *p, uint64_t n) {
    const unsigned char *b = p;
    for (uint64_t i = 0; i < n; i++) sink_byte ^= b[i];
}

/* Counts output and stops after 4 MiB per input. */
static int count_output(const void *data, size_t len, void *user) {
    size_t *left = user;
    touch(data, len < 64 ? len : 64);
    if (len > *left) return 1;
    *left -= len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    zip_archive *z = NULL;
    lf_error err;
    if (lf_zip_parse(data, size, "fuzz.zip", &z, &err) != LF_OK) {
        if (z || !strstr(err.message, "fuzz.zip")) __builtin_trap(); /* failures name the archive */
        return 0;
    }
    size_t budget = 4u << 20;
    for (uint64_t i = 0; i < z->n_entries; i++) {
        const zip_entry *e = &z->entries[i];
        touch(e->name, e->name_len);
        const void *stored;
        if (lf_zip_stored_data(z, e, &stored, &err) == LF_OK) touch(stored, e->uncompressed_size);
        int rc = lf_zip_extract(z, e, count_output, &budget, &err);
        if (rc != LF_OK && !strstr(err.message, "fuzz.zip")) __builtin_trap();
    }
    lf_zip_close(z);
    return 0;
}
