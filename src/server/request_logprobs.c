#include "server/request_logprobs.h"

/* A field that is absent or null keeps its default. */
static json_t *given(json_t *root, const char *name) {
    json_t *v = json_object_get(root, name);
    return json_is_null(v) ? NULL : v;
}

static int get_count(json_t *v, const char *name, int hi, int *out, api_error *err) {
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > hi)
        return api_fail(err, 400, name, NULL, "'%s' must be an integer from 0 to %d", name, hi);
    *out = (int)json_integer_value(v);
    return 0;
}

int request_parse_logprobs(json_t *root, bool chat, completion_request *r, api_error *err) {
    json_t *logprobs = given(root, "logprobs"), *top = given(root, "top_logprobs"), *echo = given(root, "echo");
    if (chat) {
        if (echo) return api_fail(err, 400, "echo", NULL, "'echo' is for /v1/completions");
        if (logprobs && !json_is_boolean(logprobs)) return api_fail(err, 400, "logprobs", NULL, "'logprobs' must be true or false");
        bool on = json_is_true(logprobs);
        int n_top = 0;
        if (top && (get_count(top, "top_logprobs", LOGPROBS_MAX_TOP, &n_top, err))) return -1;
        /* as OpenAI: top_logprobs without logprobs is a mistake, not a no-op */
        if (top && !on) return api_fail(err, 400, "top_logprobs", NULL, "'top_logprobs' needs 'logprobs': true");
        r->logprobs = on ? n_top : -1;
        return 0;
    }
    if (top) return api_fail(err, 400, "top_logprobs", NULL, "'top_logprobs' is for /v1/chat/completions; use 'logprobs': N");
    if (logprobs && get_count(logprobs, "logprobs", 5, &r->logprobs, err)) return -1;
    if (echo && !json_is_boolean(echo)) return api_fail(err, 400, "echo", NULL, "'echo' must be true or false");
    r->echo = json_is_true(echo);
    return 0;
}
