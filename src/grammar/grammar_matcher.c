/* The matcher keeps the set of parse stacks alive after the text so far (as llama.cpp's
 * grammar sampler does). A stack is a linked list of element positions, top first: the
 * top is always a character element, those below are where to continue when the rule
 * above ends; NULL is the empty stack of a complete match. Stacks share their tails, so
 * advancing by a character costs a few nodes, not a copy. Nodes made while trying tokens
 * live in a scratch arena released per call; the accepted state is copied out to one of
 * two state arenas used in turn.
 *
 * A full mask walks a trie of the vocabulary once: each trie edge is one byte, so tokens
 * sharing a prefix share the work, and a prefix the grammar refuses prunes its subtree.
 * The sampler asks for it only when the token it drew is refused. */
#include "grammar/grammar_matcher.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "grammar/grammar.h"
#include "tokenizer/tokenizer_internal.h"

#define ARENA_BLOCK 4096
#define MAX_STACKS 256        /* parses alive at once; beyond, the text is refused */
#define MAX_STACK_DEPTH 4096  /* nesting of one parse */
#define MAX_EXPAND_DEPTH 2000 /* references followed before reaching a character */
#define TRIE_NONE UINT32_MAX
/* The trie walk recurses once per byte: longer tokens (none in real vocabularies) are
 * never drawn. */
#define MAX_TOKEN_BYTES 1024

enum { TOKEN_TEXT, TOKEN_EOG, TOKEN_NEVER };

typedef struct gnode {
    uint32_t pos, depth;
    const struct gnode *next;
} gnode;

typedef struct node_arena {
    gnode **blocks;
    size_t n_blocks, used;
} node_arena;

typedef struct utf8_state {
    uint32_t value;
    uint32_t left; /* continuation bytes still expected */
    uint32_t min;  /* the smallest code point of this length: shorter forms are invalid */
} utf8_state;

struct grammar_matcher {
    lf_grammar g;
    int32_t n_vocab, eos;
    uint8_t *kind;
    /* trie of the vocabulary's byte strings: node 0 is the root */
    uint32_t *child, *sibling, n_trie, cap_trie;
    uint8_t *byte;
    int32_t *first_token; /* the tokens ending at a trie node, chained by next_token */
    int32_t *next_token;
    uint8_t *tok_data; /* token id's bytes: tok_data[tok_off[id], tok_off[id + 1]) */
    size_t *tok_off;
    node_arena scratch, state[2];
    int cur; /* which state arena holds the accepted stacks */
    const gnode **stacks; /* accepted state */
    size_t n_stacks;
    utf8_state utf8;
    const gnode **buf; /* stack sets while matching, used as a stack of sets */
    size_t buf_n, buf_cap;
    bool overflow, oom;
};

static gnode *arena_new(grammar_matcher *m, node_arena *a, uint32_t pos, const gnode *next) {
    size_t b = a->used / ARENA_BLOCK;
    if (b == a->n_blocks) {
        gnode **blocks = realloc(a->blocks, (a->n_blocks + 1) * sizeof *blocks);
        gnode *block = blocks ? malloc(ARENA_BLOCK * sizeof *block) : NULL;
        if (blocks) a->blocks = blocks;
        if (!block) {
            m->oom = m->overflow = true;
            return NULL;
        }
        a->blocks[a->n_blocks++] = block;
    }
    gnode *n = &a->blocks[b][a->used++ % ARENA_BLOCK];
    *n = (gnode){pos, next ? next->depth + 1 : 1, next};
    if (n->depth > MAX_STACK_DEPTH) {
        m->overflow = true;
        return NULL;
    }
    return n;
}

static void arena_free(node_arena *a) {
    for (size_t i = 0; i < a->n_blocks; i++) free(a->blocks[i]);
    free(a->blocks);
}

/* Makes room for one more full set, so pointers into buf stay valid while it is filled. */
static bool reserve_set(grammar_matcher *m) {
    if (m->buf_n + MAX_STACKS <= m->buf_cap) return true;
    size_t cap = (m->buf_cap + MAX_STACKS) * 2;
    const gnode **b = realloc(m->buf, cap * sizeof *b);
    if (!b) return m->oom = m->overflow = true, false;
    m->buf = b, m->buf_cap = cap;
    return true;
}

static bool same_stack(const gnode *a, const gnode *b) {
    for (; a && b && a != b; a = a->next, b = b->next)
        if (a->pos != b->pos) return false;
    return a == b;
}

static void add_stack(grammar_matcher *m, const gnode *s, size_t start) {
    for (size_t i = start; i < m->buf_n; i++)
        if (same_stack(m->buf[i], s)) return;
    if (m->buf_n - start >= MAX_STACKS) m->overflow = true;
    else m->buf[m->buf_n++] = s;
}

/* Adds to the set being built the stacks that continue at element pos over tail, with
 * references expanded until every top is a character. */
static void expand(grammar_matcher *m, uint32_t pos, const gnode *tail, size_t start, int depth) {
    const grammar_elem *e = &m->g.el[pos];
    if (depth > MAX_EXPAND_DEPTH) {
        m->overflow = true;
        return;
    }
    if (grammar_is_end(e->type)) {
        if (!tail) add_stack(m, NULL, start);
        else expand(m, tail->pos, tail->next, start, depth + 1);
    } else if (e->type == GE_REF) {
        const gnode *cont = tail;
        if (!grammar_is_end(e[1].type) && !(cont = arena_new(m, &m->scratch, pos + 1, tail))) return;
        for (uint32_t a = m->g.alt_first[e->value]; a < m->g.alt_first[e->value + 1]; a++)
            expand(m, m->g.alt_start[a], cont, start, depth + 1);
    } else {
        const gnode *n = arena_new(m, &m->scratch, pos, tail);
        if (n) add_stack(m, n, start);
    }
}

/* Whether the class at e holds a code point in [lo, hi]. For a negated class over a range
 * (an unfinished UTF-8 character) the answer errs towards yes. */
static bool class_meets(const grammar_elem *e, uint32_t lo, uint32_t hi) {
    if (e->type == GE_ANY) return true;
    bool negated = e->type == GE_CHAR_NOT;
    do {
        uint32_t a = e->value, b = e[1].type == GE_RANGE_UPPER ? e[1].value : a;
        e += e[1].type == GE_RANGE_UPPER ? 2 : 1;
        if (negated ? a <= lo && hi <= b : a <= hi && lo <= b) return !negated;
    } while (e->type == GE_CHAR_ALT);
    return negated;
}

static uint32_t after_char(const grammar_elem *el, uint32_t pos) {
    pos++;
    while (el[pos].type == GE_RANGE_UPPER || el[pos].type == GE_CHAR_ALT) pos++;
    return pos;
}

/* Appends the set after code point cp to buf; in must not point into buf past buf_n. */
static size_t advance(grammar_matcher *m, const gnode *const *in, size_t n_in, uint32_t cp) {
    size_t start = m->buf_n;
    for (size_t i = 0; i < n_in && !m->overflow; i++)
        if (in[i] && class_meets(&m->g.el[in[i]->pos], cp, cp))
            expand(m, after_char(m->g.el, in[i]->pos), in[i]->next, start, 0);
    return m->buf_n - start;
}

/* Returns -1 for a byte that breaks UTF-8, 1 with *cp when a character is complete, else 0. */
static int utf8_step(utf8_state *u, uint8_t b, uint32_t *cp) {
    if (u->left) {
        if ((b & 0xC0) != 0x80) return -1;
        u->value = u->value << 6 | (b & 0x3Fu);
        uint32_t bits = 6 * --u->left;
        if ((u->value << bits | ((1u << bits) - 1)) < u->min || (u->value << bits) > 0x10FFFF) return -1;
        if (u->left) return 0;
        *cp = u->value;
        return 1;
    }
    if (b < 0x80) return *cp = b, 1;
    if (b >= 0xC2 && b < 0xE0) u->value = b & 0x1Fu, u->left = 1, u->min = 0x80;
    else if (b >= 0xE0 && b < 0xF0) u->value = b & 0x0Fu, u->left = 2, u->min = 0x800;
    else if (b >= 0xF0 && b < 0xF5) u->value = b & 0x07u, u->left = 3, u->min = 0x10000;
    else return -1;
    return 0;
}

/* Whether some stack can take a character starting with the bytes read so far. */
static bool partial_fits(const grammar_matcher *m, const gnode *const *set, size_t n, utf8_state u) {
    uint32_t lo = u.value << (6 * u.left), hi = lo | ((1u << (6 * u.left)) - 1);
    if (lo < u.min) lo = u.min;
    if (hi > 0x10FFFF) hi = 0x10FFFF;
    for (size_t i = 0; i < n; i++)
        if (set[i] && class_meets(&m->g.el[set[i]->pos], lo, hi)) return true;
    return false;
}

/* One byte from the set at buf[*start, +*n): updates *start, *n and *u; false when refused. */
static bool step_byte(grammar_matcher *m, size_t *start, size_t *n, utf8_state *u, uint8_t b) {
    uint32_t cp;
    int st = utf8_step(u, b, &cp);
    if (st < 0) return false;
    if (st == 0) return partial_fits(m, m->buf + *start, *n, *u);
    if (!reserve_set(m)) return false;
    size_t s = m->buf_n;
    *n = advance(m, m->buf + *start, *n, cp);
    *start = s;
    return *n > 0 && !m->overflow;
}

/* Puts the accepted set on buf and runs bytes over it; the result stays on buf. */
static bool run_bytes(grammar_matcher *m, const uint8_t *bytes, size_t len, size_t *start, size_t *n, utf8_state *u) {
    m->scratch.used = 0;
    m->buf_n = 0;
    m->overflow = false;
    if (!reserve_set(m)) return false;
    memcpy(m->buf, m->stacks, m->n_stacks * sizeof *m->buf);
    m->buf_n = m->n_stacks;
    *start = 0, *n = m->n_stacks, *u = m->utf8;
    for (size_t i = 0; i < len; i++)
        if (!step_byte(m, start, n, u, bytes[i])) return false;
    return true;
}

static bool set_complete(const gnode *const *set, size_t n, utf8_state u) {
    if (u.left) return false;
    for (size_t i = 0; i < n; i++)
        if (!set[i]) return true;
    return false;
}

bool grammar_matcher_complete(const grammar_matcher *m) { return set_complete(m->stacks, m->n_stacks, m->utf8); }

static const uint8_t *token_bytes(const grammar_matcher *m, int32_t id, size_t *len);

bool grammar_matcher_allows(grammar_matcher *m, int32_t id) {
    if (id < 0 || id >= m->n_vocab || m->kind[id] == TOKEN_NEVER) return false;
    if (m->kind[id] == TOKEN_EOG) return grammar_matcher_complete(m);
    size_t len, start, n;
    utf8_state u;
    const uint8_t *b = token_bytes(m, id, &len);
    return run_bytes(m, b, len, &start, &n, &u);
}

/* Makes the set at buf[start, +n) the accepted state, copied to the other state arena. */
static bool commit(grammar_matcher *m, size_t start, size_t n, utf8_state u) {
    node_arena *a = &m->state[!m->cur];
    const gnode **stacks = malloc((n ? n : 1) * sizeof *stacks);
    if (!stacks) return false;
    a->used = 0;
    m->overflow = false;
    for (size_t i = 0; i < n; i++) {
        const gnode *src = m->buf[start + i];
        gnode **link = (gnode **)&stacks[i];
        *link = NULL;
        uint32_t depth = src ? src->depth : 0;
        for (; src; src = src->next) {
            gnode *c = arena_new(m, a, src->pos, NULL);
            if (!c) {
                free(stacks);
                return false;
            }
            c->depth = depth--;
            *link = c;
            link = (gnode **)&c->next;
        }
    }
    free(m->stacks);
    m->stacks = stacks, m->n_stacks = n, m->utf8 = u;
    m->cur = !m->cur;
    return true;
}

bool grammar_matcher_accept_bytes(grammar_matcher *m, const char *bytes, size_t len) {
    size_t start, n;
    utf8_state u;
    return run_bytes(m, (const uint8_t *)bytes, len, &start, &n, &u) && commit(m, start, n, u);
}

void grammar_matcher_accept(grammar_matcher *m, int32_t id) {
    if (id < 0 || id >= m->n_vocab || m->kind[id] != TOKEN_TEXT) return;
    size_t len;
    const uint8_t *b = token_bytes(m, id, &len);
    grammar_matcher_accept_bytes(m, (const char *)b, len);
}

int32_t grammar_matcher_eos(const grammar_matcher *m) { return m->eos; }

typedef struct mask_walk {
    const float *logits;
    float *out;
    bool any;
} mask_walk;

static void walk_trie(grammar_matcher *m, mask_walk *w, uint32_t node, size_t start, size_t n, utf8_state u) {
    for (uint32_t c = m->child[node]; c != TRIE_NONE; c = m->sibling[c]) {
        size_t buf_top = m->buf_n, arena_top = m->scratch.used, s = start, k = n;
        utf8_state v = u;
        m->overflow = false;
        if (step_byte(m, &s, &k, &v, m->byte[c])) {
            for (int32_t t = m->first_token[c]; t >= 0; t = m->next_token[t]) {
                w->out[t] = w->logits[t];
                w->any = true;
            }
            walk_trie(m, w, c, s, k, v);
        }
        m->buf_n = buf_top, m->scratch.used = arena_top;
    }
}

bool grammar_matcher_mask(grammar_matcher *m, const float *logits, float *out) {
    for (int32_t i = 0; i < m->n_vocab; i++) out[i] = -INFINITY;
    mask_walk w = {logits, out, false};
    size_t start, n;
    utf8_state u;
    run_bytes(m, NULL, 0, &start, &n, &u);
    walk_trie(m, &w, 0, start, n, u);
    if (grammar_matcher_complete(m))
        for (int32_t i = 0; i < m->n_vocab; i++)
            if (m->kind[i] == TOKEN_EOG) out[i] = logits[i], w.any = true;
    return w.any;
}

/* ---- vocabulary */

static const uint8_t *token_bytes(const grammar_matcher *m, int32_t id, size_t *len) {
    *len = m->tok_off[id + 1] - m->tok_off[id];
    return m->tok_data + m->tok_off[id];
}

static bool grow_trie(grammar_matcher *m) {
    uint32_t cap = m->cap_trie ? m->cap_trie * 2 : 1024;
    uint32_t *c = realloc(m->child, cap * sizeof *c);
    if (c) m->child = c;
    uint32_t *s = c ? realloc(m->sibling, cap * sizeof *s) : NULL;
    if (s) m->sibling = s;
    int32_t *f = s ? realloc(m->first_token, cap * sizeof *f) : NULL;
    if (f) m->first_token = f;
    uint8_t *b = f ? realloc(m->byte, cap) : NULL;
    if (!b) return false;
    m->byte = b, m->cap_trie = cap;
    return true;
}

typedef struct token_key {
    uint64_t head; /* the first 8 bytes, big-endian and zero-padded: most comparisons end here */
    const uint8_t *bytes;
    size_t len;
    int32_t id;
} token_key;

static int by_bytes(const void *pa, const void *pb) {
    const token_key *a = pa, *b = pb;
    if (a->head != b->head) return a->head < b->head ? -1 : 1;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n > 8 ? memcmp(a->bytes + 8, b->bytes + 8, n - 8) : 0;
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static uint32_t new_trie_node(grammar_matcher *m, uint8_t b) {
    if (m->n_trie == m->cap_trie && !grow_trie(m)) return TRIE_NONE;
    uint32_t n = m->n_trie++;
    m->child[n] = m->sibling[n] = TRIE_NONE;
    m->first_token[n] = -1;
    m->byte[n] = b;
    return n;
}

/* Builds the trie from the tokens sorted by their bytes: each token shares the path of
 * the longest prefix it has in common with the one before, and a new child always sorts
 * after its siblings, so it goes after the last one (on the previous token's path). */
static int build_trie(grammar_matcher *m, lf_error *err) {
    size_t n = 0, max_len = 0;
    token_key *keys = malloc(((size_t)m->n_vocab + 1) * sizeof *keys);
    if (!keys) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    for (int32_t id = 0; id < m->n_vocab; id++) {
        if (m->kind[id] != TOKEN_TEXT) continue;
        keys[n] = (token_key){0, m->tok_data + m->tok_off[id], m->tok_off[id + 1] - m->tok_off[id], id};
        for (size_t i = 0; i < 8; i++) keys[n].head = keys[n].head << 8 | (i < keys[n].len ? keys[n].bytes[i] : 0);
        if (keys[n].len > max_len) max_len = keys[n].len;
        n++;
    }
    qsort(keys, n, sizeof *keys, by_bytes);
    uint32_t *path = malloc((max_len + 1) * sizeof *path);
    int rc = path && grow_trie(m) ? LF_OK : lf_fail(err, LF_ERR_NOMEM, "out of memory");
    if (!rc) path[0] = new_trie_node(m, 0);
    for (size_t k = 0, prev_len = 0; k < n && !rc; k++) {
        size_t lcp = 0, len = keys[k].len;
        if (k)
            while (lcp < len && lcp < prev_len && keys[k].bytes[lcp] == keys[k - 1].bytes[lcp]) lcp++;
        for (size_t j = lcp; j < len && !rc; j++) {
            uint32_t node = new_trie_node(m, keys[k].bytes[j]);
            if (node == TRIE_NONE) {
                rc = lf_fail(err, LF_ERR_NOMEM, "out of memory");
                break;
            }
            if (j == lcp && prev_len > lcp) m->sibling[path[j + 1]] = node;
            else m->child[path[j]] = node;
            path[j + 1] = node;
        }
        if (rc) break;
        int32_t id = keys[k].id;
        m->next_token[id] = m->first_token[path[len]];
        m->first_token[path[len]] = id;
        prev_len = len;
    }
    free(path);
    free(keys);
    return rc;
}

/* Kinds and bytes of every token, then the trie. */
static int load_vocab(grammar_matcher *m, const lf_tokenizer *tok, lf_error *err) {
    int32_t n = lf_tokenizer_vocab_size(tok);
    size_t cap = 1 << 16, used = 0;
    m->n_vocab = n;
    m->eos = lf_token_eos(tok);
    m->kind = malloc((size_t)n);
    m->next_token = malloc((size_t)n * sizeof *m->next_token);
    m->tok_off = malloc(((size_t)n + 1) * sizeof *m->tok_off);
    m->tok_data = malloc(cap);
    if (!m->kind || !m->next_token || !m->tok_off || !m->tok_data) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    for (int32_t id = 0; id < n; id++) {
        m->tok_off[id] = used;
        m->next_token[id] = -1;
        bool control = tok->types && tok->types[id] == TOKEN_CONTROL;
        m->kind[id] = lf_token_is_end_of_generation(tok, id) ? TOKEN_EOG : control ? TOKEN_NEVER : TOKEN_TEXT;
        if (m->kind[id] == TOKEN_EOG && m->eos < 0) m->eos = id;
        int len = m->kind[id] == TOKEN_TEXT ? lf_token_to_bytes(tok, id, NULL, 0) : 0;
        if (len <= 0 || len > MAX_TOKEN_BYTES) {
            if (m->kind[id] == TOKEN_TEXT) m->kind[id] = TOKEN_NEVER;
            continue;
        }
        if (used + (size_t)len > cap) {
            while (used + (size_t)len > cap) cap *= 2;
            uint8_t *d = realloc(m->tok_data, cap);
            if (!d) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
            m->tok_data = d;
        }
        lf_token_to_bytes(tok, id, (char *)m->tok_data + used, (size_t)len);
        used += (size_t)len;
    }
    m->tok_off[n] = used;
    return build_trie(m, err);
}

static int copy_grammar(lf_grammar *dst, const lf_grammar *g, lf_error *err) {
    uint32_t n_alts = g->alt_first[g->n_rules];
    *dst = *g;
    dst->el = malloc(g->n_el * sizeof *dst->el);
    dst->rule_start = malloc(g->n_rules * sizeof *dst->rule_start);
    dst->alt_first = malloc((g->n_rules + 1) * sizeof *dst->alt_first);
    dst->alt_start = malloc(n_alts * sizeof *dst->alt_start);
    if (!dst->el || !dst->rule_start || !dst->alt_first || !dst->alt_start) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    memcpy(dst->el, g->el, g->n_el * sizeof *dst->el);
    memcpy(dst->rule_start, g->rule_start, g->n_rules * sizeof *dst->rule_start);
    memcpy(dst->alt_first, g->alt_first, (g->n_rules + 1) * sizeof *dst->alt_first);
    memcpy(dst->alt_start, g->alt_start, n_alts * sizeof *dst->alt_start);
    return LF_OK;
}

/* The state before any text: the root rule's alternatives, expanded. */
static int start_state(grammar_matcher *m, lf_error *err) {
    m->buf_n = 0;
    if (!reserve_set(m)) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    for (uint32_t a = m->g.alt_first[m->g.root]; a < m->g.alt_first[m->g.root + 1]; a++)
        expand(m, m->g.alt_start[a], NULL, 0, 0);
    if (m->oom) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    if (m->overflow)
        return lf_fail(err, LF_ERR_ARG, "grammar: the start rule has more than %d alternatives or nests too deep", MAX_STACKS);
    if (!commit(m, 0, m->buf_n, (utf8_state){0, 0, 0})) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    return LF_OK;
}

int grammar_matcher_create(const lf_grammar *g, const lf_tokenizer *tok, grammar_matcher **out, lf_error *err) {
    *out = NULL;
    grammar_matcher *m = calloc(1, sizeof *m);
    if (!m) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    int rc = copy_grammar(&m->g, g, err);
    if (!rc && tok) rc = load_vocab(m, tok, err);
    else if (!rc) {
        m->eos = -1;
        m->tok_off = calloc(1, sizeof *m->tok_off);
        if (!m->tok_off) rc = lf_fail(err, LF_ERR_NOMEM, "out of memory");
    }
    if (!rc) rc = start_state(m, err);
    if (rc) {
        grammar_matcher_free(m);
        return rc;
    }
    *out = m;
    return LF_OK;
}

void grammar_matcher_free(grammar_matcher *m) {
    if (!m) return;
    grammar_free_parts(&m->g);
    free(m->kind);
    free(m->next_token);
    free(m->tok_off);
    free(m->tok_data);
    free(m->child);
    free(m->sibling);
    free(m->first_token);
    free(m->byte);
    arena_free(&m->scratch);
    arena_free(&m->state[0]);
    arena_free(&m->state[1]);
    free(m->stacks);
    free(m->buf);
    free(m);
}
