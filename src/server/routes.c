#include "server/routes.h"

#include <string.h>

#include "server/completion.h"
#include "server/http.h"
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

static const route routes[] = {
    {"GET", "/health", health, true},
    {"GET", "/v1/models", models, false},
    {"POST", "/v1/chat/completions", chat_completions, false},
    {"POST", "/v1/completions", completions, false},
    {"POST", "/apply-template", apply_template, false},
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

void routes_handle(void *user, http_conn *c) {
    server_state *st = user;
    const char *method = c->head->method;
    char path[512], allow[64] = "";
    target_path(c->head->target, path, sizeof path);
    api_error e = {0};
    if (access_check_request(&st->access, c, &e)) {
        http_send_error(c, &e, NULL);
        return;
    }
    if (!strcmp(method, "OPTIONS")) {
        if (access_preflight(&st->access, c, &e)) http_send_error(c, &e, NULL);
        return;
    }
    /* The chat page's files are open to all, like the page itself (no key in a browser). */
    const web_asset *asset = web_asset_find(path);
    if (asset && (!strcmp(method, "GET") || !strcmp(method, "HEAD"))) {
        http_send(c, 200, asset->content_type, asset->bytes, asset->len);
        return;
    }
    const route *r = find_route(method, path, &e, allow, sizeof allow);
    if (!r) {
        http_send_error(c, &e, allow[0] ? allow : NULL);
        return;
    }
    if ((!r->open && access_check_key(&st->access, c, &e)) || (!strcmp(r->method, "POST") && access_check_json(c, &e))) {
        http_send_error(c, &e, NULL);
        return;
    }
    size_t len = 0;
    const char *body = http_conn_body(c, &len);
    r->fn(st, c, body, len);
}
