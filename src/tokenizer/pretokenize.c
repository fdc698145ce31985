/* The pre-tokenizer regexes, by hand.
 *
 * GPT-2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * Llama 3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *          ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * SmolLM:  Hugging Face's Digits(individual_digits) then ByteLevel: every \p{N} is a
 *          word of its own, and the GPT-2 regex runs on the text between them. */
#include "tokenizer/pretokenize_internal.h"

#include <string.h>

#include "tokenizer/unicode_internal.h"

typedef enum char_class { CLASS_LETTER, CLASS_NUMBER, CLASS_SPACE, CLASS_OTHER } char_class;

typedef struct cursor {
    const unsigned char *s;
    size_t limit; /* the regex sees the text up to here only */
} cursor;

static size_t decode_at(const cursor *c, size_t i, uint32_t *cp) {
    return utf8_decode(c->s + i, c->limit - i, cp);
}

static char_class classify(uint32_t cp) {
    if (unicode_is_letter(cp)) return CLASS_LETTER;
    if (unicode_is_number(cp)) return CLASS_NUMBER;
    if (unicode_is_space(cp)) return CLASS_SPACE;
    return CLASS_OTHER;
}

static char_class class_at(const cursor *c, size_t i) {
    uint32_t cp;
    decode_at(c, i, &cp);
    return classify(cp);
}

/* End of the run of characters of class cls starting at i (at most max characters). */
static size_t run_end(const cursor *c, size_t i, char_class cls, size_t max) {
    for (size_t n = 0; i < c->limit && n < max; n++) {
        uint32_t cp;
        size_t len = decode_at(c, i, &cp);
        if (classify(cp) != cls) break;
        i += len;
    }
    return i;
}

/* 's 't 're 've 'm 'll 'd after the apostrophe at i; returns the end or 0. */
static size_t contraction_end(const cursor *c, size_t i, bool ignore_case) {
    static const char *const suffixes[] = {"s", "t", "re", "ve", "m", "ll", "d"};
    for (size_t k = 0; k < sizeof suffixes / sizeof *suffixes; k++) {
        size_t n = strlen(suffixes[k]);
        if (i + 1 + n > c->limit) continue;
        size_t j = 0;
        for (; j < n; j++) {
            unsigned char ch = c->s[i + 1 + j];
            if (ignore_case && ch >= 'A' && ch <= 'Z') ch = (unsigned char)(ch + 32);
            if (ch != (unsigned char)suffixes[k][j]) break;
        }
        if (j == n) return i + 1 + n;
    }
    return 0;
}

/* \s+(?!\S)|\s+ : a whitespace run, leaving its last character to start the next word
 * when a non-space follows (so " world" keeps its space). */
static size_t trailing_space_end(const cursor *c, size_t i) {
    size_t last_start = i, n = 0;
    while (i < c->limit) {
        uint32_t cp;
        size_t len = decode_at(c, i, &cp);
        if (!unicode_is_space(cp)) break;
        last_start = i;
        i += len;
        n++;
    }
    if (i == c->limit || n < 2) return i;
    return last_start;
}

static size_t gpt2_word_end(const cursor *c, size_t i) {
    uint32_t cp;
    size_t len = decode_at(c, i, &cp);
    if (cp == '\'') {
        size_t e = contraction_end(c, i, false);
        if (e) return e;
    }
    if (cp == ' ' && i + len < c->limit) {
        char_class next = class_at(c, i + len);
        if (next != CLASS_SPACE) return run_end(c, i + len, next, SIZE_MAX);
    }
    char_class cls = classify(cp);
    if (cls != CLASS_SPACE) return run_end(c, i, cls, SIZE_MAX);
    return trailing_space_end(c, i);
}

static size_t newlines_end(const cursor *c, size_t i) {
    while (i < c->limit && (c->s[i] == '\r' || c->s[i] == '\n')) i++;
    return i;
}

static size_t llama3_word_end(const cursor *c, size_t i) {
    uint32_t cp;
    size_t len = decode_at(c, i, &cp);
    char_class cls = classify(cp);
    if (cp == '\'') {
        size_t e = contraction_end(c, i, true);
        if (e) return e;
    }
    /* [^\r\n\p{L}\p{N}]?\p{L}+ */
    if (cls == CLASS_LETTER) return run_end(c, i, CLASS_LETTER, SIZE_MAX);
    if (cls != CLASS_NUMBER && cp != '\r' && cp != '\n' && i + len < c->limit &&
        class_at(c, i + len) == CLASS_LETTER)
        return run_end(c, i + len, CLASS_LETTER, SIZE_MAX);
    /* \p{N}{1,3} */
    if (cls == CLASS_NUMBER) return run_end(c, i, CLASS_NUMBER, 3);
    /*  ?[^\s\p{L}\p{N}]+[\r\n]* */
    size_t j = i;
    if (cp == ' ' && i + len < c->limit && class_at(c, i + len) == CLASS_OTHER) j = i + len;
    if (class_at(c, j) == CLASS_OTHER) return newlines_end(c, run_end(c, j, CLASS_OTHER, SIZE_MAX));
    /* \s*[\r\n]+ : up to and including the last newline of the whitespace run */
    size_t last_newline_end = 0, k = i;
    while (k < c->limit) {
        uint32_t w;
        size_t wl = decode_at(c, k, &w);
        if (!unicode_is_space(w)) break;
        k += wl;
        if (w == '\r' || w == '\n') last_newline_end = k;
    }
    if (last_newline_end) return last_newline_end;
    return trailing_space_end(c, i);
}

void pretokenizer_init(pretokenizer *p, pretokenizer_kind kind, const char *text, size_t len) {
    p->kind = kind;
    p->s = (const unsigned char *)text;
    p->len = len;
    p->pos = 0;
    p->segment_end = 0;
}

bool pretokenizer_next(pretokenizer *p, size_t *start, size_t *end) {
    if (p->pos >= p->len) return false;
    cursor c = {p->s, p->len};
    size_t e;
    if (p->kind == PRETOK_LLAMA3) {
        e = llama3_word_end(&c, p->pos);
    } else if (p->kind == PRETOK_SMOLLM) {
        uint32_t cp;
        size_t len = decode_at(&c, p->pos, &cp);
        if (unicode_is_number(cp)) {
            e = p->pos + len;
        } else {
            if (p->segment_end <= p->pos) {
                size_t i = p->pos;
                while (i < p->len) {
                    size_t l = decode_at(&c, i, &cp);
                    if (unicode_is_number(cp)) break;
                    i += l;
                }
                p->segment_end = i;
            }
            c.limit = p->segment_end;
            e = gpt2_word_end(&c, p->pos);
        }
    } else {
        e = gpt2_word_end(&c, p->pos);
    }
    *start = p->pos;
    *end = e;
    p->pos = e;
    return true;
}
