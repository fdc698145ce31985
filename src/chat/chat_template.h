/* What lf_chat_apply_template and lf_chat_tokenize share. */
#ifndef LF_CHAT_CHAT_TEMPLATE_H
#define LF_CHAT_CHAT_TEMPLATE_H

#include "llamafast.h"

/* tmpl when not NULL, else the model's own template, else ChatML (with a warning). */
const char *chat_model_template(const lf_model *model, const char *tmpl);
/* lf_chat_template_render with the texts of tok's BOS and EOS tokens (none when tok is
 * NULL). marked: the messages carry tokenizer_mark_text's markers, which an error
 * message quoting them (raise_exception) must not show; the strings of tools_json and of
 * tool calls get their markers here. */
int chat_template_render_with(const lf_tokenizer *tok, const char *tmpl, const lf_chat_message *msgs, size_t n_msgs,
                              const char *tools_json, bool add_generation_prompt, bool marked, char **out,
                              lf_error *err);

#endif
