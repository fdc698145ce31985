/* A chunked request body (RFC 9112 §7.1), decoded in place as it arrives: the data of
 * the chunks is moved to the start of the body's bytes, so the decoded body is a prefix
 * of the buffer it came in. Chunk extensions and trailer fields are read and dropped. */
#ifndef LF_SERVER_HTTP_CHUNKED_H
#define LF_SERVER_HTTP_CHUNKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum chunk_state { CHUNK_SIZE, CHUNK_DATA, CHUNK_DATA_END, CHUNK_TRAILER, CHUNK_DONE } chunk_state;

typedef struct chunked_decoder {
    chunk_state state;
    size_t raw;        /* raw bytes consumed */
    size_t out;        /* decoded bytes, at the start of the buffer */
    uint64_t left;     /* bytes left in the current chunk */
} chunked_decoder;

typedef enum chunked_result { CHUNKED_MORE = 0, CHUNKED_DONE = 1, CHUNKED_BAD = -1, CHUNKED_TOO_LARGE = -2 } chunked_result;

/* Decodes what buf[0, len) holds beyond what was decoded before (buf is the same
 * buffer each time, grown at its end). More than max decoded bytes: CHUNKED_TOO_LARGE. */
chunked_result chunked_decode(chunked_decoder *d, char *buf, size_t len, size_t max);

#endif
