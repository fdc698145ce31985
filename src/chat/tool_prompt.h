/* Tools for a chat template that never mentions them: the conversation rewritten so the
 * model still learns of its tools and sees its earlier calls and their results, in the
 * Hermes format (see lf_chat_template_render_tools). */
#ifndef LF_CHAT_TOOL_PROMPT_H
#define LF_CHAT_TOOL_PROMPT_H

#include <stddef.h>

#include "llamafast.h"

typedef struct chat_rewrite {
    const lf_chat_message *msgs; /* the messages to render: the caller's, or msgs_owned */
    size_t n;
    lf_chat_message *msgs_owned;
    char **texts; /* the strings msgs_owned points to that were built here */
    size_t n_texts;
} chat_rewrite;

/* Fills rw with msgs as they are, or rewritten when tools_json is not NULL and tmpl never
 * mentions tools. Returns LF_OK, or LF_ERR_ARG (tools_json or a message's tool_calls is not
 * valid JSON of its shape) / LF_ERR_NOMEM with err set. */
int chat_tools_rewrite(const char *tmpl, const lf_chat_message *msgs, size_t n, const char *tools_json,
                       chat_rewrite *rw, lf_error *err);
void chat_rewrite_free(chat_rewrite *rw);

#endif
