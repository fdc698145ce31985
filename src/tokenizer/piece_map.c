/* piece text -> token id: open addressing with linear probing over a power-of-two table
 * at most half full, so a 128k vocabulary indexes in about a millisecond. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenizer_internal.h"

/* FNV-1a, then a final avalanche so that short pieces spread over the whole table. */
static uint32_t hash_bytes(const char *s, size_t len) {
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3u;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    return (uint32_t)h;
}

int piece_map_build(lf_tokenizer *t) {
    if (t->pieces.slots) return LF_OK; /* built early for the merges; pieces are final */
    uint32_t cap = 16;
    while (cap < (uint32_t)t->n_vocab * 2u) cap *= 2;
    piece_map *m = &t->pieces;
    m->slots = malloc((size_t)cap * sizeof *m->slots);
    if (!m->slots) return LF_ERR_NOMEM;
    memset(m->slots, 0xFF, (size_t)cap * sizeof *m->slots);
    m->mask = cap - 1;
    /* When two tokens share a text, the first (lowest id) wins, as in SentencePiece. */
    for (int32_t id = 0; id < t->n_vocab; id++) {
        const char *s = piece_text(t, id);
        uint32_t len = piece_len(t, id);
        uint32_t i = hash_bytes(s, len) & m->mask;
        bool duplicate = false;
        while (m->slots[i] >= 0) {
            int32_t other = m->slots[i];
            if (piece_len(t, other) == len && memcmp(piece_text(t, other), s, len) == 0) {
                duplicate = true;
                break;
            }
            i = (i + 1) & m->mask;
        }
        if (!duplicate) m->slots[i] = id;
    }
    return LF_OK;
}

int32_t piece_map_find(const lf_tokenizer *t, const char *s, size_t len) {
    const piece_map *m = &t->pieces;
    if (!m->slots) return -1;
    uint32_t i = hash_bytes(s, len) & m->mask;
    for (;;) {
        int32_t id = m->slots[i];
        if (id < 0) return -1;
        if (piece_len(t, id) == len && memcmp(piece_text(t, id), s, len) == 0) return id;
        i = (i + 1) & m->mask;
    }
}

void piece_map_free(piece_map *m) {
    free(m->slots);
    m->slots = NULL;
}
