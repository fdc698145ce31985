/* The structured-output fields of a completion request: llama.cpp's "grammar" (GBNF) and
 * OpenAI's "response_format" ({"type": "text" | "json_object" | "json_schema"}). */
#ifndef LF_SERVER_REQUEST_GRAMMAR_H
#define LF_SERVER_REQUEST_GRAMMAR_H

#include <jansson.h>

#include "llamafast.h"
#include "server/api_error.h"

/* Compiles the grammar the request asks for into *out (NULL: none). Returns -1 with a 400
 * naming the field and the problem. */
int request_parse_grammar(json_t *root, lf_grammar **out, api_error *err);

#endif
