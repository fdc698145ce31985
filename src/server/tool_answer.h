/* The tool calls in a chat answer, as OpenAI returns them: message.tool_calls (with
 * finish_reason "tool_calls"), or streamed as delta.tool_calls. While streaming, text that
 * may open a call is held back, and from a call's opening on the answer is kept until it
 * ends: a call goes out whole, in one delta, and text that turned out to be no call goes
 * out as content then. */
#ifndef LF_SERVER_TOOL_ANSWER_H
#define LF_SERVER_TOOL_ANSWER_H

#include <jansson.h>
#include <stdbool.h>

#include "server/request.h"
#include "server/server_state.h"
#include "server/text_buffer.h"

typedef struct tool_parse {
    server_state *st;
    const char *tools_json; /* borrowed from the request */
    lf_tool_format format;
    bool single;            /* parallel_tool_calls false: the first call only */
} tool_parse;

/* Whether r's answers are read for tool calls (tools given, tool_choice not "none"); fills
 * tp when they are. */
bool tool_parse_init(tool_parse *tp, server_state *st, const completion_request *r);

/* The calls of text as OpenAI's tool_calls array, new ids given (index added when
 * streaming), and the text outside them in *content (malloc'd). *calls is NULL when text
 * makes no call. Returns -1 when out of memory. */
int tool_parse_answer(const tool_parse *tp, const char *text, bool streaming, char **content, json_t **calls);

/* Sets the message of a whole answer's choice object: content (null when only calls) and
 * tool_calls, with finish_reason "tool_calls" when it stopped by itself. */
int tool_parse_set_message(const tool_parse *tp, json_t *choice, const char *text);

typedef struct tool_stream {
    text_buffer held;
    bool passing;   /* text is streamed, watching for a call's opening */
    bool capturing; /* a call opened: everything is kept for the end */
} tool_stream;

/* Adds text; appends to emit what can be streamed as content now. -1 when out of memory. */
int tool_stream_push(tool_stream *ts, const tool_parse *tp, const char *text, size_t len, text_buffer *emit);
/* The answer ended: appends the content still held to emit and sets *calls (delta shape)
 * or NULL. -1 when out of memory. */
int tool_stream_finish(tool_stream *ts, const tool_parse *tp, text_buffer *emit, json_t **calls);
void tool_stream_free(tool_stream *ts);

#endif
