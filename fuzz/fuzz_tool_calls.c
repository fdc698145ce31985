/* libFuzzer target for tool calls in answers: lf_chat_parse_tool_calls (src/chat/
 * tool_calls.c) and the server's streaming watch (src/server/tool_answer.c, compiled in
 * here because the server is not part of the library). The first byte picks the format,
 * whether a tools list is given and the piece size; the rest is the answer. Checked: an
 * answer without calls is all content; calls are a JSON array of {name, arguments} with
 * arguments JSON text; streamed pieces give what the whole answer gives. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/text_buffer.c"
#include "server/tool_answer.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void server_new_id(server_state *st, const char *prefix, char *out, size_t cap) {
    (void)st;
    snprintf(out, cap, "%s-0", prefix);
}

static const char tools[] = "[{\"type\":\"function\",\"function\":{\"name\":\"f\"}},"
                            "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}]";

static void check_calls(const char *calls) {
    json_t *v = json_loads(calls, 0, NULL), *call;
    if (!json_is_array(v) || json_array_size(v) == 0) abort();
    size_t i;
    json_array_foreach(v, i, call) {
        json_t *args = json_object_get(call, "arguments");
        if (!json_is_string(json_object_get(call, "name")) || !json_is_string(args)) abort();
    }
    json_decref(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    lf_tool_format format = (lf_tool_format)(data[0] % 3);
    const char *known = data[0] & 4 ? tools : NULL;
    size_t piece = 1 + (data[0] >> 3);
    char *text = strndup((const char *)data + 1, size - 1); /* up to the first NUL */
    char *content = NULL, *calls = NULL;
    if (lf_chat_parse_tool_calls(format, known, text, &content, &calls, NULL) != LF_OK) abort();
    if (!calls && strcmp(content, text)) abort();
    if (calls) check_calls(calls);

    tool_parse tp = {.tools_json = known, .format = format};
    tool_stream ts = {0};
    text_buffer emit = {0};
    size_t len = strlen(text);
    for (size_t at = 0; at < len; at += piece)
        if (tool_stream_push(&ts, &tp, text + at, len - at < piece ? len - at : piece, &emit)) abort();
    json_t *streamed_calls = NULL;
    if (tool_stream_finish(&ts, &tp, &emit, &streamed_calls)) abort();
    /* without calls, every byte streams, in order */
    if (!streamed_calls && (emit.len != len || (len && memcmp(emit.data, text, len)))) abort();
    json_decref(streamed_calls);
    text_free(&emit);
    tool_stream_free(&ts);
    free(content);
    free(calls);
    free(text);
    return 0;
}
