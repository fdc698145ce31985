#include "chat/tool_prompt.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/chat_json.h"
#include "core/error.h"

/* Hermes 2 Pro's function-calling system prompt, the format tool_calls.c parses first. */
static const char tools_intro[] =
    "You are a function calling AI model. You are provided with function signatures within <tools></tools> XML "
    "tags. You may call one or more functions to assist with the user query. Don't make assumptions about what "
    "values to plug into functions. Here are the available tools: <tools>";
static const char tools_outro[] =
    "</tools>\nFor each function call return a json object with function name and arguments within "
    "<tool_call></tool_call> XML tags as follows:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
    "<args-json-object>}\n</tool_call>";

/* Keeps s (malloc'd, may be NULL) for rw->msgs_owned; NULL when out of memory. */
static char *keep(chat_rewrite *rw, char *s) {
    if (s) rw->texts[rw->n_texts++] = s;
    return s;
}

static char *concat3(const char *a, const char *b, const char *c) {
    size_t na = strlen(a), nb = strlen(b), nc = strlen(c);
    char *s = malloc(na + nb + nc + 1);
    if (!s) return NULL;
    memcpy(s, a, na);
    memcpy(s + na, b, nb);
    memcpy(s + na + nb, c, nc + 1);
    return s;
}

/* "<tool_call>\n{"name": ..., "arguments": ...}\n</tool_call>" for each call, after text. */
static char *calls_as_text(const char *text, const char *calls_json) {
    json_t *calls = chat_tool_calls_parse(calls_json), *call;
    if (!calls) return NULL;
    char *out = strdup(text ? text : ""), *next;
    size_t i;
    json_array_foreach(calls, i, call) {
        json_t *fn = json_object_get(call, "function");
        json_t *one = json_pack("{s:O?,s:O?}", "name", json_object_get(fn, "name"), "arguments",
                                json_object_get(fn, "arguments"));
        char *body = one ? json_dumps(one, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
        json_decref(one);
        char *wrapped = body ? concat3(*out ? "\n<tool_call>\n" : "<tool_call>\n", body, "\n</tool_call>") : NULL;
        next = out && wrapped ? concat3(out, wrapped, "") : NULL;
        free(body);
        free(wrapped);
        free(out);
        if (!(out = next)) break;
    }
    json_decref(calls);
    return out;
}

static int rewrite_message(chat_rewrite *rw, const lf_chat_message *m, lf_chat_message *out, size_t i, lf_error *err) {
    *out = (lf_chat_message){.role = m->role, .content = m->content};
    if (m->tool_calls) {
        char *text = keep(rw, calls_as_text(m->content, m->tool_calls));
        if (!text) return lf_fail(err, LF_ERR_ARG, "chat template: message %zu: tool_calls is not a JSON array", i);
        out->content = text;
    } else if (!strcmp(m->role, "tool")) {
        out->role = "user";
        if (!(out->content = keep(rw, concat3("<tool_response>\n", m->content ? m->content : "", "\n</tool_response>"))))
            return lf_fail(err, LF_ERR_NOMEM, "chat template: out of memory");
    }
    return LF_OK;
}

int chat_tools_rewrite(const char *tmpl, const lf_chat_message *msgs, size_t n, const char *tools_json,
                       chat_rewrite *rw, lf_error *err) {
    *rw = (chat_rewrite){.msgs = msgs, .n = n};
    if (!tools_json || !tmpl || strstr(tmpl, "tools")) return LF_OK;
    json_t *tools = json_loads(tools_json, JSON_REJECT_DUPLICATES, NULL);
    char *listed = json_is_array(tools) ? json_dumps(tools, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    bool parsed = json_is_array(tools);
    json_decref(tools);
    if (!parsed) return lf_fail(err, LF_ERR_ARG, "chat template: tools is not a JSON array");
    bool has_system = n && msgs[0].role && !strcmp(msgs[0].role, "system");
    size_t n_out = n + !has_system;
    rw->msgs_owned = calloc(n_out, sizeof *rw->msgs_owned);
    rw->texts = calloc(n + 2, sizeof *rw->texts);
    char *intro = listed ? concat3(tools_intro, listed, tools_outro) : NULL;
    free(listed);
    if (!rw->msgs_owned || !rw->texts || !intro) {
        free(intro);
        chat_rewrite_free(rw);
        return lf_fail(err, LF_ERR_NOMEM, "chat template: out of memory");
    }
    keep(rw, intro);
    rw->msgs = rw->msgs_owned;
    rw->n = n_out;
    lf_chat_message *out = rw->msgs_owned;
    if (has_system) {
        char *joined = keep(rw, concat3(msgs[0].content ? msgs[0].content : "", "\n\n", intro));
        if (!joined) {
            chat_rewrite_free(rw);
            return lf_fail(err, LF_ERR_NOMEM, "chat template: out of memory");
        }
        *out++ = (lf_chat_message){.role = "system", .content = joined};
    } else {
        *out++ = (lf_chat_message){.role = "system", .content = intro};
    }
    for (size_t i = has_system; i < n; i++) {
        if (!msgs[i].role) {
            *out++ = msgs[i]; /* for the render to refuse, naming it */
            continue;
        }
        int rc = rewrite_message(rw, &msgs[i], out++, i, err);
        if (rc != LF_OK) {
            chat_rewrite_free(rw);
            return rc;
        }
    }
    return LF_OK;
}

void chat_rewrite_free(chat_rewrite *rw) {
    for (size_t i = 0; i < rw->n_texts; i++) free(rw->texts[i]);
    free(rw->texts);
    free(rw->msgs_owned);
    *rw = (chat_rewrite){0};
}
