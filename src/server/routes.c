#include "server/routes.h"

#include <string.h>

#include "frontend/print_escaped.h"
#include "server/completion.h"
#include "server/embeddings.h"
#include "server/http.h"
#include "server/token_routes.h"
#include "server/request.h"
#include "server/web_assets.h"


typedef int (*route_fn)(server_state *st, http_conn *c, const char *body, size_t len);

typedef struct route {
    const char *method, *path;
    route_fn fn;
    bool open; /* answered without the API key */
} route;

/* {"status": "ok"} with the slots' load, as llama.cpp's server reports it. */
static int health(server_state *st, http_conn *c, const char *body, size_t len) {
    (void)body, (void)len;
    int busy, waiting;
    scheduler_load(st->sched, &busy, &waiting);
    return http_send_json(c, 200,
                          json_pack("{s:s, s:i, s:i, s:i}", "status", "ok", "slots_idle",
                                    scheduler_slot_count(st->sched) - busy, "slots_processing", busy,
                                    "choices_waiting", waiting));
}

static int models(server_state *st, http_conn *c, const char *body, size_t len) {
    (void)body, (void)len;
    return http_send_json(c, 200,
                          json_pack("{s:s, s:[{s:s, s:s, s:I, s:s}]}", "object", "list", "data", "id", st->model_id,
                                    "object", "model", "created", (json_int_t)st->started, "owned_by", "llama-fast"));
}

/* {"messages": [...]} -> {"prompt": "..."}: exactly what the model would be fed. */
static int apply_template(server_state *st, http_conn *c, const char *body, size_t len) {
    completion_request r;
    api_error e = {0};
    if (request_parse(body, len, true, NULL, &r, &e)) return http_send_error(c, &e, NULL);
    char *prompt = completion_render_chat(st, &r, &e);
    request_free(&r);
    if (!prompt) return http_send_error(c, &e, NULL);
    int rc = http_send_json(c, 200, json_pack("{s:s}", "prompt", prompt));
    free(prompt);
    return rc;
}

static int chat_completions(server_state *st, http_conn *c, const char *body, size_t len) {
    return completion_handle(st, c, body, len, true);
}

static int completions(server_state *st, http_conn *c, const char *body, size_t len) {
    return completion_handle(st, c, body, len, false);
}

/* Prometheus' text exposition format. */
static int metrics(server_state *st, http_conn *c, const char *body, size_t len) {
    (void)body, (void)len;
    text_buffer out = {0};
    int rc = metrics_render(&st->metrics, st->sched, &out)
                 ? http_send_json(c, 500, NULL)
                 : http_send(c, 200, "text/plain; version=0.0.4; charset=utf-8", out.data, out.len);
    text_free(&out);
    return rc;
}

static int slots(server_state *st, http_conn *c, const char *body, size_t len) {
    (void)body, (void)len;
    json_t *a = json_array();
    for (int i = 0; a && i < scheduler_slot_count(st->sched); i++) {
        slot_info s = scheduler_slot_info(st->sched, i);
        if (json_array_append_new(a, json_pack("{s:i, s:b, s:i, s:i, s:i}", "id", i, "busy", s.busy, "n_ctx",
                                               scheduler_context_size(st->sched), "n_cached", s.n_cached,
                                               "n_generated", s.n_generated))) {
            json_decref(a);
            a = NULL;
        }
    }
    return http_send_json(c, 200, a);
}

static const route routes[] = {
    {"GET", "/health", health, true},
    {"GET", "/v1/models", models, false},
    {"POST", "/v1/chat/completions", chat_completions, false},
    {"POST", "/v1/completions", completions, false},
    {"POST", "/apply-template", apply_template, false},
    {"POST", "/v1/embeddings", embeddings_handle, false},
    {"POST", "/tokenize", tokenize_handle, false},
    {"POST", "/detokenize", detokenize_handle, false},
    /* they show the server's load and what its caches hold: the key is needed */
    {"GET", "/metrics", metrics, false},
    {"GET", "/slots", slots, false},
};

/* The path of a request target, without its query. */
static void target_path(const char *target, char *out, size_t cap) {
    size_t n = strcspn(target, "?#");
    if (n >= cap) n = cap - 1;
    memcpy(out, target, n);
    out[n] = 0;
}

/* Finds the route; 0, or -1 with 404 / 405 (and the Allow line) in e. */
static const route *find_route(const char *method, const char *path, api_error *e, char *allow, size_t cap) {
    const route *path_match = NULL;
    /* HEAD is GET without the body */
    const char *as = !strcmp(method, "HEAD") ? "GET" : method;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(path, routes[i].path)) continue;
        path_match = &routes[i];
        if (!strcmp(as, routes[i].method)) return &routes[i];
    }
    /* the page's files are routes too (GET only) */
    const char *allowed = path_match ? path_match->method : web_asset_find(path) ? "GET" : NULL;
    if (!allowed) {
        api_fail(e, 404, NULL, "not_found", "no route %s %.300s", method, path);
        return NULL;
    }
    api_fail(e, 405, NULL, "method_not_allowed", "%s needs %s, not %.40s", path, allowed, method);
    snprintf(allow, cap, "Allow: %s\r\n", allowed);
    return NULL;
}

/* Answers the request; the route found (NULL: none) for the log line and metrics. */
static const route *answer(server_state *st, http_conn *c, const char *path) {
    const char *method = c->head->method;
    char allow[64] = "";
    api_error e = {0};
    if (access_check_request(&st->access, c, &e)) {
        http_send_error(c, &e, NULL);
        return NULL;
    }
    if (!strcmp(method, "OPTIONS")) {
        if (access_preflight(&st->access, c, &e)) http_send_error(c, &e, NULL);
        return NULL;
    }
    /* The chat page's files are open to all, like the page itself (no key in a browser). */
    const web_asset *asset = web_asset_find(path);
    if (asset && (!strcmp(method, "GET") || !strcmp(method, "HEAD"))) {
        http_send(c, 200, asset->content_type, asset->bytes, asset->len);
        return NULL; /* counted as "other" */
    }
    const route *r = find_route(method, path, &e, allow, sizeof allow);
    if (!r) {
        http_send_error(c, &e, allow[0] ? allow : NULL);
        return NULL;
    }
    if ((!r->open && access_check_key(&st->access, c, &e)) || (!strcmp(r->method, "POST") && access_check_json(c, &e))) {
        http_send_error(c, &e, NULL);
        return r;
    }
    size_t len = 0;
    const char *body = http_conn_body(c, &len);
    r->fn(st, c, body, len);
    return r;
}

/* One line on stderr per request, without what the client sent but its method and path
 * (escaped: a path may hold any byte but NUL). */
void routes_handle(void *user, http_conn *c) {
    server_state *st = user;
    char path[512];
    target_path(c->head->target, path, sizeof path);
    double t0 = lf_time_ms();
    atomic_fetch_add(&st->metrics.processing, 1);
    const route *r = answer(st, c, path);
    atomic_fetch_sub(&st->metrics.processing, 1);
    /* a handler that sent nothing gets a 500 from the HTTP server */
    int status = c->responded ? c->status : 500;
    metrics_count(&st->metrics, r ? r->path : "other", status, c->prompt_tokens, c->generated_tokens);
    print_escaped(stderr, "llama-fast server: %s %s %d prompt_tokens=%d generated_tokens=%d %.1f ms\n", c->head->method,
                  path, status, c->prompt_tokens, c->generated_tokens, lf_time_ms() - t0);
}
