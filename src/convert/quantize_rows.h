/* Converting rows of one source tensor to another type on a thread pool: each row is
 * read (in GGUF order), expanded to f32, checked, quantized and checked again. */
#ifndef LF_CONVERT_QUANTIZE_ROWS_H
#define LF_CONVERT_QUANTIZE_ROWS_H

#include "model/model.h"
#include "runtime/threadpool.h"

typedef struct quantize_rows_scratch quantize_rows_scratch;

/* Per-thread buffers for rows of up to max_cols elements and max_row_bytes bytes. */
quantize_rows_scratch *quantize_rows_scratch_new(int n_threads, int64_t max_cols, size_t max_row_bytes);
void quantize_rows_scratch_free(quantize_rows_scratch *s);

/* Rows [row0, row0 + n) of m->tensors[i] as type `to` into out (n rows of to's row
 * size). A row of the same type is copied (float rows are checked finite); others go
 * through f32, whole rows to lf_quantize_row_weighted with importance (ne[0] values per
 * expert, ne[1] rows each; NULL for none). Refuses (LF_ERR_FORMAT, naming tensor and row) a non-finite value, or a
 * row whose quantized blocks decode to non-finite values (a scale beyond fp16's range). */
int quantize_rows(const lf_model *m, int i, lf_type to, const float *importance, int64_t row0, int64_t n, void *out,
                  lf_threadpool *pool, quantize_rows_scratch *s, lf_error *err);

#endif
