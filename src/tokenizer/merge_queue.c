/* Binary max-heap of merge candidates. */
#include <stdlib.h>

#include "llamafast.h"
#include "tokenizer/merge_queue_internal.h"

static bool before(const merge_candidate *a, const merge_candidate *b) {
    if (a->priority != b->priority) return a->priority > b->priority;
    return a->left < b->left;
}

int merge_queue_push(merge_queue *q, merge_candidate c) {
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 64;
        merge_candidate *p = realloc(q->items, cap * sizeof *p);
        if (!p) return LF_ERR_NOMEM;
        q->items = p;
        q->cap = cap;
    }
    size_t i = q->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&c, &q->items[parent])) break;
        q->items[i] = q->items[parent];
        i = parent;
    }
    q->items[i] = c;
    return LF_OK;
}

bool merge_queue_pop(merge_queue *q, merge_candidate *out) {
    if (q->n == 0) return false;
    *out = q->items[0];
    merge_candidate last = q->items[--q->n];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= q->n) break;
        if (child + 1 < q->n && before(&q->items[child + 1], &q->items[child])) child++;
        if (!before(&q->items[child], &last)) break;
        q->items[i] = q->items[child];
        i = child;
    }
    if (q->n > 0) q->items[i] = last;
    return true;
}

void merge_queue_free(merge_queue *q) {
    free(q->items);
    q->items = NULL;
    q->n = q->cap = 0;
}
