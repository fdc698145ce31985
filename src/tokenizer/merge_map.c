/* (left id, right id) -> (rank, merged id) for byte-level BPE: open addressing over a
 * power-of-two table kept at most half full. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenizer_internal.h"

#define EMPTY_KEY UINT64_MAX

/* splitmix64's finalizer: consecutive ids land far apart. */
static uint32_t hash_pair(uint64_t key) {
    key ^= key >> 30;
    key *= 0xbf58476d1ce4e5b9u;
    key ^= key >> 27;
    key *= 0x94d049bb133111ebu;
    key ^= key >> 31;
    return (uint32_t)key;
}

static uint64_t pair_key(int32_t left, int32_t right) {
    return (uint64_t)(uint32_t)left << 32 | (uint32_t)right;
}

int merge_map_init(merge_map *m, uint32_t expected) {
    uint32_t cap = 16;
    while (cap / 2 <= expected) {
        if (cap > UINT32_MAX / 4) return LF_ERR_NOMEM;
        cap *= 2;
    }
    m->keys = malloc((size_t)cap * sizeof *m->keys);
    m->ranks = malloc((size_t)cap * sizeof *m->ranks);
    m->results = malloc((size_t)cap * sizeof *m->results);
    if (!m->keys || !m->ranks || !m->results) {
        merge_map_free(m);
        return LF_ERR_NOMEM;
    }
    memset(m->keys, 0xFF, (size_t)cap * sizeof *m->keys);
    m->mask = cap - 1;
    m->count = 0;
    return LF_OK;
}

void merge_map_add(merge_map *m, int32_t left, int32_t right, int32_t rank, int32_t result) {
    if (m->count >= m->mask / 2) return; /* callers size the map for every merge */
    uint64_t key = pair_key(left, right);
    uint32_t i = hash_pair(key) & m->mask;
    while (m->keys[i] != EMPTY_KEY) {
        if (m->keys[i] == key) return;
        i = (i + 1) & m->mask;
    }
    m->keys[i] = key;
    m->ranks[i] = rank;
    m->results[i] = result;
    m->count++;
}

bool merge_map_find(const merge_map *m, int32_t left, int32_t right, int32_t *rank,
                    int32_t *result) {
    if (!m->keys || left < 0 || right < 0) return false;
    uint64_t key = pair_key(left, right);
    uint32_t i = hash_pair(key) & m->mask;
    while (m->keys[i] != EMPTY_KEY) {
        if (m->keys[i] == key) {
            *rank = m->ranks[i];
            *result = m->results[i];
            return true;
        }
        i = (i + 1) & m->mask;
    }
    return false;
}

void merge_map_free(merge_map *m) {
    free(m->keys);
    free(m->ranks);
    free(m->results);
    m->keys = NULL;
    m->ranks = m->results = NULL;
}
