#include "server/request_grammar.h"

#include <stdlib.h>
#include <string.h>

static int compile_failed(api_error *err, const char *param, const lf_error *e) {
    return api_fail(err, e->code == LF_ERR_NOMEM ? 500 : 400, param, NULL, "%s: %s", param, e->message);
}

static int parse_json_schema(json_t *spec, lf_grammar **out, api_error *err) {
    static const char *const known[] = {"name", "description", "schema", "strict"};
    const char *key;
    json_t *v;
    if (!json_is_object(spec)) return api_fail(err, 400, "response_format", NULL, "'response_format.json_schema' must be an object");
    json_object_foreach(spec, key, v) {
        size_t k = 0;
        while (k < sizeof known / sizeof *known && strcmp(key, known[k])) k++;
        if (k == sizeof known / sizeof *known)
            return api_fail(err, 400, "response_format", NULL, "'response_format.json_schema' has an unknown field '%s'", key);
    }
    json_t *name = json_object_get(spec, "name"), *strict = json_object_get(spec, "strict");
    json_t *schema = json_object_get(spec, "schema");
    if (name && !json_is_string(name))
        return api_fail(err, 400, "response_format", NULL, "'response_format.json_schema.name' must be a string");
    if (strict && !json_is_boolean(strict) && !json_is_null(strict))
        return api_fail(err, 400, "response_format", NULL, "'response_format.json_schema.strict' must be true or false");
    if (!json_is_object(schema) && !json_is_boolean(schema))
        return api_fail(err, 400, "response_format", NULL, "'response_format.json_schema.schema' must be a JSON Schema object");
    char *text = json_dumps(schema, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!text) return api_fail(err, 500, NULL, NULL, "out of memory");
    lf_error e = {0};
    int rc = lf_grammar_from_json_schema(text, out, &e);
    free(text);
    return rc ? compile_failed(err, "response_format", &e) : 0;
}

int request_parse_grammar(json_t *root, lf_grammar **out, api_error *err) {
    json_t *grammar = json_object_get(root, "grammar"), *format = json_object_get(root, "response_format");
    lf_error e = {0};
    *out = NULL;
    if (json_is_null(grammar)) grammar = NULL;
    if (json_is_null(format)) format = NULL;
    if (grammar && !json_is_string(grammar)) return api_fail(err, 400, "grammar", NULL, "'grammar' must be a string (GBNF)");
    if (format && !json_is_object(format)) return api_fail(err, 400, "response_format", NULL, "'response_format' must be an object");
    json_t *type = format ? json_object_get(format, "type") : NULL;
    if (format && !json_is_string(type))
        return api_fail(err, 400, "response_format", NULL, "'response_format.type' must be \"text\", \"json_object\" or \"json_schema\"");
    const char *t = type ? json_string_value(type) : "text";
    if (strcmp(t, "text") && strcmp(t, "json_object") && strcmp(t, "json_schema"))
        return api_fail(err, 400, "response_format", NULL, "'response_format.type' must be \"text\", \"json_object\" or \"json_schema\", not \"%s\"", t);
    if (strcmp(t, "text") && grammar)
        return api_fail(err, 400, "grammar", NULL, "give 'grammar' or a JSON 'response_format', not both");
    if (grammar) {
        if (strlen(json_string_value(grammar)) != json_string_length(grammar))
            return api_fail(err, 400, "grammar", NULL, "'grammar' holds a NUL character");
        return lf_grammar_parse(json_string_value(grammar), NULL, out, &e) ? compile_failed(err, "grammar", &e) : 0;
    }
    const char *key;
    json_t *v;
    json_object_foreach(format, key, v) {
        if (strcmp(key, "type") && strcmp(key, !strcmp(t, "json_schema") ? "json_schema" : "type"))
            return api_fail(err, 400, "response_format", NULL, "'response_format' has a field '%s' that type \"%s\" does not take", key, t);
    }
    if (!strcmp(t, "json_object"))
        return lf_grammar_from_json_schema("{\"type\":\"json_object\"}", out, &e) ? compile_failed(err, "response_format", &e) : 0;
    if (!strcmp(t, "json_schema")) return parse_json_schema(json_object_get(format, "json_schema"), out, err);
    return 0;
}
