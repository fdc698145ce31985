#include "server/access.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const loopback_names[] = {"localhost", "127.0.0.1", "[::1]"};

/* Splits list at commas into names[] (copies in storage); -1 on an empty entry. */
static int split(const char *list, const char *what, const char **names, int *n, char *storage, size_t *used,
                 size_t cap, api_error *e) {
    if (!list) return 0;
    for (const char *p = list;;) {
        size_t len = strcspn(p, ",");
        while (len && (*p == ' ')) p++, len--;
        while (len && p[len - 1] == ' ') len--;
        if (!len) return api_fail(e, 400, NULL, NULL, "%s: empty name in '%s'", what, list);
        if (*n == ACCESS_MAX_NAMES || *used + len + 1 > cap)
            return api_fail(e, 400, NULL, NULL, "%s: more names than fit (%d at most)", what, ACCESS_MAX_NAMES);
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)p[i] <= ' ' || (unsigned char)p[i] >= 0x7f)
                return api_fail(e, 400, NULL, NULL, "%s: a name with a space or control byte", what);
        memcpy(storage + *used, p, len);
        storage[*used + len] = 0;
        names[(*n)++] = storage + *used;
        *used += len + 1;
        p += strcspn(p, ",");
        if (!*p) return 0;
        p++;
    }
}

int access_init(access_policy *p, bool loopback, const char *bound_host, const char *allowed_hosts,
                const char *cors_origins, const char *api_key, api_error *e) {
    memset(p, 0, sizeof *p);
    p->loopback = loopback;
    p->bound_host = bound_host;
    p->api_key = api_key;
    size_t used = 0;
    if (split(allowed_hosts, "--allowed-hosts", p->hosts, &p->n_hosts, p->storage, &used, sizeof p->storage, e) ||
        split(cors_origins, "--cors-origin", p->origins, &p->n_origins, p->storage, &used, sizeof p->storage, e))
        return -1;
    return 0;
}

/* The name part of a Host value: "name[:port]" or "[v6][:port]", into out. */
static bool host_name(const char *host, char *out, size_t cap) {
    size_t n;
    if (host[0] == '[') {
        const char *close = strchr(host, ']');
        if (!close) return false;
        n = (size_t)(close - host) + 1;
        if (close[1] && (close[1] != ':' || strspn(close + 2, "0123456789") != strlen(close + 2))) return false;
    } else {
        const char *colon = strchr(host, ':');
        n = colon ? (size_t)(colon - host) : strlen(host);
        if (colon && strspn(colon + 1, "0123456789") != strlen(colon + 1)) return false;
    }
    if (!n || n >= cap) return false;
    memcpy(out, host, n);
    out[n] = 0;
    return true;
}

static bool same_name(const char *a, const char *b) {
    /* the bound host may be spelled without brackets (::1) */
    size_t la = strlen(a), lb = strlen(b);
    if (la == lb + 2 && a[0] == '[' && !strncasecmp(a + 1, b, lb)) return true;
    return !strcasecmp(a, b);
}

static bool host_allowed(const access_policy *p, const char *name) {
    if (p->bound_host && same_name(name, p->bound_host)) return true;
    for (int i = 0; i < p->n_hosts; i++)
        if (same_name(name, p->hosts[i])) return true;
    /* beyond loopback without a list, every name is served (the address is public) */
    if (!p->loopback && !p->n_hosts) return true;
    for (size_t i = 0; i < sizeof loopback_names / sizeof *loopback_names; i++)
        if (same_name(name, loopback_names[i])) return true;
    return false;
}

/* Whether origin is "http://HOST" for the Host the request was sent to (this server's
 * own page calling its API). */
static bool same_origin(const char *origin, const char *host) {
    return host && !strncasecmp(origin, "http://", 7) && !strcasecmp(origin + 7, host);
}

static bool cors_allowed(const access_policy *p, const char *origin) {
    for (int i = 0; i < p->n_origins; i++)
        if (!strcmp(p->origins[i], "*") || !strcasecmp(p->origins[i], origin)) return true;
    return false;
}

int access_check_request(const access_policy *p, http_conn *c, api_error *e) {
    const char *host = http_conn_field(c, "Host");
    char name[256];
    /* a request without Host (HTTP/1.0) cannot come from a browser, which always sends one */
    if (host && (!host_name(host, name, sizeof name) || !host_allowed(p, name)))
        return api_fail(e, 403, NULL, "host_not_allowed",
                        "Host '%.200s' is not served here (loopback names only; add names with --allowed-hosts)", host);
    const char *origin = http_conn_field(c, "Origin");
    if (!origin || same_origin(origin, host)) return 0;
    if (!cors_allowed(p, origin))
        return api_fail(e, 403, NULL, "origin_not_allowed",
                        "requests from web pages of origin '%.200s' are refused (allow it with --cors-origin)", origin);
    http_conn_add_header(c, "Access-Control-Allow-Origin", origin);
    http_conn_add_header(c, "Vary", "Origin");
    return 0;
}

int access_preflight(const access_policy *p, http_conn *c, api_error *e) {
    const char *origin = http_conn_field(c, "Origin");
    if (!origin || !cors_allowed(p, origin))
        return api_fail(e, 403, NULL, "origin_not_allowed",
                        "cross-origin requests are off (allow an origin with --cors-origin)");
    static const char extra[] = "Access-Control-Allow-Methods: GET, POST, OPTIONS\r\n"
                                "Access-Control-Allow-Headers: Authorization, Content-Type\r\n"
                                "Access-Control-Max-Age: 600\r\n";
    http_conn_respond(c, 204, NULL, "", 0, extra);
    return 0;
}

int access_check_json(http_conn *c, api_error *e) {
    const char *type = http_conn_field(c, "Content-Type");
    size_t n = type ? strcspn(type, "; \t") : 0;
    if (type && n == 16 && !strncasecmp(type, "application/json", 16)) return 0;
    return api_fail(e, 415, NULL, "unsupported_media_type",
                    "the request body must be sent as 'Content-Type: application/json'%s", type ? "" : " (none given)");
}

/* Compares in time independent of where the strings differ. */
static bool same_secret(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = la != lb;
    for (size_t i = 0; i < la; i++) diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
    return diff == 0 && lb;
}

int access_check_key(const access_policy *p, http_conn *c, api_error *e) {
    if (!p->api_key) return 0;
    const char *auth = http_conn_field(c, "Authorization");
    if (auth && !strncasecmp(auth, "Bearer", 6) && (auth[6] == ' ' || auth[6] == '\t')) {
        const char *token = auth + 6;
        while (*token == ' ' || *token == '\t') token++;
        if (same_secret(token, p->api_key)) return 0;
    }
    return api_fail(e, 401, NULL, "invalid_api_key", "missing or wrong API key (send 'Authorization: Bearer KEY')");
}
