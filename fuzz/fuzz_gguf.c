/* libFuzzer target for the GGUF reader: any byte string must parse or fail cleanly. When
 * it parses, every key-value, array element and tensor byte is visited (so a pointer
 * outside the input shows up under AddressSanitizer), the typed getters run on every
 * key, and the GGUF vocabulary loader runs on the result. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/gguf.h"
#include "tokenizer/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned char sink;

static void touch(const void *p, uint64_t n) {
    const unsigned char *b = p;
    for (uint64_t i = 0; i < n; i++) sink ^= b[i];
}

static void walk_kv(const gguf_file *f, const gguf_kv *kv) {
    touch(kv->key.data, kv->key.len);
    char key[256];
    /* the getters take C strings, so keys with a NUL inside are not looked up */
    if (kv->key.len < sizeof key && !memchr(kv->key.data, 0, kv->key.len)) {
        memcpy(key, kv->key.data, kv->key.len);
        key[kv->key.len] = 0;
        uint32_t u;
        int32_t i;
        float x;
        bool b;
        gguf_string s;
        sink ^= (unsigned char)(gguf_get_u32(f, key, &u) + gguf_get_i32(f, key, &i) + gguf_get_f32(f, key, &x) +
                                gguf_get_bool(f, key, &b));
        if (gguf_get_str(f, key, &s)) touch(s.data, s.len);
        /* gguf_find_kv returns the first key of that name, which may be an earlier one */
        if (!gguf_find_kv(f, key)) __builtin_trap();
    }
    if (kv->type == GGUF_TYPE_STRING) touch(kv->v.str.data, kv->v.str.len);
    if (kv->type != GGUF_TYPE_ARRAY) return;
    (void)gguf_type_name(kv->arr_type);
    for (uint64_t j = 0; j < kv->arr_count; j++) {
        if (kv->arr_type == GGUF_TYPE_STRING) {
            touch(kv->arr_strings[j].data, kv->arr_strings[j].len);
            continue;
        }
        int64_t v;
        double d;
        sink ^= (unsigned char)(gguf_array_get_i64(kv, j, &v) + gguf_array_get_f64(kv, j, &d));
    }
}

static void try_tokenizer(const gguf_file *f) {
    lf_tokenizer *tok = NULL;
    if (lf_tokenizer_from_gguf(f, &tok, NULL) != LF_OK) return;
    static const char text[] = "Hello world! <|im_start|>user\n\xc3\xa9\xe2\x96\x81 12345 <s></s>";
    int32_t ids[256];
    size_t n = 0;
    if (lf_tokenize(tok, text, sizeof text - 1, LF_TOKENIZE_PARSE_SPECIAL, ids, 256, &n, NULL) == LF_OK) {
        lf_detokenizer d;
        lf_detokenizer_init(&d, tok);
        char out[256];
        for (size_t i = 0; i < n && i < 256; i++) {
            if (ids[i] < 0 || ids[i] >= lf_tokenizer_vocab_size(tok)) __builtin_trap();
            lf_detokenizer_push(&d, ids[i], out, sizeof out);
        }
        lf_detokenizer_flush(&d, out, sizeof out);
    }
    lf_tokenizer_free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gguf_file *f = NULL;
    lf_error err;
    if (gguf_parse(data, size, "fuzz.gguf", &f, &err) != LF_OK) {
        if (f || !strstr(err.message, "fuzz.gguf")) __builtin_trap(); /* failures name the file */
        return 0;
    }
    for (uint64_t i = 0; i < f->n_kv; i++) walk_kv(f, &f->kvs[i]);
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const gguf_tensor_info *t = &f->tensors[i];
        touch(t->name.data, t->name.len);
        touch(t->data, t->nbytes);
    }
    try_tokenizer(f);
    gguf_close(f);
    return 0;
}
