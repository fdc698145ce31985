#include "cli/chat_prompt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tokenizes rendered text into ids[0, cap) and sets *n to the full count (more than cap
 * when it does not fit). Special tokens written by the template are parsed. BOS is
 * prepended only when the tokenizer asks for it and the template did not already write it
 * (Llama 3 templates start with bos_token). */
static int tokenize_rendered(const lf_tokenizer *tok, const char *text, int32_t *ids, size_t cap, size_t *n,
                             lf_error *err) {
    size_t n_bos = 0;
    int32_t bos_probe[1];
    int rc = lf_tokenize(tok, "", 0, 0, bos_probe, 1, &n_bos, err);
    if (!rc) rc = lf_tokenize(tok, text, strlen(text), LF_TOKENIZE_NO_BOS | LF_TOKENIZE_PARSE_SPECIAL, ids + 1, cap - 1,
                              n, err);
    if (rc) return rc;
    int32_t bos = lf_token_bos(tok);
    if (n_bos == 1 && bos >= 0 && !(*n > 0 && ids[1] == bos)) {
        ids[0] = bos;
        ++*n;
    } else {
        memmove(ids, ids + 1, (*n < cap - 1 ? *n : cap - 1) * sizeof *ids);
    }
    return LF_OK;
}

/* Renders the system prompt (if any) and msgs[from, n) of c, and tokenizes the text. */
static int render(const chat_prompt_request *req, const chat_conversation *c, size_t from, lf_chat_message *view,
                  int32_t *ids, size_t *n, lf_error *err) {
    size_t first = chat_conversation_first_turn(c), n_view = first + (c->n - from);
    memcpy(view, c->msgs, first * sizeof *view);
    memcpy(view + first, c->msgs + from, (c->n - from) * sizeof *view);
    char *text = NULL;
    int rc = lf_chat_apply_template(req->model, req->tmpl, view, n_view, true, &text, err);
    if (!rc) rc = tokenize_rendered(lf_model_tokenizer(req->model), text, ids, (size_t)req->n_ctx + 1, n, err);
    free(text);
    return rc;
}

int chat_prompt_build(const chat_prompt_request *req, chat_conversation *c, int32_t *ids, int *n_ids, int *dropped,
                      lf_error *err) {
    *dropped = 0;
    lf_chat_message *view = malloc((c->n ? c->n : 1) * sizeof *view);
    if (!view) {
        err->code = LF_ERR_NOMEM;
        snprintf(err->message, sizeof err->message, "out of memory");
        return LF_ERR_NOMEM;
    }
    size_t from = chat_conversation_first_turn(c), n = 0;
    int rc;
    while (!(rc = render(req, c, from, view, ids, &n, err)) && n + req->reserve > (size_t)req->n_ctx) {
        size_t next = chat_conversation_next_turn(c, from);
        if (next >= c->n) { /* the newest turn alone */
            err->code = rc = LF_ERR_CONTEXT_FULL;
            snprintf(err->message, sizeof err->message,
                     "the message does not fit: the prompt would take %zu tokens, and the context of %d tokens "
                     "holds at most %d besides the %d kept free for the answer (try a larger --max-seq-len or a "
                     "smaller --max-new-tokens)",
                     n, req->n_ctx, req->n_ctx - req->reserve, req->reserve);
            break;
        }
        from = next;
        ++*dropped;
    }
    free(view);
    if (rc) {
        *dropped = 0;
        return rc;
    }
    chat_conversation_drop_before(c, from);
    *n_ids = (int)n;
    return LF_OK;
}
