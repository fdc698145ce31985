#include "server/completion.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/http.h"
#include "server/logprobs_json.h"
#include "server/request.h"
#include "server/response.h"
#include "server/stream.h"
#include "server/text_buffer.h"
#include "server/tool_answer.h"

/* How often a request that waits for its whole answer checks that its client is there. */
#define CLIENT_CHECK_MS 500

/* The tools the model is told of: none when tool_choice is "none". */
static const char *rendered_tools(const completion_request *r) {
    return r->tools.choice == TOOL_CHOICE_NONE ? NULL : r->tools.tools_json;
}

char *completion_render_chat(const server_state *st, const completion_request *r, api_error *e) {
    char *prompt = NULL;
    lf_error err = {0};
    if (lf_chat_apply_template_tools(st->model, NULL, r->messages, r->n_messages, rendered_tools(r), true, &prompt,
                                     &err) != LF_OK) {
        api_fail(e, err.code == LF_ERR_NOMEM ? 500 : 400, "messages", NULL, "chat template: %s", err.message);
        return NULL;
    }
    return prompt;
}

/* The token ids (malloc'd) of prompt p of r, or of r's messages; a prompt that leaves no
 * room to generate in the context is refused. What messages say is tokenized as text
 * (lf_chat_tokenize); a raw prompt has its special tokens parsed, as llama.cpp's server
 * does. */
static int tokenize_prompt(const server_state *st, const completion_request *r, int p, int32_t **ids, int *n_ids,
                           api_error *e) {
    int n_ctx = scheduler_context_size(st->sched);
    const char *param = r->chat ? "messages" : "prompt";
    size_t n = 0;
    lf_error err = {0};
    *ids = malloc((size_t)n_ctx * sizeof **ids);
    if (!*ids) return api_fail(e, 500, NULL, NULL, "out of memory");
    int rc = r->chat ? lf_chat_tokenize_tools(st->model, NULL, r->messages, r->n_messages, rendered_tools(r), true, *ids,
                                              (size_t)n_ctx, &n, &err)
                     : lf_tokenize(lf_model_tokenizer(st->model), r->prompts[p], strlen(r->prompts[p]),
                                   LF_TOKENIZE_PARSE_SPECIAL, *ids, (size_t)n_ctx, &n, &err);
    if (rc != LF_OK) return api_fail(e, err.code == LF_ERR_NOMEM ? 500 : 400, param, NULL, "%s", err.message);
    if (n == 0) return api_fail(e, 400, param, NULL, "the prompt is empty");
    if (n >= (size_t)n_ctx)
        return api_fail(e, 400, param, "context_length_exceeded",
                        "the prompt has %zu tokens; the context holds %d, including the answer", n, n_ctx);
    *n_ids = (int)n;
    return 0;
}

/* Tokenizes every prompt and submits n choices for each (choice p*n + i). On success
 * *prompt_tokens counts each prompt once, as OpenAI's usage does. */
static int submit(server_state *st, const completion_request *r, job *j, int *prompt_tokens, api_error *e) {
    int n_prompts = r->chat ? 1 : r->n_prompts, n_choices = n_prompts * r->n, rc = 0;
    int32_t *ids[REQUEST_MAX_CHOICES] = {0};
    task_spec specs[REQUEST_MAX_CHOICES];
    uint64_t seed = r->has_seed  ? r->sampling.seed
                    : st->has_seed ? st->sampling.seed
                                   : (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull + atomic_fetch_add(&st->id_counter, 1);
    lf_model_info info;
    lf_model_get_info(st->model, &info);
    for (int b = 0; b < r->sampling.n_logit_bias; b++)
        if (r->sampling.logit_bias[b].token >= info.vocab_size)
            return api_fail(e, 400, "logit_bias", NULL, "'logit_bias' token %d is outside the vocabulary [0, %d)",
                            (int)r->sampling.logit_bias[b].token, info.vocab_size);
    *prompt_tokens = 0;
    for (int p = 0; !rc && p < n_prompts; p++) {
        int n_ids = 0;
        rc = tokenize_prompt(st, r, p, &ids[p], &n_ids, e);
        *prompt_tokens += n_ids;
        for (int i = 0; !rc && i < r->n; i++) {
            task_spec *t = &specs[p * r->n + i];
            *t = (task_spec){.prompt = ids[p], .n_prompt = n_ids, .reuse_prefix = r->cache_prompt,
                             .grammar = r->structure_given ? r->grammar : st->default_grammar};
            /* echo: the text of the choice starts with its prompt */
            if (r->echo && job_push_text(j, p * r->n + i, r->prompts[p], strlen(r->prompts[p])))
                rc = api_fail(e, 500, NULL, NULL, "out of memory");
            t->sampling = r->sampling;
            if (!(r->sampling.top_p > 0)) { /* top_p 0 keeps only the most likely token: greedy */
                t->sampling.temperature = 0;
                t->sampling.top_p = 1;
            }
            t->sampling.seed = seed + (uint64_t)(p * r->n + i);
        }
    }
    if (!rc) rc = scheduler_submit(st->sched, j, specs, n_choices, e);
    for (int p = 0; p < n_prompts; p++) free(ids[p]);
    return rc;
}

/* Waits for every choice, then answers with the whole completion. A client that hangs
 * up meanwhile cancels the job (-1 then closes the connection). */
static int answer_whole(const server_state *st, http_conn *c, job *j, const response_meta *meta, int n_choices,
                        int prompt_tokens, const tool_parse *tools) {
    text_buffer texts[REQUEST_MAX_CHOICES] = {0};
    logprobs_json lps[REQUEST_MAX_CHOICES];
    bool with_logprobs = j->logprobs >= 0;
    for (int i = 0; with_logprobs && i < n_choices; i++) logprobs_json_init(&lps[i], meta->chat, lf_model_tokenizer(st->model));
    job_progress p = {0};
    bool oom = false, gone = false;
    /* The socket is checked on a clock: while tokens keep arriving job_next never times
     * out, and a hang-up must still be seen within CLIENT_CHECK_MS. */
    double next_check = lf_time_ms() + CLIENT_CHECK_MS;
    while (p.n_finished < n_choices && !gone) {
        job_event *e = job_next(j, CLIENT_CHECK_MS, &p);
        if (e && e->logprob) logprobs_json_add(&lps[e->choice], e->logprob);
        else if (e) oom |= text_append(&texts[e->choice], e->text, e->len) != 0;
        if (!e || lf_time_ms() >= next_check) {
            gone = http_conn_client_gone(c);
            next_check = lf_time_ms() + CLIENT_CHECK_MS;
        }
        job_event_free(e);
    }
    json_t *lp_objects[REQUEST_MAX_CHOICES] = {0};
    for (int i = 0; with_logprobs && i < n_choices; i++) {
        if (!gone) oom |= !(lp_objects[i] = logprobs_json_take(&lps[i]));
        logprobs_json_free(&lps[i]);
    }
    if (gone) {
        job_cancel(j);
        for (int i = 0; i < n_choices; i++) text_free(&texts[i]), json_decref(lp_objects[i]);
        c->must_close = true;
        return -1;
    }
    const char *strings[REQUEST_MAX_CHOICES];
    response_usage usage = {prompt_tokens, 0};
    api_error err = {0};
    for (int i = 0; i < n_choices; i++) {
        strings[i] = texts[i].data ? texts[i].data : "";
        usage.completion_tokens += p.n_tokens[i];
        if (p.finish[i] == FINISH_ERROR) api_fail(&err, 500, NULL, NULL, "generation failed: %s", p.error);
    }
    if (oom) api_fail(&err, 500, NULL, NULL, "out of memory");
    c->generated_tokens = usage.completion_tokens;
    json_t *answer = NULL;
    if (!err.status)
        answer = response_final(meta, strings, with_logprobs ? lp_objects : NULL, p.finish, n_choices, usage);
    else
        for (int i = 0; i < n_choices; i++) json_decref(lp_objects[i]);
    for (int i = 0; answer && tools && i < n_choices; i++)
        if (tool_parse_set_message(tools, json_array_get(json_object_get(answer, "choices"), (size_t)i), strings[i]))
            api_fail(&err, 500, NULL, NULL, "out of memory");
    if (err.status) json_decref(answer);
    int rc = err.status ? http_send_error(c, &err, NULL) : http_send_json(c, 200, answer);
    for (int i = 0; i < n_choices; i++) text_free(&texts[i]);
    return rc;
}

int completion_handle(server_state *st, http_conn *c, const char *body, size_t len, bool chat) {
    completion_request r;
    api_error e = {0};
    if (request_parse(body, len, chat, &st->sampling, &r, &e)) return http_send_error(c, &e, NULL);
    job *j = job_create(&r);
    int prompt_tokens = 0;
    if (!j) api_fail(&e, 500, NULL, NULL, "out of memory");
    if (!j || submit(st, &r, j, &prompt_tokens, &e)) {
        job_release(j);
        request_free(&r);
        return http_send_error(c, &e, NULL);
    }
    c->prompt_tokens = prompt_tokens;
    response_meta meta = {.chat = chat, .created = time(NULL), .model = r.model ? r.model : st->model_id};
    server_new_id(st, chat ? "chatcmpl" : "cmpl", meta.id, sizeof meta.id);
    int n_choices = (chat ? 1 : r.n_prompts) * r.n;
    int rc;
    tool_parse tools;
    const tool_parse *reads_tools = tool_parse_init(&tools, st, &r) ? &tools : NULL;
    job_attach_client(j, c->fd);
    if (r.stream) {
        rc = stream_start(c, j, &meta, lf_model_tokenizer(st->model), n_choices, prompt_tokens, r.include_usage,
                          reads_tools);
    } else {
        rc = answer_whole(st, c, j, &meta, n_choices, prompt_tokens, reads_tools);
        job_detach_client(j);
        job_release(j);
    }
    request_free(&r);
    return rc;
}
