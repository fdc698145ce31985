#include "server/token_routes.h"

#include <stdlib.h>
#include <string.h>

#include "server/http.h"
#include "server/request_fields.h"
#include "server/text_buffer.h"
#include "server/utf8_text.h"

static int get_flag(json_t *root, const char *name, bool *out, api_error *e) {
    json_t *v = json_object_get(root, name);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_boolean(v)) return api_fail(e, 400, name, NULL, "'%s' must be true or false", name);
    *out = json_is_true(v);
    return 0;
}

/* A token's piece: a string when its bytes are valid UTF-8, else the array of them. */
static json_t *piece(const lf_tokenizer *tok, int32_t id) {
    char buf[256];
    int n = lf_token_to_bytes(tok, id, buf, sizeof buf);
    if (n < 0) n = 0;
    if (n > (int)sizeof buf) n = sizeof buf;
    json_t *s = json_stringn(buf, (size_t)n);
    if (s) return s;
    json_t *bytes = json_array();
    for (int i = 0; bytes && i < n; i++) json_array_append_new(bytes, json_integer((unsigned char)buf[i]));
    return bytes;
}

static json_t *token_list(const lf_tokenizer *tok, const int32_t *ids, size_t n, bool with_pieces) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *item = with_pieces ? json_pack("{s:i, s:o}", "id", ids[i], "piece", piece(tok, ids[i]))
                                   : json_integer(ids[i]);
        if (!item || json_array_append_new(a, item)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

int tokenize_handle(server_state *st, http_conn *c, const char *body, size_t len) {
    static const char *const known[] = {"content", "add_special", "parse_special", "with_pieces", NULL};
    api_error e = {0};
    json_t *root = request_object(body, len, known, &e), *content = root ? json_object_get(root, "content") : NULL;
    bool add_special = false, parse_special = true, with_pieces = false;
    if (root && !json_is_string(content)) api_fail(&e, 400, "content", NULL, "'content' must be a string");
    if (e.status || get_flag(root, "add_special", &add_special, &e) ||
        get_flag(root, "parse_special", &parse_special, &e) || get_flag(root, "with_pieces", &with_pieces, &e)) {
        json_decref(root);
        return http_send_error(c, &e, NULL);
    }
    const lf_tokenizer *tok = lf_model_tokenizer(st->model);
    size_t n_text = json_string_length(content), cap = n_text + 16, n = 0;
    int32_t *ids = malloc(cap * sizeof *ids);
    lf_error err = {0};
    int flags = (add_special ? 0 : LF_TOKENIZE_NO_BOS) | (parse_special ? LF_TOKENIZE_PARSE_SPECIAL : 0);
    int rc = ids ? lf_tokenize(tok, json_string_value(content), n_text, flags, ids, cap, &n, &err) : LF_ERR_NOMEM;
    json_decref(root);
    if (rc) {
        free(ids);
        api_fail(&e, rc == LF_ERR_NOMEM ? 500 : 400, "content", NULL, "%s", rc == LF_ERR_NOMEM ? "out of memory" : err.message);
        return http_send_error(c, &e, NULL);
    }
    c->prompt_tokens = (int)n;
    rc = http_send_json(c, 200, json_pack("{s:o}", "tokens", token_list(tok, ids, n, with_pieces)));
    free(ids);
    return rc;
}

int detokenize_handle(server_state *st, http_conn *c, const char *body, size_t len) {
    static const char *const known[] = {"tokens", NULL};
    api_error e = {0};
    json_t *root = request_object(body, len, known, &e), *tokens = root ? json_object_get(root, "tokens") : NULL;
    if (root && !json_is_array(tokens)) api_fail(&e, 400, "tokens", NULL, "'tokens' must be an array of token ids");
    const lf_tokenizer *tok = lf_model_tokenizer(st->model);
    int32_t n_vocab = lf_tokenizer_vocab_size(tok);
    size_t i;
    json_t *v;
    json_array_foreach(e.status ? NULL : tokens, i, v) {
        json_int_t id = json_integer_value(v);
        if (!json_is_integer(v) || id < 0 || id >= n_vocab) {
            api_fail(&e, 400, "tokens", NULL, "token %zu is not an id in [0, %d)", i, n_vocab);
            break;
        }
    }
    if (e.status) {
        json_decref(root);
        return http_send_error(c, &e, NULL);
    }
    lf_detokenizer d;
    lf_detokenizer_init(&d, tok);
    text_buffer text = {0};
    char buf[512];
    bool oom = false;
    json_array_foreach(tokens, i, v) {
        int n = lf_detokenizer_push(&d, (int32_t)json_integer_value(v), buf, sizeof buf);
        oom |= n > 0 && text_append(&text, buf, (size_t)n);
    }
    int n = lf_detokenizer_flush(&d, buf, sizeof buf);
    oom |= n > 0 && text_append(&text, buf, (size_t)n);
    json_decref(root);
    int rc = oom ? (api_fail(&e, 500, NULL, NULL, "out of memory"), http_send_error(c, &e, NULL))
                 : http_send_json(c, 200, json_pack("{s:o}", "content", utf8_json_string(text.data ? text.data : "", text.len)));
    text_free(&text);
    return rc;
}
