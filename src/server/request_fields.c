#include "server/request_fields.h"

#include <string.h>

enum { FOR_CHAT = 1, FOR_COMPLETION = 2, FOR_BOTH = 3 };

typedef struct field_rule {
    const char *name;
    int endpoints;
} field_rule;

/* OpenAI's fields we honour, llama.cpp's extensions we honour, and "user" (an end-user id
 * OpenAI keeps for abuse monitoring; it changes no answer, so honouring it is accepting it). */
static const field_rule rules[] = {
    {"model", FOR_BOTH},           {"messages", FOR_CHAT},         {"prompt", FOR_COMPLETION},
    {"max_tokens", FOR_BOTH},      {"max_completion_tokens", FOR_CHAT}, {"n", FOR_BOTH},
    {"stream", FOR_BOTH},          {"stream_options", FOR_BOTH},   {"stop", FOR_BOTH},
    {"seed", FOR_BOTH},            {"temperature", FOR_BOTH},      {"top_p", FOR_BOTH},
    {"top_k", FOR_BOTH},           {"min_p", FOR_BOTH},            {"typical_p", FOR_BOTH},
    {"repeat_penalty", FOR_BOTH},  {"repeat_last_n", FOR_BOTH},    {"presence_penalty", FOR_BOTH},
    {"frequency_penalty", FOR_BOTH}, {"logit_bias", FOR_BOTH},     {"logprobs", FOR_BOTH},
    {"top_logprobs", FOR_CHAT},    {"echo", FOR_COMPLETION},       {"response_format", FOR_BOTH},
    {"grammar", FOR_BOTH},         {"tools", FOR_CHAT},            {"tool_choice", FOR_CHAT},
    {"parallel_tool_calls", FOR_CHAT}, {"cache_prompt", FOR_BOTH}, {"user", FOR_BOTH},
    {"best_of", FOR_COMPLETION},
};

/* The key is the client's: the error body escapes what it quotes. */
static int unknown_field(const char *key, api_error *err) {
    return api_fail(err, 400, key, "unknown_field", "unknown field '%.200s'", key);
}

int request_check_fields(json_t *root, bool chat, api_error *err) {
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        size_t i = 0, n = sizeof rules / sizeof *rules;
        while (i < n && strcmp(rules[i].name, key)) i++;
        if (i < n && (rules[i].endpoints & (chat ? FOR_CHAT : FOR_COMPLETION))) continue;
        if (i < n)
            return api_fail(err, 400, key, "unsupported_parameter", "'%s' is not a field of %s", key,
                            chat ? "/v1/chat/completions" : "/v1/completions");
        return unknown_field(key, err);
    }
    return 0;
}

const char *request_unknown_key(json_t *obj, const char *const *known) {
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        const char *const *k = known;
        while (*k && strcmp(*k, key)) k++;
        if (!*k) return key;
    }
    return NULL;
}

json_t *request_object(const char *body, size_t len, const char *const *known, api_error *err) {
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        api_fail(err, 400, NULL, NULL, "malformed JSON at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        api_fail(err, 400, NULL, NULL, "the request body must be a JSON object");
        return NULL;
    }
    const char *key = request_unknown_key(root, known);
    if (key) {
        unknown_field(key, err);
        json_decref(root);
        return NULL;
    }
    return root;
}
