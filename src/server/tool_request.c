#include "server/tool_request.h"

#include <stdlib.h>
#include <string.h>

#include "server/request_fields.h"

#define MAX_TOOLS 128
#define MAX_NAME 64

/* OpenAI's rule for function names: [a-zA-Z0-9_-]{1,64}. */
static bool valid_name(json_t *name) {
    if (!json_is_string(name)) return false;
    size_t n = json_string_length(name);
    const char *s = json_string_value(name);
    if (n == 0 || n > MAX_NAME) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static int check_tool(json_t *tool, size_t i, api_error *err) {
    static const char *const tool_keys[] = {"type", "function", NULL};
    static const char *const fn_keys[] = {"name", "description", "parameters", "strict", NULL};
    json_t *type = json_object_get(tool, "type"), *fn = json_object_get(tool, "function");
    if (!json_is_object(tool) || !json_is_string(type) || strcmp(json_string_value(type), "function") ||
        !json_is_object(fn))
        return api_fail(err, 400, "tools", NULL, "tools[%zu] must be {\"type\": \"function\", \"function\": {...}}", i);
    const char *extra = request_unknown_key(tool, tool_keys);
    if (!extra) extra = request_unknown_key(fn, fn_keys);
    if (extra) return api_fail(err, 400, "tools", NULL, "tools[%zu]: unknown field '%s'", i, extra);
    if (!valid_name(json_object_get(fn, "name")))
        return api_fail(err, 400, "tools", NULL, "tools[%zu].function.name must be 1 to %d of a-z A-Z 0-9 _ -", i,
                        MAX_NAME);
    json_t *desc = json_object_get(fn, "description"), *params = json_object_get(fn, "parameters");
    json_t *strict = json_object_get(fn, "strict");
    if (desc && !json_is_string(desc))
        return api_fail(err, 400, "tools", NULL, "tools[%zu].function.description must be a string", i);
    if (params && !json_is_object(params))
        return api_fail(err, 400, "tools", NULL, "tools[%zu].function.parameters must be a JSON Schema object", i);
    if (strict && !json_is_boolean(strict) && !json_is_null(strict))
        return api_fail(err, 400, "tools", NULL, "tools[%zu].function.strict must be true or false", i);
    return 0;
}

static bool tool_named(json_t *tools, const char *name) {
    size_t i;
    json_t *tool;
    json_array_foreach(tools, i, tool) {
        if (!strcmp(json_string_value(json_object_get(json_object_get(tool, "function"), "name")), name)) return true;
    }
    return false;
}

static int parse_choice(json_t *choice, json_t *tools, tool_request *t, api_error *err) {
    if (!choice || json_is_null(choice)) return 0;
    if (json_is_string(choice)) {
        const char *s = json_string_value(choice);
        t->choice = !strcmp(s, "auto") ? TOOL_CHOICE_AUTO
                    : !strcmp(s, "none") ? TOOL_CHOICE_NONE
                    : !strcmp(s, "required") ? TOOL_CHOICE_REQUIRED
                    : (tool_choice)-1;
        if ((int)t->choice < 0)
            return api_fail(err, 400, "tool_choice", NULL, "'tool_choice' must be \"none\", \"auto\", \"required\" or "
                                                           "{\"type\": \"function\", \"function\": {\"name\": ...}}");
    } else {
        json_t *type = json_object_get(choice, "type");
        json_t *name = json_object_get(json_object_get(choice, "function"), "name");
        if (!json_is_object(choice) || !json_is_string(type) || strcmp(json_string_value(type), "function") ||
            !json_is_string(name))
            return api_fail(err, 400, "tool_choice", NULL,
                            "'tool_choice' must be a string or {\"type\": \"function\", \"function\": {\"name\": ...}}");
        if (!(t->choice_name = strdup(json_string_value(name)))) return api_fail(err, 500, NULL, NULL, "out of memory");
        t->choice = TOOL_CHOICE_NAMED;
    }
    if (t->choice != TOOL_CHOICE_NONE && t->choice != TOOL_CHOICE_AUTO && !tools)
        return api_fail(err, 400, "tool_choice", NULL, "'tool_choice' asks for a tool call but 'tools' is empty");
    if (t->choice == TOOL_CHOICE_NAMED && !tool_named(tools, t->choice_name))
        return api_fail(err, 400, "tool_choice", NULL, "'tool_choice' names '%s', which is not in 'tools'",
                        t->choice_name);
    return 0;
}

int tool_request_parse(json_t *root, tool_request *t, api_error *err) {
    *t = (tool_request){.parallel_tool_calls = true};
    json_t *tools = json_object_get(root, "tools"), *tool;
    if (json_is_null(tools)) tools = NULL;
    if (tools && !json_is_array(tools))
        return api_fail(err, 400, "tools", NULL, "'tools' must be an array of {\"type\": \"function\", ...}");
    if (tools && json_array_size(tools) > MAX_TOOLS)
        return api_fail(err, 400, "tools", NULL, "'tools' has %zu entries; at most %d are allowed",
                        json_array_size(tools), MAX_TOOLS);
    size_t i;
    json_array_foreach(tools, i, tool) {
        if (check_tool(tool, i, err)) return -1;
    }
    if (tools && json_array_size(tools) == 0) tools = NULL;
    if (tools && !(t->tools_json = json_dumps(tools, JSON_COMPACT)))
        return api_fail(err, 500, NULL, NULL, "out of memory");
    t->tools = json_incref(tools);
    json_t *parallel = json_object_get(root, "parallel_tool_calls");
    if (parallel && !json_is_null(parallel)) {
        if (!json_is_boolean(parallel))
            return api_fail(err, 400, "parallel_tool_calls", NULL, "'parallel_tool_calls' must be true or false");
        t->parallel_tool_calls = json_is_true(parallel);
    }
    return parse_choice(json_object_get(root, "tool_choice"), tools, t, err);
}

static int check_call(json_t *call, size_t i, size_t k, api_error *err) {
    json_t *fn = json_object_get(call, "function");
    json_t *id = json_object_get(call, "id"), *type = json_object_get(call, "type");
    if (!json_is_object(call) || !json_is_string(id) || (type && !json_is_string(type)) || !json_is_object(fn) ||
        !json_is_string(json_object_get(fn, "name")) || !json_is_string(json_object_get(fn, "arguments")))
        return api_fail(err, 400, "messages", NULL,
                        "messages[%zu].tool_calls[%zu] must be {\"id\", \"type\": \"function\", \"function\": "
                        "{\"name\", \"arguments\": \"<JSON text>\"}}",
                        i, k);
    return 0;
}

int tool_message_parse(json_t *m, size_t i, lf_chat_message *msg, api_error *err) {
    json_t *calls = json_object_get(m, "tool_calls"), *call;
    json_t *id = json_object_get(m, "tool_call_id"), *name = json_object_get(m, "name");
    if (id && !json_is_null(id) && !json_is_string(id))
        return api_fail(err, 400, "messages", NULL, "messages[%zu].tool_call_id must be a string", i);
    if (name && !json_is_null(name) && !json_is_string(name))
        return api_fail(err, 400, "messages", NULL, "messages[%zu].name must be a string", i);
    if ((json_is_string(id) && !(msg->tool_call_id = strdup(json_string_value(id)))) ||
        (json_is_string(name) && !(msg->name = strdup(json_string_value(name)))))
        return api_fail(err, 500, NULL, NULL, "out of memory");
    if (!calls || json_is_null(calls)) return 0;
    if (!json_is_array(calls))
        return api_fail(err, 400, "messages", NULL, "messages[%zu].tool_calls must be an array", i);
    size_t k;
    json_array_foreach(calls, k, call) {
        if (check_call(call, i, k, err)) return -1;
    }
    char *text = json_dumps(calls, JSON_COMPACT);
    if (!text) return api_fail(err, 500, NULL, NULL, "out of memory");
    msg->tool_calls = text;
    return 0;
}

void tool_request_free(tool_request *t) {
    json_decref(t->tools);
    free(t->tools_json);
    free(t->choice_name);
    *t = (tool_request){0};
}

/* {"type": "object", "properties": {"name": {"const": NAME}, "arguments": PARAMETERS},
 * "required": [...], "additionalProperties": false} for one tool. */
static json_t *call_schema(json_t *fn, bool any_arguments) {
    json_t *params = any_arguments ? NULL : json_object_get(fn, "parameters");
    json_t *args = params ? json_incref(params) : json_pack("{s:s}", "type", "object");
    return json_pack("{s:s, s:{s:{s:O}, s:o}, s:[s,s], s:b}", "type", "object", "properties", "name", "const",
                     json_object_get(fn, "name"), "arguments", args, "required", "name", "arguments",
                     "additionalProperties", 0);
}

char *tool_call_schema(const tool_request *t, bool any_arguments) {
    if (t->choice != TOOL_CHOICE_REQUIRED && t->choice != TOOL_CHOICE_NAMED) return NULL;
    json_t *tool, *any = json_array();
    size_t i;
    json_array_foreach(t->tools, i, tool) {
        json_t *fn = json_object_get(tool, "function");
        if (t->choice == TOOL_CHOICE_NAMED && strcmp(json_string_value(json_object_get(fn, "name")), t->choice_name))
            continue;
        json_array_append_new(any, call_schema(fn, any_arguments));
    }
    json_t *schema = json_array_size(any) == 1 ? json_incref(json_array_get(any, 0)) : json_pack("{s:O}", "anyOf", any);
    char *text = schema ? json_dumps(schema, JSON_COMPACT) : NULL;
    json_decref(schema);
    json_decref(any);
    return text;
}

/* Whether a forced function asks for its schema to be kept exactly (strict: true). */
static bool strict_wanted(const tool_request *t) {
    json_t *tool;
    bool strict = false;
    size_t i;
    json_array_foreach(t->tools, i, tool) {
        json_t *fn = json_object_get(tool, "function");
        bool named = t->choice != TOOL_CHOICE_NAMED || !strcmp(json_string_value(json_object_get(fn, "name")), t->choice_name);
        strict |= named && json_is_true(json_object_get(fn, "strict"));
    }
    return strict;
}

int tool_request_grammar(const tool_request *t, bool structured, lf_grammar **grammar, api_error *err) {
    if (t->choice != TOOL_CHOICE_REQUIRED && t->choice != TOOL_CHOICE_NAMED) return 0;
    if (structured)
        return api_fail(err, 400, "tool_choice", NULL,
                        "a forced tool call cannot be combined with 'response_format' or 'grammar'");
    lf_error e = {0};
    char *schema = tool_call_schema(t, false);
    int rc = schema ? lf_grammar_from_json_schema(schema, grammar, &e) : LF_ERR_NOMEM;
    free(schema);
    if (rc == LF_ERR_NOMEM) return api_fail(err, 500, NULL, NULL, "out of memory");
    if (rc == LF_OK) return 0;
    if (strict_wanted(t))
        return api_fail(err, 400, "tools", NULL, "a strict function's parameters cannot be enforced: %s", e.message);
    /* a schema the grammar engine does not take still gets a call of a tool with an object */
    schema = tool_call_schema(t, true);
    rc = schema ? lf_grammar_from_json_schema(schema, grammar, &e) : LF_ERR_NOMEM;
    free(schema);
    return rc == LF_OK ? 0 : api_fail(err, rc == LF_ERR_NOMEM ? 500 : 400, "tools", NULL, "%s", e.message);
}
