/* Byte-level BPE vocabulary setup: the merge list and the pre-tokenizer name. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "tokenizer/tokenizer_internal.h"

/* A byte-mapped piece never contains a space (it is spelled 'Ġ'), so the one space of a
 * merge line is the separator. */
bool tokenizer_split_merge(const char *s, size_t len, const char **left, size_t *left_len, const char **right,
                           size_t *right_len) {
    const char *space = len ? memchr(s, ' ', len) : NULL;
    if (!space) return false;
    *left = s, *left_len = (size_t)(space - s);
    *right = space + 1, *right_len = len - *left_len - 1;
    return *left_len > 0 && *right_len > 0 && !memchr(*right, ' ', *right_len);
}

bool tokenizer_merge_ids(const lf_tokenizer *t, const char *left, size_t left_len, const char *right,
                         size_t right_len, int32_t ids[3], const char **why) {
    ids[0] = piece_map_find(t, left, left_len);
    ids[1] = piece_map_find(t, right, right_len);
    ids[2] = -1;
    if (ids[0] < 0 || ids[1] < 0) {
        *why = ids[0] < 0 ? "its left piece is not in the vocabulary" : "its right piece is not in the vocabulary";
        return false;
    }
    char stack[1024], *joined = left_len + right_len <= sizeof stack ? stack : malloc(left_len + right_len);
    if (joined) {
        memcpy(joined, left, left_len);
        memcpy(joined + left_len, right, right_len);
        ids[2] = piece_map_find(t, joined, left_len + right_len);
        if (joined != stack) free(joined);
    }
    *why = joined ? "the pieces join into a text that is not in the vocabulary" : "is too long to join (out of memory)";
    return ids[2] >= 0;
}

static bool name_is(const char *name, size_t len, const char *candidate) {
    return strlen(candidate) == len && memcmp(name, candidate, len) == 0;
}

void tokenizer_parse_pretokenizer(lf_tokenizer *t, const char *name, size_t len, const char *file) {
    static const char *const gpt2_names[] = {"", "default", "gpt2", "gpt-2"};
    static const char *const llama3_names[] = {"llama-bpe", "llama3", "llama-v3"};
    for (size_t i = 0; i < sizeof gpt2_names / sizeof *gpt2_names; i++)
        if (name_is(name, len, gpt2_names[i])) {
            t->pretok = PRETOK_GPT2;
            return;
        }
    for (size_t i = 0; i < sizeof llama3_names / sizeof *llama3_names; i++)
        if (name_is(name, len, llama3_names[i])) {
            t->pretok = PRETOK_LLAMA3;
            return;
        }
    if (name_is(name, len, "smollm")) {
        t->pretok = PRETOK_SMOLLM;
        return;
    }
    lf_log(LF_LOG_WARN, "%s: tokenizer.ggml.pre \"%.*s\" is unknown; using GPT-2's pre-tokenizer, so tokens may differ",
           file, (int)(len > 64 ? 64 : len), name);
    t->pretok = PRETOK_GPT2;
}
