#include "cli/chat_prompt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Renders the system prompt (if any) and msgs[from, n) of c, and tokenizes the text
 * (what the messages say stays text: lf_chat_tokenize). */
static int render(const chat_prompt_request *req, const chat_conversation *c, size_t from, lf_chat_message *view,
                  int32_t *ids, size_t *n, lf_error *err) {
    size_t first = chat_conversation_first_turn(c), n_view = first + (c->n - from);
    memcpy(view, c->msgs, first * sizeof *view);
    memcpy(view + first, c->msgs + from, (c->n - from) * sizeof *view);
    return lf_chat_tokenize(req->model, req->tmpl, view, n_view, true, ids, (size_t)req->n_ctx + 1, n, err);
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
