/* Whole-file reading for the programs (the library itself maps files instead). */
#ifndef LF_CLI_READ_FILE_H
#define LF_CLI_READ_FILE_H

#include <stddef.h>

/* Returns the file's bytes (malloc'd, caller frees) and their count in *len, or NULL
 * with errno set when it cannot be opened, read or held in memory. */
char *cli_read_file(const char *path, size_t *len);

#endif
