#include "chat/chat_json.h"

#include <stdlib.h>
#include <string.h>

#include "chat/jinja_runtime.h"
#include "tokenizer/tokenizer.h"

static jv string_value(jinja_ctx *c, const char *s, size_t n, const lf_tokenizer *mark) {
    if (!mark) return jv_str_copy(c->rt, s, n);
    char *marked = tokenizer_mark_text(mark, s);
    if (!marked) jinja_fail(c->rt, 0, "out of memory");
    jv v = jv_str_copy(c->rt, marked, strlen(marked));
    free(marked);
    return v;
}

jv chat_json_value(jinja_ctx *c, json_t *v, const lf_tokenizer *mark) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        jinja_enter(c->rt, 0);
        jv d = jv_new_dict(c->rt, JV_DICT);
        const char *key;
        json_t *item;
        json_object_foreach(v, key, item) {
            jv_dict_set(c->rt, d, string_value(c, key, strlen(key), mark), chat_json_value(c, item, mark));
        }
        jinja_leave(c->rt);
        return d;
    }
    case JSON_ARRAY: {
        jinja_enter(c->rt, 0);
        jv list = jv_new_list(c->rt, json_array_size(v));
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) jv_list_push(c->rt, list, chat_json_value(c, item, mark));
        jinja_leave(c->rt);
        return list;
    }
    case JSON_STRING: return string_value(c, json_string_value(v), json_string_length(v), mark);
    case JSON_INTEGER: return jv_int(json_integer_value(v));
    case JSON_REAL: return jv_float(json_real_value(v));
    case JSON_TRUE: return jv_bool(true);
    case JSON_FALSE: return jv_bool(false);
    default: return jv_none();
    }
}

json_t *chat_tool_calls_parse(const char *calls_json) {
    json_t *calls = json_loads(calls_json, JSON_REJECT_DUPLICATES, NULL), *call;
    if (!json_is_array(calls)) {
        json_decref(calls);
        return NULL;
    }
    size_t i;
    json_array_foreach(calls, i, call) {
        json_t *fn = json_object_get(call, "function");
        json_t *args = json_object_get(fn, "arguments");
        if (!json_is_string(args)) continue;
        json_t *parsed = json_loads(json_string_value(args), JSON_REJECT_DUPLICATES, NULL);
        if (json_is_object(parsed)) json_object_set(fn, "arguments", parsed);
        json_decref(parsed);
    }
    return calls;
}
