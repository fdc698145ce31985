#include "server/stream.h"

#include <stdlib.h>
#include <string.h>

#include "server/http.h"
#include "server/logprobs_json.h"
#include "server/text_buffer.h"
#include "server/tool_answer.h"

/* Without news for this long, a comment line goes out: a client that left makes the
 * write fail, which cancels its generation even while it waits for a slot. */
#define KEEPALIVE_MS 1000

typedef struct sse_stream {
    job *job;
    response_meta meta;
    int n_choices, prompt_tokens;
    bool include_usage;
    job_progress progress;
    bool reported[REQUEST_MAX_CHOICES];
    int n_reported, completion_tokens;
    text_buffer out;  /* events not yet sent */
    logprobs_json logprobs[REQUEST_MAX_CHOICES]; /* when the job has them */
    bool ended;       /* "[DONE]" (or an error) is in out */
    const tool_parse *tools; /* NULL: answers are not read for tool calls */
    tool_stream tool_streams[REQUEST_MAX_CHOICES];
} sse_stream;

/* Appends "data: JSON\n\n" (and drops the reference); -1 when out of memory. */
static int put_event(sse_stream *s, json_t *obj) {
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    int rc = text && !text_append(&s->out, "data: ", 6) && !text_append(&s->out, text, strlen(text)) &&
                     !text_append(&s->out, "\n\n", 2)
                 ? 0
                 : -1;
    free(text);
    return rc;
}

/* Streams text of choice i as content, passing it through the tool-call watch when
 * there is one. */
static int put_text(sse_stream *s, int i, const char *text, size_t len) {
    if (!s->tools) return put_event(s, response_chunk(&s->meta, i, text, NULL, false, NULL, s->include_usage));
    text_buffer emit = {0};
    int rc = tool_stream_push(&s->tool_streams[i], s->tools, text, len, &emit);
    if (!rc && emit.len) rc = put_event(s, response_chunk(&s->meta, i, emit.data, NULL, false, NULL, s->include_usage));
    text_free(&emit);
    return rc;
}

/* Choice i ended: what the tool-call watch still holds goes out, as content or as a
 * delta with the calls (then the finish reason is "tool_calls"). */
static int put_tool_calls(sse_stream *s, int i, const char **finish) {
    text_buffer emit = {0};
    json_t *calls = NULL;
    int rc = tool_stream_finish(&s->tool_streams[i], s->tools, &emit, &calls);
    if (!rc && emit.len) rc = put_event(s, response_chunk(&s->meta, i, emit.data, NULL, false, NULL, s->include_usage));
    text_free(&emit);
    if (!rc && calls) {
        json_t *chunk = response_chunk(&s->meta, i, NULL, NULL, false, NULL, s->include_usage);
        json_t *delta = json_object_get(json_array_get(json_object_get(chunk, "choices"), 0), "delta");
        rc = json_object_set(delta, "tool_calls", calls) ? -1 : put_event(s, chunk);
        if (*finish && !strcmp(*finish, "stop")) *finish = "tool_calls";
    }
    json_decref(calls);
    return rc;
}

/* Reports the choices that finished since the last call; ends the stream after the last. */
static int put_finished(sse_stream *s) {
    const job_progress *p = &s->progress;
    for (int i = 0; i < s->n_choices; i++) {
        if (s->reported[i] || p->finish[i] == FINISH_NONE) continue;
        s->reported[i] = true;
        s->n_reported++;
        s->completion_tokens += p->n_tokens[i];
        if (p->finish[i] == FINISH_ERROR) {
            /* the choice cannot go on: say why (as an OpenAI error object) and stop */
            s->ended = true;
            return put_event(s, json_pack("{s:{s:s, s:s, s:n, s:n}}", "error", "message", p->error, "type",
                                          "server_error", "param", "code"));
        }
        const char *finish = finish_reason_name(p->finish[i]);
        if (s->tools && put_tool_calls(s, i, &finish)) return -1;
        if (put_event(s, response_chunk(&s->meta, i, s->meta.chat ? NULL : "", NULL, false, finish, s->include_usage)))
            return -1;
    }
    if (s->n_reported < s->n_choices) return 0;
    s->ended = true;
    response_usage u = {s->prompt_tokens, s->completion_tokens};
    if (s->include_usage && put_event(s, response_usage_chunk(&s->meta, u))) return -1;
    return text_append(&s->out, "data: [DONE]\n\n", 14);
}

/* Waits for the next text or ends and turns them into events in s->out. */
static int fill(sse_stream *s) {
    int before = s->progress.n_finished;
    job_event *e = job_next(s->job, KEEPALIVE_MS, &s->progress);
    if (e && e->logprob) {
        int choice = e->choice;
        logprobs_json_add(&s->logprobs[choice], e->logprob);
        json_t *lp = logprobs_json_take(&s->logprobs[choice]);
        job_event_free(e);
        return lp ? put_event(s, response_chunk(&s->meta, choice, s->meta.chat ? NULL : "", lp, false, NULL,
                                                s->include_usage))
                  : -1;
    }
    if (e) {
        int rc = put_text(s, e->choice, e->text, e->len);
        job_event_free(e);
        return rc;
    }
    if (s->progress.n_finished != before) return put_finished(s);
    return text_append(&s->out, ": keep-alive\n\n", 14);
}

/* Sends what is in s->out. */
static int flush(http_conn *c, sse_stream *s) {
    int rc = http_conn_stream_write(c, s->out.data, s->out.len);
    s->out.len = 0;
    return rc;
}

int stream_start(http_conn *c, job *j, const response_meta *meta, const lf_tokenizer *tok, int n_choices,
                 int prompt_tokens, bool include_usage, const tool_parse *tools) {
    sse_stream s = {.job = j, .meta = *meta, .n_choices = n_choices, .prompt_tokens = prompt_tokens,
                    .include_usage = include_usage, .tools = tools};
    for (int i = 0; j->logprobs >= 0 && i < n_choices; i++) logprobs_json_init(&s.logprobs[i], meta->chat, tok);
    int rc = http_conn_stream_begin(c, 200, "text/event-stream", "Cache-Control: no-cache\r\n");
    /* chat streams open each choice with the assistant role, as OpenAI does */
    for (int i = 0; !rc && meta->chat && i < n_choices; i++)
        rc = put_event(&s, response_chunk(meta, i, "", NULL, true, NULL, include_usage));
    while (!rc && !(rc = flush(c, &s)) && !s.ended) rc = fill(&s);
    if (!rc) rc = http_conn_stream_end(c);
    /* finished, or the client went away: either way the generation has no reader left */
    job_detach_client(j);
    job_cancel(j);
    job_release(j);
    text_free(&s.out);
    for (int i = 0; i < n_choices; i++) tool_stream_free(&s.tool_streams[i]);
    for (int i = 0; i < n_choices; i++) logprobs_json_free(&s.logprobs[i]);
    c->generated_tokens = s.completion_tokens;
    if (rc) c->must_close = true;
    return rc;
}
