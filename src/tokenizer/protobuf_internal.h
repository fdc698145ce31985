/* A minimal protobuf wire-format reader, enough for SentencePiece's ModelProto. Every
 * length is checked against the remaining bytes. */
#ifndef LF_TOKENIZER_PROTOBUF_INTERNAL_H
#define LF_TOKENIZER_PROTOBUF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

enum { PB_VARINT = 0, PB_FIXED64 = 1, PB_BYTES = 2, PB_FIXED32 = 5 };

typedef struct pb_reader {
    const uint8_t *p, *end;
} pb_reader;

typedef struct pb_field {
    uint32_t number;
    uint32_t wire;
    uint64_t value;      /* PB_VARINT, PB_FIXED32, PB_FIXED64 (little-endian bits) */
    const uint8_t *data; /* PB_BYTES */
    size_t len;
} pb_field;

/* 1 when a field was read, 0 at the end of the message, -1 when malformed. */
int pb_next(pb_reader *r, pb_field *f);

#endif
