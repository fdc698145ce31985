/* gguf_from_source SRC OUT.gguf [TOKENIZER]: loads SRC (Hugging Face directory, PyTorch
 * checkpoint, llama2.c .bin, GGUF) and writes OUT.gguf with convert_write_model_metadata's
 * keys and every tensor as loaded (F32/F16/BF16, GGUF names and layout), plus the
 * rope_freqs tensor a Llama 3.1 scaling needs. Test-only: the metadata checks
 * (tests/check_model_metadata.py) compare it with llama.cpp's conversion and load it in
 * llama.cpp; `quantize` is the user-facing writer. */
#include <stdio.h>

#include "convert/model_metadata.h"
#include "convert/rope_freqs.h"
#include "core/error.h"

static int add_tensor(gguf_writer *w, const lf_tensor_view *v, lf_error *err) {
    uint64_t ne[4];
    for (int d = 0; d < 4; d++) ne[d] = (uint64_t)v->ne[d];
    return gguf_writer_add_tensor(w, v->name, (uint32_t)v->n_dims, ne, (lf_type)v->type, NULL, NULL, err);
}

static int write_file(const lf_model *m, const char *out, lf_error *err) {
    gguf_writer *w = NULL;
    lf_tensor_view rope;
    bool has_rope = convert_rope_freqs_tensor(m, &rope);
    int rc = gguf_writer_open(out, &w, err);
    if (!rc) rc = convert_write_model_metadata(m, w, err);
    for (int i = 0; !rc && i < m->n_tensors; i++) rc = add_tensor(w, &m->tensors[i], err);
    if (!rc && has_rope) rc = add_tensor(w, &rope, err);
    for (int i = 0; !rc && i < m->n_tensors; i++) rc = gguf_writer_write(w, m->tensors[i].data, m->tensors[i].nbytes, err);
    if (!rc && has_rope) rc = gguf_writer_write(w, rope.data, rope.nbytes, err);
    if (!rc) rc = gguf_writer_finish(w, err);
    gguf_writer_free(w);
    return rc;
}

/* Warnings (a vocabulary the GGUF cannot describe exactly) are part of what is tested. */
static void print_log(lf_log_level level, const char *msg, void *user) {
    (void)user;
    if (level >= LF_LOG_WARN) fprintf(stderr, "warning: %s\n", msg);
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: gguf_from_source SRC OUT.gguf [TOKENIZER]\n");
        return 2;
    }
    lf_set_log_callback(print_log, NULL);
    lf_model_params mp = lf_model_default_params();
    if (argc > 3) mp.tokenizer_path = argv[3];
    lf_model *m = NULL;
    lf_error err = {0};
    int rc = lf_model_load(argv[1], &mp, &m, &err);
    if (!rc) rc = write_file(m, argv[2], &err);
    if (rc) fprintf(stderr, "error: %s\n", err.message);
    lf_model_free(m);
    return rc ? 1 : 0;
}
