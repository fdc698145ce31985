/* Streaming GGUF v3 writer. A file is made in three phases:
 *
 *   1. metadata key-values (gguf_writer_add_*) and tensor infos (gguf_writer_add_tensor),
 *      kept in memory (they are small: a 128k-token vocabulary is a few MB);
 *   2. tensor data, in the order the tensors were added, through any number of
 *      gguf_writer_write calls of any size (a tensor may span calls and a call may span
 *      tensors); the header is written before the first byte of data and the padding
 *      between tensors is inserted automatically, so a 7 GB model never sits in memory;
 *   3. gguf_writer_finish: checks every declared byte was written, flushes, fsyncs and
 *      renames PATH.part to PATH (so PATH is either the old file or the complete new one).
 *
 * Everything goes to PATH.part, created by gguf_writer_open. gguf_writer_free without a
 * successful finish removes PATH.part. Errors are sticky: after the first failure every
 * call returns the same status, and err (when non-NULL) receives a message naming the
 * file. Data offsets are aligned to 32 bytes unless gguf_writer_set_alignment says
 * otherwise (which also writes general.alignment). */
#ifndef LF_FORMAT_GGUF_WRITE_H
#define LF_FORMAT_GGUF_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/gguf.h"
#include "kernels/kernels.h"
#include "llamafast.h"

typedef struct gguf_writer gguf_writer;

/* Creates PATH.part (truncating a stale one). */
int gguf_writer_open(const char *path, gguf_writer **out, lf_error *err);
/* Removes PATH.part unless gguf_writer_finish succeeded; NULL is fine. */
void gguf_writer_free(gguf_writer *w);

/* A power of two (8 … 1 MiB); only before the first tensor is added. */
int gguf_writer_set_alignment(gguf_writer *w, uint32_t alignment, lf_error *err);

/* Scalar metadata. Keys must be unique, non-empty and NUL-free. */
int gguf_writer_add_u8(gguf_writer *w, const char *key, uint8_t v, lf_error *err);
int gguf_writer_add_i8(gguf_writer *w, const char *key, int8_t v, lf_error *err);
int gguf_writer_add_u16(gguf_writer *w, const char *key, uint16_t v, lf_error *err);
int gguf_writer_add_i16(gguf_writer *w, const char *key, int16_t v, lf_error *err);
int gguf_writer_add_u32(gguf_writer *w, const char *key, uint32_t v, lf_error *err);
int gguf_writer_add_i32(gguf_writer *w, const char *key, int32_t v, lf_error *err);
int gguf_writer_add_u64(gguf_writer *w, const char *key, uint64_t v, lf_error *err);
int gguf_writer_add_i64(gguf_writer *w, const char *key, int64_t v, lf_error *err);
int gguf_writer_add_f32(gguf_writer *w, const char *key, float v, lf_error *err);
int gguf_writer_add_f64(gguf_writer *w, const char *key, double v, lf_error *err);
int gguf_writer_add_bool(gguf_writer *w, const char *key, bool v, lf_error *err);
int gguf_writer_add_str(gguf_writer *w, const char *key, const char *v, lf_error *err);
/* A string of len bytes (may contain NUL). */
int gguf_writer_add_str_n(gguf_writer *w, const char *key, const char *v, uint64_t len, lf_error *err);

/* Numeric array: count elements of elem_type (any scalar type but STRING/ARRAY), given as
 * packed host values (uint8_t[], int32_t[], float[], bool as one byte each, …). */
int gguf_writer_add_array(gguf_writer *w, const char *key, gguf_value_type elem_type, const void *data,
                          uint64_t count, lf_error *err);
/* String array of NUL-terminated strings; lens may be NULL (strlen) or give each length. */
int gguf_writer_add_str_array(gguf_writer *w, const char *key, const char *const *strs, const uint64_t *lens,
                              uint64_t count, lf_error *err);

/* Declares a tensor: ne[0] is the contiguous dimension (ne[0] a multiple of the type's
 * block), n_dims 1..4. Its data offset (relative to the data section) goes to *offset and
 * its size to *nbytes when those are non-NULL. Names must be unique (< 64 bytes as GGML
 * requires). */
int gguf_writer_add_tensor(gguf_writer *w, const char *name, uint32_t n_dims, const uint64_t *ne, lf_type type,
                           uint64_t *offset, uint64_t *nbytes, lf_error *err);

/* Writes the header, metadata and tensor infos; called by the first gguf_writer_write if
 * not before. No key or tensor can be added afterwards. */
int gguf_writer_write_header(gguf_writer *w, lf_error *err);
/* Appends n bytes of tensor data (in declaration order); writing more than was declared
 * is an error. */
int gguf_writer_write(gguf_writer *w, const void *data, size_t n, lf_error *err);

/* Index of the tensor the next data byte belongs to (n_tensors when all are complete). */
uint64_t gguf_writer_current_tensor(const gguf_writer *w);
/* Bytes of tensor data declared so far, and written so far (padding excluded). */
uint64_t gguf_writer_data_bytes(const gguf_writer *w);
uint64_t gguf_writer_written_bytes(const gguf_writer *w);
/* Final file size once the header is fixed (header + metadata + infos + aligned data). */
uint64_t gguf_writer_file_size(const gguf_writer *w);

/* Flushes, fsyncs, renames PATH.part to PATH and fsyncs the directory. */
int gguf_writer_finish(gguf_writer *w, lf_error *err);

#endif
