/* GBNF parser (good grammars, bad ones with line:column messages), matching of strings
 * (accepted and refused, UTF-8 split across feeds), JSON Schema and pattern translation,
 * and the vocabulary mask against token-by-token checks on a real tokenizer. */
#include <stdbool.h>

#include "grammar/grammar_matcher.h"
#include "llamafast.h"
#include "test.h"

/* Whether the grammar accepts text whole, fed in pieces of `step` bytes. */
static bool accepts_stepped(const lf_grammar *g, const char *text, size_t step) {
    grammar_matcher *m;
    if (grammar_matcher_create(g, NULL, &m, NULL)) return false;
    bool ok = true;
    for (size_t i = 0, n = strlen(text); i < n && ok; i += step)
        ok = grammar_matcher_accept_bytes(m, text + i, n - i < step ? n - i : step);
    ok = ok && grammar_matcher_complete(m);
    grammar_matcher_free(m);
    return ok;
}

static bool accepts(const lf_grammar *g, const char *text) {
    bool whole = accepts_stepped(g, text, strlen(text) ? strlen(text) : 1), bytes = accepts_stepped(g, text, 1);
    CHECK_MSG(whole == bytes, "byte-wise and whole feeding differ on \"%s\"", text);
    return whole;
}

/* GBNF and JSON Schema compile through the same checks. */
typedef int (*compile_fn)(const char *text, lf_grammar **out, lf_error *err);

static int compile_gbnf(const char *text, lf_grammar **out, lf_error *err) { return lf_grammar_parse(text, NULL, out, err); }

static lf_grammar *compile_ok(compile_fn compile, const char *text) {
    lf_grammar *g = NULL;
    lf_error err = {0};
    int rc = compile(text, &g, &err);
    CHECK_MSG(rc == LF_OK, "refused: %s\n%s", err.message, text);
    return g;
}

static void compile_bad(compile_fn compile, const char *text, const char *expect) {
    lf_grammar *g = NULL;
    lf_error err = {0};
    int rc = compile(text, &g, &err);
    CHECK_MSG(rc != LF_OK && g == NULL, "accepted: %s", text);
    CHECK_MSG(strstr(err.message, expect) != NULL, "message \"%s\" lacks \"%s\"", err.message, expect);
}

static void check_matches(compile_fn compile, const char *text, const char *const *good, const char *const *bad) {
    lf_grammar *g = compile_ok(compile, text);
    if (!g) return;
    for (; *good; good++) CHECK_MSG(accepts(g, *good), "refused \"%s\" for %s", *good, text);
    for (; *bad; bad++) CHECK_MSG(!accepts(g, *bad), "accepted \"%s\" for %s", *bad, text);
    lf_grammar_free(g);
}

static void check_language(const char *grammar, const char *const *good, const char *const *bad) {
    check_matches(compile_gbnf, grammar, good, bad);
}

static void parse_bad(const char *text, const char *expect) { compile_bad(compile_gbnf, text, expect); }

static void test_languages(void) {
    check_language("root ::= \"a\" | \"bc\"", (const char *[]){"a", "bc", NULL}, (const char *[]){"", "b", "abc", "ab", NULL});
    /* overlong and out-of-range UTF-8 never matches, not even as a prefix */
    check_language("root ::= \"no\" | [\\U00010000-\\U0010FFFF]", (const char *[]){"no", "\xf4\x8f\xbf\xbf", NULL},
                   (const char *[]){"n\xe0\x81\xaf", "n\xc1\xaf", "\xf4\x90\x80\x80", "\xed\xa0", NULL});
    check_language("root ::= [a-c]+ \"!\"?", (const char *[]){"a", "abcabc", "cc!", NULL},
                   (const char *[]){"", "!", "ad", "a!!", NULL});
    check_language("root ::= [^0-9x] .", (const char *[]){"ab", "\xc3\xa9\xe2\x82\xac", "%9", NULL},
                   (const char *[]){"0a", "xa", "a", NULL});
    check_language("root ::= \"x\"{2,3} \"y\"{2} \"z\"{,1} \"w\"{1,}", (const char *[]){"xxyyw", "xxxyyzww", NULL},
                   (const char *[]){"xyyw", "xxxxyyw", "xxyw", "xxyyzzw", "xxyy", NULL});
    check_language("# comment\nroot ::= item (\",\" item)*   # trailing\nitem ::= (\n  \"a\" |\n  \"b\"\n)\n",
                   (const char *[]){"a", "a,b,a", NULL}, (const char *[]){"", "a,", ",a", "ab", NULL});
    check_language("root ::= \"\\x41\\u00e9\\U0001F600\\n\\t\\\\\\\"\" [\\[\\]\\-]",
                   (const char *[]){"A\xc3\xa9\xf0\x9f\x98\x80\n\t\\\"[", "A\xc3\xa9\xf0\x9f\x98\x80\n\t\\\"-", NULL},
                   (const char *[]){"A\xc3\xa9\xf0\x9f\x98\x80\n\t\\\"a", NULL});
    /* right recursion nests: balanced parentheses */
    check_language("root ::= \"(\" root \")\" root | ", (const char *[]){"", "()", "(())()", NULL},
                   (const char *[]){"(", ")(", "(()", NULL});
    check_language("root ::= [\xd0\x90-\xd0\xaf]+", (const char *[]){"\xd0\x9f\xd0\xa0", NULL},
                   (const char *[]){"\xd0\xb0", "\xd0", NULL});
}

static void test_bad_grammars(void) {
    parse_bad("root ::= \"abc", "line 1, column 10: unterminated string literal");
    parse_bad("root ::= foo", "line 1, column 10: rule 'foo' is used but never defined");
    parse_bad("root ::= \"a\"\n\nx ::= [b-a]", "line 3, column 9: range U+62-U+61 runs backwards");
    parse_bad("root ::= (\"a\"", "line 1, column 10: '(' is never closed");
    parse_bad("root ::= \"a\")", "line 1, column 13: unmatched ')'");
    parse_bad("root ::= *", "line 1, column 10: '*' follows nothing to repeat");
    parse_bad("root ::= \"a\"{3,2}", "line 1, column 13: repetition {3,2}");
    parse_bad("root ::= \"a\"{5000}", "repetition count above 1000");
    parse_bad("root ::= \"\\q\"", "line 1, column 11: unknown escape");
    parse_bad("root ::= []", "empty character class");
    parse_bad("root ::= \"a\"\nroot ::= \"b\"", "line 2, column 1: rule 'root' is defined twice");
    parse_bad("root = \"a\"", "line 1, column 6: expected '::='");
    parse_bad("start ::= \"a\"", "no rule named 'root'");
    parse_bad("root ::= root \"a\" | \"b\"", "rule 'root' is left-recursive");
    parse_bad("root ::= x \"a\"\nx ::= y?\ny ::= root", "left-recursive");
    parse_bad("root ::= \"\xff\"", "invalid UTF-8");
    parse_bad("root ::= \"a\" ::= \"b\"", "line 1, column 14");
}

static void check_schema(const char *schema, const char *const *good, const char *const *bad) {
    check_matches(lf_grammar_from_json_schema, schema, good, bad);
}

static void schema_bad(const char *schema, const char *expect) { compile_bad(lf_grammar_from_json_schema, schema, expect); }

static void test_json_schema(void) {
    check_schema("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"age\":{\"type\":\"integer\"},"
                 "\"tags\":{\"type\":\"array\",\"items\":{\"enum\":[\"a\",\"b\"]},\"minItems\":1,\"maxItems\":2}},"
                 "\"required\":[\"name\",\"tags\"],\"additionalProperties\":false}",
                 (const char *[]){"{\"name\":\"x\",\"tags\":[\"a\"]}", "{ \"name\": \"\\u00e9\\n\", \"tags\": [\"a\", \"b\"], \"age\": -12 }", NULL},
                 (const char *[]){"{\"name\":\"x\"}", "{\"name\":\"x\",\"tags\":[]}", "{\"name\":\"x\",\"tags\":[\"a\",\"b\",\"a\"]}",
                                  "{\"name\":\"x\",\"tags\":[\"c\"]}", "{\"name\":\"x\",\"tags\":[\"a\"],\"zz\":1}",
                                  "{\"name\":1,\"tags\":[\"a\"]}", "{\"name\":\"x\",\"tags\":[\"a\"],\"age\":01}", NULL});
    check_schema("{\"properties\":{\"a\":{\"type\":\"boolean\"},\"b\":{\"type\":\"null\"}},\"additionalProperties\":false}",
                 (const char *[]){"{}", "{\"a\":true}", "{\"b\":null}", "{\"a\":false,\"b\":null}", NULL},
                 (const char *[]){"{\"b\":null,\"a\":true}", "{,}", "{\"a\":true,}", NULL});
    check_schema("{\"type\":\"object\"}", (const char *[]){"{}", "{\"x\":[1,2.5e3,{\"y\":null}]}", NULL},
                 (const char *[]){"[]", "{\"x\"}", NULL});
    check_schema("{\"type\":\"json_object\"}", (const char *[]){"{\"k\":\"v\"}", NULL}, (const char *[]){"\"v\"", NULL});
    check_schema("{\"anyOf\":[{\"type\":\"number\"},{\"const\":\"hi\"}]}", (const char *[]){"1.5", "\"hi\"", NULL},
                 (const char *[]){"\"ho\"", "1.", NULL});
    check_schema("{\"type\":\"string\",\"minLength\":2,\"maxLength\":3}", (const char *[]){"\"ab\"", "\"a\\\"c\"", NULL},
                 (const char *[]){"\"a\"", "\"abcd\"", NULL});
    check_schema("{\"type\":\"string\",\"pattern\":\"^[A-Z]{2}-\\\\d{3}$\"}", (const char *[]){"\"AB-123\"", NULL},
                 (const char *[]){"\"ab-123\"", "\"AB-12\"", "\"AB123\"", NULL});
    check_schema("{\"type\":\"string\",\"pattern\":\"(a|b\\\\.)+[^x]?\"}", (const char *[]){"\"ab.a\"", "\"ay\"", NULL},
                 (const char *[]){"\"ax\"", "\"b\"", "\"a\\\"\"", NULL});
    check_schema("{\"type\":\"string\",\"pattern\":\"[\\\"\\\\\\\\]\"}", (const char *[]){"\"\\\"\"", "\"\\\\\"", NULL},
                 (const char *[]){"\"\"\"", NULL});
    check_schema("{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"next\":{\"$ref\":\"#/$defs/node\"}},"
                 "\"additionalProperties\":false}},\"$ref\":\"#/$defs/node\"}",
                 (const char *[]){"{}", "{\"next\":{\"next\":{}}}", NULL}, (const char *[]){"{\"next\":1}", NULL});
    check_schema("{\"type\":[\"integer\",\"null\"],\"title\":\"x\"}", (const char *[]){"7", "null", NULL},
                 (const char *[]){"7.5", NULL});
    schema_bad("{\"type\":\"number\",\"minimum\":0}", "#: keyword 'minimum' is not supported");
    schema_bad("{\"type\":\"string\",\"pattern\":\"(?=a)\"}", "#/pattern: pattern \"(?=a)\": a lookahead");
    schema_bad("{\"type\":\"string\",\"pattern\":\"(a)\\\\1\"}", "a backreference");
    schema_bad("{\"properties\":{\"a\":{\"format\":\"email\"}}}", "#/properties/a: keyword 'format' is not supported");
    schema_bad("{\"$ref\":\"#/$defs/missing\"}", "'#/$defs/missing' is not defined");
    schema_bad("{\"type\":\"strin\"}", "unknown type 'strin'");
    schema_bad("{\"type\":\"array\",\"maxItems\":-1}", "'maxItems' must be an integer");
    schema_bad("{\"type\":", "malformed JSON");
}

/* The trie walk's mask against asking token by token, along a JSON answer. */
static void test_vocab_mask(void) {
    char path[512];
    const char *model = getenv("MODEL");
    snprintf(path, sizeof path, "%s", model ? model : "models/SmolLM2-135M-Instruct.Q4_1.gguf");
    lf_tokenizer *tok = NULL;
    if (lf_tokenizer_load(path, &tok, NULL)) {
        SKIP("no tokenizer at %s", path);
        return;
    }
    lf_grammar *g = compile_ok(lf_grammar_from_json_schema, "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"maxLength\":8},"
                                   "\"n\":{\"type\":\"integer\"}},\"required\":[\"city\",\"n\"],\"additionalProperties\":false}");
    grammar_matcher *m = NULL;
    if (!g || grammar_matcher_create(g, tok, &m, NULL)) {
        CHECK(!"matcher");
        lf_grammar_free(g);
        lf_tokenizer_free(tok);
        return;
    }
    int n = lf_tokenizer_vocab_size(tok);
    float *logits = malloc((size_t)n * sizeof *logits), *masked = malloc((size_t)n * sizeof *masked);
    for (int i = 0; i < n; i++) logits[i] = (float)(i % 7);
    const char *answer = "{\"city\": \"Z\xc3\xbcrich\", \"n\": 42}";
    size_t ids_cap = 64, n_ids = 0;
    int32_t ids[64];
    lf_tokenize(tok, answer, strlen(answer), LF_TOKENIZE_NO_BOS, ids, ids_cap, &n_ids, NULL);
    int mismatches = 0;
    for (size_t k = 0; k <= n_ids && k < ids_cap; k++) {
        CHECK(grammar_matcher_mask(m, logits, masked));
        for (int i = 0; i < n; i++) mismatches += (masked[i] != -INFINITY) != grammar_matcher_allows(m, i);
        if (k == n_ids) break;
        CHECK_MSG(grammar_matcher_allows(m, ids[k]), "token %d of the answer refused", (int)k);
        grammar_matcher_accept(m, ids[k]);
    }
    CHECK_MSG(mismatches == 0, "%d mask/allows mismatches", mismatches);
    CHECK(grammar_matcher_complete(m));
    CHECK(grammar_matcher_allows(m, lf_token_eos(tok)));
    /* complete and nothing else can follow: only end-of-generation tokens remain */
    int allowed = 0;
    grammar_matcher_mask(m, logits, masked);
    for (int i = 0; i < n; i++) allowed += masked[i] != -INFINITY && !lf_token_is_end_of_generation(tok, i);
    CHECK(allowed == 0);
    free(logits);
    free(masked);
    grammar_matcher_free(m);
    lf_grammar_free(g);
    lf_tokenizer_free(tok);
}

int main(void) {
    test_languages();
    test_bad_grammars();
    test_json_schema();
    test_vocab_mask();
    TEST_MAIN_END();
}
