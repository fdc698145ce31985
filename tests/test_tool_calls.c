/* Tool calls in answers: lf_chat_tool_format by template, lf_chat_parse_tool_calls for
 * each format (several calls, text around them, unclosed, malformed, unknown names), and
 * the server's streaming watch (src/server/tool_answer.c, compiled in here) fed the same
 * answers in pieces of every size: what it streams as content plus what it returns at the
 * end must be the whole answer's content and calls. */
#include "test.h"

#include "server/text_buffer.c"
#include "server/tool_answer.c"

/* The server's id source, which this test does not link. */
void server_new_id(server_state *st, const char *prefix, char *out, size_t cap) {
    (void)st;
    static int n;
    snprintf(out, cap, "%s-%d", prefix, n++);
}

static const char tools[] =
    "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}},"
    "{\"type\":\"function\",\"function\":{\"name\":\"add\"}}]";

typedef struct parse_case {
    lf_tool_format format;
    const char *text;
    const char *content;   /* expected */
    const char *calls;     /* expected JSON text, NULL: no call */
} parse_case;

static const parse_case cases[] = {
    {LF_TOOL_FORMAT_HERMES, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>", "",
     "[{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}]"},
    {LF_TOOL_FORMAT_HERMES, "Let me check.\n<tool_call>{\"name\":\"add\",\"arguments\":{\"a\":1,\"b\":2}}</tool_call>\n"
                            "<tool_call>{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\": \\\"Oslo\\\"}\"}</tool_call>",
     "Let me check.",
     "[{\"name\":\"add\",\"arguments\":\"{\\\"a\\\":1,\\\"b\\\":2}\"},{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\": \\\"Oslo\\\"}\"}]"},
    /* unclosed at the end of the answer (the length limit, or a model that stops there) */
    {LF_TOOL_FORMAT_HERMES, "<tool_call>{\"name\":\"add\",\"arguments\":{}}", "", "[{\"name\":\"add\",\"arguments\":\"{}\"}]"},
    /* a call that does not parse, or names no tool: all of it is content */
    {LF_TOOL_FORMAT_HERMES, "<tool_call>{\"name\":\"add\",</tool_call>", "<tool_call>{\"name\":\"add\",</tool_call>", NULL},
    {LF_TOOL_FORMAT_HERMES, "<tool_call>{\"name\":\"rm_rf\",\"arguments\":{}}</tool_call>",
     "<tool_call>{\"name\":\"rm_rf\",\"arguments\":{}}</tool_call>", NULL},
    {LF_TOOL_FORMAT_HERMES, "Just text, {braces} and <tags>.", "Just text, {braces} and <tags>.", NULL},
    /* the bare object, in any format; Llama 3's "parameters" and <|python_tag|> */
    {LF_TOOL_FORMAT_HERMES, " {\"name\": \"add\", \"arguments\": {\"a\": 2}} ", "", "[{\"name\":\"add\",\"arguments\":\"{\\\"a\\\":2}\"}]"},
    {LF_TOOL_FORMAT_LLAMA3, "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Rome\"}}", "",
     "[{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Rome\\\"}\"}]"},
    {LF_TOOL_FORMAT_LLAMA3, "<|python_tag|>{\"name\": \"add\", \"parameters\": {}}", "", "[{\"name\":\"add\",\"arguments\":\"{}\"}]"},
    {LF_TOOL_FORMAT_LLAMA3, "{\"answer\": 42}", "{\"answer\": 42}", NULL},
    {LF_TOOL_FORMAT_MISTRAL, "[TOOL_CALLS][{\"name\": \"add\", \"arguments\": {\"a\": 1}}, {\"name\": \"get_weather\", \"arguments\": {}}]", "",
     "[{\"name\":\"add\",\"arguments\":\"{\\\"a\\\":1}\"},{\"name\":\"get_weather\",\"arguments\":\"{}\"}]"},
    {LF_TOOL_FORMAT_MISTRAL, "[TOOL_CALLS] not json", "[TOOL_CALLS] not json", NULL},
};

static void test_formats(void) {
    CHECK(lf_chat_tool_format(NULL) == LF_TOOL_FORMAT_HERMES);
    CHECK(lf_chat_tool_format("{{ '[TOOL_CALLS]' }}") == LF_TOOL_FORMAT_MISTRAL);
    CHECK(lf_chat_tool_format("<tool_call> {{ tools }}") == LF_TOOL_FORMAT_HERMES);
    CHECK(lf_chat_tool_format("{{ '<|python_tag|>' }}") == LF_TOOL_FORMAT_LLAMA3);
    CHECK(lf_chat_tool_format("ipython ... \"parameters\"") == LF_TOOL_FORMAT_LLAMA3);
    CHECK(lf_chat_tool_format("{% for m in messages %}{{ m.content }}{% endfor %}") == LF_TOOL_FORMAT_HERMES);
}

static void test_parse(void) {
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const parse_case *c = &cases[i];
        char *content = NULL, *calls = NULL;
        lf_error err = {0};
        CHECK(lf_chat_parse_tool_calls(c->format, tools, c->text, &content, &calls, &err) == LF_OK);
        CHECK_MSG(content && !strcmp(content, c->content), "case %zu: content '%s'", i, content ? content : "(null)");
        CHECK_MSG(c->calls ? calls && !strcmp(calls, c->calls) : !calls, "case %zu: calls %s", i, calls ? calls : "(null)");
        free(content);
        free(calls);
    }
    /* without a tools list any name goes; a broken tools list is refused */
    char *content = NULL, *calls = NULL;
    lf_error err = {0};
    CHECK(lf_chat_parse_tool_calls(LF_TOOL_FORMAT_HERMES, NULL, "<tool_call>{\"name\":\"rm_rf\"}</tool_call>", &content,
                                   &calls, &err) == LF_OK);
    CHECK(calls && !strcmp(calls, "[{\"name\":\"rm_rf\",\"arguments\":\"{}\"}]"));
    free(content);
    free(calls);
    CHECK(lf_chat_parse_tool_calls(LF_TOOL_FORMAT_HERMES, "[", "x", &content, &calls, &err) == LF_ERR_ARG);
    CHECK(!content && !calls && strstr(err.message, "tools"));
    CHECK(lf_chat_parse_tool_calls(LF_TOOL_FORMAT_HERMES, NULL, NULL, &content, &calls, &err) == LF_ERR_ARG);
}

/* The calls of an OpenAI tool_calls array as [{"name", "arguments"}] text. */
static char *names_and_arguments(json_t *calls) {
    json_t *plain = json_array(), *call;
    size_t i;
    json_array_foreach(calls, i, call) {
        json_t *fn = json_object_get(call, "function");
        json_array_append_new(plain, json_pack("{s:O,s:O}", "name", json_object_get(fn, "name"), "arguments",
                                               json_object_get(fn, "arguments")));
    }
    char *text = json_dumps(plain, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(plain);
    return text;
}

static void test_stream(void) {
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const parse_case *c = &cases[i];
        tool_parse tp = {.tools_json = tools, .format = c->format};
        size_t len = strlen(c->text);
        for (size_t piece = 1; piece <= len; piece = piece < 4 ? piece + 1 : piece * 3) {
            tool_stream ts = {0};
            text_buffer emit = {0};
            json_t *calls = NULL;
            int rc = 0;
            for (size_t at = 0; !rc && at < len; at += piece)
                rc = tool_stream_push(&ts, &tp, c->text + at, len - at < piece ? len - at : piece, &emit);
            CHECK(!rc && tool_stream_finish(&ts, &tp, &emit, &calls) == 0);
            const char *streamed = emit.data ? emit.data : "";
            /* without calls all text streams; with them the content may keep its spaces */
            bool content_ok = c->calls ? !strncmp(streamed, c->content, strlen(c->content)) &&
                                             strspn(streamed + strlen(c->content), " \n") == strlen(streamed) - strlen(c->content)
                                       : !strcmp(streamed, c->text);
            CHECK_MSG(content_ok, "case %zu, pieces of %zu: streamed '%s'", i, piece, streamed);
            char *got = calls ? names_and_arguments(calls) : NULL;
            CHECK_MSG(c->calls ? got && !strcmp(got, c->calls) : !calls, "case %zu, pieces of %zu: calls %s", i, piece,
                      got ? got : "(null)");
            for (size_t k = 0; calls && k < json_array_size(calls); k++) {
                json_t *call = json_array_get(calls, k);
                CHECK(json_integer_value(json_object_get(call, "index")) == (json_int_t)k);
                CHECK(json_is_string(json_object_get(call, "id")));
                CHECK(!strcmp(json_string_value(json_object_get(call, "type")), "function"));
            }
            free(got);
            json_decref(calls);
            text_free(&emit);
            tool_stream_free(&ts);
        }
    }
}

/* Text that merely starts like an opening streams at once after it is clear it is none. */
static void test_stream_releases_text(void) {
    tool_parse tp = {.tools_json = tools, .format = LF_TOOL_FORMAT_HERMES};
    tool_stream ts = {0};
    text_buffer emit = {0};
    CHECK(tool_stream_push(&ts, &tp, "Hello", 5, &emit) == 0 && emit.len == 5);
    CHECK(tool_stream_push(&ts, &tp, " <tool", 6, &emit) == 0 && emit.len == 6); /* "<tool" held */
    CHECK(tool_stream_push(&ts, &tp, "s> here", 7, &emit) == 0 && emit.len == 18);
    CHECK(!strcmp(emit.data, "Hello <tools> here"));
    text_free(&emit);
    tool_stream_free(&ts);
}

/* parallel_tool_calls false keeps the first call. */
static void test_single(void) {
    tool_parse tp = {.tools_json = tools, .format = LF_TOOL_FORMAT_HERMES, .single = true};
    char *content = NULL;
    json_t *calls = NULL;
    CHECK(tool_parse_answer(&tp, cases[1].text, false, &content, &calls) == 0);
    CHECK(calls && json_array_size(calls) == 1 && !json_object_get(json_array_get(calls, 0), "index"));
    CHECK(!strcmp(json_string_value(json_object_get(json_object_get(json_array_get(calls, 0), "function"), "name")), "add"));
    free(content);
    json_decref(calls);
}

int main(void) {
    test_formats();
    test_parse();
    test_stream();
    test_stream_releases_text();
    test_single();
    TEST_MAIN_END();
}
