/* Hostile tokenizer files: truncated or corrupted tokenizer.model, tokenizer.bin and
 * GGUF vocabularies must give an error, never a crash or a hang (run under ASan). */
#include <stdint.h>
#include <unistd.h>

#include "format/gguf.h"
#include "llamafast.h"
#include "test.h"
#include "tokenizer/tokenizer.h"

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void data_path(char *out, size_t cap, const char *rel) {
    snprintf(out, cap, "%s/%s", test_data_dir(), rel);
}

/* Truncations inside records, and corrupted bytes, of the SentencePiece model. */
static void check_sentencepiece(void) {
    char path[1024];
    data_path(path, sizeof path, "tokenizers/llama2/tokenizer.model");
    size_t size;
    unsigned char *data = read_file(path, &size);
    CHECK(data != NULL);
    if (!data) return;
    lf_tokenizer *tok = NULL;
    lf_error err;
    int failures = 0, tries = 0;
    for (size_t cut = 0; cut < size; cut += 997, tries++) {
        int rc = lf_tokenizer_from_sentencepiece(data, cut, "cut.model", &tok, &err);
        failures += rc != LF_OK;
        if (rc == LF_OK) lf_tokenizer_free(tok);
        CHECK(rc == LF_OK || tok == NULL);
    }
    CHECK_MSG(failures == tries, "%d of %d truncated models loaded", tries - failures, tries);
    /* a piece length that runs past the end */
    unsigned char bad[] = {0x0A, 0x7F, 0x0A, 0x02, 'h', 'i'};
    CHECK(lf_tokenizer_from_sentencepiece(bad, sizeof bad, "bad", &tok, &err) == LF_ERR_FORMAT);
    /* valid protobuf, but a unigram model: refused as unsupported */
    unsigned char unigram[] = {0x0A, 0x04, 0x0A, 0x02, 'h', 'i', 0x12, 0x02, 0x18, 0x01};
    CHECK(lf_tokenizer_from_sentencepiece(unigram, sizeof unigram, "uni", &tok, &err) ==
          LF_ERR_UNSUPPORTED);
    /* flipped bytes anywhere: an error naming the input, or a tokenizer that tokenizes
     * into ids of its own vocabulary */
    uint32_t seed = 12345;
    int bad_results = 0;
    for (int i = 0; i < 200; i++) {
        unsigned char *copy = malloc(size);
        memcpy(copy, data, size);
        for (int k = 0; k < 8; k++) {
            seed = seed * 1103515245u + 12345u;
            copy[(seed >> 4) % size] ^= (unsigned char)(seed >> 20 | 1);
        }
        if (lf_tokenizer_from_sentencepiece(copy, size, "flipped", &tok, &err) == LF_OK) {
            int32_t ids[64];
            size_t n = 0;
            int rc = lf_tokenize(tok, "Hello world <s> \xf0\x9f\xa6\x99", 20, LF_TOKENIZE_PARSE_SPECIAL, ids, 64,
                                 &n, &err);
            for (size_t j = 0; rc == LF_OK && j < n && j < 64; j++)
                bad_results += ids[j] < 0 || ids[j] >= lf_tokenizer_vocab_size(tok);
            bad_results += rc != LF_OK;
            lf_tokenizer_free(tok);
        } else {
            bad_results += strstr(err.message, "flipped") == NULL;
        }
        free(copy);
    }
    CHECK_MSG(bad_results == 0, "%d flipped models failed to tokenize, gave out-of-vocabulary ids or unnamed errors", bad_results);
    free(data);
}

static void check_llama2c(void) {
    char path[1024];
    data_path(path, sizeof path, "tokenizers/llama2/tokenizer.bin");
    size_t size;
    unsigned char *data = read_file(path, &size);
    CHECK(data != NULL);
    if (!data) return;
    lf_tokenizer *tok = NULL;
    lf_error err;
    int loaded = 0;
    /* With the model's vocabulary size every truncation is an error. */
    for (size_t cut = 0; cut < size; cut += 331) {
        int rc = lf_tokenizer_from_llama2c(data, cut, "cut.bin", 32000, &tok, &err);
        if (rc == LF_OK) {
            loaded++;
            lf_tokenizer_free(tok);
        }
    }
    CHECK_MSG(loaded == 0, "%d truncated tokenizer.bin loaded", loaded);
    /* Cut inside the last record (its text is not empty). */
    CHECK(lf_tokenizer_from_llama2c(data, size - 1, "cut.bin", 0, &tok, &err) == LF_ERR_FORMAT);
    /* A negative / huge length */
    unsigned char huge[] = {4, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 'a'};
    CHECK(lf_tokenizer_from_llama2c(huge, sizeof huge, "huge", 0, &tok, &err) == LF_ERR_FORMAT);
    CHECK(lf_tokenizer_from_llama2c(huge, 3, "tiny", 0, &tok, &err) == LF_ERR_FORMAT);
    free(data);
}

/* GGUF vocabularies cut short, through the public loader (temporary files). */
static void check_gguf(void) {
    char path[1024];
    data_path(path, sizeof path, "vocab/ggml-vocab-gpt-2.gguf");
    size_t size;
    unsigned char *data = read_file(path, &size);
    CHECK(data != NULL);
    if (!data) return;
    char tmp[] = "/tmp/lf_tok_bad_XXXXXX";
    int fd = mkstemp(tmp);
    CHECK(fd >= 0);
    if (fd < 0) {
        free(data);
        return;
    }
    close(fd);
    int loaded = 0, tries = 0;
    for (size_t cut = 1; cut < size; cut = cut * 3 / 2 + 7, tries++) {
        FILE *f = fopen(tmp, "wb");
        fwrite(data, 1, cut, f);
        fclose(f);
        lf_tokenizer *tok = NULL;
        lf_error err;
        if (lf_tokenizer_load(tmp, &tok, &err) == LF_OK) {
            loaded++;
            lf_tokenizer_free(tok);
        }
    }
    CHECK_MSG(loaded == 0, "%d of %d truncated GGUF loaded", loaded, tries);
    /* garbage that is neither GGUF, protobuf nor a plausible tokenizer.bin */
    FILE *f = fopen(tmp, "wb");
    for (int i = 0; i < 4096; i++) fputc((i * 7919) & 0xFF, f);
    fclose(f);
    lf_tokenizer *tok = NULL;
    lf_error err;
    CHECK(lf_tokenizer_load(tmp, &tok, &err) != LF_OK && tok == NULL);
    unlink(tmp);
    CHECK(lf_tokenizer_load("/nonexistent/tokenizer.model", &tok, &err) == LF_ERR_IO);
    free(data);
}

int main(void) {
    check_sentencepiece();
    check_llama2c();
    check_gguf();
    TEST_MAIN_END();
}
