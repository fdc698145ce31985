/* An output file that appears under its name only when complete: bytes go to PATH.part,
 * which is renamed over PATH at the end; a failure or an abandoned write removes it, so
 * an interrupted export never leaves a truncated file under the final name. */
#ifndef LF_CONVERT_OUT_FILE_H
#define LF_CONVERT_OUT_FILE_H

#include <stdint.h>
#include <stdio.h>

#include "llamafast.h"

typedef struct out_file {
    FILE *fp;
    char *path, *part;
    uint64_t written;
} out_file;

/* mode: permission bits of the new file (before the umask), 0666 or 0777. */
int out_file_open(out_file *o, const char *path, unsigned mode, lf_error *err);
int out_file_write(out_file *o, const void *data, size_t n, lf_error *err);
/* Writes n zero bytes. */
int out_file_pad(out_file *o, uint64_t n, lf_error *err);
/* Flushes, syncs and renames PATH.part to PATH; on failure the part file is removed. */
int out_file_commit(out_file *o, lf_error *err);
/* Closes and removes PATH.part (a no-op after out_file_commit). */
void out_file_abort(out_file *o);

#endif
