/* The server's endpoints: which path and method go to which handler, and who may call. */
#ifndef LF_SERVER_ROUTES_H
#define LF_SERVER_ROUTES_H

#include <microhttpd.h>

#include "server/server_state.h"

/* Answers a request whose body has been read completely. */
enum MHD_Result routes_dispatch(server_state *st, struct MHD_Connection *c, const char *url, const char *method,
                                const char *body, size_t len);

#endif
