/* Conversion of the bound weights at load (--quantize, --dtype): each matrix a scheme
 * changes is rewritten row by row (lf_dequantize_row, then lf_quantize_row, so the blocks
 * are those `llama-fast quantize` and ggml write) into memory the model owns, by plain
 * threads (the runtime's pool is a layer above). The source bytes are then released: a
 * mapped file's pages are dropped from the process, to be read again only if needed. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/error.h"
#include "core/huge_alloc.h"
#include "model/model.h"
#include "model/quant_scheme.h"

/* One matrix to convert, and the shared state of the threads converting it. */
typedef struct convert_job {
    const lf_weight *src;
    lf_type to;
    unsigned char *dst;
    size_t dst_row_bytes;
    int64_t chunk_rows;
    atomic_llong next_row, rows_done, bad_row; /* bad_row: a row with a non-finite value, or -1 */
    atomic_bool stop;
} convert_job;

static void convert_rows(convert_job *j, int64_t r0, int64_t r1, float *buf) {
    const lf_weight *w = j->src;
    for (int64_t r = r0; r < r1; r++) {
        const void *row = (const char *)w->data + (size_t)r * w->row_bytes;
        const float *x = row;
        if (w->type != LF_TYPE_F32) {
            lf_dequantize_row(w->type, row, buf, w->cols);
            x = buf;
        }
        if (!lf_quantize_row(j->to, x, w->cols, j->dst + (size_t)r * j->dst_row_bytes)) {
            long long none = -1;
            atomic_compare_exchange_strong(&j->bad_row, &none, (long long)r);
            atomic_store(&j->stop, true);
            return;
        }
    }
}

/* Converts the next chunk of rows; false when none was left (or the job stopped). */
static bool convert_chunk(convert_job *j, float *buf) {
    if (atomic_load(&j->stop)) return false;
    int64_t r0 = atomic_fetch_add(&j->next_row, j->chunk_rows);
    if (r0 >= j->src->rows) return false;
    int64_t r1 = r0 + j->chunk_rows < j->src->rows ? r0 + j->chunk_rows : j->src->rows;
    convert_rows(j, r0, r1, buf);
    atomic_fetch_add(&j->rows_done, r1 - r0);
    return true;
}

static void *convert_worker(void *arg) {
    convert_job *j = arg;
    float *buf = malloc((size_t)j->src->cols * sizeof *buf);
    if (!buf) {
        atomic_store(&j->stop, true);
        return NULL;
    }
    while (convert_chunk(j, buf)) {}
    free(buf);
    return NULL;
}

/* What a conversion reports between chunks. */
typedef struct progress {
    const lf_model_params *p;
    uint64_t done, total; /* elements of the matrices before this one, of all */
} progress;

int lf_model_own(lf_model *m, void *p) {
    void **list = realloc(m->converted, (size_t)(m->n_converted + 1) * sizeof *list);
    if (!list) return LF_ERR_NOMEM;
    m->converted = list;
    m->converted[m->n_converted++] = p;
    return LF_OK;
}

/* Rewrites *w as type `to` in owned memory, with up to n_threads threads. */
static int convert_matrix(lf_model *m, lf_weight *w, lf_type to, const char *name, int n_threads, progress *pr,
                          lf_error *err) {
    uint64_t rb;
    if (!lf_type_row_bytes(to, (uint64_t)w->cols, &rb))
        return lf_fail(err, LF_ERR_UNSUPPORTED, "tensor '%s': rows of %lld cannot be %s", name, (long long)w->cols,
                       lf_type_get(to)->name);
    unsigned char *dst = lf_huge_alloc((size_t)rb * (size_t)w->rows);
    if (!dst || lf_model_own(m, dst)) {
        free(dst);
        return lf_fail(err, LF_ERR_NOMEM, "out of memory converting tensor '%s' to %s", name, lf_type_get(to)->name);
    }
    convert_job j = {.src = w, .to = to, .dst = dst, .dst_row_bytes = (size_t)rb};
    j.chunk_rows = 65536 / w->cols > 0 ? 65536 / w->cols : 1;
    atomic_init(&j.next_row, 0);
    atomic_init(&j.rows_done, 0);
    atomic_init(&j.bad_row, -1);
    atomic_init(&j.stop, false);
    int64_t chunks = (w->rows + j.chunk_rows - 1) / j.chunk_rows;
    int n_workers = (int)(n_threads - 1 < chunks - 1 ? n_threads - 1 : chunks - 1);
    pthread_t threads[256];
    int started = 0;
    while (started < n_workers && started < 256 && !pthread_create(&threads[started], NULL, convert_worker, &j)) started++;
    float *buf = malloc((size_t)w->cols * sizeof *buf);
    bool cancelled = false;
    if (!buf) atomic_store(&j.stop, true);
    while (buf && convert_chunk(&j, buf))
        if (pr->p->progress &&
            !pr->p->progress(pr->done + (uint64_t)atomic_load(&j.rows_done) * (uint64_t)w->cols, pr->total,
                             pr->p->progress_user)) {
            cancelled = true;
            atomic_store(&j.stop, true);
        }
    for (int t = 0; t < started; t++) pthread_join(threads[t], NULL);
    free(buf);
    if (cancelled) return lf_fail(err, LF_ERR_CANCELLED, "loading cancelled while converting tensor '%s'", name);
    long long bad = atomic_load(&j.bad_row);
    if (bad >= 0)
        return lf_fail(err, LF_ERR_FORMAT, "tensor '%s': row %lld has a value that is not finite; it cannot become %s",
                       name, bad, lf_type_get(to)->name);
    if (atomic_load(&j.rows_done) != w->rows) return lf_fail(err, LF_ERR_NOMEM, "out of memory converting tensor '%s'", name);
    pr->done += (uint64_t)w->rows * (uint64_t)w->cols;
    w->data = dst;
    w->type = to;
    w->row_bytes = (size_t)rb;
    return LF_OK;
}

/* A weight the scheme may change, with the type it becomes. */
typedef struct item {
    lf_weight *w;
    lf_weight_role role;
    char name[64];
    lf_type to;
    bool convert;       /* to differs from the type it has (the shared output: converts with the table) */
    const void *source; /* the bytes it was read from, when converted */
    size_t source_bytes;
} item;

static void set_view(lf_model *m, const item *it) {
    for (int i = 0; i < m->n_tensors; i++)
        if (strcmp(m->tensors[i].name, it->name) == 0) {
            m->tensors[i].type = (uint32_t)it->w->type;
            m->tensors[i].data = it->w->data;
            m->tensors[i].nbytes = (uint64_t)it->w->rows * it->w->row_bytes;
        }
}

/* Drops the pages of a converted source that no weight reads any more: only whole pages
 * inside it, so a neighbour's bytes (the next slice of a fused matrix) stay. */
static void release_source(const item *items, int n, const item *it) {
    for (int i = 0; i < n; i++)
        if (items[i].w->data == it->source) return;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), a = (uintptr_t)it->source;
    uintptr_t start = (a + page - 1) / page * page, end = (a + it->source_bytes) / page * page;
    if (end > start) (void)madvise((void *)start, end - start, MADV_DONTNEED);
}

static item *collect(lf_model *m, int *n_out) {
    int n = 2 + LF_LAYER_MATRICES * m->cfg.n_layers;
    item *items = calloc((size_t)n, sizeof *items);
    if (!items) return NULL;
    items[0] = (item){.w = &m->tok_embd, .role = LF_ROLE_EMBEDDING, .name = "token_embd.weight"};
    items[1] = (item){.w = &m->output, .role = LF_ROLE_OUTPUT, .name = "output.weight"};
    /* the GGUF names of lf_layer_weights.matrices[k] */
    static const char *const suffixes[LF_LAYER_MATRICES] = {"attn_q",   "attn_k", "attn_v",  "attn_output",
                                                            "ffn_gate", "ffn_up", "ffn_down"};
    for (int l = 0; l < m->cfg.n_layers; l++)
        for (int k = 0; k < LF_LAYER_MATRICES; k++) {
            item *it = &items[2 + LF_LAYER_MATRICES * l + k];
            it->w = &m->layers[l].matrices[k];
            it->role = LF_ROLE_LINEAR;
            snprintf(it->name, sizeof it->name, "blk.%d.%s.weight", l, suffixes[k]);
        }
    *n_out = n;
    return items;
}

/* The types every item becomes, with the warnings they call for; *total gets the elements
 * to convert. *share: tied embeddings stay one matrix (both roles become one type). */
static int plan(const lf_model *m, const lf_quant_scheme *s, item *items, int n, bool *share, uint64_t *total,
                lf_error *err) {
    bool requantize_noted = false;
    *total = 0;
    for (int i = 0; i < n; i++) {
        item *it = &items[i];
        lf_type want = lf_quant_scheme_target(s, it->role, it->w->type);
        if (!lf_quant_row_type(want, it->w->cols, &it->to))
            return lf_fail(err, LF_ERR_UNSUPPORTED, "tensor '%s': rows of %lld values cannot be %s (blocks of %d); "
                           "this model takes a scheme of groupsize 256 (K-quants, which fall back) or --dtype alone",
                           it->name, (long long)it->w->cols, lf_type_get(want)->name, lf_type_get(want)->block_elems);
        if (it->to != want)
            lf_log(LF_LOG_WARN, "tensor '%s': rows of %lld are not a multiple of %s's %d; %s instead (as llama.cpp does)",
                   it->name, (long long)it->w->cols, lf_type_get(want)->name, lf_type_get(want)->block_elems,
                   lf_type_get(it->to)->name);
        /* tied embeddings becoming two types: the output gets a copy of its own */
        *share = m->tied_embeddings && it->role == LF_ROLE_OUTPUT ? it->to == items[0].to : *share;
        it->convert = it->to != it->w->type && !(it->role == LF_ROLE_OUTPUT && *share);
        if (!it->convert) continue;
        *total += (uint64_t)it->w->rows * (uint64_t)it->w->cols;
        const lf_type_traits *from = lf_type_get(it->w->type);
        if (from->block_elems > 1 && !requantize_noted) {
            lf_log(LF_LOG_WARN, "tensor '%s' is %s: requantizing through f32 loses more than quantizing the original "
                   "weights would", it->name, from->name);
            requantize_noted = true;
        }
    }
    return LF_OK;
}

int lf_model_convert_weights(lf_model *m, const lf_quant_scheme *s, const lf_model_params *p, lf_error *err) {
    if (!lf_quant_scheme_active(s)) return LF_OK;
    lf_quant_scheme_warn_idle(s);
    int rc, n = 0;
    item *items = collect(m, &n);
    if (!items) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    bool share = false;
    progress pr = {.p = p};
    rc = plan(m, s, items, n, &share, &pr.total, err);
    int n_threads = p->n_threads > 0 ? p->n_threads : lf_default_thread_count();
    if (!rc && p->progress && !p->progress(0, pr.total, p->progress_user))
        rc = lf_fail(err, LF_ERR_CANCELLED, "loading cancelled");
    for (int i = 0; i < n && !rc; i++) {
        item *it = &items[i];
        if (!it->convert) continue;
        it->source = it->w->data;
        it->source_bytes = (size_t)it->w->rows * it->w->row_bytes;
        if (!(rc = convert_matrix(m, it->w, it->to, it->name, n_threads, &pr, err))) set_view(m, it);
        if (!rc && i == 0 && share) m->output = m->tok_embd;
        if (!rc) release_source(items, n, it); /* at once: the peak is one matrix above the result */
    }
    free(items);
    return rc;
}
