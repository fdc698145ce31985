/* Byte-level BPE vocabulary setup: the merge list and the pre-tokenizer name. */
#include <string.h>

#include "core/error.h"
#include "tokenizer/tokenizer_internal.h"

/* A merge is "A B": two pieces separated by one space (a byte-mapped piece never
 * contains a space, which is spelled 'Ġ'). Both halves and their concatenation must be
 * pieces; the merge then maps (id A, id B) to id AB. */
int tokenizer_add_merge(lf_tokenizer *t, const char *s, size_t len, int32_t rank) {
    const char *space = len ? memchr(s, ' ', len) : NULL;
    if (!space) return LF_ERR_FORMAT;
    size_t left_len = (size_t)(space - s), right_len = len - left_len - 1;
    const char *right = space + 1;
    if (left_len == 0 || right_len == 0 || memchr(right, ' ', right_len)) return LF_ERR_FORMAT;
    int32_t left_id = piece_map_find(t, s, left_len);
    int32_t right_id = piece_map_find(t, right, right_len);
    if (left_id < 0 || right_id < 0) return LF_ERR_FORMAT;
    /* The concatenation of two pieces is short; pieces longer than this never merge. */
    char joined[512];
    if (left_len + right_len > sizeof joined) return LF_ERR_FORMAT;
    memcpy(joined, s, left_len);
    memcpy(joined + left_len, right, right_len);
    int32_t result = piece_map_find(t, joined, left_len + right_len);
    if (result < 0) return LF_ERR_FORMAT;
    merge_map_add(&t->merges, left_id, right_id, rank, result);
    return LF_OK;
}

static bool name_is(const char *name, size_t len, const char *candidate) {
    return strlen(candidate) == len && memcmp(name, candidate, len) == 0;
}

int tokenizer_parse_pretokenizer(lf_tokenizer *t, const char *name, size_t len) {
    static const char *const gpt2_names[] = {"", "default", "gpt2", "gpt-2"};
    static const char *const llama3_names[] = {"llama-bpe", "llama3", "llama-v3"};
    for (size_t i = 0; i < sizeof gpt2_names / sizeof *gpt2_names; i++)
        if (name_is(name, len, gpt2_names[i])) {
            t->pretok = PRETOK_GPT2;
            return LF_OK;
        }
    for (size_t i = 0; i < sizeof llama3_names / sizeof *llama3_names; i++)
        if (name_is(name, len, llama3_names[i])) {
            t->pretok = PRETOK_LLAMA3;
            return LF_OK;
        }
    if (name_is(name, len, "smollm")) {
        t->pretok = PRETOK_SMOLLM;
        return LF_OK;
    }
    lf_log(LF_LOG_WARN, "pre-tokenizer \"%.*s\" is unknown; using GPT-2's, so tokens may differ",
           (int)(len > 64 ? 64 : len), name);
    t->pretok = PRETOK_GPT2;
    return LF_ERR_UNSUPPORTED;
}
