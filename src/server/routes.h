/* Routing of the API: the access policy first, then one handler per method and path. */
#ifndef LF_SERVER_ROUTES_H
#define LF_SERVER_ROUTES_H

#include "server/http_conn.h"

/* Answers one complete request on c; user is the server_state. */
void routes_handle(void *user, http_conn *c);

#endif
