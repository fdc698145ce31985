/* lf_chat_tokenize: a conversation rendered with its chat template and tokenized so that
 * only the template's own markup becomes special tokens. What came from the messages
 * (roles and contents) is marked before rendering (tokenizer_mark_text), so a message
 * that spells "<|im_end|>" is tokenized as that text, never as the control token. */
#include <stdlib.h>
#include <string.h>

#include "chat/chat_template.h"
#include "core/error.h"
#include "tokenizer/tokenizer.h"

/* Marks every role and content of msgs into marked (owned[2 * n] keeps the copies). */
static int mark_messages(const lf_tokenizer *tok, const lf_chat_message *msgs, size_t n, lf_chat_message *marked,
                         char **owned) {
    for (size_t i = 0; i < n; i++) {
        const char *texts[2] = {msgs[i].role, msgs[i].content};
        for (int k = 0; k < 2; k++) {
            if (texts[k] && !(owned[2 * i + k] = tokenizer_mark_text(tok, texts[k]))) return LF_ERR_NOMEM;
        }
        /* a NULL role stays NULL, for lf_chat_template_render to refuse */
        marked[i] = (lf_chat_message){owned[2 * i], owned[2 * i + 1]};
    }
    return LF_OK;
}

/* Renders and tokenizes the marked messages; *all is malloc'd. */
static int render_and_encode(const lf_tokenizer *tok, const char *tmpl, const lf_chat_message *marked, size_t n,
                             bool add_generation_prompt, int32_t **all, size_t *n_all, lf_error *err) {
    char *text = NULL;
    int rc = chat_template_render_with(tok, tmpl, marked, n, add_generation_prompt, true, &text, err);
    if (rc != LF_OK) return rc;
    rc = tokenizer_encode_marked(tok, text, strlen(text), all, n_all);
    if (rc != LF_OK) rc = lf_fail(err, rc, "chat tokenize: out of memory for %zu bytes of prompt", strlen(text));
    free(text);
    return rc;
}

int lf_chat_template_tokenize(const lf_tokenizer *tok, const char *tmpl, const lf_chat_message *msgs, size_t n_msgs,
                              bool add_generation_prompt, int32_t *ids, size_t cap, size_t *n_ids, lf_error *err) {
    lf_error local;
    if (!err) err = &local;
    if (n_ids) *n_ids = 0;
    if (!tok || !tmpl || (!ids && cap) || !n_ids || (n_msgs && !msgs))
        return lf_fail(err, LF_ERR_ARG, "chat tokenize: NULL tokenizer, template, messages, ids or n_ids");
    lf_chat_message *marked = calloc(n_msgs ? n_msgs : 1, sizeof *marked);
    char **owned = n_msgs <= SIZE_MAX / 2 ? calloc(n_msgs ? 2 * n_msgs : 1, sizeof *owned) : NULL;
    int32_t *all = NULL;
    size_t n_all = 0;
    int rc = marked && owned ? mark_messages(tok, msgs, n_msgs, marked, owned) : LF_ERR_NOMEM;
    if (rc != LF_OK) rc = lf_fail(err, rc, "chat tokenize: out of memory for %zu messages", n_msgs);
    else rc = render_and_encode(tok, tmpl, marked, n_msgs, add_generation_prompt, &all, &n_all, err);
    if (rc == LF_OK) {
        if (cap && n_all) memcpy(ids, all, (n_all < cap ? n_all : cap) * sizeof *ids);
        *n_ids = n_all;
    }
    for (size_t i = 0; owned && i < 2 * n_msgs; i++) free(owned[i]);
    free(owned);
    free(marked);
    free(all);
    return rc;
}

int lf_chat_tokenize(const lf_model *model, const char *tmpl, const lf_chat_message *msgs, size_t n_msgs,
                     bool add_generation_prompt, int32_t *ids, size_t cap, size_t *n_ids, lf_error *err) {
    if (n_ids) *n_ids = 0;
    if (!model || !lf_model_tokenizer(model))
        return lf_fail(err, LF_ERR_ARG, "chat tokenize: %s", model ? "the model has no tokenizer" : "no model");
    return lf_chat_template_tokenize(lf_model_tokenizer(model), chat_model_template(model, tmpl), msgs, n_msgs,
                                     add_generation_prompt, ids, cap, n_ids, err);
}
