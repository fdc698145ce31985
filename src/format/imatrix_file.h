/* llama.cpp's importance-matrix files, read and written: the GGUF imatrix (llama-imatrix's
 * default: per tensor X, an F32 tensor X.in_sum2 of the summed squared activations of
 * each input column, [ne0, n_mat], and X.counts, [1, n_mat], the number of activation rows
 * summed; metadata general.type = "imatrix", imatrix.datasets, imatrix.chunk_count,
 * imatrix.chunk_size) and the legacy .dat (int32 entry count; per entry int32 name
 * length, name, int32 ncall, int32 nval, nval floats of (sum / count) * ncall; then the
 * int32 chunk count and an int32-length dataset name). Every count, length, name and
 * value is checked: a hostile file is an LF_ERR_FORMAT naming the file and the entry. */
#ifndef LF_FORMAT_IMATRIX_FILE_H
#define LF_FORMAT_IMATRIX_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llamafast.h"

typedef struct lf_imatrix_entry {
    char *name;         /* the weight's tensor name, e.g. "blk.0.attn_q.weight" */
    int64_t n_values;   /* n_mat * columns */
    int64_t n_mat;      /* matrices (experts) sharing the name; 1 for a dense weight */
    float *sums;        /* n_values: raw sums of squares (GGUF), (sum/count)*ncall (.dat) */
    int64_t *counts;    /* n_mat: rows summed (GGUF), or {ncall} (.dat, n_mat 1) */
    float *importance;  /* n_values: what llama-quantize hands the quantizer */
} lf_imatrix_entry;

struct lf_imatrix {
    lf_imatrix_entry *entries; /* sorted by name, names unique */
    int n_entries;
    char **datasets;
    int n_datasets;
    int32_t chunk_count, chunk_size;
    bool legacy; /* read from a .dat file: sums are already normalized */
};

/* Reads either format (GGUF by its magic, else .dat) from a file or a buffer (the name
 * is for messages). */
int lf_imatrix_file_read(const char *path, lf_imatrix **out, lf_error *err);
int lf_imatrix_file_parse(const void *data, size_t size, const char *name, lf_imatrix **out, lf_error *err);

/* Writes PATH (through PATH.part, renamed when complete, as the GGUF writer does) in GGUF
 * or legacy .dat form,
 * entries in name order as llama-imatrix writes them. An imatrix read from a .dat
 * file lacks the raw sums and counts: it can only be written as .dat again. */
int lf_imatrix_file_write(const lf_imatrix *im, const char *path, bool legacy, lf_error *err);

/* Fills each entry's importance from its sums and counts as llama-quantize does: GGUF,
 * sums / count per matrix (1 where the count is 0); .dat, sums / ncall (sums when 0). */
int lf_imatrix_compute_importance(lf_imatrix *im, lf_error *err);

/* The entry named name, or NULL. */
const lf_imatrix_entry *lf_imatrix_find(const lf_imatrix *im, const char *name);

/* An empty imatrix, and one more entry of n_mat matrices of cols columns each (zeroed
 * sums and counts), or NULL when out of memory. Entries added must keep names unique;
 * lf_imatrix_sort orders them for lookup and writing. */
lf_imatrix *lf_imatrix_new(void);
lf_imatrix_entry *lf_imatrix_add(lf_imatrix *im, const char *name, int64_t n_mat, int64_t cols);
void lf_imatrix_sort(lf_imatrix *im);

#endif
