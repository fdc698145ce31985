#include "server/request_fields.h"

#include <string.h>

json_t *request_object(const char *body, size_t len, const char *const *known, api_error *err) {
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        api_fail(err, 400, NULL, NULL, "malformed JSON at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        api_fail(err, 400, NULL, NULL, "the request body must be a JSON object");
        return NULL;
    }
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        const char *const *k = known;
        while (*k && strcmp(*k, key)) k++;
        if (!*k) {
            /* the name comes from the client: api_error's message is escaped when shown */
            api_fail(err, 400, NULL, "unknown_field", "unknown field '%.100s'", key);
            json_decref(root);
            return NULL;
        }
    }
    return root;
}
