#include "server/request.h"
#include "server/request_grammar.h"

#include "server/request_fields.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "server/request_logprobs.h"

#define MAX_TOKENS_LIMIT (1 << 24)

/* jansson refuses "\u0000" in strings (no JSON_ALLOW_NUL), so every string is a C string. */

/* A 400 for a field of the wrong type: "'param' must be <what>". */
static int bad(api_error *err, const char *param, const char *what) {
    return api_fail(err, 400, param, NULL, "'%s' must be %s", param, what);
}

static char *dup_or_fail(const char *s, size_t len, api_error *err) {
    char *p = malloc(len + 1);
    if (!p) {
        api_fail(err, 500, NULL, NULL, "out of memory");
        return NULL;
    }
    memcpy(p, s, len);
    p[len] = 0;
    return p;
}

/* A field that is absent or null keeps its default: returns NULL. */
static json_t *field(json_t *root, const char *name) {
    json_t *v = json_object_get(root, name);
    return json_is_null(v) ? NULL : v;
}

static int get_number(json_t *root, const char *name, double lo, double hi, float *out, api_error *err) {
    json_t *v = field(root, name);
    if (!v) return 0;
    if (!json_is_number(v)) return bad(err, name, "a number");
    double x = json_number_value(v);
    if (!(x >= lo && x <= hi))
        return api_fail(err, 400, name, NULL, "'%s' is %g; it must be between %g and %g", name, x, lo, hi);
    *out = (float)x;
    return 0;
}

static int get_int(json_t *root, const char *name, json_int_t lo, json_int_t hi, int *out, api_error *err) {
    json_t *v = field(root, name);
    if (!v) return 0;
    if (!json_is_integer(v)) return bad(err, name, "an integer");
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return api_fail(err, 400, name, NULL, "'%s' is %lld; it must be between %lld and %lld", name, (long long)x,
                        (long long)lo, (long long)hi);
    *out = (int)x;
    return 0;
}

static int get_bool(json_t *root, const char *name, bool *out, api_error *err) {
    json_t *v = field(root, name);
    if (!v) return 0;
    if (!json_is_boolean(v)) return bad(err, name, "true or false");
    *out = json_is_true(v);
    return 0;
}

/* content: a string, or an array of {"type": "text", "text": "..."} parts (joined), or null. */
static char *message_content(json_t *content, api_error *err) {
    if (!content || json_is_null(content)) return dup_or_fail("", 0, err);
    if (json_is_string(content)) return dup_or_fail(json_string_value(content), json_string_length(content), err);
    if (!json_is_array(content)) {
        api_fail(err, 400, "messages", NULL, "message content must be a string or an array of text parts");
        return NULL;
    }
    size_t total = 0, i;
    json_t *part;
    json_array_foreach(content, i, part) {
        json_t *type = json_object_get(part, "type"), *text = json_object_get(part, "text");
        if (!json_is_string(type) || strcmp(json_string_value(type), "text") || !json_is_string(text)) {
            api_fail(err, 400, "messages", NULL, "only content parts {\"type\": \"text\", \"text\": \"...\"} are supported");
            return NULL;
        }
        total += json_string_length(text);
    }
    char *out = dup_or_fail("", 0, err), *p;
    if (!out || !(p = realloc(out, total + 1))) {
        free(out);
        api_fail(err, 500, NULL, NULL, "out of memory");
        return NULL;
    }
    out = p;
    json_array_foreach(content, i, part) {
        json_t *text = json_object_get(part, "text");
        memcpy(p, json_string_value(text), json_string_length(text));
        p += json_string_length(text);
    }
    *p = 0;
    return out;
}

static int parse_messages(json_t *root, completion_request *r, api_error *err) {
    json_t *msgs = json_object_get(root, "messages"), *m;
    if (!json_is_array(msgs) || json_array_size(msgs) == 0)
        return bad(err, "messages", "a non-empty array of {role, content} objects");
    r->messages = calloc(json_array_size(msgs), sizeof *r->messages);
    if (!r->messages) return api_fail(err, 500, NULL, NULL, "out of memory");
    size_t i;
    json_array_foreach(msgs, i, m) {
        json_t *role = json_object_get(m, "role");
        if (!json_is_string(role) || json_string_length(role) == 0)
            return api_fail(err, 400, "messages", NULL, "messages[%zu]: 'role' must be a non-empty string", i);
        r->n_messages = i + 1;
        r->messages[i].role = dup_or_fail(json_string_value(role), json_string_length(role), err);
        r->messages[i].content = message_content(json_object_get(m, "content"), err);
        if (!r->messages[i].role || !r->messages[i].content) return -1;
        if (tool_message_parse(m, i, &r->messages[i], err)) return -1;
    }
    return 0;
}

static int parse_prompts(json_t *root, completion_request *r, api_error *err) {
    json_t *p = json_object_get(root, "prompt"), *item;
    size_t n = json_is_array(p) ? json_array_size(p) : 1, i;
    if (!(json_is_string(p) || (json_is_array(p) && n > 0)))
        return bad(err, "prompt", "a string or a non-empty array of strings");
    if (n > REQUEST_MAX_CHOICES)
        return api_fail(err, 400, "prompt", NULL, "'prompt' has %zu entries; at most %d are served at once", n,
                        REQUEST_MAX_CHOICES);
    r->prompts = calloc(n, sizeof *r->prompts);
    if (!r->prompts) return api_fail(err, 500, NULL, NULL, "out of memory");
    for (i = 0; i < n; i++) {
        item = json_is_array(p) ? json_array_get(p, i) : p;
        if (!json_is_string(item)) return bad(err, "prompt", "a string or an array of strings");
        r->n_prompts = (int)i + 1;
        if (!(r->prompts[i] = dup_or_fail(json_string_value(item), json_string_length(item), err))) return -1;
    }
    return 0;
}

static int parse_stop(json_t *root, completion_request *r, api_error *err) {
    json_t *stop = field(root, "stop"), *item;
    if (!stop) return 0;
    size_t n = json_is_array(stop) ? json_array_size(stop) : 1;
    if (!json_is_string(stop) && !json_is_array(stop))
        return bad(err, "stop", "a string or an array of strings");
    if (n > REQUEST_MAX_STOPS)
        return api_fail(err, 400, "stop", NULL, "'stop' has %zu strings; at most %d are allowed", n, REQUEST_MAX_STOPS);
    for (size_t i = 0; i < n; i++) {
        item = json_is_array(stop) ? json_array_get(stop, i) : stop;
        if (!json_is_string(item)) return bad(err, "stop", "a string or an array of strings");
        if (json_string_length(item) == 0) continue; /* an empty stop string would match at once */
        if (!(r->stops[r->n_stops] = dup_or_fail(json_string_value(item), json_string_length(item), err))) return -1;
        r->n_stops++;
    }
    return 0;
}

static int parse_seed(json_t *root, completion_request *r, api_error *err) {
    json_t *seed = field(root, "seed");
    if (!seed) return 0;
    if (!json_is_integer(seed)) return bad(err, "seed", "an integer");
    r->has_seed = true;
    r->sampling.seed = (uint64_t)json_integer_value(seed);
    return 0;
}

/* OpenAI's shape: {"token id": bias in [-100, 100]}; -100 bans the token, as OpenAI's
 * "should result in a ban". An empty object clears the server's default list. */
static int parse_logit_bias(json_t *root, completion_request *r, api_error *err) {
    json_t *map = field(root, "logit_bias"), *v;
    if (!map) return 0;
    if (!json_is_object(map)) return bad(err, "logit_bias", "an object mapping token ids to biases");
    size_t n = json_object_size(map), i = 0;
    r->logit_bias = malloc((n ? n : 1) * sizeof *r->logit_bias);
    if (!r->logit_bias) return api_fail(err, 500, NULL, NULL, "out of memory");
    const char *key;
    json_object_foreach(map, key, v) {
        char *end;
        long id = strtol(key, &end, 10);
        if (key[0] < '0' || key[0] > '9' || *end || id > INT32_MAX)
            return api_fail(err, 400, "logit_bias", NULL, "'logit_bias' key '%.40s' is not a token id", key);
        if (!json_is_number(v))
            return api_fail(err, 400, "logit_bias", NULL, "'logit_bias' of token %ld must be a number", id);
        double b = json_number_value(v);
        if (!(b >= -100 && b <= 100))
            return api_fail(err, 400, "logit_bias", NULL,
                            "'logit_bias' of token %ld is %g; it must be between -100 and 100", id, b);
        r->logit_bias[i++] = (lf_logit_bias){(int32_t)id, b <= -100 ? -INFINITY : (float)b};
    }
    r->sampling.logit_bias = r->logit_bias;
    r->sampling.n_logit_bias = (int)n;
    return 0;
}

/* The sampler's fields beyond OpenAI's temperature and top_p, as llama.cpp's server
 * names them (presence and frequency penalties are OpenAI's too). */
static int parse_sampling(json_t *root, completion_request *r, api_error *err) {
    lf_sampler_params *p = &r->sampling;
    return get_number(root, "temperature", 0, 2, &p->temperature, err) ||
           get_number(root, "top_p", 0, 1, &p->top_p, err) || get_int(root, "top_k", 0, 1 << 24, &p->top_k, err) ||
           get_number(root, "min_p", 0, 1, &p->min_p, err) || get_number(root, "typical_p", 0, 1, &p->typical_p, err) ||
           get_number(root, "repeat_penalty", 0, 100, &p->repeat_penalty, err) ||
           get_int(root, "repeat_last_n", -1, 1 << 24, &p->repeat_last_n, err) ||
           get_number(root, "presence_penalty", -2, 2, &p->presence_penalty, err) ||
           get_number(root, "frequency_penalty", -2, 2, &p->frequency_penalty, err) ||
           parse_logit_bias(root, r, err) || parse_seed(root, r, err);
}

/* Fields of OpenAI's API this server does not implement: a request that sets them gets
 * a 400 rather than an answer that silently ignores them. */
/* OpenAI's best_of ranks several answers by likelihood and returns n; only 1 (each answer
 * is its own best) is served. */
static int parse_best_of(json_t *root, api_error *err) {
    json_t *v = field(root, "best_of");
    if (v && !(json_is_integer(v) && json_integer_value(v) == 1))
        return api_fail(err, 400, "best_of", NULL, "'best_of' must be 1: answers are not ranked by this server");
    return 0;
}

static int parse_fields(json_t *root, bool chat, completion_request *r, api_error *err) {
    if (!json_is_object(root)) return api_fail(err, 400, NULL, NULL, "the request body must be a JSON object");
    if (request_check_fields(root, chat, err)) return -1;
    json_t *model = field(root, "model"), *opts = field(root, "stream_options");
    if (model && !json_is_string(model)) return bad(err, "model", "a string");
    if (model && !(r->model = dup_or_fail(json_string_value(model), json_string_length(model), err))) return -1;
    if (opts && !json_is_object(opts)) return bad(err, "stream_options", "an object");
    int max_completion = 0;
    if ((chat ? parse_messages(root, r, err) || tool_request_parse(root, &r->tools, err)
              : parse_prompts(root, r, err)) ||
        parse_sampling(root, r, err) ||
        get_int(root, "max_tokens", 1, MAX_TOKENS_LIMIT, &r->max_tokens, err) ||
        get_int(root, "max_completion_tokens", 1, MAX_TOKENS_LIMIT, &max_completion, err) ||
        get_int(root, "n", 1, REQUEST_MAX_CHOICES, &r->n, err) || parse_best_of(root, err) ||
        parse_stop(root, r, err) || get_bool(root, "stream", &r->stream, err) ||
        get_bool(root, "cache_prompt", &r->cache_prompt, err) ||
        (opts && get_bool(opts, "include_usage", &r->include_usage, err)) ||
        request_parse_grammar(root, &r->grammar, err) || request_parse_logprobs(root, chat, r, err))
        return -1;
    r->structure_given = field(root, "grammar") || field(root, "response_format");
    if (chat && tool_request_grammar(&r->tools, r->structure_given, &r->grammar, err)) return -1;
    r->structure_given |= r->grammar != NULL;
    if (max_completion) r->max_tokens = max_completion;
    int n_prompts = chat ? 1 : r->n_prompts;
    if (r->n * n_prompts > REQUEST_MAX_CHOICES)
        return api_fail(err, 400, "n", NULL, "%d prompts times n = %d is more than %d choices", n_prompts, r->n,
                        REQUEST_MAX_CHOICES);
    return 0;
}

lf_sampler_params request_default_sampling(void) {
    return (lf_sampler_params){.temperature = 1, .top_p = 1, .typical_p = 1, .repeat_penalty = 1, .repeat_last_n = 64};
}

int request_parse(const char *body, size_t len, bool chat, const lf_sampler_params *sampling,
                  completion_request *out, api_error *err) {
    /* OpenAI's defaults: one choice, no limit but the context. */
    *out = (completion_request){.chat = chat, .sampling = sampling ? *sampling : request_default_sampling(), .n = 1,
                                .cache_prompt = true, .logprobs = -1};
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) return api_fail(err, 400, NULL, NULL, "malformed JSON at line %d, column %d: %s", jerr.line, jerr.column,
                               jerr.text);
    int rc = parse_fields(root, chat, out, err);
    json_decref(root);
    if (rc) request_free(out);
    return rc;
}

void request_free(completion_request *r) {
    for (size_t i = 0; i < r->n_messages; i++) {
        free((char *)r->messages[i].role);
        free((char *)r->messages[i].content);
        free((char *)r->messages[i].tool_calls);
        free((char *)r->messages[i].tool_call_id);
        free((char *)r->messages[i].name);
    }
    free(r->messages);
    for (int i = 0; i < r->n_prompts; i++) free(r->prompts[i]);
    free(r->prompts);
    for (int i = 0; i < r->n_stops; i++) free(r->stops[i]);
    free(r->model);
    tool_request_free(&r->tools);
    free(r->logit_bias);
    lf_grammar_free(r->grammar);
    *r = (completion_request){0};
}
