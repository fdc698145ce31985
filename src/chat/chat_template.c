/* The public chat-template API: renders a conversation with a model's Jinja template
 * exactly as Hugging Face transformers' apply_chat_template does. */
#include <stdlib.h>
#include <string.h>

#include "chat/chat_template.h"
#include "chat/chat_json.h"
#include "chat/tool_prompt.h"
#include "chat/jinja_eval.h"
#include "core/error.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

/* Ceilings for one render: templates are untrusted input (they come inside model
 * files), so a hostile one must end with an error, not exhaust memory or time. */
#define RENDER_BASE_BYTES ((size_t)64 << 20)
#define RENDER_MAX_STEPS 5000000u

/* Used when a model has no template: transformers' former default, ChatML. */
static const char chatml_fallback[] =
    "{% for message in messages %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/* The JSON a render reads besides the messages' strings, parsed before it starts so that
 * nothing is allocated outside the arena while a failure can longjmp. */
typedef struct render_json {
    json_t *tools;       /* or NULL */
    json_t **tool_calls; /* per message, or NULL */
    const lf_tokenizer *mark;
} render_json;

static void set_string(jinja_ctx *c, jv m, const char *key, const char *value) {
    if (value) jv_dict_set(c->rt, m, jv_cstr(key), jv_cstr(value));
}

static jv message_list(jinja_ctx *c, const lf_chat_message *msgs, size_t n_msgs, const render_json *json) {
    jv list = jv_new_list(c->rt, n_msgs);
    for (size_t i = 0; i < n_msgs; i++) {
        jv m = jv_new_dict(c->rt, JV_DICT);
        jv_dict_set(c->rt, m, jv_cstr("role"), jv_cstr(msgs[i].role));
        jv_dict_set(c->rt, m, jv_cstr("content"), msgs[i].content ? jv_cstr(msgs[i].content) : jv_none());
        if (json->tool_calls[i])
            jv_dict_set(c->rt, m, jv_cstr("tool_calls"), chat_json_value(c, json->tool_calls[i], json->mark));
        set_string(c, m, "tool_call_id", msgs[i].tool_call_id);
        set_string(c, m, "name", msgs[i].name);
        jv_list_push(c->rt, list, m);
    }
    return list;
}

/* Everything that can fail unwinds to the setjmp here; rt lives in the caller so that
 * nothing this function changes is read after the longjmp. */
static int render(jinja_rt *rt, const char *tmpl, const lf_chat_message *msgs, size_t n_msgs, const render_json *json,
                  bool add_generation_prompt, const char *bos_token, const char *eos_token, char **out) {
    if (setjmp(rt->on_error)) return LF_ERR_TEMPLATE;
    jinja_ctx c = {.rt = rt};
    c.globals = jinja_alloc(rt, sizeof *c.globals);
    c.globals->vars = jv_new_dict(rt, JV_DICT);
    jinja_define_globals(&c, c.globals);
    jv vars = c.globals->vars;
    jv_dict_set(rt, vars, jv_cstr("messages"), message_list(&c, msgs, n_msgs, json));
    jv_dict_set(rt, vars, jv_cstr("add_generation_prompt"), jv_bool(add_generation_prompt));
    jv_dict_set(rt, vars, jv_cstr("tools"), json->tools ? chat_json_value(&c, json->tools, json->mark) : jv_none());
    jv_dict_set(rt, vars, jv_cstr("documents"), jv_none());
    if (bos_token) jv_dict_set(rt, vars, jv_cstr("bos_token"), jv_cstr(bos_token));
    if (eos_token) jv_dict_set(rt, vars, jv_cstr("eos_token"), jv_cstr(eos_token));
    jv text = jinja_render_template(&c, jinja_parse(rt, tmpl, strlen(tmpl)));
    *out = malloc(text.u.s.n + 1);
    if (!*out) return LF_ERR_NOMEM;
    memcpy(*out, text.u.s.p, text.u.s.n);
    (*out)[text.u.s.n] = 0;
    return LF_OK;
}

static void render_json_free(render_json *json, size_t n_msgs) {
    for (size_t i = 0; json->tool_calls && i < n_msgs; i++) json_decref(json->tool_calls[i]);
    free(json->tool_calls);
    json_decref(json->tools);
}

static int render_json_parse(const lf_chat_message *msgs, size_t n_msgs, const char *tools_json, render_json *json,
                             size_t *json_bytes, lf_error *err) {
    json->tool_calls = calloc(n_msgs ? n_msgs : 1, sizeof *json->tool_calls);
    if (!json->tool_calls) return lf_fail(err, LF_ERR_NOMEM, "chat template: out of memory");
    if (tools_json) {
        json->tools = json_loads(tools_json, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_array(json->tools))
            return lf_fail(err, LF_ERR_ARG, "chat template: tools is not a JSON array");
        *json_bytes += strlen(tools_json);
    }
    for (size_t i = 0; i < n_msgs; i++) {
        if (!msgs[i].tool_calls) continue;
        if (!(json->tool_calls[i] = chat_tool_calls_parse(msgs[i].tool_calls)))
            return lf_fail(err, LF_ERR_ARG, "chat template: message %zu: tool_calls is not a JSON array", i);
        *json_bytes += strlen(msgs[i].tool_calls);
    }
    return LF_OK;
}

static size_t optional_len(const char *s) { return s ? strlen(s) : 0; }

static int render_checked(const char *tmpl, const lf_chat_message *msgs, size_t n_msgs, const char *tools_json,
                          const lf_tokenizer *mark, bool add_generation_prompt, const char *bos_token,
                          const char *eos_token, bool marked, char **out, lf_error *err) {
    if (!out) return lf_fail(err, LF_ERR_ARG, "chat template: no output pointer");
    *out = NULL;
    if (!tmpl) return lf_fail(err, LF_ERR_ARG, "chat template: no template");
    if (n_msgs && !msgs) return lf_fail(err, LF_ERR_ARG, "chat template: no messages");
    size_t input_bytes = strlen(tmpl);
    for (size_t i = 0; i < n_msgs; i++) {
        if (!msgs[i].role) return lf_fail(err, LF_ERR_ARG, "chat template: message %zu has no role", i);
        input_bytes += strlen(msgs[i].role) + optional_len(msgs[i].content) + optional_len(msgs[i].tool_call_id) +
                       optional_len(msgs[i].name);
    }
    render_json json = {.mark = mark};
    int rc = render_json_parse(msgs, n_msgs, tools_json, &json, &input_bytes, err);
    if (rc != LF_OK) {
        render_json_free(&json, n_msgs);
        return rc;
    }
    /* marked text can be up to 3 times longer */
    if (mark) input_bytes = input_bytes > SIZE_MAX / 3 ? SIZE_MAX : 3 * input_bytes;
    size_t max_bytes = input_bytes > (SIZE_MAX - RENDER_BASE_BYTES) / 16 ? SIZE_MAX : RENDER_BASE_BYTES + 16 * input_bytes;
    jinja_rt rt;
    jinja_rt_init(&rt, max_bytes, RENDER_MAX_STEPS + input_bytes);
    rc = render(&rt, tmpl, msgs, n_msgs, &json, add_generation_prompt, bos_token, eos_token, out);
    jinja_rt_free(&rt);
    render_json_free(&json, n_msgs);
    /* before lf_fail, which escapes the marker bytes into visible text */
    if (rc == LF_ERR_TEMPLATE && marked) rt.message[tokenizer_unmark(rt.message, strlen(rt.message))] = 0;
    if (rc == LF_ERR_TEMPLATE) return lf_fail(err, rc, "chat template: %s", rt.message);
    if (rc == LF_ERR_NOMEM) return lf_fail(err, rc, "chat template: out of memory for the rendered text");
    return rc;
}

int lf_chat_template_render_tools(const char *tmpl, const lf_chat_message *msgs, size_t n_msgs, const char *tools_json,
                                  bool add_generation_prompt, const char *bos_token, const char *eos_token,
                                  char **out, lf_error *err) {
    if (out) *out = NULL;
    chat_rewrite rw;
    int rc = chat_tools_rewrite(tmpl, msgs, n_msgs, tools_json, &rw, err);
    if (rc == LF_OK)
        rc = render_checked(tmpl, rw.msgs, rw.n, tools_json, NULL, add_generation_prompt, bos_token, eos_token, false,
                            out, err);
    chat_rewrite_free(&rw);
    return rc;
}

int lf_chat_template_render(const char *tmpl, const lf_chat_message *msgs, size_t n_msgs,
                            bool add_generation_prompt, const char *bos_token, const char *eos_token,
                            char **out, lf_error *err) {
    return lf_chat_template_render_tools(tmpl, msgs, n_msgs, NULL, add_generation_prompt, bos_token, eos_token, out,
                                         err);
}

/* Text of a special token, or NULL when the model has none. */
static char *token_text(const lf_tokenizer *tok, int32_t id) {
    if (!tok || id < 0) return NULL;
    int n = lf_token_to_bytes(tok, id, NULL, 0);
    if (n < 0) return NULL;
    char *text = malloc((size_t)n + 1);
    if (!text) return NULL;
    lf_token_to_bytes(tok, id, text, (size_t)n);
    text[n] = 0;
    return text;
}

const char *chat_model_template(const lf_model *model, const char *tmpl) {
    if (tmpl) return tmpl;
    lf_model_info info;
    lf_model_get_info(model, &info);
    if (info.chat_template) return info.chat_template;
    if (lf_model_first_notice(model))
        lf_log(LF_LOG_WARN, "model %s has no chat template; using ChatML (<|im_start|>role ... <|im_end|>)",
               info.name ? info.name : "(unnamed)");
    return chatml_fallback;
}

int chat_template_render_with(const lf_tokenizer *tok, const char *tmpl, const lf_chat_message *msgs, size_t n_msgs,
                              const char *tools_json, bool add_generation_prompt, bool marked, char **out,
                              lf_error *err) {
    char *bos = token_text(tok, tok ? lf_token_bos(tok) : -1);
    char *eos = token_text(tok, tok ? lf_token_eos(tok) : -1);
    int rc = render_checked(tmpl, msgs, n_msgs, tools_json, marked ? tok : NULL, add_generation_prompt, bos, eos,
                            marked, out, err);
    free(bos);
    free(eos);
    return rc;
}

int lf_chat_apply_template_tools(const lf_model *model, const char *tmpl, const lf_chat_message *msgs, size_t n_msgs,
                                 const char *tools_json, bool add_generation_prompt, char **out, lf_error *err) {
    if (out) *out = NULL;
    if (!model) return lf_fail(err, LF_ERR_ARG, "chat template: no model");
    tmpl = chat_model_template(model, tmpl);
    chat_rewrite rw;
    int rc = chat_tools_rewrite(tmpl, msgs, n_msgs, tools_json, &rw, err);
    if (rc == LF_OK)
        rc = chat_template_render_with(lf_model_tokenizer(model), tmpl, rw.msgs, rw.n, tools_json,
                                       add_generation_prompt, false, out, err);
    chat_rewrite_free(&rw);
    return rc;
}

int lf_chat_apply_template(const lf_model *model, const char *tmpl, const lf_chat_message *msgs, size_t n_msgs,
                           bool add_generation_prompt, char **out, lf_error *err) {
    return lf_chat_apply_template_tools(model, tmpl, msgs, n_msgs, NULL, add_generation_prompt, out, err);
}
