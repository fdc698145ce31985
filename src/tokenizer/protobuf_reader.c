/* Protobuf wire format: a sequence of (field number << 3 | wire type) varint keys, each
 * followed by a varint, 4 or 8 fixed bytes, or a varint length and that many bytes. */
#include "tokenizer/protobuf_internal.h"

static int read_varint(pb_reader *r, uint64_t *out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) return -1;
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1; /* more than 10 bytes */
}

static int read_fixed(pb_reader *r, int n, uint64_t *out) {
    if (r->end - r->p < n) return -1;
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | r->p[i];
    r->p += n;
    *out = v;
    return 0;
}

int pb_next(pb_reader *r, pb_field *f) {
    if (r->p >= r->end) return 0;
    uint64_t key;
    if (read_varint(r, &key) != 0) return -1;
    f->number = (uint32_t)(key >> 3);
    f->wire = (uint32_t)(key & 7);
    if (f->number == 0 || key >> 3 > UINT32_MAX) return -1;
    f->data = NULL;
    f->len = 0;
    f->value = 0;
    switch (f->wire) {
    case PB_VARINT:
        return read_varint(r, &f->value) == 0 ? 1 : -1;
    case PB_FIXED64:
        return read_fixed(r, 8, &f->value) == 0 ? 1 : -1;
    case PB_FIXED32:
        return read_fixed(r, 4, &f->value) == 0 ? 1 : -1;
    case PB_BYTES: {
        uint64_t len;
        if (read_varint(r, &len) != 0 || len > (uint64_t)(r->end - r->p)) return -1;
        f->data = r->p;
        f->len = (size_t)len;
        r->p += len;
        return 1;
    }
    default: /* groups (3, 4) are deprecated and absent from ModelProto */
        return -1;
    }
}
