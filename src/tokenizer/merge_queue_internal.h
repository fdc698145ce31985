/* Priority queue of candidate merges of two adjacent symbols, shared by both BPE
 * encoders. Entries go stale when a neighbour merges; the encoders check on pop. */
#ifndef LF_TOKENIZER_MERGE_QUEUE_INTERNAL_H
#define LF_TOKENIZER_MERGE_QUEUE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct merge_candidate {
    double priority; /* higher first: the piece score (SPM) or minus the merge rank (BPE) */
    int32_t left;    /* symbol index; on equal priority the leftmost pair merges first */
    int32_t right;
    uint32_t len;    /* byte length of left + right when queued, to detect stale entries */
    int32_t result;  /* token id the merge produces */
} merge_candidate;

typedef struct merge_queue {
    merge_candidate *items;
    size_t n, cap;
} merge_queue;

int merge_queue_push(merge_queue *q, merge_candidate c);
bool merge_queue_pop(merge_queue *q, merge_candidate *out);
void merge_queue_free(merge_queue *q);

#endif
