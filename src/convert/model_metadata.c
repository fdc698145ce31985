/* general.* and llama.* as convert_hf_to_gguf.py writes them for LlamaForCausalLM (and
 * MistralForCausalLM, which it also writes as "llama"), then the tokenizer and the chat
 * template. Llama 3.1 RoPE scaling is a tensor, not keys (convert/rope_freqs.h). */
#include "convert/model_metadata.h"

#include <string.h>

#include "convert/tokenizer_metadata.h"
#include "core/error.h"
#include "model/hf_weights.h"

static int write_hparams(const lf_model *m, gguf_writer *w, lf_error *err) {
    const lf_model_config *c = &m->cfg;
    const struct {
        const char *key;
        int value;
    } counts[] = {
        {"llama.context_length", c->context_length},     {"llama.embedding_length", c->dim},
        {"llama.block_count", c->n_layers},              {"llama.feed_forward_length", c->hidden_dim},
        {"llama.attention.head_count", c->n_heads},      {"llama.attention.head_count_kv", c->n_kv_heads},
        {"llama.attention.key_length", c->head_dim},     {"llama.attention.value_length", c->head_dim},
        {"llama.rope.dimension_count", c->rope_dim},     {"llama.vocab_size", c->vocab_size},
    };
    int rc = LF_OK;
    for (size_t i = 0; i < sizeof counts / sizeof counts[0] && !rc; i++)
        rc = gguf_writer_add_u32(w, counts[i].key, (uint32_t)counts[i].value, err);
    if (!rc) rc = gguf_writer_add_f32(w, "llama.rope.freq_base", c->rope_theta, err);
    if (!rc) rc = gguf_writer_add_f32(w, "llama.attention.layer_norm_rms_epsilon", c->norm_eps, err);
    if (!rc && c->rope_linear_scale != 1.0f) {
        rc = gguf_writer_add_str(w, "llama.rope.scaling.type", "linear", err);
        if (!rc) rc = gguf_writer_add_f32(w, "llama.rope.scaling.factor", c->rope_linear_scale, err);
    }
    return rc;
}

int convert_write_model_metadata(const lf_model *m, gguf_writer *w, lf_error *err) {
    if (strcmp(m->architecture, "llama") != 0 && strcmp(m->architecture, "mistral") != 0)
        return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: architecture '%s' cannot be written as GGUF (llama and mistral can)",
                       m->name, m->architecture);
    int rc = gguf_writer_add_str(w, "general.architecture", "llama", err);
    if (!rc) rc = gguf_writer_add_str(w, "general.type", "model", err);
    if (!rc) rc = gguf_writer_add_str(w, "general.name", m->name, err);
    if (!rc) rc = write_hparams(m, w, err);
    /* messages name the directory a Hugging Face or PyTorch source was read from */
    const char *source = m->hf ? m->hf->dir : m->name;
    if (!rc) rc = convert_write_tokenizer(m->tokenizer, m->cfg.vocab_size, source, w, err);
    if (!rc && m->chat_template) rc = gguf_writer_add_str(w, "tokenizer.chat_template", m->chat_template, err);
    return rc;
}
