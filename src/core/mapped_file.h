/* The one place where files are memory-mapped (read-only, shared). */
#ifndef LF_CORE_MAPPED_FILE_H
#define LF_CORE_MAPPED_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "llamafast.h"

typedef struct lf_mapped_file {
    const unsigned char *data;
    size_t size;
} lf_mapped_file;

int lf_mapped_file_open(const char *path, lf_mapped_file *out, lf_error *err);
/* Maps only bytes [offset, offset + size) of path: a file stored inside another (a model
 * appended to an executable). offset must be a multiple of the page size; size 0 means
 * up to the end of the file. A range outside the file is LF_ERR_FORMAT. */
int lf_mapped_file_open_range(const char *path, uint64_t offset, uint64_t size, lf_mapped_file *out, lf_error *err);
void lf_mapped_file_close(lf_mapped_file *mf);

#endif
