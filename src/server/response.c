#include "server/response.h"

static json_t *header(const response_meta *m, const char *object) {
    return json_pack("{s:s, s:s, s:I, s:s}", "id", m->id, "object", object, "created", (json_int_t)m->created,
                     "model", m->model);
}

static json_t *usage_json(response_usage u) {
    return json_pack("{s:i, s:i, s:i}", "prompt_tokens", u.prompt_tokens, "completion_tokens", u.completion_tokens,
                     "total_tokens", u.prompt_tokens + u.completion_tokens);
}

/* json_pack's "s?" and "o?" give null for NULL. */
static json_t *choice_json(const response_meta *m, int index, const char *text, json_t *logprobs, const char *finish) {
    if (m->chat)
        return json_pack("{s:i, s:{s:s, s:s}, s:o?, s:s?}", "index", index, "message", "role", "assistant",
                         "content", text, "logprobs", logprobs, "finish_reason", finish);
    return json_pack("{s:i, s:s, s:o?, s:s?}", "index", index, "text", text, "logprobs", logprobs, "finish_reason",
                     finish);
}

json_t *response_final(const response_meta *m, const char *const *texts, json_t *const *logprobs,
                       const finish_reason *finish, int n, response_usage usage) {
    json_t *obj = header(m, m->chat ? "chat.completion" : "text_completion"), *choices = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(choices, choice_json(m, i, texts[i], logprobs ? logprobs[i] : NULL,
                                                   finish_reason_name(finish[i])));
    json_object_set_new(obj, "choices", choices);
    json_object_set_new(obj, "usage", usage_json(usage));
    return obj;
}

json_t *response_chunk(const response_meta *m, int choice, const char *text, json_t *logprobs, bool role,
                       const char *finish, bool with_usage) {
    json_t *obj = header(m, m->chat ? "chat.completion.chunk" : "text_completion"), *c;
    if (m->chat) {
        json_t *delta = json_object();
        if (role) json_object_set_new(delta, "role", json_string("assistant"));
        if (text) json_object_set_new(delta, "content", json_string(text));
        c = json_pack("{s:i, s:o, s:o?, s:s?}", "index", choice, "delta", delta, "logprobs", logprobs, "finish_reason",
                      finish);
    } else {
        c = json_pack("{s:i, s:s, s:o?, s:s?}", "index", choice, "text", text ? text : "", "logprobs", logprobs,
                      "finish_reason", finish);
    }
    json_object_set_new(obj, "choices", json_pack("[o]", c));
    if (with_usage) json_object_set_new(obj, "usage", json_null());
    return obj;
}

json_t *response_usage_chunk(const response_meta *m, response_usage usage) {
    json_t *obj = header(m, m->chat ? "chat.completion.chunk" : "text_completion");
    json_object_set_new(obj, "choices", json_array());
    json_object_set_new(obj, "usage", usage_json(usage));
    return obj;
}
