#include "server/routes.h"

#include <string.h>

#include "server/completion.h"
#include "server/http.h"
#include "server/request.h"
#include "server/web_assets.h"


typedef enum MHD_Result (*route_fn)(server_state *st, struct MHD_Connection *c, const char *body, size_t len);

typedef struct route {
    const char *method, *path;
    route_fn fn;
    bool open; /* answered without the API key */
} route;

/* {"status": "ok"} with the slots' load, as llama.cpp's server reports it. */
static enum MHD_Result health(server_state *st, struct MHD_Connection *c, const char *body, size_t len) {
    (void)body, (void)len;
    int busy, waiting;
    scheduler_load(st->sched, &busy, &waiting);
    return http_send_json(c, MHD_HTTP_OK,
                          json_pack("{s:s, s:i, s:i, s:i}", "status", "ok", "slots_idle",
                                    scheduler_slot_count(st->sched) - busy, "slots_processing", busy,
                                    "choices_waiting", waiting));
}

static enum MHD_Result models(server_state *st, struct MHD_Connection *c, const char *body, size_t len) {
    (void)body, (void)len;
    return http_send_json(c, MHD_HTTP_OK,
                          json_pack("{s:s, s:[{s:s, s:s, s:I, s:s}]}", "object", "list", "data", "id", st->model_id,
                                    "object", "model", "created", (json_int_t)st->started, "owned_by", "llama-fast"));
}

/* {"messages": [...]} -> {"prompt": "..."}: exactly what the model would be fed. */
static enum MHD_Result apply_template(server_state *st, struct MHD_Connection *c, const char *body, size_t len) {
    completion_request r;
    api_error e = {0};
    if (request_parse(body, len, true, &r, &e)) return http_send_error(c, &e);
    char *prompt = completion_render_chat(st, r.messages, r.n_messages, &e);
    request_free(&r);
    if (!prompt) return http_send_error(c, &e);
    enum MHD_Result rc = http_send_json(c, MHD_HTTP_OK, json_pack("{s:s}", "prompt", prompt));
    free(prompt);
    return rc;
}

static enum MHD_Result chat_completions(server_state *st, struct MHD_Connection *c, const char *body, size_t len) {
    return completion_handle(st, c, body, len, true);
}

static enum MHD_Result completions(server_state *st, struct MHD_Connection *c, const char *body, size_t len) {
    return completion_handle(st, c, body, len, false);
}

static enum MHD_Result index_page(server_state *st, struct MHD_Connection *c, const char *body, size_t len) {
    (void)st, (void)body, (void)len;
    size_t n = 0;
    const char *page = web_asset_index_html(&n);
    return http_send(c, MHD_HTTP_OK, "text/html; charset=utf-8", page, n);
}

static const route routes[] = {
    {"GET", "/health", health, true},
    {"GET", "/v1/models", models, false},
    {"POST", "/v1/chat/completions", chat_completions, false},
    {"POST", "/v1/completions", completions, false},
    {"POST", "/apply-template", apply_template, false},
    {"GET", "/", index_page, true},
    {"GET", "/index.html", index_page, true},
};

/* Compares in time independent of where the strings differ. */
static bool same_secret(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = la != lb;
    for (size_t i = 0; i < la; i++) diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
    return diff == 0 && lb;
}

static bool authorized(const server_state *st, struct MHD_Connection *c) {
    if (!st->api_key) return true;
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    return auth && !strncmp(auth, "Bearer ", 7) && same_secret(auth + 7, st->api_key);
}

enum MHD_Result routes_dispatch(server_state *st, struct MHD_Connection *c, const char *url, const char *method,
                                const char *body, size_t len) {
    const route *path_match = NULL;
    api_error e;
    /* HEAD is GET without the body, which MHD drops */
    const char *as = !strcmp(method, "HEAD") ? "GET" : method;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(url, routes[i].path)) continue;
        path_match = &routes[i];
        if (!strcmp(as, routes[i].method)) {
            if (!routes[i].open && !authorized(st, c)) {
                api_fail(&e, 401, NULL, "invalid_api_key", "missing or wrong API key (send 'Authorization: Bearer KEY')");
                return http_send_error(c, &e);
            }
            return routes[i].fn(st, c, body, len);
        }
    }
    if (!path_match) {
        api_fail(&e, 404, NULL, "not_found", "no route %s %s", method, url);
        return http_send_error(c, &e);
    }
    api_fail(&e, 405, NULL, "method_not_allowed", "%s needs %s, not %s", url, path_match->method, method);
    struct MHD_Response *r = http_error_response(&e);
    if (r) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, path_match->method);
    return http_queue(c, 405, r);
}
