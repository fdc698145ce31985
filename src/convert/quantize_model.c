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
    lf_quantize_params p = {.type = NULL};
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

/* How tensor types are chosen: a llama-quantize file type's mix, a torchchat scheme, or
 * none (every tensor keeps its type). */
typedef struct type_choice {
    quant_mix_options mix;
    bool use_mix;
    lf_quant_scheme scheme;
    bool use_scheme;
} type_choice;

/* The options' names, checked before a model is loaded. */
static int choose_types(const lf_quantize_params *p, type_choice *c, lf_error *err) {
    *c = (type_choice){.mix = {.pure = p->pure, .output_type = LF_TYPE_COUNT, .token_embd_type = LF_TYPE_COUNT}};
    c->use_scheme = p->quantize || p->dtype;
    c->use_mix = p->type && !quant_is_copy(p->type);
    if (c->use_scheme && p->type)
        return lf_fail(err, LF_ERR_ARG, "give either a file type ('%.40s') or a quantize scheme / dtype ('%.60s'), "
                       "not both", p->type, p->quantize ? p->quantize : p->dtype);
    if (!c->use_mix && (p->pure || p->output_tensor_type || p->token_embedding_type))
        return lf_fail(err, LF_ERR_ARG, "--pure, --output-tensor-type and --token-embedding-type refine a file type's "
                       "mix; give --type TYPE with them");
    if (c->use_scheme) return lf_quant_scheme_from_params(p->quantize, p->dtype, &c->scheme, err);
    if (!c->use_mix) return LF_OK;
    quant_mix_options *o = &c->mix;
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
    int n_out;       /* tensors written: the source's, and a separate output.weight */
    int tied_source; /* the source of that output.weight: token_embd.weight */
    const float **importance; /* per output tensor, NULL for none */
    const lf_quantize_params *p;
    gguf_writer *w;
    lf_threadpool *pool;
    quantize_rows_scratch *scratch;
    unsigned char *slab;
    lf_quantize_progress progress;
    double t0;
} stream;

/* The source tensor of output tensor k, and its name. */
static int source_of(const stream *s, int k, const char **name) {
    int i = k < s->m->n_tensors ? k : s->tied_source;
    *name = k < s->m->n_tensors ? s->m->tensors[i].name : "output.weight";
    return i;
}

/* general.file_type of a file no mix typed: what llama.cpp's loader guesses from the most
 * frequent matrix type; COPY keeps a GGUF source's own, as llama-quantize does. */
static quant_ftype guessed_file_type(const stream *s, bool copy) {
    const lf_model *m = s->m;
    uint32_t own;
    if (copy && m->gguf && gguf_get_u32(m->gguf, "general.file_type", &own)) return (quant_ftype)own;
    int count[LF_TYPE_COUNT] = {0}, best = LF_TYPE_F32;
    for (int k = 0; k < s->n_out; k++) {
        const char *name;
        if (m->tensors[source_of(s, k, &name)].ne[1] > 1 && ++count[s->types[k]] > count[best]) best = s->types[k];
    }
    return quant_ftype_of_type((lf_type)best);
}

static int stream_tensor(stream *s, int k, lf_error *err) {
    const char *name;
    int i = source_of(s, k, &name);
    const lf_tensor_view *v = &s->m->tensors[i];
    uint64_t out_row = 0;
    lf_type_row_bytes(s->types[k], (uint64_t)v->ne[0], &out_row);
    size_t in_row = lf_model_tensor_row_bytes(s->m, i);
    int64_t rows = (int64_t)(v->nbytes / in_row);
    int64_t per_slab = SLAB_BYTES / (out_row > in_row ? out_row : in_row);
    if (per_slab < 1) per_slab = 1;
    s->progress.tensor_index = k;
    s->progress.tensor_name = name;
    s->progress.type_name = lf_type_get(s->types[k])->name;
    for (int64_t r = 0; r < rows; r += per_slab) {
        int64_t n = rows - r < per_slab ? rows - r : per_slab;
        int rc = quantize_rows(s->m, i, s->types[k], s->importance[k], r, n, s->slab, s->pool, s->scratch, err);
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
    for (int k = 0; k < s->n_out; k++) {
        const char *name;
        int i = source_of(s, k, &name);
        const lf_tensor_view *v = &m->tensors[i];
        uint64_t ne[4] = {(uint64_t)v->ne[0], (uint64_t)v->ne[1], (uint64_t)v->ne[2], (uint64_t)v->ne[3]};
        size_t in_row = lf_model_tensor_row_bytes(m, i);
        if (!in_row || v->nbytes % in_row)
            return lf_fail(err, LF_ERR_FORMAT, "%s: tensor of type %u has no whole rows", v->name, v->type);
        int rc = gguf_writer_add_tensor(s->w, name, (uint32_t)v->n_dims, ne, s->types[k], NULL, NULL, err);
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
    s->progress.n_tensors = s->n_out;
    for (int k = 0; k < s->n_out; k++) {
        int rc = stream_tensor(s, k, err);
        if (rc) return rc;
    }
    return LF_OK;
}

/* Each converted tensor's importance (and the check that a Q2_K_S file has one where
 * llama.cpp needs it, which it makes for copied tensors too when there is no imatrix). A
 * separate output.weight (a scheme untying the embeddings) has none. */
static int plan_importance(const stream *s, quant_ftype ftype, const lf_imatrix *im, const char *im_path,
                           const float **importance, lf_error *err) {
    const lf_model *m = s->m;
    for (int i = 0; i < m->n_tensors; i++) {
        bool converted = s->types[i] != (lf_type)m->tensors[i].type;
        int rc = converted || !im
                     ? quant_imatrix_for(im, im_path, &m->tensors[i], s->types[i], ftype, &importance[i], err)
                     : LF_OK;
        if (rc) return rc;
    }
    return LF_OK;
}

/* types[0, s->n_out): the source's tensors, then a separate output.weight when a scheme
 * unties the embeddings; *ftype is general.file_type. */
static int plan_types(const lf_model *m, type_choice *c, bool copy, bool has_imatrix, lf_type *types, stream *s,
                      quant_ftype *ftype, lf_error *err) {
    s->n_out = m->n_tensors;
    s->types = types;
    if (c->use_mix) {
        c->mix.n_layers = m->cfg.n_layers;
        c->mix.n_heads = m->cfg.n_heads;
        c->mix.n_kv_heads = m->cfg.n_kv_heads;
        c->mix.has_imatrix = has_imatrix;
        *ftype = c->mix.ftype;
        return quant_mix_plan(&c->mix, m->tensors, m->n_tensors, types, err);
    }
    lf_type output = quant_scheme_plan(c->use_scheme ? &c->scheme : NULL, m->tensors, m->n_tensors, types);
    if (output != LF_TYPE_COUNT) {
        for (int i = 0; i < m->n_tensors; i++)
            if (strcmp(m->tensors[i].name, "token_embd.weight") == 0) s->tied_source = i;
        types[s->n_out++] = output;
        lf_log(LF_LOG_INFO, "token_embd.weight becomes %s and the output %s: output.weight is written apart",
               lf_type_get(types[s->tied_source])->name, lf_type_get(output)->name);
    }
    *ftype = guessed_file_type(s, copy);
    return LF_OK;
}

int lf_quantize_model(const char *src, const lf_model_params *load, const char *out_path, const lf_quantize_params *p,
                      lf_error *err) {
    if (!src || !out_path || !p) return lf_fail(err, LF_ERR_ARG, "lf_quantize_model: NULL argument");
    type_choice c;
    int rc = check_paths(src, out_path, err);
    if (!rc) rc = choose_types(p, &c, err);
    if (rc) return rc;
    if (c.use_scheme) lf_quant_scheme_warn_idle(&c.scheme);
    /* the scheme is applied here, as the file is written, not at load */
    lf_model_params lazy = load ? *load : lf_model_default_params();
    lazy.quantize = lazy.dtype = NULL;
    stream s = {.p = p, .t0 = lf_time_ms()};
    lf_imatrix *im = NULL;
    lf_model *m = NULL;
    /* the imatrix first, as llama-quantize: a bad file fails before the model loads */
    if (p->imatrix_path && (rc = lf_imatrix_load(p->imatrix_path, &im, err))) return rc;
    if ((rc = lf_model_load_lazy(src, &lazy, &m, err))) {
        lf_imatrix_free(im);
        return rc;
    }
    s.m = m;
    quant_ftype ftype = FTYPE_ALL_F32;
    size_t n = (size_t)m->n_tensors + 1;
    lf_type *types = calloc(n, sizeof *types);
    const float **importance = calloc(n, sizeof *importance);
    rc = types && importance ? plan_types(m, &c, !c.use_mix && !c.use_scheme, im != NULL, types, &s, &ftype, err)
                             : lf_fail(err, LF_ERR_NOMEM, "out of memory");
    if (!rc) rc = plan_importance(&s, ftype, im, p->imatrix_path, importance, err);
    if (!rc) {
        warn_requantize(m, types);
        s.importance = importance;
        int threads = p->n_threads > 0 ? p->n_threads : lf_default_thread_count();
        s.pool = lf_threadpool_create(threads);
        rc = s.pool ? gguf_writer_open(out_path, &s.w, err)
                    : lf_fail(err, LF_ERR_NOMEM, "cannot start %d threads", threads);
    }
    if (!rc) rc = write_metadata(m, ftype, im, p->imatrix_path, s.w, err);
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
