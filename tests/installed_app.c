/* A program outside the source tree, built by tests/test_install.sh against the installed
 * library with pkg-config: the header's version against the library's, an error from a
 * missing file, and greedy tokens of a model (argv[1]) after the BOS token. */
#include <llamafast.h>
#include <stdio.h>

static bool print_id(int32_t id, const char *text, void *user) {
    (void)text, (void)user;
    if (id >= 0) printf(" %d", id);
    return true;
}

int main(int argc, char **argv) {
    printf("header %d.%d.%d library %s\n", LF_VERSION_MAJOR, LF_VERSION_MINOR, LF_VERSION_PATCH, lf_version());
    lf_model_params mp = lf_model_default_params();
    lf_model *model = NULL;
    lf_error err = {0};
    int rc = lf_model_load("/nonexistent/model.gguf", &mp, &model, &err);
    printf("missing file: %s (%s)\n", rc == LF_ERR_IO ? "LF_ERR_IO" : "unexpected code", err.message);
    if (argc < 2) return 0;
    if (lf_model_load(argv[1], &mp, &model, &err) != LF_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    lf_model_info info;
    lf_model_get_info(model, &info);
    printf("dim %d layers %d heads %d kv_heads %d vocab %d\n", info.dim, info.n_layers, info.n_heads,
           info.n_kv_heads, info.vocab_size);
    lf_context_params cp = lf_context_default_params();
    cp.n_threads = 1;
    lf_sampler_params sp = lf_sampler_default_params();
    sp.temperature = 0;
    lf_context *ctx = NULL;
    lf_sampler *sampler = NULL;
    const int32_t bos = 1;
    printf("tokens:");
    rc = lf_context_create(model, &cp, &ctx, &err);
    if (rc == LF_OK) rc = lf_sampler_create(&sp, info.vocab_size, &sampler, &err);
    if (rc == LF_OK) rc = lf_generate(ctx, sampler, &bos, 1, 8, print_id, NULL, NULL, &err);
    printf("\n");
    if (rc != LF_OK) fprintf(stderr, "%s\n", err.message);
    lf_sampler_free(sampler);
    lf_context_free(ctx);
    lf_model_free(model);
    return rc == LF_OK ? 0 : 1;
}
