/* Who may use the API: the Host names served (against DNS rebinding), the origins of
 * web pages allowed to call it (CORS), the media type of bodies (so a page cannot post
 * a "simple" cross-site form or text/plain request), and the API key. */
#ifndef LF_SERVER_ACCESS_H
#define LF_SERVER_ACCESS_H

#include <stdbool.h>

#include "server/api_error.h"
#include "server/http_conn.h"

#define ACCESS_MAX_NAMES 32

typedef struct access_policy {
    bool loopback;                           /* the server listens on a loopback address */
    const char *bound_host;                  /* the --host given: always a name served */
    const char *hosts[ACCESS_MAX_NAMES];     /* --allowed-hosts */
    int n_hosts;
    const char *origins[ACCESS_MAX_NAMES];   /* --cors-origin ("*": any) */
    int n_origins;
    const char *api_key;                     /* NULL: no key needed */
    char storage[2048];                      /* the names above point here */
} access_policy;

/* Fills p from the comma-separated lists (either may be NULL). -1 with a message in e
 * when a list is too long or has an empty or malformed entry. */
int access_init(access_policy *p, bool loopback, const char *bound_host, const char *allowed_hosts,
                const char *cors_origins, const char *api_key, api_error *e);

/* Checks a request against the policy before any route sees it: the Host (403), the
 * Origin (403 unless it is the server's own or allowed; an allowed one gets the CORS
 * headers added to c's responses). 0, or -1 with the error in e. */
int access_check_request(const access_policy *p, http_conn *c, api_error *e);
/* A CORS preflight (OPTIONS): 0 when allowed, and the answer is then sent. */
int access_preflight(const access_policy *p, http_conn *c, api_error *e);
/* A body for the API must be JSON: 415 otherwise. */
int access_check_json(http_conn *c, api_error *e);
/* The API key, when one is set ("Authorization: Bearer KEY", scheme case-insensitive). */
int access_check_key(const access_policy *p, http_conn *c, api_error *e);

#endif
