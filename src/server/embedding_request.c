#include "server/embedding_request.h"

#include <stdlib.h>
#include <string.h>

#include "server/request_fields.h"

static int add_input(embedding_request *r, api_error *err) {
    if (r->n_inputs == EMBEDDING_MAX_INPUTS)
        return api_fail(err, 400, "input", NULL, "'input' has more than %d entries", EMBEDDING_MAX_INPUTS);
    r->n_inputs++;
    return 0;
}

static int check_length(int i, size_t n, int max_tokens, api_error *err) {
    if (n == 0) return api_fail(err, 400, "input", NULL, "input %d is empty", i);
    if (n > (size_t)max_tokens)
        return api_fail(err, 400, "input", "context_length_exceeded", "input %d has %zu tokens; at most %d fit", i, n,
                        max_tokens);
    return 0;
}

static int input_text(embedding_request *r, json_t *s, const lf_tokenizer *tok, int max_tokens, api_error *err) {
    int i = r->n_inputs;
    if (add_input(r, err)) return -1;
    embedding_input *in = &r->inputs[i];
    /* one more than allowed, to tell a text that is too long */
    size_t cap = (size_t)max_tokens + 1, n = 0;
    if (!(in->tokens = malloc(cap * sizeof *in->tokens))) return api_fail(err, 500, NULL, NULL, "out of memory");
    lf_error e = {0};
    int rc = lf_tokenize(tok, json_string_value(s), json_string_length(s), 0, in->tokens, cap, &n, &e);
    if (rc == LF_ERR_NOMEM) return api_fail(err, 500, NULL, NULL, "out of memory");
    if (rc == LF_OK) {
        in->n = (int)n;
        return check_length(i, n, max_tokens, err);
    }
    return api_fail(err, 400, "input", NULL, "input %d: %s", i, e.message);
}

static int input_ids(embedding_request *r, json_t *a, int n_vocab, int max_tokens, api_error *err) {
    int i = r->n_inputs;
    if (add_input(r, err) || check_length(i, json_array_size(a), max_tokens, err)) return -1;
    embedding_input *in = &r->inputs[i];
    if (!(in->tokens = malloc(json_array_size(a) * sizeof *in->tokens)))
        return api_fail(err, 500, NULL, NULL, "out of memory");
    size_t k;
    json_t *v;
    json_array_foreach(a, k, v) {
        json_int_t id = json_integer_value(v);
        if (!json_is_integer(v) || id < 0 || id >= n_vocab)
            return api_fail(err, 400, "input", NULL, "input %d: token %zu is not an id in [0, %d)", i, k, n_vocab);
        in->tokens[k] = (int32_t)id;
    }
    in->n = (int)json_array_size(a);
    return 0;
}

static int parse_input(json_t *input, const lf_tokenizer *tok, int n_vocab, int max_tokens, embedding_request *r,
                       api_error *err) {
    if (json_is_string(input)) return input_text(r, input, tok, max_tokens, err);
    if (!json_is_array(input) || json_array_size(input) == 0)
        return api_fail(err, 400, "input", NULL,
                        "'input' must be a string, an array of strings, of token ids, or of arrays of token ids");
    json_t *first = json_array_get(input, 0), *item;
    if (json_is_integer(first)) return input_ids(r, input, n_vocab, max_tokens, err);
    size_t i;
    json_array_foreach(input, i, item) {
        int rc = json_is_string(item) ? input_text(r, item, tok, max_tokens, err)
                 : json_is_array(item) ? input_ids(r, item, n_vocab, max_tokens, err)
                                       : api_fail(err, 400, "input", NULL,
                                                  "input %zu must be a string or an array of token ids", i);
        if (rc) return rc;
    }
    return 0;
}

static int parse_fields(json_t *root, const lf_tokenizer *tok, int n_vocab, int max_tokens, embedding_request *r,
                        api_error *err) {
    json_t *model = json_object_get(root, "model"), *format = json_object_get(root, "encoding_format"),
           *dims = json_object_get(root, "dimensions");
    if (model && !json_is_null(model)) {
        if (!json_is_string(model)) return api_fail(err, 400, "model", NULL, "'model' must be a string");
        if (!(r->model = strdup(json_string_value(model)))) return api_fail(err, 500, NULL, NULL, "out of memory");
    }
    if (format && !json_is_null(format)) {
        const char *f = json_is_string(format) ? json_string_value(format) : "";
        if (strcmp(f, "float") && strcmp(f, "base64"))
            return api_fail(err, 400, "encoding_format", NULL, "'encoding_format' must be \"float\" or \"base64\"");
        r->base64 = !strcmp(f, "base64");
    }
    if (dims && !json_is_null(dims)) {
        json_int_t d = json_integer_value(dims);
        if (!json_is_integer(dims) || d < 1 || d > 1 << 20)
            return api_fail(err, 400, "dimensions", NULL, "'dimensions' must be a positive integer");
        r->dimensions = (int)d;
    }
    json_t *input = json_object_get(root, "input");
    if (!input) return api_fail(err, 400, "input", NULL, "'input' is missing");
    return parse_input(input, tok, n_vocab, max_tokens, r, err);
}

int embedding_request_parse(const char *body, size_t len, const lf_tokenizer *tok, int n_vocab, int max_tokens,
                            embedding_request *out, api_error *err) {
    *out = (embedding_request){0};
    static const char *const known[] = {"input", "model", "encoding_format", "dimensions", NULL};
    json_t *root = request_object(body, len, known, err);
    if (!root) return -1;
    int rc = parse_fields(root, tok, n_vocab, max_tokens, out, err);
    json_decref(root);
    if (rc) embedding_request_free(out);
    return rc;
}

void embedding_request_free(embedding_request *r) {
    for (int i = 0; i < r->n_inputs; i++) free(r->inputs[i].tokens);
    free(r->model);
    *r = (embedding_request){0};
}
