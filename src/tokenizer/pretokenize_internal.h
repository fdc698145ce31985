/* Byte-level BPE pre-tokenizers: cut text into the words that are merged separately.
 * The regexes are implemented by hand, alternative by alternative, with the same
 * leftmost-first and backtracking outcome as the regex engines they replace. */
#ifndef LF_TOKENIZER_PRETOKENIZE_INTERNAL_H
#define LF_TOKENIZER_PRETOKENIZE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "tokenizer/tokenizer_internal.h"

typedef struct pretokenizer {
    pretokenizer_kind kind;
    const unsigned char *s;
    size_t len, pos;
    size_t segment_end; /* SMOLLM: end of the current run without \p{N} characters */
} pretokenizer;

void pretokenizer_init(pretokenizer *p, pretokenizer_kind kind, const char *text, size_t len);
/* Next word as [*start, *end); false at the end of the text. */
bool pretokenizer_next(pretokenizer *p, size_t *start, size_t *end);

#endif
