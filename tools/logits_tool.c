/* logits_tool [--precise-activations] [--kv-type T] [--quantize SCHEME] [--dtype D] MODEL TOKENS [THREADS]
 * [TOKENIZER]: runs the model (its weights converted at load by SCHEME and D) on
 * comma-separated token ids in one batch and writes the logits of every position to
 * stdout as raw float32 (n_tokens × vocab). Used by tests/check_forward.py to compare with
 * the numpy reference, and by bench/precision.py to measure each activation mode. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llamafast.h"

int main(int argc, char **argv) {
    bool precise = false;
    lf_kv_type kv_type = LF_KV_F16;
    const char *quantize = NULL, *dtype = NULL;
    for (;;) {
        if (argc > 1 && !strcmp(argv[1], "--precise-activations")) {
            precise = true;
            argc--, argv++;
        } else if (argc > 2 && !strcmp(argv[1], "--kv-type")) {
            if (!lf_kv_type_from_name(argv[2], &kv_type)) {
                fprintf(stderr, "error: --kv-type: unknown KV cache type\n");
                return 2;
            }
            argc -= 2, argv += 2;
        } else if (argc > 2 && (!strcmp(argv[1], "--quantize") || !strcmp(argv[1], "--dtype"))) {
            *(!strcmp(argv[1], "--quantize") ? &quantize : &dtype) = argv[2];
            argc -= 2, argv += 2;
        } else {
            break;
        }
    }
    if (argc < 3) {
        fprintf(stderr, "usage: logits_tool [--precise-activations] [--kv-type T] [--quantize SCHEME] [--dtype D] MODEL "
                        "TOKENS [THREADS] [TOKENIZER]\n");
        return 2;
    }
    static int32_t ids[4096];
    int n = 0;
    for (char *save = NULL, *t = strtok_r(argv[2], ",", &save); t && n < 4096; t = strtok_r(NULL, ",", &save))
        ids[n++] = (int32_t)atoi(t);
    lf_model_params mp = lf_model_default_params();
    if (argc > 4) mp.tokenizer_path = argv[4];
    mp.quantize = quantize;
    mp.dtype = dtype;
    lf_model *model = NULL;
    lf_context *ctx = NULL;
    lf_error err = {0};
    lf_context_params cp = lf_context_default_params();
    cp.logits_all = true;
    cp.precise_activations = precise;
    cp.type_k = cp.type_v = kv_type;
    cp.max_seq_len = n;
    cp.n_threads = argc > 3 ? atoi(argv[3]) : 1;
    if (lf_model_load(argv[1], &mp, &model, &err) || lf_context_create(model, &cp, &ctx, &err) ||
        lf_decode(ctx, ids, n, &err)) {
        fprintf(stderr, "error: %s\n", err.message);
        return 1;
    }
    lf_model_info info;
    lf_model_get_info(model, &info);
    for (int i = 0; i < n; i++) fwrite(lf_context_logits_at(ctx, i), sizeof(float), (size_t)info.vocab_size, stdout);
    lf_context_free(ctx);
    lf_model_free(model);
    return 0;
}
