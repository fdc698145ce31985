/* lf_chat_tokenize: a conversation rendered with its chat template and tokenized so that
 * only the template's own markup becomes special tokens. What came from the messages
 * (roles and contents) is marked before rendering (tokenizer_mark_text), so a message
 * that spells "<|im_end|>" is tokenized as that text, never as the control token. */
#include <stdlib.h>
#include <string.h>

#include "chat/chat_template.h"
#include "chat/tool_prompt.h"
#include "core/error.h"
#include "tokenizer/tokenizer.h"

#define MARKED_PER_MESSAGE 4

/* Marks every string of msgs into marked (owned[MARKED_PER_MESSAGE * n] keeps the copies);
 * tool calls stay JSON text, marked string by string as they are rendered. */
static int mark_messages(const lf_tokenizer *tok, const lf_chat_message *msgs, size_t n, lf_chat_message *marked,
                         char **owned) {
    for (size_t i = 0; i < n; i++) {
        const char *texts[MARKED_PER_MESSAGE] = {msgs[i].role, msgs[i].content, msgs[i].tool_call_id, msgs[i].name};
        char **mine = owned + MARKED_PER_MESSAGE * i;
        for (int k = 0; k < MARKED_PER_MESSAGE; k++) {
            if (texts[k] && !(mine[k] = tokenizer_mark_text(tok, texts[k]))) return LF_ERR_NOMEM;
        }
        /* a NULL role stays NULL, for lf_chat_template_render to refuse */
        marked[i] = (lf_chat_message){.role = mine[0], .content = mine[1], .tool_calls = msgs[i].tool_calls,
                                      .tool_call_id = mine[2], .name = mine[3]};
    }
    return LF_OK;
}

/* Renders and tokenizes the marked messages; *all is malloc'd. */
static int render_and_encode(const lf_tokenizer *tok, const char *tmpl, const lf_chat_message *marked, size_t n,
                             const char *tools_json, bool add_generation_prompt, int32_t **all, size_t *n_all,
                             lf_error *err) {
    char *text = NULL;
    int rc = chat_template_render_with(tok, tmpl, marked, n, tools_json, add_generation_prompt, true, &text, err);
    if (rc != LF_OK) return rc;
    rc = tokenizer_encode_marked(tok, text, strlen(text), all, n_all);
    if (rc != LF_OK) rc = lf_fail(err, rc, "chat tokenize: out of memory for %zu bytes of prompt", strlen(text));
    free(text);
    return rc;
}

static int tokenize_rewritten(const lf_tokenizer *tok, const char *tmpl, const lf_chat_message *msgs, size_t n_msgs,
                              const char *tools_json, bool add_generation_prompt, int32_t *ids, size_t cap,
                              size_t *n_ids, lf_error *err) {
    lf_chat_message *marked = calloc(n_msgs ? n_msgs : 1, sizeof *marked);
    char **owned = n_msgs <= SIZE_MAX / MARKED_PER_MESSAGE
                       ? calloc(n_msgs ? MARKED_PER_MESSAGE * n_msgs : 1, sizeof *owned)
                       : NULL;
    int32_t *all = NULL;
    size_t n_all = 0;
    int rc = marked && owned ? mark_messages(tok, msgs, n_msgs, marked, owned) : LF_ERR_NOMEM;
    if (rc != LF_OK) rc = lf_fail(err, rc, "chat tokenize: out of memory for %zu messages", n_msgs);
    else rc = render_and_encode(tok, tmpl, marked, n_msgs, tools_json, add_generation_prompt, &all, &n_all, err);
    if (rc == LF_OK) {
        if (cap && n_all) memcpy(ids, all, (n_all < cap ? n_all : cap) * sizeof *ids);
        *n_ids = n_all;
    }
    for (size_t i = 0; owned && i < MARKED_PER_MESSAGE * n_msgs; i++) free(owned[i]);
    free(owned);
    free(marked);
    free(all);
    return rc;
}

static int template_tokenize(const lf_tokenizer *tok, const char *tmpl, const lf_chat_message *msgs, size_t n_msgs,
                             const char *tools_json, bool add_generation_prompt, int32_t *ids, size_t cap,
                             size_t *n_ids, lf_error *err) {
    lf_error local;
    if (!err) err = &local;
    if (n_ids) *n_ids = 0;
    if (!tok || !tmpl || (!ids && cap) || !n_ids || (n_msgs && !msgs))
        return lf_fail(err, LF_ERR_ARG, "chat tokenize: NULL tokenizer, template, messages, ids or n_ids");
    chat_rewrite rw;
    int rc = chat_tools_rewrite(tmpl, msgs, n_msgs, tools_json, &rw, err);
    if (rc == LF_OK)
        rc = tokenize_rewritten(tok, tmpl, rw.msgs, rw.n, tools_json, add_generation_prompt, ids, cap, n_ids, err);
    chat_rewrite_free(&rw);
    return rc;
}

int lf_chat_template_tokenize(const lf_tokenizer *tok, const char *tmpl, const lf_chat_message *msgs, size_t n_msgs,
                              bool add_generation_prompt, int32_t *ids, size_t cap, size_t *n_ids, lf_error *err) {
    return template_tokenize(tok, tmpl, msgs, n_msgs, NULL, add_generation_prompt, ids, cap, n_ids, err);
}

int lf_chat_tokenize_tools(const lf_model *model, const char *tmpl, const lf_chat_message *msgs, size_t n_msgs,
                           const char *tools_json, bool add_generation_prompt, int32_t *ids, size_t cap,
                           size_t *n_ids, lf_error *err) {
    if (n_ids) *n_ids = 0;
    if (!model || !lf_model_tokenizer(model))
        return lf_fail(err, LF_ERR_ARG, "chat tokenize: %s", model ? "the model has no tokenizer" : "no model");
    return template_tokenize(lf_model_tokenizer(model), chat_model_template(model, tmpl), msgs, n_msgs, tools_json,
                             add_generation_prompt, ids, cap, n_ids, err);
}

int lf_chat_tokenize(const lf_model *model, const char *tmpl, const lf_chat_message *msgs, size_t n_msgs,
                     bool add_generation_prompt, int32_t *ids, size_t cap, size_t *n_ids, lf_error *err) {
    return lf_chat_tokenize_tools(model, tmpl, msgs, n_msgs, NULL, add_generation_prompt, ids, cap, n_ids, err);
}
