#include "server/logprobs_json.h"

#include "server/utf8_text.h"

/* JSON has no -infinity: a token the model rules out gets OpenAI's stand-in. */
#define LOGPROB_FLOOR -9999.0

static double finite(float logprob) { return logprob > LOGPROB_FLOOR ? logprob : LOGPROB_FLOOR; }

/* Long enough for any token's bytes; a longer one is cut (lf_token_to_bytes tells). */
#define PIECE_MAX 256

typedef struct piece {
    char bytes[PIECE_MAX];
    size_t n;
} piece;

static piece piece_of(const lf_tokenizer *tok, int32_t id) {
    piece p;
    int n = lf_token_to_bytes(tok, id, p.bytes, sizeof p.bytes);
    p.n = n < 0 ? 0 : n > PIECE_MAX ? PIECE_MAX : (size_t)n;
    return p;
}

static json_t *byte_list(const piece *p) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < p->n; i++)
        if (json_array_append_new(a, json_integer((unsigned char)p->bytes[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* {token, logprob, bytes}: the token as text (bytes that are not valid UTF-8 on their
 * own shown as U+FFFD) and its exact bytes. */
static json_t *chat_token(const lf_tokenizer *tok, int32_t id, float logprob) {
    piece p = piece_of(tok, id);
    return json_pack("{s:o, s:f, s:o}", "token", utf8_json_string(p.bytes, p.n), "logprob", finite(logprob), "bytes",
                     byte_list(&p));
}

static json_t *chat_entry(const lf_tokenizer *tok, const token_logprob *lp) {
    json_t *top = json_array(), *e = chat_token(tok, lp->id, lp->logprob);
    for (int i = 0; top && i < lp->n_top; i++)
        if (json_array_append_new(top, chat_token(tok, lp->top[i].id, lp->top[i].logprob))) {
            json_decref(top);
            top = NULL;
        }
    if (!e || !top || json_object_set_new(e, "top_logprobs", top)) {
        json_decref(e);
        return NULL;
    }
    return e;
}

/* Adds text: logprob to the legacy top_logprobs object o unless the text is there (of
 * tokens with the same text the likelier, added first, is kept); false when out of memory. */
static bool legacy_add(json_t *o, const lf_tokenizer *tok, int32_t id, float logprob) {
    piece p = piece_of(tok, id);
    json_t *key = utf8_json_string(p.bytes, p.n);
    bool ok = key && (json_object_get(o, json_string_value(key)) ||
                      !json_object_set_new(o, json_string_value(key), json_real(finite(logprob))));
    json_decref(key);
    return ok;
}

/* Legacy top_logprobs: {token text: logprob}, most likely first, and the chosen token
 * too when it is not among them ("up to logprobs + 1 elements", as OpenAI's API says). */
static json_t *legacy_top(const lf_tokenizer *tok, const token_logprob *lp) {
    json_t *o = json_object();
    bool ok = o != NULL;
    for (int i = 0; ok && i < lp->n_top; i++) ok = legacy_add(o, tok, lp->top[i].id, lp->top[i].logprob);
    if (ok && lp->n_top > 0) ok = legacy_add(o, tok, lp->id, lp->logprob);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static void append(logprobs_json *b, json_t *list, json_t *item) {
    if (!item || json_array_append_new(list, item)) b->failed = true;
}

static void reset(logprobs_json *b) {
    if (b->chat) {
        b->content = json_array();
        b->failed |= !b->content;
        return;
    }
    b->tokens = json_array();
    b->token_logprobs = json_array();
    b->top = json_array();
    b->text_offset = json_array();
    b->failed |= !b->tokens || !b->token_logprobs || !b->top || !b->text_offset;
}

void logprobs_json_init(logprobs_json *b, bool chat, const lf_tokenizer *tok) {
    *b = (logprobs_json){.chat = chat, .tok = tok};
    reset(b);
}

void logprobs_json_add(logprobs_json *b, const token_logprob *lp) {
    if (b->failed) return;
    if (b->chat) {
        append(b, b->content, chat_entry(b->tok, lp));
        return;
    }
    piece p = piece_of(b->tok, lp->id);
    append(b, b->tokens, utf8_json_string(p.bytes, p.n));
    append(b, b->token_logprobs, lp->known ? json_real(finite(lp->logprob)) : json_null());
    append(b, b->top, lp->known ? legacy_top(b->tok, lp) : json_null());
    append(b, b->text_offset, json_integer((json_int_t)b->offset));
    b->offset += p.n;
}

json_t *logprobs_json_take(logprobs_json *b) {
    json_t *o = NULL;
    if (!b->failed)
        o = b->chat ? json_pack("{s:O}", "content", b->content)
                    : json_pack("{s:O, s:O, s:O, s:O}", "tokens", b->tokens, "token_logprobs", b->token_logprobs,
                                "top_logprobs", b->top, "text_offset", b->text_offset);
    logprobs_json_free(b);
    reset(b);
    return o;
}

void logprobs_json_free(logprobs_json *b) {
    json_decref(b->content);
    json_decref(b->tokens);
    json_decref(b->token_logprobs);
    json_decref(b->top);
    json_decref(b->text_offset);
    b->content = b->tokens = b->token_logprobs = b->top = b->text_offset = NULL;
}
