#include "server/embeddings.h"

#include <stdlib.h>
#include <string.h>

#include "server/embedding_request.h"
#include "server/http.h"

/* Base64 (standard alphabet, padded) of n bytes: what OpenAI's encoding_format "base64"
 * sends, the float32 values in little-endian order. */
static json_t *base64_floats(const float *v, int n) {
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t bytes = (size_t)n * 4, len = (bytes + 2) / 3 * 4;
    unsigned char *raw = malloc(bytes);
    char *text = malloc(len + 1);
    json_t *out = NULL;
    if (raw && text) {
        for (int i = 0; i < n; i++) {
            uint32_t u;
            memcpy(&u, &v[i], 4);
            for (int b = 0; b < 4; b++) raw[4 * i + b] = (unsigned char)(u >> (8 * b));
        }
        char *p = text;
        for (size_t i = 0; i < bytes; i += 3) {
            uint32_t w = (uint32_t)raw[i] << 16 | (i + 1 < bytes ? (uint32_t)raw[i + 1] << 8 : 0) |
                         (i + 2 < bytes ? raw[i + 2] : 0);
            *p++ = digits[w >> 18 & 63];
            *p++ = digits[w >> 12 & 63];
            *p++ = i + 1 < bytes ? digits[w >> 6 & 63] : '=';
            *p++ = i + 2 < bytes ? digits[w & 63] : '=';
        }
        out = json_stringn(text, len);
    }
    free(raw);
    free(text);
    return out;
}

static json_t *float_array(const float *v, int n) {
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_real(v[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* Embeds every input into vecs (n_inputs rows of dim floats) on the embedding context. */
static int embed_all(server_state *st, const embedding_request *r, float *vecs, int dim, api_error *e) {
    lf_error err = {0};
    int rc = LF_OK;
    pthread_mutex_lock(&st->embed_mutex);
    if (!st->embed_ctx) rc = lf_context_create(st->model, &st->embed_params, &st->embed_ctx, &err);
    for (int i = 0; !rc && i < r->n_inputs; i++)
        rc = lf_embed(st->embed_ctx, r->inputs[i].tokens, r->inputs[i].n, st->pooling, vecs + (size_t)i * dim, &err);
    pthread_mutex_unlock(&st->embed_mutex);
    return rc ? api_fail(e, rc == LF_ERR_ARG ? 400 : 500, rc == LF_ERR_ARG ? "input" : NULL, NULL, "%s", err.message)
              : 0;
}

static json_t *response(const server_state *st, const embedding_request *r, const float *vecs, int dim) {
    json_t *data = json_array();
    int tokens = 0;
    for (int i = 0; data && i < r->n_inputs; i++) {
        const float *v = vecs + (size_t)i * dim;
        json_t *item = json_pack("{s:s, s:i, s:o}", "object", "embedding", "index", i, "embedding",
                                 r->base64 ? base64_floats(v, dim) : float_array(v, dim));
        if (!item || json_array_append_new(data, item)) {
            json_decref(data);
            return NULL;
        }
        tokens += r->inputs[i].n;
    }
    return json_pack("{s:s, s:o, s:s, s:{s:i, s:i}}", "object", "list", "data", data, "model",
                     r->model ? r->model : st->model_id, "usage", "prompt_tokens", tokens, "total_tokens", tokens);
}

int embeddings_handle(server_state *st, http_conn *c, const char *body, size_t len) {
    lf_model_info info;
    lf_model_get_info(st->model, &info);
    int dim = lf_model_embedding_dim(st->model);
    embedding_request r;
    api_error e = {0};
    if (embedding_request_parse(body, len, lf_model_tokenizer(st->model), info.vocab_size,
                                scheduler_context_size(st->sched), &r, &e))
        return http_send_error(c, &e, NULL);
    /* OpenAI shortens its newer models' embeddings on request; ours are the hidden state,
     * whose shortening would mean nothing: only the model's own size is accepted. */
    float *vecs = NULL;
    if (r.dimensions && r.dimensions != dim)
        api_fail(&e, 400, "dimensions", NULL, "'dimensions' is %d; this model's embeddings have %d", r.dimensions, dim);
    else if (!(vecs = malloc((size_t)r.n_inputs * dim * sizeof *vecs))) api_fail(&e, 500, NULL, NULL, "out of memory");
    else embed_all(st, &r, vecs, dim, &e);
    int rc;
    if (e.status) {
        rc = http_send_error(c, &e, NULL);
    } else {
        for (int i = 0; i < r.n_inputs; i++) c->prompt_tokens += r.inputs[i].n;
        rc = http_send_json(c, 200, response(st, &r, vecs, dim));
    }
    free(vecs);
    embedding_request_free(&r);
    return rc;
}
