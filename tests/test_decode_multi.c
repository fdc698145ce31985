/* lf_decode_multi (continuous batching): one forward step over several contexts gives
 * each context the logits, position and token record that separate lf_decode calls give
 * (the oracle), up to the rounding of batched products: 1..8 contexts at different
 * positions decoding one token each, prompt chunks beside decoding rows, a logits_all
 * context, and calls refused before they change anything. Runs on the SmolLM2 GGUF
 * (env MODEL) when present, else on the llama2.c stories260K model of the test data.
 *
 * Decoding rows of several contexts go through the batch (GEMM) kernels, one context's
 * single token through the GEMV ones. With int8 activations the SIMD GEMMs and GEMVs of
 * quantized weights differ by more than summation order (on SmolLM2 Q4_1 ~2 % of the
 * largest logit after a random history: the same gap as between prefilling a token and
 * decoding it, lf_decode alone), so the exact comparison runs with precise_activations
 * (~1e-4), and int8 activations get a coarse bound that a misplaced row or position
 * would break. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"
#include "llamafast.h"
#include "model_test.h"
#include "test.h"

#define N_CTX 8

static int vocab;

static bool precise; /* the contexts' precise_activations */
static double tolerance; /* of logit_distance */
static bool same_argmax; /* required */

static lf_context *new_context(const lf_model *m, bool logits_all) {
    lf_context_params cp = lf_context_default_params();
    cp.precise_activations = precise;
    cp.max_seq_len = 256;
    cp.n_threads = 2;
    cp.logits_all = logits_all;
    return test_context(m, &cp);
}

/* Deterministic ids spread over the vocabulary. */
static void fill_ids(int32_t *ids, int n, unsigned seed) {
    for (int i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        ids[i] = (int32_t)((seed >> 8) % (unsigned)vocab);
    }
}

/* Context pairs: ref[i] steps with lf_decode, batch[i] with lf_decode_multi. */
typedef struct pair_set {
    lf_context *ref[N_CTX], *batch[N_CTX];
} pair_set;

/* Compares row i of the logits of batch against ref (the last token's when !all). */
static void check_same(lf_context *batch, lf_context *ref, int row, const char *what) {
    const float *a = row < 0 ? lf_context_logits(batch) : lf_context_logits_at(batch, row);
    const float *b = row < 0 ? lf_context_logits(ref) : lf_context_logits_at(ref, row);
    CHECK_MSG(a && b, "%s: no logits", what);
    if (!a || !b) return;
    double d = logit_distance(a, b, vocab);
    CHECK_MSG(d <= tolerance, "%s: logits differ by %g of the largest", what, d);
    CHECK_MSG(!same_argmax || argmax(a, vocab) == argmax(b, vocab), "%s: argmax %d, separately %d", what,
              argmax(a, vocab), argmax(b, vocab));
}

static void check_records(lf_context *batch, lf_context *ref, const char *what) {
    int n = lf_context_position(ref);
    CHECK_MSG(lf_context_position(batch) == n, "%s: position %d, separately %d", what, lf_context_position(batch), n);
    CHECK_MSG(!memcmp(lf_context_tokens(batch), lf_context_tokens(ref), (size_t)n * sizeof(int32_t)),
              "%s: recorded tokens differ", what);
}

/* One step: context i takes n[i] tokens (0 = sits out). */
static void step(pair_set *ps, int32_t *const *ids, const int *n, const char *what) {
    lf_context *ctxs[N_CTX];
    const int32_t *toks[N_CTX];
    int counts[N_CTX], k = 0;
    lf_error err = {0};
    for (int i = 0; i < N_CTX; i++) {
        if (!n[i]) continue;
        CHECK(lf_decode(ps->ref[i], ids[i], n[i], &err) == LF_OK);
        ctxs[k] = ps->batch[i], toks[k] = ids[i], counts[k++] = n[i];
    }
    int rc = lf_decode_multi(ctxs, toks, counts, k, &err);
    CHECK_MSG(rc == LF_OK, "%s: %s", what, err.message);
    char label[128];
    for (int i = 0; i < N_CTX; i++) {
        if (!n[i]) continue;
        snprintf(label, sizeof label, "%s, context %d", what, i);
        check_records(ps->batch[i], ps->ref[i], label);
        check_same(ps->batch[i], ps->ref[i], -1, label);
    }
}

static void check_model(const lf_model *m) {
    lf_model_info info;
    lf_model_get_info(m, &info);
    vocab = info.vocab_size;
    pair_set ps;
    for (int i = 0; i < N_CTX; i++) {
        bool all = i == 5; /* one context keeps every token's logits */
        ps.ref[i] = new_context(m, all);
        ps.batch[i] = new_context(m, all);
    }
    int32_t buf[N_CTX][64], *ids[N_CTX];
    for (int i = 0; i < N_CTX; i++) ids[i] = buf[i];
    int n[N_CTX];

    /* histories of different lengths, themselves prefilled in one batched step */
    for (int i = 0; i < N_CTX; i++) {
        n[i] = 3 + 5 * i;
        fill_ids(ids[i], n[i], 100u + (unsigned)i);
    }
    step(&ps, ids, n, "prefill of 8 prompts");
    for (int r = 0; r < n[5]; r++) {
        char label[64];
        snprintf(label, sizeof label, "prefill, logits_all row %d", r);
        check_same(ps.batch[5], ps.ref[5], r, label);
    }

    /* 1..8 contexts decoding one token each */
    for (int k = 1; k <= N_CTX; k++) {
        for (int i = 0; i < N_CTX; i++) {
            n[i] = i < k ? 1 : 0;
            fill_ids(ids[i], 1, 7u * (unsigned)k + (unsigned)i);
        }
        char label[64];
        snprintf(label, sizeof label, "decode of %d contexts", k);
        step(&ps, ids, n, label);
    }

    /* prompt chunks beside decoding rows, contexts sitting out */
    int mixed[N_CTX] = {1, 40, 0, 1, 17, 9, 1, 0};
    for (int i = 0; i < N_CTX; i++) fill_ids(ids[i], mixed[i], 900u + (unsigned)i);
    step(&ps, ids, mixed, "prefill and decode");
    for (int r = 0; r < mixed[5]; r++) {
        char label[64];
        snprintf(label, sizeof label, "mixed, logits_all row %d", r);
        check_same(ps.batch[5], ps.ref[5], r, label);
    }

    /* refused calls change nothing */
    lf_error err = {0};
    int pos0 = lf_context_position(ps.batch[0]), pos1 = lf_context_position(ps.batch[1]);
    lf_context *twice[2] = {ps.batch[0], ps.batch[0]};
    const int32_t *toks[2] = {ids[0], ids[1]};
    int one[2] = {1, 1};
    CHECK(lf_decode_multi(twice, toks, one, 2, &err) == LF_ERR_ARG && strstr(err.message, "context 1"));
    lf_context *pair[2] = {ps.batch[0], ps.batch[1]};
    int32_t bad[1] = {vocab};
    const int32_t *bad_toks[2] = {ids[0], bad};
    CHECK(lf_decode_multi(pair, bad_toks, one, 2, &err) == LF_ERR_ARG && strstr(err.message, "context 1"));
    int none[2] = {1, 0};
    CHECK(lf_decode_multi(pair, toks, none, 2, &err) == LF_ERR_ARG);
    static int32_t many[LF_DECODE_MULTI_MAX_TOKENS];
    const int32_t *many_toks[2] = {many, many};
    int over[2] = {LF_DECODE_MULTI_MAX_TOKENS / 2, LF_DECODE_MULTI_MAX_TOKENS / 2 + 1};
    CHECK(lf_decode_multi(pair, many_toks, over, 2, &err) != LF_OK);
    CHECK(lf_decode_multi(pair, toks, one, 0, &err) == LF_ERR_ARG);
    CHECK(lf_context_position(ps.batch[0]) == pos0 && lf_context_position(ps.batch[1]) == pos1);
    for (int i = 0; i < N_CTX; i++) {
        lf_context_free(ps.ref[i]);
        lf_context_free(ps.batch[i]);
    }
}

/* The weights' repacked copy (lf_model_params.repack) changes nothing but the speed: on
 * AVX-512 the repacked product computes as the row layout's few-activation product does,
 * so batched steps of 2-8 contexts give the same logits, bit for bit, from a model loaded
 * with and without it (both with int8 activations and with precise ones); on AVX2 the
 * row layout's batches go through the prompt GEMM or the decode kernels, the same
 * integer block products scaled and added in another order, and the logits agree as
 * batched and separate steps do (check_model's tolerances: a float rounding can flip an
 * int8 activation's rounding, which the next layers carry). Skipped, visibly, where the
 * model has no weights of a repacked type or the CPU no product. */
static void check_repacked(const char *path, bool tiny) {
    lf_model_params mp = lf_model_default_params();
    mp.repack = true;
    lf_model *plain = NULL, *repacked = NULL;
    lf_error err = {0};
    CHECK_MSG(lf_model_load(path, NULL, &plain, &err) == LF_OK && lf_model_load(path, &mp, &repacked, &err) == LF_OK,
              "cannot load %s: %s", path, err.message);
    lf_model_info info;
    if (repacked) lf_model_get_info(repacked, &info);
    if (!plain || !repacked || !info.repacked_bytes) {
        if (plain && repacked) SKIP("repacked weights: none for %s on this CPU", path);
        lf_model_free(plain);
        lf_model_free(repacked);
        return;
    }
    bool same_bits = lf_kernels_level() >= LF_SIMD_AVX512;
    for (int mode = 0; mode < 2; mode++) {
        precise = mode == 1;
        tolerance = precise || tiny ? 2e-3 : 0.1, same_argmax = precise || tiny;
        lf_context *a[N_CTX], *b[N_CTX];
        for (int i = 0; i < N_CTX; i++) a[i] = new_context(plain, false), b[i] = new_context(repacked, false);
        int32_t buf[N_CTX][40];
        const int32_t *toks[N_CTX];
        int n[N_CTX];
        for (int i = 0; i < N_CTX; i++) {
            n[i] = 3 + 4 * i;
            fill_ids(buf[i], n[i], 300u + (unsigned)i);
            toks[i] = buf[i];
        }
        CHECK(lf_decode_multi(a, toks, n, N_CTX, &err) == LF_OK && lf_decode_multi(b, toks, n, N_CTX, &err) == LF_OK);
        for (int k = 2; k <= N_CTX; k++) {
            for (int i = 0; i < k; i++) {
                n[i] = 1;
                fill_ids(buf[i], 1, 40u * (unsigned)k + (unsigned)i);
            }
            CHECK(lf_decode_multi(a, toks, n, k, &err) == LF_OK && lf_decode_multi(b, toks, n, k, &err) == LF_OK);
            char what[96];
            snprintf(what, sizeof what, "%s %s: %d contexts decoding together, repacked weights",
                     lf_simd_level_name(lf_kernels_level()), precise ? "precise" : "int8", k);
            int differ = 0;
            for (int i = 0; i < k; i++) {
                if (same_bits) differ += memcmp(lf_context_logits(a[i]), lf_context_logits(b[i]),
                                                (size_t)vocab * sizeof(float)) != 0;
                else check_same(b[i], a[i], -1, what);
            }
            CHECK_MSG(differ == 0, "%s: %d differ", what, differ);
        }
        for (int i = 0; i < N_CTX; i++) {
            lf_context_free(a[i]);
            lf_context_free(b[i]);
        }
    }
    lf_model_free(plain);
    lf_model_free(repacked);
}

int main(void) {
    const char *path = getenv("MODEL");
    char tiny[1024];
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f) {
        snprintf(tiny, sizeof tiny, "%s/models/stories260K.bin", test_data_dir());
        path = tiny;
    } else fclose(f);
    lf_model *m = NULL;
    lf_error err = {0};
    int rc = lf_model_load(path, NULL, &m, &err);
    CHECK_MSG(rc == LF_OK, "cannot load %s: %s", path, err.message);
    if (!rc) {
        fprintf(stderr, "model: %s\n", path);
        precise = true, tolerance = 2e-3, same_argmax = true;
        check_model(m);
        precise = false, tolerance = path == tiny ? 2e-3 : 0.1, same_argmax = path == tiny;
        check_model(m);
        lf_model_free(m);
        check_repacked(path, path == tiny);
    }
    TEST_MAIN_END();
}
