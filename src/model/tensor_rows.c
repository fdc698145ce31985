/* Reading a model's tensors row by row, once each (quantize): rows come out in GGUF
 * order whatever the checkpoint's, and the file pages behind them can be dropped. */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model/hf_weights.h"
#include "model/model.h"

static int unpermute_heads(const lf_model *m, int i) {
    return m->hf && m->hf->unpermute_heads && m->tensors == m->hf->views ? m->hf->unpermute_heads[i] : 0;
}

size_t lf_model_tensor_row_bytes(const lf_model *m, int i) {
    const lf_tensor_view *v = &m->tensors[i];
    uint64_t bytes;
    if (!lf_type_get(v->type) || v->ne[0] <= 0 || !lf_type_row_bytes((lf_type)v->type, (uint64_t)v->ne[0], &bytes))
        return 0;
    return (size_t)bytes;
}

/* HF row order within a head is [x0 x2 x4 … | x1 x3 x5 …]: GGUF row h*hd + 2k + j is
 * HF row h*hd + j*hd/2 + k (see hf_weights.c). */
static int64_t source_row(int64_t row, int64_t head_dim) {
    int64_t h = row / head_dim, r = row % head_dim;
    return h * head_dim + (r % 2) * (head_dim / 2) + r / 2;
}

void lf_model_tensor_read_rows(const lf_model *m, int i, int64_t row0, int64_t n, void *dst) {
    const lf_tensor_view *v = &m->tensors[i];
    size_t row_bytes = lf_model_tensor_row_bytes(m, i);
    int heads = unpermute_heads(m, i);
    if (!heads) {
        memcpy(dst, (const char *)v->data + (size_t)row0 * row_bytes, (size_t)n * row_bytes);
        return;
    }
    int64_t head_dim = v->ne[1] / heads;
    for (int64_t r = 0; r < n; r++)
        memcpy((char *)dst + (size_t)r * row_bytes,
               (const char *)v->data + (size_t)source_row(row0 + r, head_dim) * row_bytes, row_bytes);
}

static const lf_mapped_file *mapping_of(const lf_model *m, const void *p) {
    const lf_mapped_file *maps[2] = {m->gguf ? &m->gguf->map : NULL, m->llama2c ? &m->llama2c->map : NULL};
    for (int k = 0; k < 2; k++)
        if (maps[k] && maps[k]->data && (const unsigned char *)p >= maps[k]->data &&
            (const unsigned char *)p < maps[k]->data + maps[k]->size)
            return maps[k];
    if (m->hf)
        for (int f = 0; f < m->hf->set.n_files; f++) {
            const lf_mapped_file *mf = &m->hf->set.files[f]->map;
            if (mf->data && (const unsigned char *)p >= mf->data && (const unsigned char *)p < mf->data + mf->size)
                return mf;
        }
    return NULL;
}

void lf_model_tensor_release_rows(const lf_model *m, int i, int64_t row0, int64_t n) {
    const lf_tensor_view *v = &m->tensors[i];
    size_t row_bytes = lf_model_tensor_row_bytes(m, i);
    int heads = unpermute_heads(m, i);
    if (heads) { /* the source rows of whole heads */
        int64_t head_dim = v->ne[1] / heads;
        int64_t end = (row0 + n + head_dim - 1) / head_dim * head_dim;
        row0 = row0 / head_dim * head_dim;
        n = (end < v->ne[1] ? end : v->ne[1]) - row0;
    }
    const unsigned char *start = (const unsigned char *)v->data + (size_t)row0 * row_bytes;
    const lf_mapped_file *mf = mapping_of(m, start);
    if (!mf || !n) return;
    const unsigned char *end = start + (size_t)n * row_bytes;
    if (end > mf->data + mf->size) end = mf->data + mf->size;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = (uintptr_t)start & ~(page - 1), b = ((uintptr_t)end + page - 1) & ~(page - 1);
    /* read-only shared file mapping: dropped pages come back from the file if touched */
    madvise((void *)a, b - a, MADV_DONTNEED);
}
