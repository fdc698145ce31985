/* lf_tokenizer_load: tells the file kinds apart by content. GGUF starts with "GGUF"; a
 * tiktoken rank file with "<base64> "; a SentencePiece model starts with
 * field 1 (pieces) as bytes, tag 0x0A; anything
 * else is read as llama2.c's tokenizer.bin, which is also tried when a 0x0A-led file
 * is not valid protobuf (a tokenizer.bin whose longest token is 10 bytes). */
#include <string.h>

#include "core/error.h"
#include "core/mapped_file.h"
#include "tokenizer/load_hf.h"
#include "tokenizer/tokenizer_internal.h"

static int load_gguf(const char *path, lf_tokenizer **out, lf_error *err) {
    gguf_file *f = NULL;
    int rc = gguf_open(path, &f, err);
    if (rc != LF_OK) return rc;
    rc = lf_tokenizer_from_gguf(f, out, err);
    gguf_close(f);
    return rc;
}

int lf_tokenizer_load(const char *path, lf_tokenizer **out, lf_error *err) {
    if (!out) return lf_fail(err, LF_ERR_ARG, "lf_tokenizer_load: out is NULL");
    *out = NULL;
    if (!path) return lf_fail(err, LF_ERR_ARG, "lf_tokenizer_load: path is NULL");
    if (lf_tokenizer_is_hf_path(path)) return lf_tokenizer_from_hf_path(path, out, err);
    lf_mapped_file map;
    int rc = lf_mapped_file_open(path, &map, err);
    if (rc != LF_OK) return rc;
    if (map.size >= 4 && memcmp(map.data, "GGUF", 4) == 0) {
        lf_mapped_file_close(&map);
        return load_gguf(path, out, err);
    }
    if (lf_tokenizer_is_tiktoken(map.data, map.size)) {
        rc = lf_tokenizer_from_tiktoken(map.data, map.size, path, out, err);
    } else if (map.data[0] == 0x0A) {
        lf_error spm_err = {0};
        rc = lf_tokenizer_from_sentencepiece(map.data, map.size, path, out, &spm_err);
        if (rc == LF_ERR_FORMAT && lf_tokenizer_from_llama2c(map.data, map.size, path, 0, out,
                                                              NULL) == LF_OK)
            rc = LF_OK;
        if (rc != LF_OK && err) *err = spm_err;
    } else {
        rc = lf_tokenizer_from_llama2c(map.data, map.size, path, 0, out, err);
    }
    lf_mapped_file_close(&map);
    return rc;
}
