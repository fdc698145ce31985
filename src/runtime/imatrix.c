/* Computing an importance matrix over a text (lf_imatrix_compute), and the public face
 * of the imatrix files (format/imatrix_file.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "format/imatrix_file.h"
#include "runtime/context.h"
#include "tokenizer/tokenizer.h"

lf_imatrix_params lf_imatrix_default_params(void) {
    return (lf_imatrix_params){.n_ctx = 512};
}

/* The weights each collected input feeds, by their GGUF names. */
static const struct {
    const char *name;
    lf_act_input input;
} WEIGHT_INPUTS[] = {
    {"attn_q", LF_ACT_ATTN_IN},   {"attn_k", LF_ACT_ATTN_IN}, {"attn_v", LF_ACT_ATTN_IN},
    {"attn_output", LF_ACT_ATTN_OUT}, {"ffn_gate", LF_ACT_FFN_IN}, {"ffn_up", LF_ACT_FFN_IN},
    {"ffn_down", LF_ACT_FFN_DOWN},
};

static int to_imatrix(const lf_act_stats *s, int n_chunks, int n_ctx, const char *dataset, lf_imatrix **out,
                      lf_error *err) {
    lf_imatrix *im = lf_imatrix_new();
    int rc = im ? LF_OK : LF_ERR_NOMEM;
    char name[64];
    for (int l = 0; !rc && l < s->n_layers; l++) {
        for (size_t w = 0; !rc && w < sizeof WEIGHT_INPUTS / sizeof *WEIGHT_INPUTS; w++) {
            lf_act_input in = WEIGHT_INPUTS[w].input;
            snprintf(name, sizeof name, "blk.%d.%s.weight", l, WEIGHT_INPUTS[w].name);
            lf_imatrix_entry *e = lf_imatrix_add(im, name, 1, s->cols[in]);
            if (!e) {
                rc = LF_ERR_NOMEM;
                break;
            }
            const double *sums = s->sums[in] + (size_t)l * (size_t)s->cols[in];
            for (int64_t j = 0; j < e->n_values; j++) e->sums[j] = (float)sums[j];
            e->counts[0] = s->rows[l * LF_ACT_INPUTS + in];
        }
    }
    if (rc) {
        lf_imatrix_free(im);
        return lf_fail(err, LF_ERR_NOMEM, "out of memory for the imatrix");
    }
    im->chunk_count = n_chunks;
    im->chunk_size = n_ctx;
    if (dataset && (!(im->datasets = malloc(sizeof *im->datasets)) || !(im->datasets[0] = strdup(dataset)))) {
        lf_imatrix_free(im);
        return lf_fail(err, LF_ERR_NOMEM, "out of memory for the imatrix");
    }
    im->n_datasets = dataset ? 1 : 0;
    lf_imatrix_sort(im);
    if ((rc = lf_imatrix_compute_importance(im, err))) {
        lf_imatrix_free(im);
        return rc;
    }
    *out = im;
    return LF_OK;
}

/* Every chunk from an empty cache, its first token BOS when the tokenizer adds one. */
static int run_chunks(lf_context *ctx, const int32_t *ids, int n_chunks, int n_ctx, int32_t bos,
                      const lf_imatrix_params *p, lf_error *err) {
    int32_t *chunk = malloc((size_t)n_ctx * sizeof *chunk);
    if (!chunk) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    int rc = LF_OK;
    for (int c = 0; !rc && c < n_chunks; c++) {
        memcpy(chunk, ids + (size_t)c * (size_t)n_ctx, (size_t)n_ctx * sizeof *chunk);
        if (bos >= 0) chunk[0] = bos;
        ctx->pos = 0;
        for (int done = 0; !rc && done < n_ctx; done += LF_MAX_BATCH) {
            int step = n_ctx - done < LF_MAX_BATCH ? n_ctx - done : LF_MAX_BATCH;
            rc = lf_forward_batch(ctx, chunk + done, step, step, err);
        }
        if (!rc && p->progress && !p->progress(c + 1, n_chunks, p->user))
            rc = lf_fail(err, LF_ERR_CANCELLED, "imatrix: cancelled after %d of %d chunks", c + 1, n_chunks);
    }
    ctx->pos = 0;
    free(chunk);
    return rc;
}

int lf_imatrix_compute(const lf_model *model, const char *text, size_t len, const lf_imatrix_params *params,
                       lf_imatrix **out, lf_error *err) {
    *out = NULL;
    lf_imatrix_params p = params ? *params : lf_imatrix_default_params();
    const lf_tokenizer *tok = lf_model_tokenizer(model);
    if (!tok) return lf_fail(err, LF_ERR_ARG, "imatrix: the model has no tokenizer");
    if (p.n_ctx < 1 || p.n_ctx > LF_MAX_CONTEXT || p.n_chunks < 0 || p.n_threads < 0)
        return lf_fail(err, LF_ERR_ARG, "imatrix: bad context %d, chunk count %d or thread count %d", p.n_ctx,
                       p.n_chunks, p.n_threads);
    size_t n_ids;
    int rc = lf_tokenize(tok, text, len, 0, NULL, 0, &n_ids, err);
    if (rc) return rc;
    if (n_ids < 2 * (size_t)p.n_ctx)
        return lf_fail(err, LF_ERR_ARG, "imatrix: the text tokenizes to %zu tokens; a context of %d needs at least %d",
                       n_ids, p.n_ctx, 2 * p.n_ctx);
    int32_t *ids = malloc(n_ids * sizeof *ids);
    if (!ids) return lf_fail(err, LF_ERR_NOMEM, "imatrix: out of memory for %zu tokens", n_ids);
    if ((rc = lf_tokenize(tok, text, len, 0, ids, n_ids, &n_ids, err))) {
        free(ids);
        return rc;
    }
    size_t most = n_ids / (size_t)p.n_ctx;
    int n_chunks = p.n_chunks > 0 && (size_t)p.n_chunks < most ? p.n_chunks : (int)(most < INT32_MAX ? most : INT32_MAX);
    lf_context_params cp = lf_context_default_params();
    cp.max_seq_len = p.n_ctx;
    cp.n_threads = p.n_threads;
    cp.precise_activations = p.precise_activations;
    lf_context *ctx = NULL;
    const lf_model_config *c = &model->cfg;
    int64_t cols[LF_ACT_INPUTS] = {c->dim, (int64_t)c->n_heads * c->head_dim, c->dim, c->hidden_dim};
    lf_act_stats stats;
    if (!(rc = lf_act_stats_init(&stats, c->n_layers, cols, err))) {
        if (!(rc = lf_context_create(model, &cp, &ctx, err))) {
            ctx->act_stats = &stats;
            rc = run_chunks(ctx, ids, n_chunks, p.n_ctx, tokenizer_adds_bos(tok) ? lf_token_bos(tok) : -1, &p, err);
            lf_context_free(ctx);
        }
        if (!rc) rc = to_imatrix(&stats, n_chunks, p.n_ctx, p.dataset, out, err);
        lf_act_stats_free(&stats);
    }
    free(ids);
    return rc;
}

int lf_imatrix_load(const char *path, lf_imatrix **out, lf_error *err) { return lf_imatrix_file_read(path, out, err); }

int lf_imatrix_save(const lf_imatrix *im, const char *path, lf_imatrix_format format, lf_error *err) {
    if (format != LF_IMATRIX_GGUF && format != LF_IMATRIX_DAT)
        return lf_fail(err, LF_ERR_ARG, "%s: unknown imatrix format %d", path, (int)format);
    return lf_imatrix_file_write(im, path, format == LF_IMATRIX_DAT, err);
}

int lf_imatrix_n_entries(const lf_imatrix *im) { return im->n_entries; }

const char *lf_imatrix_entry_name(const lf_imatrix *im, int i) {
    return i >= 0 && i < im->n_entries ? im->entries[i].name : NULL;
}

const float *lf_imatrix_importance(const lf_imatrix *im, const char *tensor_name, int64_t *n_values) {
    const lf_imatrix_entry *e = lf_imatrix_find(im, tensor_name);
    if (n_values) *n_values = e ? e->n_values : 0;
    return e ? e->importance : NULL;
}

int lf_imatrix_chunk_count(const lf_imatrix *im) { return im->chunk_count; }

const char *lf_imatrix_dataset(const lf_imatrix *im) { return im->n_datasets ? im->datasets[0] : NULL; }
