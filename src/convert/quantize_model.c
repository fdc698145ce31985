/* lf_quantize_model: load lazily, choose each tensor's type, state the metadata, then
 * stream the tensors one slab of rows at a time into OUT.part and rename it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "convert/gguf_metadata_copy.h"
#include "convert/model_metadata.h"
#include "convert/quant_imatrix.h"
#include "convert/quant_mix.h"
#include "convert/quantize_rows.h"
#include "core/error.h"
#include "format/gguf_write.h"

/* Output bytes converted per thread-pool run: small enough that a slab's source pages
 * and output stay a few MiB, large enough that threads have many rows each. */
#define SLAB_BYTES (32u << 20)
#define GGML_QNT_VERSION 2

lf_quantize_params lf_quantize_default_params(void) {
    lf_quantize_params p = {.type = "Q4_K_M"};
    return p;
}

static bool same_file(const char *a, const char *b) {
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int check_paths(const char *src, const char *out, lf_error *err) {
    char part[4200];
    if (snprintf(part, sizeof part, "%s.part", out) >= (int)sizeof part)
        return lf_fail(err, LF_ERR_ARG, "output path is too long");
    if (same_file(src, out) || same_file(src, part))
        return lf_fail(err, LF_ERR_ARG, "%s: the output would overwrite the source %s", out, src);
    return LF_OK;
}

/* The options' names, checked before a model is loaded. */
static int mix_options(const lf_quantize_params *p, quant_mix_options *o, lf_error *err) {
    *o = (quant_mix_options){.pure = p->pure, .output_type = LF_TYPE_COUNT, .token_embd_type = LF_TYPE_COUNT};
    int rc = quant_ftype_parse(p->type, &o->ftype, &o->base, err);
    if (!rc && p->output_tensor_type)
        rc = quant_tensor_type_parse(p->output_tensor_type, "output tensor type", &o->output_type, err);
    if (!rc && p->token_embedding_type)
        rc = quant_tensor_type_parse(p->token_embedding_type, "token embedding type", &o->token_embd_type, err);
    return rc;
}

static int write_metadata(const lf_model *m, quant_ftype ftype, const lf_imatrix *im, const char *im_path,
                          gguf_writer *w, lf_error *err) {
    int rc;
    quant_imatrix_kv restated = {.n = 0};
    if (im) restated = quant_imatrix_keys(im);
    if (m->gguf) {
        uint32_t alignment;
        rc = convert_copy_gguf_metadata(m->gguf, restated.keys, restated.n, w, err);
        if (!rc && gguf_get_u32(m->gguf, "general.alignment", &alignment))
            rc = gguf_writer_set_alignment(w, alignment, err);
    } else {
        rc = convert_write_model_metadata(m, w, err);
    }
    if (!rc) rc = gguf_writer_add_u32(w, "general.quantization_version", GGML_QNT_VERSION, err);
    if (!rc) rc = gguf_writer_add_u32(w, "general.file_type", (uint32_t)ftype, err);
    if (!rc && im) rc = quant_imatrix_write_metadata(im, im_path, w, err);
    return rc;
}

static void warn_requantize(const lf_model *m, const lf_type *types) {
    int n = 0, first = -1;
    for (int i = 0; i < m->n_tensors; i++)
        if (!quant_type_is_float((lf_type)m->tensors[i].type) && types[i] != (lf_type)m->tensors[i].type && !n++)
            first = i;
    if (n)
        lf_log(LF_LOG_WARN, "%d quantized tensors (e.g. %s, %s) are requantized through f32: quality is lost twice; "
               "quantize from the full-precision model when there is one", n, m->tensors[first].name,
               lf_type_get(m->tensors[first].type)->name);
}

typedef struct stream {
    const lf_model *m;
    const lf_type *types;
    const float **importance; /* per tensor, NULL for none */
    const lf_quantize_params *p;
    gguf_writer *w;
    lf_threadpool *pool;
    quantize_rows_scratch *scratch;
    unsigned char *slab;
    lf_quantize_progress progress;
    double t0;
} stream;

static int stream_tensor(stream *s, int i, lf_error *err) {
    const lf_tensor_view *v = &s->m->tensors[i];
    uint64_t out_row = 0;
    lf_type_row_bytes(s->types[i], (uint64_t)v->ne[0], &out_row);
    size_t in_row = lf_model_tensor_row_bytes(s->m, i);
    int64_t rows = (int64_t)(v->nbytes / in_row);
    int64_t per_slab = SLAB_BYTES / (out_row > in_row ? out_row : in_row);
    if (per_slab < 1) per_slab = 1;
    s->progress.tensor_index = i;
    s->progress.tensor_name = v->name;
    s->progress.type_name = lf_type_get(s->types[i])->name;
    for (int64_t r = 0; r < rows; r += per_slab) {
        int64_t n = rows - r < per_slab ? rows - r : per_slab;
        int rc = quantize_rows(s->m, i, s->types[i], s->importance[i], r, n, s->slab, s->pool, s->scratch, err);
        if (!rc) rc = gguf_writer_write(s->w, s->slab, (size_t)(n * (int64_t)out_row), err);
        lf_model_tensor_release_rows(s->m, i, r, n);
        if (rc) return rc;
        s->progress.bytes_read += (uint64_t)n * in_row;
        s->progress.bytes_written += (uint64_t)n * out_row;
        s->progress.elapsed_ms = lf_time_ms() - s->t0;
        s->progress.tensor_done = r + n == rows;
        if (s->p->progress) s->p->progress(&s->progress, s->p->progress_user);
    }
    return LF_OK;
}

/* Declares the tensors (source order, planned types) and streams their data. */
static int write_tensors(stream *s, lf_error *err) {
    const lf_model *m = s->m;
    int64_t max_cols = 1;
    size_t max_row = 1;
    for (int i = 0; i < m->n_tensors; i++) {
        const lf_tensor_view *v = &m->tensors[i];
        uint64_t ne[4] = {(uint64_t)v->ne[0], (uint64_t)v->ne[1], (uint64_t)v->ne[2], (uint64_t)v->ne[3]};
        size_t in_row = lf_model_tensor_row_bytes(m, i);
        if (!in_row || v->nbytes % in_row)
            return lf_fail(err, LF_ERR_FORMAT, "%s: tensor of type %u has no whole rows", v->name, v->type);
        int rc = gguf_writer_add_tensor(s->w, v->name, (uint32_t)v->n_dims, ne, s->types[i], NULL, NULL, err);
        if (rc) return rc;
        if (v->ne[0] > max_cols) max_cols = v->ne[0];
        if (in_row > max_row) max_row = in_row;
        s->progress.bytes_to_read += v->nbytes;
    }
    s->scratch = quantize_rows_scratch_new(lf_threadpool_size(s->pool), max_cols, max_row);
    /* a slab holds at least one row of the widest output type (F32) */
    size_t slab_bytes = SLAB_BYTES > (size_t)max_cols * 4 ? SLAB_BYTES : (size_t)max_cols * 4;
    s->slab = malloc(slab_bytes > max_row ? slab_bytes : max_row);
    if (!s->scratch || !s->slab) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    s->progress.n_tensors = m->n_tensors;
    for (int i = 0; i < m->n_tensors; i++) {
        int rc = stream_tensor(s, i, err);
        if (rc) return rc;
    }
    return LF_OK;
}

/* Each converted tensor's importance (and the check that a Q2_K_S file has one where
 * llama.cpp needs it, which it makes for copied tensors too when there is no imatrix). */
static int plan_importance(const lf_model *m, const lf_type *types, quant_ftype ftype, const lf_imatrix *im,
                           const char *im_path, const float **importance, lf_error *err) {
    for (int i = 0; i < m->n_tensors; i++) {
        bool converted = types[i] != (lf_type)m->tensors[i].type;
        int rc = converted || !im ? quant_imatrix_for(im, im_path, &m->tensors[i], types[i], ftype, &importance[i], err)
                                  : LF_OK;
        if (rc) return rc;
    }
    return LF_OK;
}

/* The plan: every tensor's type and importance. */
static int plan(const lf_model *m, quant_mix_options *o, const lf_imatrix *im, const char *im_path, lf_type *types,
                const float **importance, lf_error *err) {
    o->n_layers = m->cfg.n_layers;
    o->n_heads = m->cfg.n_heads;
    o->n_kv_heads = m->cfg.n_kv_heads;
    o->has_imatrix = im != NULL;
    int rc = quant_mix_plan(o, m->tensors, m->n_tensors, types, err);
    if (!rc) rc = plan_importance(m, types, o->ftype, im, im_path, importance, err);
    return rc;
}

int lf_quantize_model(const char *src, const lf_model_params *load, const char *out_path, const lf_quantize_params *p,
                      lf_error *err) {
    if (!src || !out_path || !p) return lf_fail(err, LF_ERR_ARG, "lf_quantize_model: NULL argument");
    quant_mix_options o;
    int rc = check_paths(src, out_path, err);
    if (!rc) rc = mix_options(p, &o, err);
    if (rc) return rc;
    stream s = {.p = p, .t0 = lf_time_ms()};
    lf_imatrix *im = NULL;
    lf_model *m = NULL;
    /* the imatrix first, as llama-quantize: a bad file fails before the model loads */
    if (p->imatrix_path && (rc = lf_imatrix_load(p->imatrix_path, &im, err))) return rc;
    if ((rc = lf_model_load_lazy(src, load, &m, err))) {
        lf_imatrix_free(im);
        return rc;
    }
    s.m = m;
    size_t n = (size_t)(m->n_tensors ? m->n_tensors : 1);
    lf_type *types = calloc(n, sizeof *types);
    const float **importance = calloc(n, sizeof *importance);
    rc = types && importance ? plan(m, &o, im, p->imatrix_path, types, importance, err)
                             : lf_fail(err, LF_ERR_NOMEM, "out of memory");
    if (!rc) {
        warn_requantize(m, types);
        s.types = types;
        s.importance = importance;
        int threads = p->n_threads > 0 ? p->n_threads : lf_default_thread_count();
        s.pool = lf_threadpool_create(threads);
        rc = s.pool ? gguf_writer_open(out_path, &s.w, err)
                    : lf_fail(err, LF_ERR_NOMEM, "cannot start %d threads", threads);
    }
    if (!rc) rc = write_metadata(m, o.ftype, im, p->imatrix_path, s.w, err);
    if (!rc) rc = write_tensors(&s, err);
    if (!rc) rc = gguf_writer_finish(s.w, err);
    gguf_writer_free(s.w); /* removes OUT.part unless finished */
    free(s.slab);
    quantize_rows_scratch_free(s.scratch);
    lf_threadpool_free(s.pool);
    free(types);
    free(importance);
    lf_model_free(m);
    lf_imatrix_free(im);
    return rc;
}
