/* libFuzzer target for the whole model loader on GGUF input: the bytes go to an in-memory
 * file (memfd) that lf_model_load opens by its /proc/self/fd path, so the real path —
 * mmap, GGUF parse, configuration checks, weight binding, tokenizer — runs on every input.
 * A model that loads is run for one token in a small context, which reads every weight
 * the configuration claims. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "llamafast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;
static char path[64];

static void run_model(lf_model *model) {
    lf_model_info info;
    lf_model_get_info(model, &info);
    const char *name, *type;
    int64_t dims[4];
    int n_dims;
    for (int i = 0; lf_model_tensor(model, i, &name, &type, dims, &n_dims); i++)
        if (n_dims < 1 || n_dims > 4) __builtin_trap();
    const lf_tokenizer *tok = lf_model_tokenizer(model);
    if (tok) {
        int32_t ids[64];
        size_t n = 0;
        lf_tokenize(tok, "Hi <|im_end|>", 13, LF_TOKENIZE_PARSE_SPECIAL, ids, 64, &n, NULL);
    }
    lf_context_params cp = lf_context_default_params();
    cp.max_seq_len = 4;
    cp.n_threads = 1;
    lf_context *ctx = NULL;
    if (lf_context_create(model, &cp, &ctx, NULL) != LF_OK) return;
    int32_t token = info.vocab_size - 1;
    if (lf_decode(ctx, &token, 1, NULL) == LF_OK && !lf_context_logits(ctx)) __builtin_trap();
    lf_context_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (memfd < 0) {
        memfd = memfd_create("fuzz_model_gguf", 0);
        if (memfd < 0) abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
    }
    if (ftruncate(memfd, 0) != 0 || pwrite(memfd, data, size, 0) != (ssize_t)size) abort();
    lf_model *model = NULL;
    lf_error err;
    if (lf_model_load(path, NULL, &model, &err) != LF_OK) {
        if (model || !strstr(err.message, path)) __builtin_trap(); /* failures name the file */
        return 0;
    }
    run_model(model);
    lf_model_free(model);
    return 0;
}
