/* lf_chat_tool_format and lf_chat_parse_tool_calls: the tool calls in a model's answer. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "llamafast.h"

lf_tool_format lf_chat_tool_format(const char *tmpl) {
    if (!tmpl) return LF_TOOL_FORMAT_HERMES;
    if (strstr(tmpl, "[TOOL_CALLS]")) return LF_TOOL_FORMAT_MISTRAL;
    if (strstr(tmpl, "<tool_call>")) return LF_TOOL_FORMAT_HERMES;
    if (strstr(tmpl, "<|python_tag|>") || (strstr(tmpl, "ipython") && strstr(tmpl, "parameters")))
        return LF_TOOL_FORMAT_LLAMA3;
    return LF_TOOL_FORMAT_HERMES;
}

typedef struct parse_state {
    json_t *calls;        /* [{"name", "arguments"}] */
    json_t *known;        /* tools_json parsed, or NULL: any name goes */
    char *content;        /* the text outside calls */
    size_t n_content;
} parse_state;

static const char *skip_space(const char *s) {
    while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r') s++;
    return s;
}

static bool known_name(const parse_state *p, const char *name) {
    if (!p->known) return true;
    size_t i;
    json_t *tool;
    json_array_foreach(p->known, i, tool) {
        json_t *fn_name = json_object_get(json_object_get(tool, "function"), "name");
        if (json_is_string(fn_name) && !strcmp(json_string_value(fn_name), name)) return true;
    }
    return false;
}

/* Adds the call one ({"name", "arguments"|"parameters"}) to p->calls; false when it is
 * not a call of a known function. */
static bool add_call(parse_state *p, json_t *one) {
    json_t *name = json_object_get(one, "name");
    json_t *args = json_object_get(one, "arguments");
    if (!args) args = json_object_get(one, "parameters");
    if (!json_is_string(name) || !known_name(p, json_string_value(name))) return false;
    if (!args) args = json_object(); /* a function without parameters */
    else json_incref(args);
    char *text = json_is_string(args) ? strdup(json_string_value(args))
                                      : json_dumps(args, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(args);
    json_t *call = text ? json_pack("{s:O,s:s}", "name", name, "arguments", text) : NULL;
    free(text);
    return call && !json_array_append_new(p->calls, call);
}

static bool add_calls(parse_state *p, json_t *v) {
    if (json_is_object(v)) return add_call(p, v);
    if (!json_is_array(v) || json_array_size(v) == 0) return false;
    size_t i;
    json_t *one;
    json_array_foreach(v, i, one) {
        if (!json_is_object(one) || !add_call(p, one)) return false;
    }
    return true;
}

/* The JSON value in s[0, n), trailing space allowed. */
static json_t *load_exact(const char *s, size_t n) {
    return json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
}

static void keep_content(parse_state *p, const char *s, size_t n) {
    memcpy(p->content + p->n_content, s, n);
    p->n_content += n;
}

/* Hermes: <tool_call>{...}</tool_call> anywhere, the last one possibly unclosed. */
static bool parse_tagged(parse_state *p, const char *text, const char *open, const char *close) {
    const char *s = text, *at;
    bool any = false;
    while ((at = strstr(s, open))) {
        keep_content(p, s, (size_t)(at - s));
        const char *body = at + strlen(open), *end = strstr(body, close);
        size_t n = end ? (size_t)(end - body) : strlen(body);
        json_t *v = load_exact(body, n);
        bool ok = add_calls(p, v);
        json_decref(v);
        if (!ok) return false;
        any = true;
        s = end ? end + strlen(close) : body + n;
    }
    keep_content(p, s, strlen(s));
    return any;
}

/* Mistral: [TOOL_CALLS] then a JSON array of calls, to the end. */
static bool parse_prefixed(parse_state *p, const char *text, const char *marker) {
    const char *at = strstr(text, marker);
    if (!at) return false;
    json_t *v = load_exact(at + strlen(marker), strlen(at + strlen(marker)));
    bool ok = add_calls(p, v);
    json_decref(v);
    if (ok) keep_content(p, text, (size_t)(at - text));
    return ok;
}

/* The whole answer is one call object (or, for Llama 3, one after <|python_tag|>). */
static bool parse_bare(parse_state *p, const char *text) {
    const char *s = skip_space(text);
    if (!strncmp(s, "<|python_tag|>", 14)) s += 14;
    json_t *v = load_exact(s, strlen(s));
    bool ok = json_is_object(v) && add_call(p, v);
    json_decref(v);
    return ok;
}

static void reset(parse_state *p) {
    json_array_clear(p->calls);
    p->n_content = 0;
}

static bool parse_format(parse_state *p, lf_tool_format format, const char *text) {
    bool found = false;
    if (format == LF_TOOL_FORMAT_HERMES) found = parse_tagged(p, text, "<tool_call>", "</tool_call>");
    if (format == LF_TOOL_FORMAT_MISTRAL) found = parse_prefixed(p, text, "[TOOL_CALLS]");
    if (!found) {
        reset(p);
        found = parse_bare(p, text);
    }
    if (!found) reset(p);
    return found;
}

int lf_chat_parse_tool_calls(lf_tool_format format, const char *tools_json, const char *text, char **content,
                             char **calls, lf_error *err) {
    if (!text || !content || !calls) return lf_fail(err, LF_ERR_ARG, "tool calls: NULL text or output");
    *content = *calls = NULL;
    parse_state p = {.calls = json_array(), .content = malloc(strlen(text) + 1)};
    if (tools_json) p.known = json_loads(tools_json, 0, NULL);
    int rc = LF_OK;
    if (!p.calls || !p.content || (tools_json && !p.known)) {
        rc = p.calls && p.content ? lf_fail(err, LF_ERR_ARG, "tool calls: tools is not valid JSON")
                                  : lf_fail(err, LF_ERR_NOMEM, "tool calls: out of memory");
    } else if (parse_format(&p, format, text)) {
        p.content[p.n_content] = 0;
        /* the space that separated text from the calls is not content */
        while (p.n_content && strchr(" \n\t\r", p.content[p.n_content - 1])) p.content[--p.n_content] = 0;
        *calls = json_dumps(p.calls, JSON_COMPACT | JSON_ENSURE_ASCII);
        *content = p.content;
        p.content = NULL;
        if (!*calls) rc = lf_fail(err, LF_ERR_NOMEM, "tool calls: out of memory");
    } else {
        *content = strcpy(p.content, text);
        p.content = NULL;
    }
    if (rc != LF_OK) {
        free(*content);
        free(*calls);
        *content = *calls = NULL;
    }
    free(p.content);
    json_decref(p.calls);
    json_decref(p.known);
    return rc;
}
