/* Prompt caching (lf_context_tokens, lf_context_keep_prefix) on two real models: the
 * SmolLM2-135M-Instruct GGUF (env MODEL) and the llama2.c stories260K model.
 * The context records every id it decodes (lf_decode, lf_generate), truncation forgets
 * them, and keep_prefix keeps exactly the common prefix -- never all n tokens -- so that
 * decoding the rest gives the logits a fresh context gets for the same sequence. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llamafast.h"
#include "model_test.h"
#include "test.h"

static bool same_ids(const int32_t *a, const int32_t *b, int n) { return n == 0 || !memcmp(a, b, n * sizeof *a); }

static lf_context *context_of(const lf_model *m, int n_ctx, bool precise) {
    lf_context_params cp = lf_context_default_params();
    cp.max_seq_len = n_ctx;
    cp.n_threads = 2;
    cp.precise_activations = precise;
    return test_context(m, &cp);
}

static lf_context *new_context(const lf_model *m, int n_ctx) { return context_of(m, n_ctx, false); }

static int decode(lf_context *ctx, const int32_t *ids, int n) {
    lf_error err = {0};
    int rc = lf_decode(ctx, ids, n, &err);
    if (rc) fprintf(stderr, "decode: %s\n", err.message);
    return rc;
}

/* Decoding A then junk, keep_prefix(A+B) and decoding B gives bit for bit the logits of a
 * fresh context decoding A then B: the junk's stale keys and values are never read. A
 * fresh context decoding A+B in one batch agrees up to the rounding of batched products:
 * batches of different sizes may take different kernels (a few rows one made for them,
 * more the GEMM), whose float rounding differs; with int8 activations a difference that
 * moves a value across a rounding step of the next layer's activations grows through the
 * layers, so the contexts multiply precise activations (activation + int8 residual). */
static void check_extension(const lf_model *m, const int32_t *ids, int n_a, int n, const char *what) {
    lf_model_info info;
    lf_model_get_info(m, &info);
    int vocab = info.vocab_size;
    lf_context *split = context_of(m, 512, true), *cached = context_of(m, 512, true),
               *whole = context_of(m, 512, true);
    CHECK(decode(whole, ids, n) == LF_OK);
    CHECK(decode(split, ids, n_a) == LF_OK && decode(split, ids + n_a, n - n_a) == LF_OK);
    int32_t junk[8];
    for (int i = 0; i < 8; i++) junk[i] = (ids[n_a] + 1 + 3 * i) % vocab;
    CHECK(decode(cached, ids, n_a) == LF_OK && decode(cached, junk, 8) == LF_OK);
    int kept = lf_context_keep_prefix(cached, ids, n);
    CHECK_MSG(kept == n_a, "%s: kept %d of %d, want %d", what, kept, n, n_a);
    CHECK(lf_context_position(cached) == n_a);
    CHECK(decode(cached, ids + kept, n - kept) == LF_OK);
    CHECK_MSG(!memcmp(lf_context_logits(cached), lf_context_logits(split), vocab * sizeof(float)),
              "%s: logits after the cached prefix differ from a fresh context's", what);
    CHECK(lf_context_position(cached) == n && same_ids(lf_context_tokens(cached), ids, n));
    double d = logit_distance(lf_context_logits(cached), lf_context_logits(whole), vocab);
    CHECK_MSG(d <= 2e-3, "%s: logits differ from a one-batch decode by %g of the largest", what, d);
    CHECK(argmax(lf_context_logits(cached), vocab) == argmax(lf_context_logits(whole), vocab));

    /* The whole sequence again: all but the last token are kept, and re-decoding that
     * one gives what a fresh context gets for the same steps. */
    kept = lf_context_keep_prefix(cached, ids, n);
    CHECK_MSG(kept == n - 1, "%s: keep_prefix of the held sequence kept %d, want n - 1 = %d", what, kept, n - 1);
    CHECK(decode(cached, ids + kept, 1) == LF_OK);
    lf_context_truncate(split, n - 1);
    CHECK(decode(split, ids + n - 1, 1) == LF_OK);
    CHECK_MSG(!memcmp(lf_context_logits(cached), lf_context_logits(split), vocab * sizeof(float)),
              "%s: re-decoded last token's logits differ from a fresh context's", what);
    lf_context_free(split);
    lf_context_free(cached);
    lf_context_free(whole);
}

/* Token bookkeeping: decode, truncate, mismatches, degenerate arguments. */
static void check_bookkeeping(const lf_model *m, const int32_t *ids, int n) {
    lf_context *ctx = new_context(m, 512);
    CHECK(lf_context_position(ctx) == 0);
    CHECK(lf_context_keep_prefix(ctx, ids, n) == 0); /* empty cache keeps nothing */
    CHECK(decode(ctx, ids, n) == LF_OK);
    CHECK(lf_context_position(ctx) == n && same_ids(lf_context_tokens(ctx), ids, n));

    /* a different token in the middle: kept up to it, the rest dropped */
    int32_t *other = malloc(n * sizeof *other);
    memcpy(other, ids, n * sizeof *other);
    int mid = n / 2;
    other[mid] = ids[mid] == 5 ? 6 : 5;
    CHECK_MSG(lf_context_keep_prefix(ctx, other, n) == mid, "mismatch at %d", mid);
    CHECK(lf_context_position(ctx) == mid);
    /* ... and what was dropped is not kept again even though the ids still match */
    CHECK(lf_context_keep_prefix(ctx, ids, n) == mid);

    /* a shorter request than the cache: n - 1 kept */
    CHECK(lf_context_keep_prefix(ctx, ids, 3) == 2 && lf_context_position(ctx) == 2);

    /* truncate trims what keep_prefix may reuse */
    CHECK(decode(ctx, ids + 2, n - 2) == LF_OK && lf_context_position(ctx) == n);
    lf_context_truncate(ctx, 4);
    CHECK(lf_context_position(ctx) == 4 && lf_context_keep_prefix(ctx, ids, n) == 4);

    /* the first token differs: nothing kept; n of 0 or 1 and NULL keep nothing */
    CHECK(decode(ctx, ids + 4, n - 4) == LF_OK);
    other[0] = ids[0] == 7 ? 8 : 7;
    CHECK(lf_context_keep_prefix(ctx, other, n) == 0 && lf_context_position(ctx) == 0);
    CHECK(decode(ctx, ids, n) == LF_OK);
    CHECK(lf_context_keep_prefix(ctx, ids, 1) == 0 && lf_context_position(ctx) == 0);
    CHECK(decode(ctx, ids, n) == LF_OK);
    CHECK(lf_context_keep_prefix(ctx, NULL, 0) == 0 && lf_context_position(ctx) == 0);

    /* a failed decode (id outside the vocabulary) records nothing */
    CHECK(decode(ctx, ids, 2) == LF_OK);
    int32_t bad[2] = {ids[2], -1};
    lf_error err = {0};
    CHECK(lf_decode(ctx, bad, 2, &err) == LF_ERR_ARG);
    CHECK(lf_context_position(ctx) == 2 && lf_context_keep_prefix(ctx, ids, n) == 2);
    free(other);
    lf_context_free(ctx);
}

typedef struct collected {
    int32_t ids[64];
    int n;
} collected;

static bool collect(int32_t id, const char *text, void *user) {
    (void)text;
    collected *c = user;
    if (id >= 0 && c->n < 64) c->ids[c->n++] = id;
    return true;
}

/* lf_generate records the prompt and every generated token it decodes (all but the last
 * sampled one, whose keys are never needed unless the conversation goes on). */
static void check_generate_records(const lf_model *m, const int32_t *prompt, int n_prompt) {
    lf_model_info info;
    lf_model_get_info(m, &info);
    lf_context *ctx = new_context(m, 512);
    lf_sampler_params sp = lf_sampler_default_params();
    sp.temperature = 0;
    lf_sampler *s = NULL;
    lf_error err = {0};
    CHECK(lf_sampler_create(&sp, info.vocab_size, &s, &err) == LF_OK);
    collected got = {0};
    lf_generate_stats st;
    CHECK(lf_generate(ctx, s, prompt, n_prompt, 8, collect, &got, &st, &err) == LF_OK);
    int decoded = st.stopped_by_eog ? st.n_generated : st.n_generated - 1;
    CHECK_MSG(got.n == st.n_generated && lf_context_position(ctx) == n_prompt + decoded,
              "generated %d (callback %d), position %d", st.n_generated, got.n, lf_context_position(ctx));
    const int32_t *held = lf_context_tokens(ctx);
    CHECK(same_ids(held, prompt, n_prompt) && same_ids(held + n_prompt, got.ids, decoded));
    lf_sampler_free(s);
    lf_context_free(ctx);
}

static lf_model *load(const char *path) {
    lf_model *m = NULL;
    lf_error err = {0};
    if (lf_model_load(path, NULL, &m, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return NULL;
    }
    return m;
}

int main(void) {
    const char *model_path = getenv("MODEL") ? getenv("MODEL") : "models/SmolLM2-135M-Instruct.Q4_1.gguf";
    lf_model *smol = load(model_path);
    CHECK_MSG(smol != NULL, "cannot load %s (env MODEL)", model_path);
    if (smol) {
        const char *text = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
                           "What is the capital of France?<|im_end|>\n<|im_start|>assistant\n";
        int32_t ids[128];
        size_t n = 0;
        lf_error err = {0};
        CHECK(lf_tokenize(lf_model_tokenizer(smol), text, strlen(text), LF_TOKENIZE_PARSE_SPECIAL, ids, 128, &n,
                          &err) == LF_OK);
        CHECK(n > 20 && n < 128);
        check_extension(smol, ids, 14, (int)n, "SmolLM2");
        check_bookkeeping(smol, ids, (int)n);
        check_generate_records(smol, ids, (int)n);
        lf_model_free(smol);
    }

    /* stories260K: more tokens than one forward batch (256), split across the boundary */
    char path[4096];
    snprintf(path, sizeof path, "%s/models/stories260K.bin", test_data_dir());
    lf_model *stories = load(path);
    CHECK_MSG(stories != NULL, "cannot load %s", path);
    if (stories) {
        enum { N = 300 };
        int32_t ids[N];
        for (int i = 0; i < N; i++) ids[i] = 1 + (i * 37 + i / 7) % 500;
        check_extension(stories, ids, 250, N, "stories260K 250+50");
        check_extension(stories, ids, 1, N, "stories260K 1+299");
        check_bookkeeping(stories, ids, N);
        check_generate_records(stories, ids, 40);
        lf_model_free(stories);
    }
    TEST_MAIN_END();
}
