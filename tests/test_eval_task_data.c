/* The readers and prompt steps of the multiple-choice tasks, on inputs whose expected
 * results Python gives: RFC 4180 CSV records and errors, hellaswag's preprocess, str.strip
 * and capitalize, lm-eval's prompts of each task, the splitmix64 few-shot draw, and the
 * shapes a reader must refuse (with the line). */
#include <string.h>

#include "eval/task_prompt.h"
#include "format/csv.h"
#include "test.h"

static void csv_records(void) {
    static const char data[] = "a,\"b,c\",\"say \"\"hi\"\"\"\r\n\n\"multi\nline\",,x\nlast";
    lf_csv_reader r;
    lf_csv_init(&r, data, sizeof data - 1, "t.csv");
    const char *f[LF_CSV_MAX_FIELDS];
    int n, line;
    lf_error err;
    CHECK(lf_csv_next(&r, f, &n, &line, &err) == 1 && n == 3 && line == 1 && !strcmp(f[0], "a") &&
          !strcmp(f[1], "b,c") && !strcmp(f[2], "say \"hi\""));
    CHECK(lf_csv_next(&r, f, &n, &line, &err) == 1 && n == 3 && line == 3 && !strcmp(f[0], "multi\nline") &&
          !strcmp(f[1], "") && !strcmp(f[2], "x"));
    CHECK(lf_csv_next(&r, f, &n, &line, &err) == 1 && n == 1 && line == 5 && !strcmp(f[0], "last"));
    CHECK(lf_csv_next(&r, f, &n, &line, &err) == 0);
    lf_csv_free(&r);
    static const char *const bad[][2] = {{"a,\"b\nc", "t.csv:1: unterminated quoted field"},
                                         {"ok\n\"b\"c", "t.csv:2: text after a closing quote"},
                                         {"a\"b", "t.csv:1: quote inside an unquoted field"},
                                         {"a\rb", "t.csv:1: carriage return not followed by a line feed"},
                                         {"x\n\n\xc3\x28", "t.csv:3: invalid UTF-8"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lf_csv_init(&r, bad[i][0], strlen(bad[i][0]), "t.csv");
        int rc;
        while ((rc = lf_csv_next(&r, f, &n, &line, &err)) == 1) {}
        CHECK_MSG(rc == LF_ERR_FORMAT && !strcmp(err.message, bad[i][1]), "%s: %s", bad[i][1], err.message);
        lf_csv_free(&r);
    }
}

static void text_steps(void) {
    static const char *const hs[][2] = {
        {"  How to bake [title] Preheat the oven. [step] Mix   well.  ", "How to bake. Preheat the oven. Mix  well."},
        {"a [b\n] c [d] e", "a [b\n] c e"},
        {"x[y]z]  [", "xz] ["},
        {"\t\x1c caf\xc3\xa9 [header] A  B \xc2\xa0", "caf\xc3\xa9 A B"}};
    for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++) {
        char *got = lf_hellaswag_preprocess(hs[i][0]);
        CHECK_MSG(got && !strcmp(got, hs[i][1]), "preprocess(%s) = %s", hs[i][0], got);
        free(got);
    }
    char *c = lf_py_capitalize("tHE PANS are HOT");
    CHECK(c && !strcmp(c, "The pans are hot"));
    free(c);
    CHECK(lf_py_rstrip_len("ab \t\n\xc2\xa0", 7) == 2 && lf_utf8_count("caf\xc3\xa9") == 4);
}

static lf_eval_task *load(lf_eval_task_kind kind, const char *data, const char *name, const char *labels) {
    lf_eval_task *t = NULL;
    lf_error err;
    int rc = lf_eval_task_load_buffer(kind, data, strlen(data), name, labels, labels ? strlen(labels) : 0, &t, &err);
    CHECK_MSG(rc == LF_OK, "%s: %s", name, err.message);
    return t;
}

static void expect_request(const lf_eval_task *t, int index, int k, int choice, const char *context,
                           const char *continuation) {
    lf_eval_task_params p = lf_eval_task_default_params();
    p.num_fewshot = k;
    char *prefix = NULL, *ctx = NULL, *cont = NULL;
    lf_error err;
    CHECK(lf_task_prefix(t, index, &p, &prefix, &err) == LF_OK &&
          lf_task_request(t, index, choice, prefix, &ctx, &cont) == LF_OK);
    CHECK_MSG(ctx && cont && !strcmp(ctx, context) && !strcmp(cont, continuation), "[%s] [%s]", ctx, cont);
    free(prefix);
    free(ctx);
    free(cont);
}

static void prompts(void) {
    lf_eval_task *t = load(LF_TASK_HELLASWAG,
                           "{\"activity_label\": \"Baking\", \"ctx_a\": \"A chef  cooks.\", \"ctx_b\": \"the PANS\", "
                           "\"endings\": [\"are [step] hot.\", \"b\", \"c\", \"d\"], \"label\": \"2\"}\n",
                           "hs.jsonl", NULL);
    if (t) {
        CHECK(t->items[0].label == 2);
        expect_request(t, 0, 0, 0, "Baking: A chef cooks. The pans", " are hot.");
    }
    lf_eval_task_free(t);
    char rows[1024] = "";
    for (int i = 0; i < 5; i++) {
        char row[128];
        snprintf(row, sizeof row, "{\"sentence\": \"s%d _ x.\", \"option1\": \"o%da\", \"option2\": \"o%db\", "
                 "\"answer\": \"1\"}\n", i, i, i);
        strcat(rows, row);
    }
    /* splitmix64 draws for seed 1234 (Python): item 0 takes items 1 and 3, item 2 takes 4 and 1 */
    if ((t = load(LF_TASK_WINOGRANDE, rows, "wg.jsonl", NULL))) {
        expect_request(t, 0, 2, 1, "s1 o1a x.\n\ns3 o3a x.\n\ns0 o0b", " x.");
        expect_request(t, 2, 2, 0, "s4 o4a x.\n\ns1 o1a x.\n\ns2 o2a", " x.");
    }
    lf_eval_task_free(t);
    if ((t = load(LF_TASK_ARC_EASY,
                  "{\"question\": \"Why?\", \"choices\": {\"text\": [\"a\", \"b\", \"c\"], \"label\": [\"1\", \"2\", "
                  "\"3\"]}, \"answerKey\": \"3\"}\n",
                  "arc.jsonl", NULL))) {
        CHECK(t->items[0].label == 2 && t->items[0].n_choices == 3);
        expect_request(t, 0, 0, 1, "Question: Why?\nAnswer:", " b");
    }
    lf_eval_task_free(t);
    if ((t = load(LF_TASK_PIQA, "{\"goal\": \"g\", \"sol1\": \"a\", \"sol2\": \"b\"}\n", "p.jsonl", "1\r\n"))) {
        CHECK(t->items[0].label == 1);
        expect_request(t, 0, 0, 1, "Question: g\nAnswer:", " b");
    }
    lf_eval_task_free(t);
    if ((t = load(LF_TASK_MMLU, " 2+2? ,1,2,3,4,D\nq2,a,b,c,d,A\n", "data/test/high_school_math_test.csv", NULL))) {
        CHECK(t->n_subjects == 1 && !strcmp(t->subjects[0], "high_school_math") && t->items[0].label == 3);
        expect_request(t, 1, 1, 2,
                       "The following are multiple choice questions (with answers) about high school math.\n\n"
                       "2+2?\nA. 1\nB. 2\nC. 3\nD. 4\nAnswer: D\n\nq2\nA. a\nB. b\nC. c\nD. d\nAnswer:",
                       " C");
    }
    lf_eval_task_free(t);
}

static void refused(void) {
    static const struct {
        lf_eval_task_kind kind;
        const char *data, *labels, *message;
    } cases[] = {
        {LF_TASK_WINOGRANDE, "\n{\"sentence\": \"a_b_\", \"option1\": \"x\", \"option2\": \"y\", \"answer\": \"1\"}",
         NULL, "d.jsonl:2: \"sentence\" has more than one \"_\" (exactly one is the blank)"},
        {LF_TASK_PIQA, "{\"goal\": \"g\", \"sol1\": \"a\", \"sol2\": \"b\"}\n{\"goal\": \"g\", \"sol1\": \"a\", "
                       "\"sol2\": \"b\"}\n", "0\n", "d.jsonl:2: more rows than the 1 labels of the labels file"},
        {LF_TASK_MMLU, "{\"question\": \"q\", \"subject\": \"s\", \"choices\": [\"a\"], \"answer\": 0}\n", NULL,
         "d.jsonl:1: \"choices\" has 1 entries, not 4"},
        {LF_TASK_HELLASWAG, "{\"activity_label\": \"a\\u0000b\"}", NULL,
         "d.jsonl:1: \"activity_label\" holds a NUL character"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lf_eval_task *t = NULL;
        lf_error err;
        int rc = lf_eval_task_load_buffer(cases[i].kind, cases[i].data, strlen(cases[i].data), "d.jsonl",
                                          cases[i].labels, cases[i].labels ? strlen(cases[i].labels) : 0, &t, &err);
        CHECK_MSG(rc == LF_ERR_FORMAT && !t && !strcmp(err.message, cases[i].message), "%s", err.message);
    }
}

int main(void) {
    csv_records();
    text_steps();
    prompts();
    refused();
    TEST_MAIN_END();
}
