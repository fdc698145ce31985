/* The imatrix file reader and writer (format/imatrix_file.c) and the weighted quantizer's
 * contract (lf_quantize_row_weighted): round trips in both formats, llama-quantize's
 * importance rules (sum / count, 1 for an unseen matrix, .dat value / ncall), and
 * hostile GGUF files refused with the file and entry named. Byte identity with llama.cpp
 * is tests/check_imatrix.py's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/gguf_write.h"
#include "format/imatrix_file.h"
#include "kernels/kernels.h"
#include "test.h"

static char tmpdir[] = "/tmp/test_imatrix_XXXXXX";

static lf_imatrix *sample(void) {
    lf_imatrix *im = lf_imatrix_new();
    lf_imatrix_entry *a = lf_imatrix_add(im, "blk.1.ffn_down.weight", 1, 4);
    lf_imatrix_entry *b = lf_imatrix_add(im, "blk.0.ffn_up_exps.weight", 2, 3);
    for (int i = 0; i < 4; i++) a->sums[i] = (float)(i + 1) * 8.0f;
    a->counts[0] = 16;
    for (int i = 0; i < 6; i++) b->sums[i] = (float)i;
    b->counts[0] = 2; /* the second expert was never routed to */
    im->datasets = malloc(sizeof *im->datasets);
    im->datasets[0] = strdup("calib.txt");
    im->n_datasets = 1;
    im->chunk_count = 2;
    im->chunk_size = 8;
    lf_imatrix_sort(im);
    return im;
}

static void round_trips(void) {
    lf_imatrix *im = sample();
    lf_error err;
    char path[256];
    CHECK(lf_imatrix_compute_importance(im, &err) == LF_OK);
    snprintf(path, sizeof path, "%s/m.gguf", tmpdir);
    CHECK(lf_imatrix_file_write(im, path, false, &err) == LF_OK);
    lf_imatrix *back = NULL;
    CHECK(lf_imatrix_file_read(path, &back, &err) == LF_OK);
    if (back) {
        CHECK(back->n_entries == 2 && !back->legacy && back->chunk_count == 2 && back->chunk_size == 8);
        CHECK(back->n_datasets == 1 && !strcmp(back->datasets[0], "calib.txt"));
        const lf_imatrix_entry *a = lf_imatrix_find(back, "blk.1.ffn_down.weight");
        const lf_imatrix_entry *b = lf_imatrix_find(back, "blk.0.ffn_up_exps.weight");
        CHECK(a && a->n_mat == 1 && a->n_values == 4 && a->counts[0] == 16 && a->importance[3] == 2.0f);
        CHECK(b && b->n_mat == 2 && b->counts[1] == 0 && b->importance[2] == 1.0f && b->importance[3] == 1.0f &&
              b->importance[4] == 1.0f);
        CHECK(lf_imatrix_find(back, "blk.9.ffn_down.weight") == NULL);
    }
    /* .dat: (sum / count) * ncall with ncall = ceil(max count / chunk size); unseen 1 */
    snprintf(path, sizeof path, "%s/m.dat", tmpdir);
    CHECK(lf_imatrix_file_write(im, path, true, &err) == LF_OK);
    lf_imatrix *dat = NULL;
    CHECK(lf_imatrix_file_read(path, &dat, &err) == LF_OK);
    if (dat) {
        const lf_imatrix_entry *a = lf_imatrix_find(dat, "blk.1.ffn_down.weight");
        const lf_imatrix_entry *b = lf_imatrix_find(dat, "blk.0.ffn_up_exps.weight");
        CHECK(dat->legacy && dat->chunk_count == 2 && !strcmp(dat->datasets[0], "calib.txt"));
        CHECK(a && a->counts[0] == 2 && a->sums[1] == 2.0f * 8.0f / 16.0f * 2.0f && a->importance[1] == 1.0f);
        CHECK(b && b->counts[0] == 1 && b->sums[4] == 1.0f && b->importance[4] == 1.0f);
        snprintf(path, sizeof path, "%s/back.gguf", tmpdir);
        CHECK(lf_imatrix_file_write(dat, path, false, &err) == LF_ERR_UNSUPPORTED && access(path, F_OK) != 0);
    }
    lf_imatrix_free(dat);
    lf_imatrix_free(back);
    lf_imatrix_free(im);
}

/* A GGUF imatrix with one entry; each flag breaks one thing. */
enum { OK = 0, NO_META = 1, NO_COUNTS = 2, NAN_SUM = 4, NEG_COUNT = 8, BAD_SPLIT = 16, F16_SUMS = 32 };

static void write_gguf(const char *path, int flags) {
    gguf_writer *w;
    lf_error err;
    const char *ds[] = {"t.txt"};
    if (gguf_writer_open(path, &w, &err)) return;
    gguf_writer_add_str(w, "general.type", "imatrix", &err);
    if (!(flags & NO_META)) {
        gguf_writer_add_str_array(w, "imatrix.datasets", ds, NULL, 1, &err);
        gguf_writer_add_u32(w, "imatrix.chunk_count", 1, &err);
    }
    gguf_writer_add_u32(w, "imatrix.chunk_size", 4, &err);
    uint64_t ne[2] = {4, 1}, nc[2] = {1, (flags & BAD_SPLIT) ? 3 : 1};
    gguf_writer_add_tensor(w, "w.weight.in_sum2", 1, ne, (flags & F16_SUMS) ? LF_TYPE_F16 : LF_TYPE_F32, NULL, NULL,
                           &err);
    if (!(flags & NO_COUNTS)) gguf_writer_add_tensor(w, "w.weight.counts", 2, nc, LF_TYPE_F32, NULL, NULL, &err);
    float sums[4] = {1, 2, (flags & NAN_SUM) ? NAN : 3, 4}, counts[3] = {(flags & NEG_COUNT) ? -1.0f : 4.0f, 1, 1};
    gguf_writer_write(w, sums, (flags & F16_SUMS) ? sizeof sums / 2 : sizeof sums, &err);
    if (!(flags & NO_COUNTS)) gguf_writer_write(w, counts, (size_t)nc[1] * 4, &err);
    gguf_writer_finish(w, &err);
    gguf_writer_free(w);
}

static void hostile_gguf(void) {
    static const struct {
        int flags;
        const char *says;
    } cases[] = {{NO_META, "missing imatrix metadata"}, {NO_COUNTS, "no counts"}, {NAN_SUM, "w.weight"},
                 {NEG_COUNT, "not a count"}, {BAD_SPLIT, "do not split"}, {F16_SUMS, "must be F32"}};
    char path[256];
    lf_error err;
    lf_imatrix *im = NULL;
    snprintf(path, sizeof path, "%s/good.gguf", tmpdir);
    write_gguf(path, OK);
    CHECK(lf_imatrix_file_read(path, &im, &err) == LF_OK && im && im->entries[0].importance[1] == 0.5f);
    lf_imatrix_free(im);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(path, sizeof path, "%s/bad%zu.gguf", tmpdir, i);
        write_gguf(path, cases[i].flags);
        im = NULL;
        int rc = lf_imatrix_file_read(path, &im, &err);
        CHECK_MSG(rc == LF_ERR_FORMAT && !im && strstr(err.message, cases[i].says) && strstr(err.message, path),
                  "case %zu: rc %d: %s", i, rc, rc ? err.message : "accepted");
    }
}

/* The weighted quantizer's contract beyond ggml's bytes. */
static void weighted_contract(void) {
    float x[512], imp[512], bad[512];
    unsigned char a[512 * 2], b[512 * 2];
    for (int i = 0; i < 512; i++) {
        x[i] = sinf((float)i * 0.37f) * (1.0f + (float)(i % 7));
        imp[i] = 0.5f + (float)(i % 5);
        bad[i] = imp[i];
    }
    static const lf_type weighted[] = {LF_TYPE_Q4_0, LF_TYPE_Q4_1, LF_TYPE_Q5_0, LF_TYPE_Q5_1, LF_TYPE_Q2_K,
                                       LF_TYPE_Q3_K, LF_TYPE_Q4_K, LF_TYPE_Q5_K, LF_TYPE_Q6_K};
    for (size_t t = 0; t < sizeof weighted / sizeof *weighted; t++) {
        lf_type ty = weighted[t];
        uint64_t bytes;
        lf_type_row_bytes(ty, 512, &bytes);
        /* NULL importance is the reference quantizer */
        CHECK(lf_quantize_row_weighted(ty, x, 512, NULL, a) && lf_quantize_row(ty, x, 512, b) && !memcmp(a, b, bytes));
        /* the importance changes the codes, and the result still dequantizes close to x */
        CHECK(lf_quantize_row_weighted(ty, x, 512, imp, a) && memcmp(a, b, bytes) != 0);
        float y[512], err2 = 0.0f, sum2 = 0.0f;
        lf_dequantize_row(ty, a, y, 512);
        for (int i = 0; i < 512; i++) {
            err2 += (y[i] - x[i]) * (y[i] - x[i]);
            sum2 += x[i] * x[i];
        }
        CHECK_MSG(err2 < 0.1f * sum2, "%s: relative error %g", lf_type_get(ty)->name, (double)(err2 / sum2));
        /* non-finite importance is refused; a row length the blocks cannot hold too */
        bad[100] = NAN;
        CHECK(!lf_quantize_row_weighted(ty, x, 512, bad, a));
        bad[100] = INFINITY;
        CHECK(!lf_quantize_row_weighted(ty, x, 512, bad, a));
        bad[100] = imp[100];
        CHECK(!lf_quantize_row_weighted(ty, x, 511, imp, a));
    }
    /* Q8_0 and the float types take no weights, as in ggml */
    CHECK(lf_quantize_row_weighted(LF_TYPE_Q8_0, x, 512, imp, a) && lf_quantize_row(LF_TYPE_Q8_0, x, 512, b) &&
          !memcmp(a, b, 544));
    /* all-zero importance and all-zero rows quantize without faults */
    float zero[512] = {0};
    CHECK(lf_quantize_row_weighted(LF_TYPE_Q4_K, x, 512, zero, a));
    CHECK(lf_quantize_row_weighted(LF_TYPE_Q2_K, zero, 512, imp, a));
}

int main(void) {
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    round_trips();
    hostile_gguf();
    weighted_contract();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    TEST_MAIN_END();
}
