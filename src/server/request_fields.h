/* What the request parsers of the newer endpoints share: a JSON body that must be an
 * object whose every field is known. */
#ifndef LF_SERVER_REQUEST_FIELDS_H
#define LF_SERVER_REQUEST_FIELDS_H

#include <jansson.h>

#include "server/api_error.h"

/* The body as a JSON object (a new reference), or NULL with a 400 in err when it does
 * not parse, is not an object, or has a field not in known (NULL-terminated), named. */
json_t *request_object(const char *body, size_t len, const char *const *known, api_error *err);

#endif
