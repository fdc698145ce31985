#include "server/tool_answer.h"

#include <stdlib.h>
#include <string.h>

bool tool_parse_init(tool_parse *tp, server_state *st, const completion_request *r) {
    *tp = (tool_parse){0};
    if (!r->chat || !r->tools.tools_json || r->tools.choice == TOOL_CHOICE_NONE) return false;
    lf_model_info info;
    lf_model_get_info(st->model, &info);
    *tp = (tool_parse){.st = st, .tools_json = r->tools.tools_json, .format = lf_chat_tool_format(info.chat_template),
                       .single = !r->tools.parallel_tool_calls};
    return true;
}

int tool_parse_answer(const tool_parse *tp, const char *text, bool streaming, char **content, json_t **calls) {
    char *found = NULL;
    *calls = NULL;
    if (lf_chat_parse_tool_calls(tp->format, tp->tools_json, text, content, &found, NULL) != LF_OK) return -1;
    if (!found) return 0;
    json_t *parsed = json_loads(found, 0, NULL), *call;
    free(found);
    json_t *out = json_array();
    size_t i;
    json_array_foreach(parsed, i, call) {
        if (tp->single && i > 0) break;
        char id[64];
        server_new_id(tp->st, "call", id, sizeof id);
        json_t *one = json_pack("{s:s, s:s, s:{s:O, s:O}}", "id", id, "type", "function", "function", "name",
                                json_object_get(call, "name"), "arguments", json_object_get(call, "arguments"));
        if (one && streaming) json_object_set_new(one, "index", json_integer((json_int_t)i));
        if (!one || json_array_append_new(out, one)) break;
    }
    bool ok = parsed && out && json_array_size(out) == (tp->single ? 1 : json_array_size(parsed));
    json_decref(parsed);
    if (!ok) {
        json_decref(out);
        free(*content);
        *content = NULL;
        return -1;
    }
    *calls = out;
    return 0;
}

int tool_parse_set_message(const tool_parse *tp, json_t *choice, const char *text) {
    char *content = NULL;
    json_t *calls = NULL;
    if (tool_parse_answer(tp, text, false, &content, &calls)) return -1;
    json_t *message = json_object_get(choice, "message");
    int rc = 0;
    if (calls) {
        rc |= json_object_set_new(message, "content", *content ? json_string(content) : json_null());
        rc |= json_object_set_new(message, "tool_calls", calls);
        const char *finish = json_string_value(json_object_get(choice, "finish_reason"));
        if (finish && !strcmp(finish, "stop")) rc |= json_object_set_new(choice, "finish_reason", json_string("tool_calls"));
    }
    free(content);
    return rc ? -1 : 0;
}

/* Texts that open a call wherever they are, by format. */
static const char *opening(lf_tool_format format) {
    return format == LF_TOOL_FORMAT_MISTRAL ? "[TOOL_CALLS]"
           : format == LF_TOOL_FORMAT_HERMES ? "<tool_call>"
                                             : "<|python_tag|>";
}

static size_t leading_space(const char *s, size_t n) {
    size_t i = 0;
    while (i < n && strchr(" \t\r\n", s[i])) i++;
    return i;
}

/* The longest end of s[0, n) that is a proper start of word. */
static size_t partial_suffix(const char *s, size_t n, const char *word) {
    size_t w = strlen(word);
    for (size_t k = w - 1 < n ? w - 1 : n; k > 0; k--)
        if (!memcmp(s + n - k, word, k)) return k;
    return 0;
}

static int release(tool_stream *ts, size_t n, text_buffer *emit) {
    if (!ts->held.data) return 0;
    if (n && text_append(emit, ts->held.data, n)) return -1;
    memmove(ts->held.data, ts->held.data + n, ts->held.len - n + 1);
    ts->held.len -= n;
    return 0;
}

int tool_stream_push(tool_stream *ts, const tool_parse *tp, const char *text, size_t len, text_buffer *emit) {
    if (text_append(&ts->held, text, len)) return -1;
    if (ts->capturing || !ts->held.data) return 0;
    const char *open = opening(tp->format), *s = ts->held.data;
    size_t n = ts->held.len;
    if (!ts->passing) {
        /* the answer's start decides: a bare JSON call, an opening, or text */
        size_t sp = leading_space(s, n);
        if (sp == n) return 0;
        if (s[sp] == '{' || s[sp] == '[' || !strncmp(s + sp, open, strlen(open))) {
            ts->capturing = true;
            return 0;
        }
        if (n - sp < strlen(open) && !memcmp(s + sp, open, n - sp)) return 0;
        ts->passing = true;
    }
    const char *at = strstr(s, open);
    if (at) {
        ts->capturing = true;
        return release(ts, (size_t)(at - s), emit);
    }
    return release(ts, n - partial_suffix(s, n, open), emit);
}

int tool_stream_finish(tool_stream *ts, const tool_parse *tp, text_buffer *emit, json_t **calls) {
    *calls = NULL;
    if (!ts->capturing || !ts->held.len) return release(ts, ts->held.len, emit);
    char *content = NULL;
    if (tool_parse_answer(tp, ts->held.data, true, &content, calls)) return -1;
    int rc = *calls ? (*content ? text_append(emit, content, strlen(content)) : 0) : release(ts, ts->held.len, emit);
    free(content);
    return rc;
}

void tool_stream_free(tool_stream *ts) { text_free(&ts->held); }
