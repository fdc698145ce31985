/* Which fields a request may carry: every other one is refused (400 naming it) rather
 * than ignored, so a client never believes a setting took effect that did not. */
#ifndef LF_SERVER_REQUEST_FIELDS_H
#define LF_SERVER_REQUEST_FIELDS_H

#include <jansson.h>
#include <stdbool.h>

#include "server/api_error.h"

/* 0, or -1 with err set to a 400 naming the first field of root (an object) that a chat
 * (or plain completion) request does not take. */
int request_check_fields(json_t *root, bool chat, api_error *err);

/* The first key of obj (an object) not in known (NULL-terminated), or NULL when it has none. */
const char *request_unknown_key(json_t *obj, const char *const *known);

/* The body of one of the other endpoints as a JSON object (a new reference), or NULL with
 * a 400 in err when it does not parse, is not an object, or has a field not in known
 * (NULL-terminated), named. */
json_t *request_object(const char *body, size_t len, const char *const *known, api_error *err);

#endif
