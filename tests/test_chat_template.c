/* The Jinja interpreter behind lf_chat_template_render: every feature chat templates use,
 * whitespace control (trim_blocks, lstrip_blocks, -, +), errors with clear messages,
 * ceilings on hostile templates, and lf_chat_apply_template on the real SmolLM2 GGUF
 * and on a model without a template (ChatML fallback and a warning).
 *
 * The expected texts of the table are what jinja2 3.1 renders with transformers'
 * settings (ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True), the
 * loopcontrols extension, raise_exception and transformers' tojson) for the messages
 * below; they were produced by running jinja2 on each template. */
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "llamafast.h"
#include "test.h"

static const lf_chat_message messages[] = {
    {.role = "system", .content = " Sys "},
    {.role = "user", .content = "Hi \360\237\230\200"},
    {.role = "assistant", .content = "Yo\n"},
};
#define N_MESSAGES (sizeof messages / sizeof messages[0])

/* Renders tmpl with the messages above; returns the text (caller frees) or NULL with
 * err filled. */
static char *render(const char *tmpl, lf_error *err) {
    char *out = NULL;
    int rc = lf_chat_template_render(tmpl, messages, N_MESSAGES, true, "<s>", "</s>", &out, err);
    if (rc != LF_OK) {
        CHECK_MSG(out == NULL, "output set on failure");
        CHECK_MSG(rc == err->code, "return %d but err.code %d", rc, err->code);
        return NULL;
    }
    return out;
}

static const struct {
    const char *tmpl, *want;
} cases[] = {
    /* text, output and literals */
    {"plain text",
     "plain text"},
    {"a{{ 'b' }}c{{ 1 }}{{ none }}{{ true }}{{ false }}",
     "abc1NoneTrueFalse"},
    {"{{ 1.5 }} {{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e20 }} {{ 2.5e-5 }} {{ -0.0 }}",
     "1.5 1.0 0.30000000000000004 1e+20 2.5e-05 -0.0"},
    {"{{ 'a\\nb\\t\"c\"' }}|{{ \"it's\" }}|{{ 'x' 'y' }}|{{ '\\u00e9\\x41\\101' }}|{{ '\\d' }}",
     "a\nb\t\"c\"|it's|xy|\303\251AA|\\d"},
    {"{{ [1, 'a', none, true, 1.5, {'k': 'v'}] }}{{ (1, 2) }}{{ (1,) }}{{ () }}{{ \"it's\" | list }}",
     "[1, 'a', None, True, 1.5, {'k': 'v'}](1, 2)(1,)()['i', 't', \"'\", 's']"},
    {"{{ '{{ not a tag }}' }}{{ \"}}\" }}{{ {'a': {'b': 1}} }}",
     "{{ not a tag }}}}{'a': {'b': 1}}"},
    /* arithmetic and operators */
    {"{{ 1 + 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 * 3 - 1 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }}",
     "3 3 -4 1 2 5 3.5 1024 64 4"},
    {"{{ 1 + 1.5 }} {{ true + true }} {{ 7 // 2.0 }} {{ 'ab' * 3 }} {{ [1] * 2 }} {{ [1] + [2] }}",
     "2.5 2 3.0 ababab [1, 1] [1, 2]"},
    {"{{ 'n=' ~ 3 ~ none ~ undefined_thing ~ true }}|{{ 'a' + 'b' }}",
     "n=3NoneTrue|ab"},
    {"{{ 1 < 2 }}{{ 2 <= 1 }}{{ 'a' == 'a' }}{{ 'a' != 'a' }}{{ 1 < 2 < 3 }}{{ 3 > 2 > 2 }}{{ 1 == 1.0 }}{{ 'B' < 'a' }}{{ (1, 2) == [1, 2] }}",
     "TrueFalseTrueFalseTrueFalseTrueTrueFalse"},
    {"{{ true and false }}{{ true or false }}{{ not true }}{{ not (1 == 2) }}{{ 0 or 'x' }}{{ '' and 'y' }}|{{ not 'x' in 'abc' }}",
     "FalseTrueFalseTruex|True"},
    {"{{ 'b' in 'abc' }}{{ 2 in [1, 2] }}{{ 'role' in messages[0] }}{{ 'q' not in messages[0] }}{{ '' in 'x' }}{{ 1 in undefined_thing }}",
     "TrueTrueTrueTrueTrueFalse"},
    {"{{ 'yes' if true else 'no' }}{{ 'a' if false }}|{{ 1 if 0 else 2 if 0 else 3 }}",
     "yes|3"},
    /* tests */
    {"{{ x is defined }}{{ messages is defined }}{{ x is not defined }}{{ x is undefined }}{{ none is none }}{{ 's' is string }}{{ 1 is number }}{{ 1.5 is number }}{{ 1 is integer }}{{ 1.5 is float }}{{ true is boolean }}",
     "FalseTrueTrueTrueTrueTrueTrueTrueTrueTrueTrue"},
    {"{{ messages is mapping }}{{ messages[0] is mapping }}{{ messages is iterable }}{{ 's' is iterable }}{{ x is iterable }}{{ 1 is iterable }}{{ messages is sequence }}",
     "FalseTrueTrueTrueTrueFalseTrue"},
    {"{{ 2.5 is even }}{{ -3 is odd }}{{ 3.0 is odd }}{{ 9 is divisibleby 3.0 }}{{ x is defined and x }}{{ 0 is sameas false }}",
     "FalseTrueTrueTrueFalseFalse"},
    {"{{ 3 is odd }}{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ 1 is eq 1 }}{{ 2 is gt 1 }}{{ 'a' is lower }}{{ 'A' is upper }}{{ 1 is sameas true }}{{ none is sameas none }}{{ 2 is in [1, 2] }}",
     "TrueTrueTrueTrueTrueTrueTrueFalseTrueTrue"},
    /* filters */
    {"[{{ '  padded \\n' | trim }}]{{ 'xxhixx' | trim('x') }}{{ 'Hello' | upper }}{{ 'Hello' | lower }}{{ 'hello WORLD' | capitalize }}{{ 'hELLO wORLD-foo(bar' | title }}",
     "[padded]hiHELLOhelloHello worldHello World-Foo(Bar"},
    {"{{ [1,2,3] | length }}{{ 'h\303\251llo\360\237\230\200' | length }}{{ {'a':1} | length }}{{ x | length }}{{ [1,2,3] | count }}",
     "36103"},
    {"{{ [1, 'a', none] | join(', ') }}|{{ ['a','b'] | join }}|{{ messages | join(',', attribute='role') }}|{{ 'abc' | join('-') }}",
     "1, a, None|ab|system,user,assistant|a-b-c"},
    {"{{ x | default('d') }}{{ '' | default('d') }}{{ '' | default('d', true) }}{{ none | default('d') }}{{ x | d('e') }}{{ false | default('f', boolean=true) }}",
     "ddNoneef"},
    {"{{ [1,2,3] | first }}{{ [1,2,3] | last }}{{ 'abc' | first }}{{ [] | first }}|{{ 'aXbXc' | replace('X', '-') }}{{ 'aaa' | replace('a', 'b', 2) }}",
     "13a|a-b-cbba"},
    {"{{ 'abc' | list }}{{ {'a':1,'b':2} | list }}{{ {'a':1} | items | list }}{{ x | items | list }}{{ 12 | string | length }}",
     "['a', 'b', 'c']['a', 'b'][('a', 1)][]2"},
    {"{{ messages | selectattr('role', 'equalto', 'user') | list | length }}{{ (messages | selectattr('role', 'equalto', 'user') | list)[-1].content }}{{ messages | rejectattr('role', 'equalto', 'user') | map(attribute='role') | join(',') }}{{ [1,0,2] | select | list }}{{ [1,2,3,4] | reject('odd') | list }}",
     "1Hi \360\237\230\200system,assistant[1, 2][2, 4]"},
    {"{{ ['b', 'A', 'c'] | sort }}{{ [3, 1, 2] | sort(reverse=true) }}{{ messages | sort(attribute='role') | map(attribute='role') | list }}{{ ['a', 'b'] | map('upper') | list }}",
     "['A', 'b', 'c'][3, 2, 1]['assistant', 'system', 'user']['A', 'B']"},
    {"{{ 'x' | indent }}|{{ 'a\\nb\\n\\nc' | indent(2) }}|{{ 'a\\nb' | indent(2, true) }}|{{ -5 | abs }}{{ '42' | int }}{{ 'x' | int }}{{ [1, 2] | reverse | list }}{{ 'ab' | reverse }}",
     "x|a\n  b\n\n  c|  a\n  b|5420[2, 1]ba"},
    {"{{ messages | tojson }}|{{ {'a': [1, 2.5, true, none, '\303\251\"\\\\\\n\\u0001']} | tojson }}|{{ {'b': 1, 'a': {'c': []}} | tojson(indent=2) }}|{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}|{{ {1: 'x'} | tojson }}",
     "[{\"role\": \"system\", \"content\": \" Sys \"}, {\"role\": \"user\", \"content\": \"Hi \360\237\230\200\"}, {\"role\": \"assistant\", \"content\": \"Yo\\n\"}]|{\"a\": [1, 2.5, true, null, \"\303\251\\\"\\\\\\n\\u0001\"]}|{\n  \"b\": 1,\n  \"a\": {\n    \"c\": []\n  }\n}|{\"a\": 2, \"b\": 1}|{\"1\": \"x\"}"},
    /* string and dict methods */
    {"{{ ' a b  c '.split() }}{{ 'a,b,,c'.split(',') }}{{ 'a b c'.split(' ', 1) }}[{{ '  x '.strip() }}|{{ '  x '.lstrip() }}|{{ '  x '.rstrip() }}]{{ 'xxaxx'.strip('x') }}",
     "['a', 'b', 'c']['a', 'b', '', 'c']['a', 'b c'][x|x |  x]a"},
    {"{{ 'hello'.startswith('he') }}{{ 'hello'.endswith('lo') }}{{ 'hello'.startswith(('x', 'h')) }}{{ 'a-b'.replace('-', '+') }}{{ 'Ab'.upper() }}{{ 'Ab'.lower() }}{{ 'ab cd'.title() }}{{ 'ab cD'.capitalize() }}{{ ', '.join(['a', 'b']) }}{{ 'hello'.find('l') }}",
     "TrueTrueTruea+bABabAb CdAb cda, b2"},
    {"{% set d = {'x': 1, 'y': 'z'} %}{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{{ d.keys() | list }}{{ d.values() | list }}{{ d.get('x') }}{{ d.get('q') }}{{ d.get('q', 7) }}",
     "x=1;y=z;['x', 'y'][1, 'z']1None7"},
    {"{{ '\343\200\200ideographic\302\240' | trim }}|{{ messages[0]['content'].strip().upper() }}",
     "ideographic|SYS"},
    /* subscripts, slices and attributes */
    {"{{ messages[0].role }}{{ messages[0]['role'] }}{{ messages[-1].content }}{{ messages[1:] | length }}{{ messages[:1][0].role }}{{ messages[::-1][0].role }}{{ messages.0.role }}",
     "systemsystemYo\n2systemassistantsystem"},
    {"{{ 'hello'[1:3] }}{{ 'hello'[-1] }}{{ 'hello'[::2] }}{{ 'h\303\251llo\360\237\230\200'[1:] }}{{ [1,2,3,4,5][1:4:2] }}{{ [1,2,3][5:] }}{{ 'abc'[-10:2] }}",
     "elohlo\303\251llo\360\237\230\200[2, 4][]ab"},
    {"[{{ messages[5] }}|{{ messages[0].nope }}|{{ messages[0]['nope'] }}|{{ 'abc'[10] }}|{{ none.attr }}]",
     "[||||]"},
    /* statements: if, for, set, namespace, macros */
    {"{% for n in [1, 2, 3] %}{% if n == 1 %}one{% elif n == 2 %}two{% else %}many{% endif %},{% endfor %}",
     "one,two,many,"},
    {"{% for x in ['a','b','c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.previtem }}{{ loop.nextitem }};{% endfor %}",
     "10TrueFalse332b;21FalseFalse321ac;32FalseTrue310b;"},
    {"{% for x in [] %}x{% else %}empty{% endfor %}{% for x in undefined_thing %}x{% endfor %}",
     "empty"},
    {"{% for n in [1, 2, 3, 4] %}{% if n == 2 %}{% continue %}{% endif %}{% if n == 4 %}{% break %}{% endif %}{{ n }}{% endfor %}",
     "13"},
    {"{% for x in [1, 2, 3, 4] if x % 2 == 0 %}{{ loop.index }}:{{ x }}{% if not loop.last %},{% endif %}{% endfor %}",
     "1:2,2:4"},
    {"{% for a, b in [[1, 2], [3, 4]] %}{{ a }}{{ b }}{% endfor %}{% for c in 'h\303\251' %}{{ c }}.{% endfor %}",
     "1234h.\303\251."},
    {"{% set a = 1 %}{% for x in [1] %}{% set a = 2 %}{{ a }}{% endfor %}{{ a }}{% if true %}{% set b = 3 %}{% endif %}{{ b }}",
     "213"},
    {"{% for x in [1,2,3] %}{% if loop.first %}{% set y = 5 %}{% endif %}[{{ y }}]{% endfor %}",
     "[5][][]"},
    {"{% set ns = namespace(total=0, seen=false) %}{% for x in [1, 2, 3] %}{% set ns.total = ns.total + x %}{% if x == 2 %}{% set ns.seen = true %}{% endif %}{% endfor %}{{ ns.total }} {{ ns.seen }}",
     "6 True"},
    {"{% macro greet(name, punct='!') %}Hello {{ name }}{{ punct }}{% endmacro %}{{ greet('Bob') }} {{ greet('Al', punct='?') }} {{ greet() }}",
     "Hello Bob! Hello Al? Hello !"},
    {"{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(5) }}",
     "54321"},
    {"{% set x %}block {{ 1 + 1 }}{% endset %}[{{ x }}]{{ range(3) | list }}{{ range(1, 7, 2) | list }}",
     "[block 2][0, 1, 2][1, 3, 5]"},
    {"{{ bos_token }}{{ eos_token }}{{ add_generation_prompt }}{{ tools }}{{ documents }}{{ unk_token }}{{ messages[0].items() | list }}",
     "<s></s>TrueNoneNone[('role', 'system'), ('content', ' Sys ')]"},
    /* whitespace control: trim_blocks, lstrip_blocks, - and + */
    {"{% if true %}\nx\n{% endif %}\ny",
     "x\ny"},
    {"a\n    {% if true %}\n    b\n    {% endif %}\nc",
     "a\n    b\nc"},
    {"a   {{- 'b' -}}   c  {%- if true -%}  d  {%- endif %}",
     "abcd"},
    {"{{ 'a' }}\n{{ 'b' }}\n",
     "a\nb"},
    {"  {% if true %}x{% endif %}\n  {# comment #}\n  {{ 'v' }}",
     "x  v"},
    {"{%+ if true %}x{%+ endif +%}\ny",
     "x\ny"},
    {"{#- c -#}   z   {#- c #}\nw",
     "zw"},
    {"x {% if true %}y{% endif %}|{{ 'a' }}   {% if true %}b{% endif %}",
     "x y|a   b"},
    {"{% if true %}  \nx{% endif %}",
     "  \nx"},
    {"{%- for m in messages -%}\n{{ m.role }}\n{%- endfor -%}",
     "systemuserassistant"},
    {"{%- for x in [1] %}\n{{- x }}\n{% endfor -%}\n!",
     "1\n!"},
    {"line1\r\nline2\r{% if true %}\r\nx{% endif %}\n",
     "line1\nline2\nx"},
};

static void check_table(void) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lf_error err = {0};
        char *got = render(cases[i].tmpl, &err);
        CHECK_MSG(got && strcmp(got, cases[i].want) == 0, "template %s\n  want [%s]\n  got  [%s] %s", cases[i].tmpl,
                  cases[i].want, got ? got : "(error)", got ? "" : err.message);
        free(got);
    }
}

/* The template must fail with LF_ERR_TEMPLATE and a message containing `expect`. */
static void check_error(const char *tmpl, const char *expect) {
    lf_error err = {0};
    char *out = NULL;
    int rc = lf_chat_template_render(tmpl, messages, N_MESSAGES, false, "<s>", "</s>", &out, &err);
    CHECK_MSG(rc == LF_ERR_TEMPLATE && out == NULL && strstr(err.message, expect),
              "template %.200s: rc %d, message [%s], want [%s]", tmpl, rc, err.message, expect);
    free(out);
}

static void check_errors(void) {
    /* syntax errors name the line */
    check_error("{% if %}", "line 1: unexpected '%}', expected an expression");
    check_error("a\nb\n{{ 1 +\n", "line 3: unexpected end of template, expected '}}'");
    check_error("\n{% for x in y %}", "line 2: unexpected end of template, expected 'endfor'");
    check_error("{% if true %}\n{% endfor %}", "line 2: unknown tag 'endfor'");
    check_error("{% endif %}", "line 1: unknown tag 'endif'");
    check_error("{% unknowntag %}", "unknown tag 'unknowntag'");
    check_error("\n\n{{ x | nosuchfilter }}", "line 3: no filter named 'nosuchfilter'");
    check_error("{{ x is nosuchtest }}", "no test named 'nosuchtest'");
    check_error("{{ 1 is odd is even }}", "You cannot chain multiple tests with is");
    check_error("{{ 1 is defined(2) }}", "test 'defined' takes 0 arguments (1 given)");
    check_error("{{ 'unterminated }}", "unterminated string literal");
    check_error("{# never closed", "missing end of comment tag");
    check_error("{{ 1 $ 2 }}", "unexpected character '$'");
    check_error("{{ f(a=1, 2) }}", "positional argument follows keyword argument");
    /* errors while rendering */
    check_error("{{ raise_exception('Conversation roles must alternate') }}", "Conversation roles must alternate");
    check_error("{{ x.y }}", "'x' is undefined");
    check_error("{{ messages[0].nope.deeper }}", "has no attribute 'nope'");
    check_error("{{ x + 1 }}", "'x' is undefined");
    check_error("{{ 'a' + 1 }}", "unsupported operand type(s) for +: 'str' and 'int'");
    check_error("{{ 1 / 0 }}", "division by zero");
    check_error("{{ 7 // 0 }}", "division or modulo by zero");
    check_error("{{ 'a' < 1 }}", "cannot compare 'str' with 'int'");
    check_error("{% for x in 5 %}{% endfor %}", "'int' object is not iterable");
    check_error("{% for x in none %}{% endfor %}", "'NoneType' object is not iterable");
    check_error("{% set d = {'a': 1} %}{% set d.a = 2 %}", "non-namespace");
    check_error("{{ messages() }}", "'list' object is not callable");
    check_error("{{ undefined_func() }}", "'undefined_func' is undefined");
    check_error("{{ x | tojson }}", "not JSON serializable");
    check_error("{{ range(100001) | length }}", "Range too big");
    check_error("{{ 9999999999 * 9999999999 }}", "integer overflow");
    check_error("{{ 'abc'.split('') }}", "empty separator");
    check_error("{{ 'x'.strip(1) }}", "must be a string");
    check_error("{{ [1] | join(', ', attribute='a', extra=1) }}", "unexpected keyword argument 'extra'");
}

/* Hostile templates end with an error, quickly, without exhausting the stack, memory or
 * time. */
static void check_limits(void) {
    /* nested parentheses, statements and unary operators deeper than the limit */
    enum { DEEP = 50000 };
    char *deep = malloc(2 * DEEP + 16);
    size_t n = 0;
    n += (size_t)sprintf(deep, "{{ ");
    for (int i = 0; i < DEEP; i++) deep[n++] = '(';
    deep[n++] = '1';
    for (int i = 0; i < DEEP; i++) deep[n++] = ')';
    strcpy(deep + n, " }}");
    check_error(deep, "nested too deeply");
    char *ifs = malloc(13 * 5000 + 1);
    ifs[0] = 0;
    for (int i = 0; i < 5000; i++) memcpy(ifs + 13 * i, "{% if true %}", 14);
    check_error(ifs, "nested too deeply");
    free(ifs);
    check_error("{{ -----------------------------------------------------------------------------------------"
                "------------------------------------------------------------------------------------------1 }}",
                "nested too deeply");
    free(deep);
    check_error("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "nested too deeply");
    /* quadratic and exponential work */
    check_error("{% set r = range(99999) %}{% for a in r %}{% for b in r %}{% endfor %}{% endfor %}", "work limit");
    check_error("{% set ns = namespace(s='xxxxxxxxxxxxxxxx') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}"
                "{% endfor %}{{ ns.s | length }}",
                "memory");
    check_error("{{ 'x' * 9000000000000 }}", "too large");
}

static void check_api(void) {
    lf_error err = {0};
    char *out = (char *)1;
    CHECK(lf_chat_template_render(NULL, messages, N_MESSAGES, false, NULL, NULL, &out, &err) == LF_ERR_ARG &&
          out == NULL);
    CHECK(lf_chat_template_render("x", NULL, 1, false, NULL, NULL, &out, &err) == LF_ERR_ARG);
    CHECK(lf_chat_template_render("x", messages, N_MESSAGES, false, NULL, NULL, NULL, &err) == LF_ERR_ARG);
    lf_chat_message no_role = {.role = NULL, .content = "x"};
    CHECK(lf_chat_template_render("x", &no_role, 1, false, NULL, NULL, &out, &err) == LF_ERR_ARG &&
          strstr(err.message, "no role"));
    /* No messages, no BOS/EOS (undefined: empty and not defined), NULL content is None. */
    CHECK(lf_chat_template_render("[{{ messages | length }}{{ bos_token }}{{ eos_token is defined }}]", NULL, 0,
                                  false, NULL, NULL, &out, &err) == LF_OK &&
          strcmp(out, "[0False]") == 0);
    free(out);
    lf_chat_message tool_call = {.role = "assistant", .content = NULL};
    CHECK(lf_chat_template_render("{{ messages[0].content is none }}", &tool_call, 1, false, NULL, NULL, &out,
                                  &err) == LF_OK &&
          strcmp(out, "True") == 0);
    free(out);
    /* strftime_now gives the local date (Llama 3.2 prints it) */
    char today[32];
    time_t now = time(NULL);
    strftime(today, sizeof today, "%d %b %Y", localtime(&now));
    CHECK(lf_chat_template_render("{{ strftime_now('%d %b %Y') }}", NULL, 0, false, NULL, NULL, &out, &err) == LF_OK &&
          strcmp(out, today) == 0);
    free(out);
}

static char warnings[1024];
static void record_warning(lf_log_level level, const char *message, void *user) {
    (void)user;
    if (level == LF_LOG_WARN) snprintf(warnings, sizeof warnings, "%s", message);
}

static lf_model *load(const char *path) {
    lf_model *m = NULL;
    lf_error err = {0};
    if (lf_model_load(path, NULL, &m, &err) != LF_OK) fprintf(stderr, "%s\n", err.message);
    return m;
}

static void check_models(void) {
    static const lf_chat_message chat[] = {{.role = "user", .content = "What is 2+2?"}};
    const char *path = getenv("MODEL") ? getenv("MODEL") : "models/SmolLM2-135M-Instruct.Q4_1.gguf";
    lf_model *smol = load(path);
    CHECK_MSG(smol != NULL, "cannot load %s (env MODEL)", path);
    lf_error err = {0};
    char *out = NULL;
    if (smol) {
        /* SmolLM2's own ChatML template adds its default system prompt */
        CHECK(lf_chat_apply_template(smol, NULL, chat, 1, true, &out, &err) == LF_OK);
        CHECK_MSG(out && strcmp(out, "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by "
                                     "Hugging Face<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
                                     "<|im_start|>assistant\n") == 0,
                  "SmolLM2 rendered [%s]", out ? out : err.message);
        free(out);
        /* a given template wins; BOS/EOS come from the model's tokenizer */
        CHECK(lf_chat_apply_template(smol, "{{ bos_token }}|{{ eos_token }}", chat, 1, false, &out, &err) == LF_OK &&
              strcmp(out, "<|im_start|>|<|im_end|>") == 0);
        free(out);
        CHECK(lf_chat_apply_template(smol, "{% if %}", chat, 1, false, &out, &err) == LF_ERR_TEMPLATE && !out);
        lf_model_free(smol);
    }
    CHECK(lf_chat_apply_template(NULL, NULL, chat, 1, false, &out, &err) == LF_ERR_ARG);

    /* A llama2.c model has no template: ChatML, and a warning through the log callback. */
    char stories[512];
    snprintf(stories, sizeof stories, "%s/models/stories260K.bin", test_data_dir());
    lf_model *plain = load(stories);
    CHECK_MSG(plain != NULL, "cannot load %s", stories);
    if (plain) {
        lf_set_log_callback(record_warning, NULL);
        CHECK(lf_chat_apply_template(plain, NULL, chat, 1, true, &out, &err) == LF_OK);
        lf_set_log_callback(NULL, NULL);
        CHECK_MSG(out && strcmp(out, "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n") == 0,
                  "fallback rendered [%s]", out ? out : err.message);
        CHECK_MSG(strstr(warnings, "no chat template") && strstr(warnings, "ChatML"), "warning [%s]", warnings);
        free(out);
        lf_model_free(plain);
    }
}

/* Case filters keep bytes that are not UTF-8 characters as they are: an overlong NUL
 * (C0 80) must not become a NUL that cuts the prompt short, nor a surrogate or a value
 * beyond Unicode a character. */
static void check_case_filters_on_bad_utf8(void) {
    const char *cases[][2] = {{"A\xC0\x80" "B", "a\xC0\x80" "b"},
                              {"\xED\xA0\x80" "X", "\xED\xA0\x80" "x"},
                              {"\xF4\x90\x80\x80" "Y", "\xF4\x90\x80\x80" "y"},
                              {"\xC3\x89" "T\xC3\xA9", "\xC3\xA9" "t\xC3\xA9"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lf_chat_message m = {.role = "user", .content = cases[i][0]};
        char *out = NULL;
        lf_error err = {0};
        int rc = lf_chat_template_render("{{ messages[0].content | lower }}", &m, 1, false, NULL, NULL, &out, &err);
        CHECK_MSG(rc == LF_OK && out && !strcmp(out, cases[i][1]), "case %zu: %s", i, out ? out : err.message);
        free(out);
    }
}

int main(void) {
    check_case_filters_on_bad_utf8();
    check_table();
    check_errors();
    check_limits();
    check_api();
    check_models();
    TEST_MAIN_END();
}
