/* The function-calling fields of a chat request: tools, tool_choice, parallel_tool_calls,
 * and the tool fields of messages (an assistant's tool_calls, a tool's tool_call_id). */
#ifndef LF_SERVER_TOOL_REQUEST_H
#define LF_SERVER_TOOL_REQUEST_H

#include <jansson.h>
#include <stdbool.h>

#include "llamafast.h"
#include "server/api_error.h"

typedef enum tool_choice { TOOL_CHOICE_AUTO, TOOL_CHOICE_NONE, TOOL_CHOICE_REQUIRED, TOOL_CHOICE_NAMED } tool_choice;

typedef struct tool_request {
    json_t *tools;            /* the validated tools array (not empty), or NULL */
    char *tools_json;         /* the same as JSON text, for the library's calls */
    tool_choice choice;
    char *choice_name;        /* TOOL_CHOICE_NAMED: the function */
    bool parallel_tool_calls; /* false: at most one call per answer */
} tool_request;

/* Reads tools, tool_choice and parallel_tool_calls of a chat request. Returns 0, or -1
 * with err set to a 400 naming the field. */
int tool_request_parse(json_t *root, tool_request *t, api_error *err);
/* Reads the tool fields of message i (m) into msg as malloc'd strings: tool_calls (as JSON
 * text), tool_call_id and name. Returns as above. */
int tool_message_parse(json_t *m, size_t i, lf_chat_message *msg, api_error *err);
void tool_request_free(tool_request *t);
/* For tool_choice "required" or a named function: the JSON Schema (malloc'd text) of the
 * one call object the answer must be, {"name": ..., "arguments": {...}} with the
 * arguments of the function's parameters schema (any object with any_arguments); NULL
 * otherwise (or out of memory). */
char *tool_call_schema(const tool_request *t, bool any_arguments);
/* For tool_choice "required" or a named function, *grammar becomes the grammar of that
 * call object (untouched otherwise). A parameters schema the grammar engine refuses is
 * relaxed to any object, unless the function is strict. Returns 0, or -1 with err: 400
 * when structured (response_format or grammar given too) or strict cannot be kept. */
int tool_request_grammar(const tool_request *t, bool structured, lf_grammar **grammar, api_error *err);

#endif
