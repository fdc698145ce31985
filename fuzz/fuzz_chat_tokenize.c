/* libFuzzer target for lf_chat_template_tokenize: the fuzz input is a conversation, its
 * NUL-separated parts the role of the first message, then the contents of up to 8
 * messages (the others alternate user and assistant). Rendered with ChatML (and ChatML
 * that lower-cases contents) on SmolLM2's vocabulary (models/... or LF_FUZZ_MODEL, when
 * present), and with a Llama 2 style template on the Llama 2 SentencePiece
 * tokenizer.model (LF_TEST_DATA). Checked on every input: the control tokens in the ids
 * are exactly those the template writes (whatever the messages spell), and a call with
 * too little room reports the same count and prefix as one with enough. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llamafast.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MESSAGES 8

typedef struct vocab {
    lf_tokenizer *tok;
    bool *control; /* the id's text is that token only when special tokens are parsed */
    int32_t n;
} vocab;

static vocab smol, llama2;

static const char chatml[] =
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
static const char chatml_lower[] =
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content | lower }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
static const char llama2_style[] =
    "{% for m in messages %}{% if m.role == 'assistant' %}{{ ' ' + m.content.strip() + ' ' + eos_token }}"
    "{% else %}{{ bos_token + '[INST] ' + m.content.strip() + ' [/INST]' }}{% endif %}{% endfor %}";

static void load(vocab *v, const char *path, bool required) {
    lf_error err;
    if (lf_tokenizer_load(path, &v->tok, &err) != LF_OK) {
        fprintf(stderr, "fuzz_chat_tokenize: %s\n", err.message);
        if (required) exit(1);
        return;
    }
    v->n = lf_tokenizer_vocab_size(v->tok);
    v->control = calloc((size_t)v->n, sizeof *v->control);
    if (!v->control) exit(1);
    for (int32_t id = 0; id < v->n; id++) {
        char text[256];
        int len = lf_token_to_bytes(v->tok, id, text, sizeof text);
        int32_t got[2];
        size_t n_special = 0, n_plain = 0;
        if (len <= 0 || len > (int)sizeof text) continue;
        lf_tokenize(v->tok, text, (size_t)len, LF_TOKENIZE_NO_BOS | LF_TOKENIZE_PARSE_SPECIAL, got, 2, &n_special, NULL);
        bool special = n_special == 1 && got[0] == id;
        lf_tokenize(v->tok, text, (size_t)len, LF_TOKENIZE_NO_BOS, got, 2, &n_plain, NULL);
        v->control[id] = special && !(n_plain == 1 && got[0] == id);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    const char *data = getenv("LF_TEST_DATA") ? getenv("LF_TEST_DATA") : "../shared/data";
    const char *model = getenv("LF_FUZZ_MODEL") ? getenv("LF_FUZZ_MODEL") : "models/SmolLM2-135M-Instruct.Q4_1.gguf";
    char path[4096];
    snprintf(path, sizeof path, "%s/tokenizers/llama2/tokenizer.model", data);
    load(&llama2, path, true);
    load(&smol, model, false);
    return 0;
}

/* Tokenizes; checks the truncated call against the full one; aborts on a broken rule.
 * want[id] is how often each control token id must appear (the rest: never). */
static void check(const vocab *v, const char *tmpl, const lf_chat_message *msgs, size_t n_msgs, const int32_t *want_ids,
                  const size_t *want_counts, int n_want) {
    size_t n = 0, n_small = 0;
    lf_error err;
    if (lf_chat_template_tokenize(v->tok, tmpl, msgs, n_msgs, true, NULL, 0, &n, &err) != LF_OK) {
        if (err.code != LF_ERR_TEMPLATE && err.code != LF_ERR_NOMEM) abort();
        return;
    }
    int32_t *ids = malloc((n ? n : 1) * sizeof *ids), small[4];
    size_t n2 = 0;
    if (!ids || lf_chat_template_tokenize(v->tok, tmpl, msgs, n_msgs, true, ids, n, &n2, &err) != LF_OK || n2 != n)
        abort();
    if (lf_chat_template_tokenize(v->tok, tmpl, msgs, n_msgs, true, small, 4, &n_small, &err) != LF_OK ||
        n_small != n || memcmp(small, ids, (n < 4 ? n : 4) * sizeof *ids) != 0)
        abort();
    size_t seen[4] = {0};
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= v->n) abort();
        if (!v->control[ids[i]]) continue;
        int k = 0;
        while (k < n_want && want_ids[k] != ids[i]) k++;
        if (k == n_want) abort(); /* a control token the template did not write */
        seen[k]++;
    }
    for (int k = 0; k < n_want; k++)
        if (seen[k] != want_counts[k]) abort();
    free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    /* parts: text, then after every NUL */
    const char *parts[MAX_MESSAGES + 1];
    size_t n_parts = 0;
    for (size_t i = 0; n_parts <= MAX_MESSAGES && i <= size; i += strlen(text + i) + 1) parts[n_parts++] = text + i;
    size_t n_msgs = n_parts > 1 ? n_parts - 1 : 1;
    lf_chat_message msgs[MAX_MESSAGES];
    for (size_t i = 0; i < n_msgs; i++)
        msgs[i] = (lf_chat_message){i == 0 ? parts[0] : i % 2 ? "assistant" : "user", n_parts > 1 ? parts[i + 1] : ""};
    if (smol.tok) {
        const int32_t marks[2] = {1, 2}; /* <|im_start|>, <|im_end|> */
        const size_t counts[2] = {n_msgs + 1, n_msgs};
        check(&smol, chatml, msgs, n_msgs, marks, counts, 2);
        check(&smol, chatml_lower, msgs, n_msgs, marks, counts, 2);
    }
    size_t assistant = 0;
    for (size_t i = 0; i < n_msgs; i++) assistant += !strcmp(msgs[i].role, "assistant");
    /* BOS per user turn, and one more before an assistant turn that comes first */
    const int32_t marks[2] = {lf_token_bos(llama2.tok), lf_token_eos(llama2.tok)};
    const size_t counts[2] = {n_msgs - assistant + !strcmp(msgs[0].role, "assistant"), assistant};
    check(&llama2, llama2_style, msgs, n_msgs, marks, counts, 2);
    free(text);
    return 0;
}
