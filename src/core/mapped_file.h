/* The one place where files are memory-mapped (read-only, shared). */
#ifndef LF_CORE_MAPPED_FILE_H
#define LF_CORE_MAPPED_FILE_H

#include <stddef.h>

#include "llamafast.h"

typedef struct lf_mapped_file {
    const unsigned char *data;
    size_t size;
} lf_mapped_file;

int lf_mapped_file_open(const char *path, lf_mapped_file *out, lf_error *err);
void lf_mapped_file_close(lf_mapped_file *mf);

#endif
