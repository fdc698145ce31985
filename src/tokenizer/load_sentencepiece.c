/* SentencePiece tokenizer.model: a protobuf ModelProto with
 *   1 pieces (repeated SentencePiece: 1 piece, 2 score (float), 3 type)
 *   2 trainer_spec: 3 model_type (1 unigram, 2 BPE), 40 unk_id, 41 bos_id, 42 eos_id
 *   3 normalizer_spec: 1 name, 2 precompiled_charsmap, 3 add_dummy_prefix,
 *                      4 remove_extra_whitespaces */
#include <string.h>

#include "core/error.h"
#include "tokenizer/protobuf_internal.h"
#include "tokenizer/tokenizer_internal.h"

enum { MODEL_TYPE_UNIGRAM = 1, MODEL_TYPE_BPE = 2 };

typedef struct spm_header {
    size_t n_pieces;
    int model_type;
    int32_t unk_id, bos_id, eos_id;
    bool add_dummy_prefix, remove_extra_whitespaces, has_charsmap;
} spm_header;

static int parse_trainer_spec(const pb_field *msg, spm_header *h) {
    pb_reader r = {msg->data, msg->data + msg->len};
    pb_field f;
    int rc;
    while ((rc = pb_next(&r, &f)) == 1) {
        if (f.wire != PB_VARINT) continue;
        /* int32 fields: negative values are sign-extended to 64 bits on the wire */
        int32_t v = (int32_t)(uint32_t)f.value;
        switch (f.number) {
        case 3: h->model_type = v; break;
        case 40: h->unk_id = v; break;
        case 41: h->bos_id = v; break;
        case 42: h->eos_id = v; break;
        default: break;
        }
    }
    return rc;
}

static int parse_normalizer_spec(const pb_field *msg, spm_header *h) {
    pb_reader r = {msg->data, msg->data + msg->len};
    pb_field f;
    int rc;
    while ((rc = pb_next(&r, &f)) == 1) {
        if (f.number == 2 && f.wire == PB_BYTES) h->has_charsmap = f.len > 0;
        if (f.number == 3 && f.wire == PB_VARINT) h->add_dummy_prefix = f.value != 0;
        if (f.number == 4 && f.wire == PB_VARINT) h->remove_extra_whitespaces = f.value != 0;
    }
    return rc;
}

/* First pass: count the pieces and read the specs (protobuf defaults apply when absent). */
static int parse_header(const void *data, size_t size, spm_header *h) {
    *h = (spm_header){0, MODEL_TYPE_UNIGRAM, 0, 1, 2, true, true, false};
    pb_reader r = {data, (const uint8_t *)data + size};
    pb_field f;
    int rc;
    while ((rc = pb_next(&r, &f)) == 1) {
        if (f.wire != PB_BYTES) continue;
        if (f.number == 1) h->n_pieces++;
        else if (f.number == 2 && parse_trainer_spec(&f, h) < 0) return -1;
        else if (f.number == 3 && parse_normalizer_spec(&f, h) < 0) return -1;
    }
    return rc;
}

static int add_piece(lf_tokenizer *t, const pb_field *msg, const char *name, lf_error *err) {
    pb_reader r = {msg->data, msg->data + msg->len};
    pb_field f;
    const char *text = "";
    size_t len = 0;
    float score = 0;
    uint64_t type = TOKEN_NORMAL;
    int rc;
    while ((rc = pb_next(&r, &f)) == 1) {
        if (f.number == 1 && f.wire == PB_BYTES) {
            text = (const char *)f.data;
            len = f.len;
        } else if (f.number == 2 && f.wire == PB_FIXED32) {
            uint32_t bits = (uint32_t)f.value;
            memcpy(&score, &bits, sizeof score);
        } else if (f.number == 3 && f.wire == PB_VARINT) {
            type = f.value;
        }
    }
    if (rc < 0)
        return lf_fail(err, LF_ERR_FORMAT, "%s: malformed piece %d", name, t->n_vocab);
    if (type < TOKEN_NORMAL || type > TOKEN_BYTE)
        return lf_fail(err, LF_ERR_FORMAT, "%s: piece %d has unknown type %llu", name,
                       t->n_vocab, (unsigned long long)type);
    return tokenizer_add_piece(t, text, len, score, (uint8_t)type, name, err);
}

static void warn_about_normalizer(const spm_header *h, const char *name) {
    if (h->has_charsmap)
        lf_log(LF_LOG_WARN, "%s: the normalizer's character map is not applied", name);
    if (h->remove_extra_whitespaces)
        lf_log(LF_LOG_WARN, "%s: remove_extra_whitespaces is not applied", name);
}

int lf_tokenizer_from_sentencepiece(const void *data, size_t size, const char *name,
                                    lf_tokenizer **out, lf_error *err) {
    *out = NULL;
    spm_header h;
    if (size == 0 || parse_header(data, size, &h) < 0)
        return lf_fail(err, LF_ERR_FORMAT, "%s: not a valid SentencePiece model (bad protobuf)",
                       name);
    if (h.n_pieces == 0)
        return lf_fail(err, LF_ERR_FORMAT, "%s: SentencePiece model has no pieces", name);
    if (h.model_type != MODEL_TYPE_BPE)
        return lf_fail(err, LF_ERR_UNSUPPORTED,
                       "%s: SentencePiece model type %d is not supported (only BPE, 2)", name,
                       h.model_type);
    if (h.n_pieces > TOKENIZER_MAX_VOCAB)
        return lf_fail(err, LF_ERR_FORMAT, "%s: %zu pieces is implausibly many", name,
                       h.n_pieces);
    lf_tokenizer *t = tokenizer_new(TOKENIZER_SPM);
    if (!t) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", name);
    int rc = tokenizer_reserve(t, (int32_t)h.n_pieces, name, err);
    pb_reader r = {data, (const uint8_t *)data + size};
    pb_field f;
    while (rc == LF_OK && pb_next(&r, &f) == 1)
        if (f.number == 1 && f.wire == PB_BYTES) rc = add_piece(t, &f, name, err);
    if (rc == LF_OK) {
        t->unk = h.unk_id;
        t->bos = h.bos_id;
        t->eos = h.eos_id;
        t->add_bos = h.bos_id >= 0;
        t->add_space_prefix = h.add_dummy_prefix;
        warn_about_normalizer(&h, name);
        rc = tokenizer_finish(t, NULL, 0, name, err);
    }
    if (rc != LF_OK) {
        lf_tokenizer_free(t);
        return rc;
    }
    *out = t;
    return LF_OK;
}
