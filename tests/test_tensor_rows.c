/* A Hugging Face checkpoint read lazily, tensor by tensor (lf_model_load_lazy and
 * lf_model_tensor_read_rows, what quantize uses), gives every tensor's rows exactly as
 * the runtime's eager load converts them (Q/K rows out of rotate-half order), from any
 * row offset, and still after its pages were released; with its data aligned (Q/K are
 * reordered as read) and misaligned (copied at load, as for the runtime). A synthetic
 * directory: a config.json and a hand-written model.safetensors of random F16 weights,
 * 4 query and 2 key/value heads. */
#include <stdint.h>
#include <unistd.h>

#include "model/model.h"
#include "test.h"

enum { DIM = 64, HEADS = 4, KV_HEADS = 2, FFN = 96, VOCAB = 48 };

static char dir[] = "/tmp/test_tensor_rows_XXXXXX";

typedef struct spec {
    const char *name;
    int rows, cols; /* rows 0: a vector of cols */
} spec;

static const spec specs[] = {
    {"model.embed_tokens.weight", VOCAB, DIM},
    {"model.norm.weight", 0, DIM},
    {"lm_head.weight", VOCAB, DIM},
    {"model.layers.0.self_attn.q_proj.weight", DIM, DIM},
    {"model.layers.0.self_attn.k_proj.weight", DIM / HEADS * KV_HEADS, DIM},
    {"model.layers.0.self_attn.v_proj.weight", DIM / HEADS * KV_HEADS, DIM},
    {"model.layers.0.self_attn.o_proj.weight", DIM, DIM},
    {"model.layers.0.mlp.gate_proj.weight", FFN, DIM},
    {"model.layers.0.mlp.up_proj.weight", FFN, DIM},
    {"model.layers.0.mlp.down_proj.weight", DIM, FFN},
    {"model.layers.0.input_layernorm.weight", 0, DIM},
    {"model.layers.0.post_attention_layernorm.weight", 0, DIM},
};
#define N_SPECS (sizeof specs / sizeof specs[0])

/* misalign: the data section starts at an odd offset */
static bool write_dir(bool misalign) {
    char path[256], header[4096] = "{";
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "w");
    if (!f) return false;
    fprintf(f, "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\", \"hidden_size\": %d, "
               "\"intermediate_size\": %d, \"num_hidden_layers\": 1, \"num_attention_heads\": %d, "
               "\"num_key_value_heads\": %d, \"vocab_size\": %d, \"tie_word_embeddings\": false}\n",
            DIM, FFN, HEADS, KV_HEADS, VOCAB);
    fclose(f);
    size_t offset = 0;
    for (size_t i = 0; i < N_SPECS; i++) {
        size_t n = (size_t)(specs[i].rows ? specs[i].rows : 1) * (size_t)specs[i].cols * 2;
        char shape[32];
        if (specs[i].rows) snprintf(shape, sizeof shape, "[%d, %d]", specs[i].rows, specs[i].cols);
        else snprintf(shape, sizeof shape, "[%d]", specs[i].cols);
        snprintf(header + strlen(header), sizeof header - strlen(header),
                 "%s\"%s\": {\"dtype\": \"F16\", \"shape\": %s, \"data_offsets\": [%zu, %zu]}", i ? ", " : "",
                 specs[i].name, shape, offset, offset + n);
        offset += n;
    }
    strcat(header, "}");
    while ((8 + strlen(header)) % 8 != (misalign ? 1 : 0)) strcat(header, " ");
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (!(f = fopen(path, "wb"))) return false;
    uint64_t len = strlen(header);
    fwrite(&len, 8, 1, f);
    fwrite(header, 1, len, f);
    uint32_t x = 12345;
    for (size_t k = 0; k < offset / 2; k++) {
        x = x * 1664525u + 1013904223u;
        uint16_t h = lf_f32_to_f16(((float)(x >> 8) / 16777216.0f - 0.5f));
        fwrite(&h, 2, 1, f);
    }
    return fclose(f) == 0;
}

static void compare(const lf_model *eager, const lf_model *lazy) {
    CHECK(eager->n_tensors == lazy->n_tensors && eager->n_tensors == (int)N_SPECS);
    for (int i = 0; i < eager->n_tensors && i < lazy->n_tensors; i++) {
        const lf_tensor_view *e = &eager->tensors[i];
        size_t row = lf_model_tensor_row_bytes(lazy, i);
        int64_t rows = (int64_t)(e->nbytes / row);
        CHECK(strcmp(e->name, lazy->tensors[i].name) == 0 && row == lf_model_tensor_row_bytes(eager, i));
        unsigned char *buf = malloc(e->nbytes);
        /* whole tensors, then rows 3.. (not head-aligned), after a release */
        lf_model_tensor_read_rows(lazy, i, 0, rows, buf);
        CHECK_MSG(memcmp(buf, e->data, e->nbytes) == 0, "%s differs read lazily", e->name);
        lf_model_tensor_release_rows(lazy, i, 0, rows);
        if (rows > 3) {
            lf_model_tensor_read_rows(lazy, i, 3, rows - 3, buf);
            CHECK_MSG(memcmp(buf, (const char *)e->data + 3 * row, (size_t)(rows - 3) * row) == 0,
                      "%s rows 3.. differ", e->name);
        }
        free(buf);
    }
}

static void check_checkpoint(bool misalign) {
    if (!write_dir(misalign)) {
        CHECK_MSG(false, "cannot write the test model in %s", dir);
        return;
    }
    lf_model *eager = NULL, *lazy = NULL;
    lf_error err = {0};
    CHECK_MSG(lf_model_load(dir, NULL, &eager, &err) == LF_OK, "%s", err.message);
    CHECK_MSG(lf_model_load_lazy(dir, NULL, &lazy, &err) == LF_OK, "%s", err.message);
    if (eager && lazy) {
        compare(eager, lazy);
        /* aligned, the lazy model holds no reordered copy: its Q view is the mapped HF order */
        int q = 3;
        CHECK(strcmp(lazy->tensors[q].name, "blk.0.attn_q.weight") == 0 &&
              (memcmp(lazy->tensors[q].data, eager->tensors[q].data, lazy->tensors[q].nbytes) != 0) == !misalign);
    }
    lf_model_free(eager);
    lf_model_free(lazy);
}

int main(void) {
    if (!mkdtemp(dir)) {
        fprintf(stderr, "cannot make %s\n", dir);
        return 1;
    }
    check_checkpoint(false);
    check_checkpoint(true);
    char path[256];
    snprintf(path, sizeof path, "%s/config.json", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    unlink(path);
    rmdir(dir);
    TEST_MAIN_END();
}
