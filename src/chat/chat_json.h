/* JSON a client sent (tool definitions, tool calls) as values a chat template sees:
 * objects as dicts in their key order, arrays as lists, numbers, strings, booleans, null. */
#ifndef LF_CHAT_CHAT_JSON_H
#define LF_CHAT_CHAT_JSON_H

#include <jansson.h>

#include "chat/jinja_eval.h"
#include "llamafast.h"

/* mark: when not NULL, every string (keys too) goes through tokenizer_mark_text with it,
 * so that what the client wrote is tokenized as text (see lf_chat_tokenize). Fails the
 * render (longjmp) when out of memory or nested deeper than the templates allow. */
jv chat_json_value(jinja_ctx *c, json_t *v, const lf_tokenizer *mark);

/* The tool calls of an assistant message (OpenAI's [{"id", "type", "function": {"name",
 * "arguments"}}]) as templates expect them: "arguments" that is a string holding a JSON
 * object becomes that object, as chat templates are written for (tojson on it). NULL
 * when calls_json does not parse (the render fails with a message naming the message). */
json_t *chat_tool_calls_parse(const char *calls_json);

#endif
