/* Reading and writing llama.cpp's imatrix files (imatrix_file.h). */
#include "format/imatrix_file.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/mapped_file.h"
#include "format/gguf.h"
#include "format/gguf_write.h"

#define MAX_ENTRIES 1000000    /* far above any model's weight count */
#define MAX_NAME 4096          /* GGUF names are < 64 bytes; .dat ones are not bounded */
#define MAX_VALUES (1 << 28)   /* per entry: columns times experts */
#define SUM2_SUFFIX ".in_sum2"
#define COUNTS_SUFFIX ".counts"

lf_imatrix *lf_imatrix_new(void) { return calloc(1, sizeof(lf_imatrix)); }

void lf_imatrix_free(lf_imatrix *im) {
    if (!im) return;
    for (int i = 0; i < im->n_entries; i++) {
        lf_imatrix_entry *e = &im->entries[i];
        free(e->name);
        free(e->sums);
        free(e->counts);
        free(e->importance);
    }
    free(im->entries);
    for (int i = 0; i < im->n_datasets; i++) free(im->datasets[i]);
    free(im->datasets);
    free(im);
}

static lf_imatrix_entry *add_named(lf_imatrix *im, const char *name, size_t name_len, int64_t n_mat, int64_t n_values) {
    if (im->n_entries % 64 == 0) {
        lf_imatrix_entry *grown = realloc(im->entries, (size_t)(im->n_entries + 64) * sizeof *grown);
        if (!grown) return NULL;
        im->entries = grown;
    }
    lf_imatrix_entry *e = &im->entries[im->n_entries];
    memset(e, 0, sizeof *e);
    e->name = strndup(name, name_len);
    e->sums = calloc((size_t)n_values, sizeof(float));
    e->counts = calloc((size_t)n_mat, sizeof(int64_t));
    if (!e->name || !e->sums || !e->counts) {
        free(e->name);
        free(e->sums);
        free(e->counts);
        return NULL;
    }
    e->n_mat = n_mat;
    e->n_values = n_values;
    im->n_entries++;
    return e;
}

lf_imatrix_entry *lf_imatrix_add(lf_imatrix *im, const char *name, int64_t n_mat, int64_t cols) {
    if (n_mat < 1 || cols < 1 || cols > MAX_VALUES / n_mat) return NULL;
    return add_named(im, name, strlen(name), n_mat, n_mat * cols);
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const lf_imatrix_entry *)a)->name, ((const lf_imatrix_entry *)b)->name);
}

void lf_imatrix_sort(lf_imatrix *im) {
    if (im->n_entries > 1) qsort(im->entries, (size_t)im->n_entries, sizeof *im->entries, by_name);
}

const lf_imatrix_entry *lf_imatrix_find(const lf_imatrix *im, const char *name) {
    lf_imatrix_entry key = {.name = (char *)name};
    return im->n_entries ? bsearch(&key, im->entries, (size_t)im->n_entries, sizeof key, by_name) : NULL;
}

static int add_dataset(lf_imatrix *im, const char *s, size_t len) {
    char **grown = realloc(im->datasets, (size_t)(im->n_datasets + 1) * sizeof *grown);
    if (!grown) return LF_ERR_NOMEM;
    im->datasets = grown;
    if (!(im->datasets[im->n_datasets] = strndup(s, len))) return LF_ERR_NOMEM;
    im->n_datasets++;
    return LF_OK;
}

/* A name must be text a tensor can carry: non-empty, no NUL. */
static bool good_name(const char *s, size_t len) { return len > 0 && len <= MAX_NAME && !memchr(s, 0, len); }

/* Sums of squares are finite and not negative; anything else is a corrupt file (and
 * would make the quantizers' searches meaningless). */
static int check_values(const float *v, int64_t n, const char *file, const char *entry, lf_error *err) {
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(v[i]) || v[i] < 0.0f)
            return lf_fail(err, LF_ERR_FORMAT, "%s: entry %s: value %lld is %g (must be finite and >= 0)", file,
                           entry, (long long)i, (double)v[i]);
    return LF_OK;
}

static int check_unique(const lf_imatrix *im, const char *file, lf_error *err) {
    for (int i = 1; i < im->n_entries; i++)
        if (strcmp(im->entries[i - 1].name, im->entries[i].name) == 0)
            return lf_fail(err, LF_ERR_FORMAT, "%s: entry %s appears twice", file, im->entries[i].name);
    return LF_OK;
}

/* ------------------------------------------------------------------ legacy .dat */

typedef struct dat_cursor {
    const unsigned char *p;
    size_t pos, size;
} dat_cursor;

static bool dat_i32(dat_cursor *c, int32_t *v) {
    if (c->size - c->pos < 4) return false;
    memcpy(v, c->p + c->pos, 4);
    c->pos += 4;
    return true;
}

static int parse_dat(lf_imatrix *im, const unsigned char *data, size_t size, const char *file, lf_error *err) {
    dat_cursor c = {data, 0, size};
    int32_t n;
    if (!dat_i32(&c, &n) || n < 1 || n > MAX_ENTRIES)
        return lf_fail(err, LF_ERR_FORMAT, "%s: not an imatrix file (no GGUF magic, entry count %d)", file,
                       size >= 4 ? (int)n : -1);
    for (int32_t i = 0; i < n; i++) {
        int32_t len, ncall, nval;
        if (!dat_i32(&c, &len) || len < 1 || len > MAX_NAME || (size_t)len > c.size - c.pos)
            return lf_fail(err, LF_ERR_FORMAT, "%s: entry %d: bad name length", file, (int)i + 1);
        const char *name = (const char *)c.p + c.pos;
        if (!good_name(name, (size_t)len))
            return lf_fail(err, LF_ERR_FORMAT, "%s: entry %d: name contains NUL", file, (int)i + 1);
        c.pos += (size_t)len;
        char shown[80];
        snprintf(shown, sizeof shown, "%.*s", len < 64 ? (int)len : 64, name);
        if (!dat_i32(&c, &ncall) || !dat_i32(&c, &nval) || ncall < 0 || nval < 1 || nval > MAX_VALUES ||
            (size_t)nval * 4 > c.size - c.pos)
            return lf_fail(err, LF_ERR_FORMAT, "%s: entry %s: bad call or value count (or truncated)", file, shown);
        lf_imatrix_entry *e = add_named(im, name, (size_t)len, 1, nval);
        if (!e) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", file);
        memcpy(e->sums, c.p + c.pos, (size_t)nval * 4);
        c.pos += (size_t)nval * 4;
        e->counts[0] = ncall;
        int rc = check_values(e->sums, nval, file, shown, err);
        if (rc) return rc;
    }
    /* optional tail: chunk count, then the dataset name */
    int32_t chunks, len;
    if (c.pos < c.size) {
        if (!dat_i32(&c, &chunks) || chunks < 0) return lf_fail(err, LF_ERR_FORMAT, "%s: bad chunk count", file);
        im->chunk_count = chunks;
        if (c.pos < c.size) {
            if (!dat_i32(&c, &len) || len < 0 || (size_t)len != c.size - c.pos || memchr(c.p + c.pos, 0, (size_t)len))
                return lf_fail(err, LF_ERR_FORMAT, "%s: bad dataset name after the entries", file);
            if (len > 0 && add_dataset(im, (const char *)c.p + c.pos, (size_t)len))
                return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", file);
        }
    }
    im->legacy = true;
    return LF_OK;
}

/* ------------------------------------------------------------------------ GGUF */

static bool strip_suffix(gguf_string s, const char *suffix, size_t *base_len) {
    size_t n = strlen(suffix);
    if (s.len <= n || memcmp(s.data + s.len - n, suffix, n) != 0) return false;
    *base_len = (size_t)s.len - n;
    return true;
}

static bool is_named(const gguf_tensor_info *t, const char *base, size_t base_len, const char *suffix) {
    size_t len;
    return strip_suffix(t->name, suffix, &len) && len == base_len && memcmp(t->name.data, base, len) == 0;
}

/* The tensor base + suffix; llama-imatrix writes each pair side by side, so the
 * neighbour `near` is tried before the whole table. */
static const gguf_tensor_info *find_pair(const gguf_file *g, uint64_t near, const char *base, size_t base_len,
                                         const char *suffix) {
    if (near < g->n_tensors && is_named(&g->tensors[near], base, base_len, suffix)) return &g->tensors[near];
    for (uint64_t i = 0; i < g->n_tensors; i++)
        if (is_named(&g->tensors[i], base, base_len, suffix)) return &g->tensors[i];
    return NULL;
}

static int gguf_entry(lf_imatrix *im, const gguf_file *g, uint64_t index, size_t base_len, const char *file,
                      lf_error *err) {
    const gguf_tensor_info *sum2 = &g->tensors[index];
    const char *base = sum2->name.data;
    char shown[80];
    snprintf(shown, sizeof shown, "%.*s", base_len < 64 ? (int)base_len : 64, base);
    if (!good_name(base, base_len)) return lf_fail(err, LF_ERR_FORMAT, "%s: bad tensor name %s", file, shown);
    const gguf_tensor_info *cnt = find_pair(g, index + 1, base, base_len, COUNTS_SUFFIX);
    if (!cnt) return lf_fail(err, LF_ERR_FORMAT, "%s: %s has in_sum2 but no counts", file, shown);
    if (sum2->type != LF_TYPE_F32 || cnt->type != LF_TYPE_F32)
        return lf_fail(err, LF_ERR_FORMAT, "%s: sums and counts of %s must be F32", file, shown);
    uint64_t nval = sum2->nbytes / 4, nmat = cnt->nbytes / 4;
    if (nval < 1 || nval > MAX_VALUES || nmat < 1 || nval % nmat)
        return lf_fail(err, LF_ERR_FORMAT, "%s: %s: %llu sums do not split into %llu matrices", file, shown,
                       (unsigned long long)nval, (unsigned long long)nmat);
    lf_imatrix_entry *e = add_named(im, base, base_len, (int64_t)nmat, (int64_t)nval);
    if (!e) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", file);
    memcpy(e->sums, sum2->data, nval * 4);
    int rc = check_values(e->sums, (int64_t)nval, file, shown, err);
    for (uint64_t j = 0; j < nmat && !rc; j++) {
        float c;
        memcpy(&c, (const char *)cnt->data + 4 * j, 4);
        if (!isfinite(c) || c < 0.0f || c > 9e18f)
            return lf_fail(err, LF_ERR_FORMAT, "%s: %s: count %g is not a count", file, shown, (double)c);
        e->counts[j] = llroundf(c);
    }
    return rc;
}

static int parse_gguf(lf_imatrix *im, const void *data, size_t size, const char *file, lf_error *err) {
    gguf_file *g;
    int rc = gguf_parse(data, size, file, &g, err);
    if (rc) return rc;
    const gguf_kv *ds = gguf_find_kv(g, "imatrix.datasets");
    uint32_t u;
    /* llama-quantize refuses a GGUF imatrix without its three keys */
    if (!ds || ds->type != GGUF_TYPE_ARRAY || ds->arr_type != GGUF_TYPE_STRING ||
        !gguf_get_u32(g, "imatrix.chunk_count", &u) || !gguf_get_u32(g, "imatrix.chunk_size", &u))
        rc = lf_fail(err, LF_ERR_FORMAT, "%s: missing imatrix metadata (imatrix.datasets, imatrix.chunk_count, "
                     "imatrix.chunk_size)", file);
    for (uint64_t i = 0; !rc && i < ds->arr_count; i++) {
        gguf_string s = ds->arr_strings[i];
        if (memchr(s.data, 0, (size_t)s.len)) rc = lf_fail(err, LF_ERR_FORMAT, "%s: dataset name with NUL", file);
        else if (add_dataset(im, s.data, (size_t)s.len)) rc = lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", file);
    }
    if (!rc && (gguf_get_u32(g, "imatrix.chunk_count", &u), u > INT32_MAX))
        rc = lf_fail(err, LF_ERR_FORMAT, "%s: chunk count %u too large", file, u);
    if (!rc) im->chunk_count = (int32_t)u;
    if (!rc && (gguf_get_u32(g, "imatrix.chunk_size", &u), u > INT32_MAX))
        rc = lf_fail(err, LF_ERR_FORMAT, "%s: chunk size %u too large", file, u);
    if (!rc) im->chunk_size = (int32_t)u;
    for (uint64_t i = 0; !rc && i < g->n_tensors; i++) {
        size_t len;
        if (strip_suffix(g->tensors[i].name, SUM2_SUFFIX, &len)) {
            if (im->n_entries >= MAX_ENTRIES) rc = lf_fail(err, LF_ERR_FORMAT, "%s: too many entries", file);
            else rc = gguf_entry(im, g, i, len, file, err);
        } else if (strip_suffix(g->tensors[i].name, COUNTS_SUFFIX, &len)) {
            if (!find_pair(g, i - 1, g->tensors[i].name.data, len, SUM2_SUFFIX)) rc = lf_fail(err, LF_ERR_FORMAT, "%s: counts without in_sum2 (tensor %llu)", file,
                                      (unsigned long long)i);
        }
    }
    if (!rc && im->n_entries == 0) rc = lf_fail(err, LF_ERR_FORMAT, "%s: no imatrix entries", file);
    gguf_close(g);
    return rc;
}

int lf_imatrix_compute_importance(lf_imatrix *im, lf_error *err) {
    for (int i = 0; i < im->n_entries; i++) {
        lf_imatrix_entry *e = &im->entries[i];
        free(e->importance);
        if (!(e->importance = malloc((size_t)e->n_values * sizeof(float))))
            return lf_fail(err, LF_ERR_NOMEM, "imatrix: out of memory");
        int64_t cols = e->n_values / e->n_mat;
        for (int64_t j = 0; j < e->n_mat; j++) {
            float c = (float)e->counts[im->legacy ? 0 : j];
            for (int64_t k = 0; k < cols; k++) {
                float s = e->sums[j * cols + k];
                e->importance[j * cols + k] = c > 0.0f ? s / c : im->legacy ? s : 1.0f;
            }
        }
    }
    return LF_OK;
}

int lf_imatrix_file_parse(const void *data, size_t size, const char *name, lf_imatrix **out, lf_error *err) {
    *out = NULL;
    lf_imatrix *im = lf_imatrix_new();
    if (!im) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", name);
    int rc = size >= 4 && memcmp(data, "GGUF", 4) == 0 ? parse_gguf(im, data, size, name, err)
                                                       : parse_dat(im, data, size, name, err);
    if (!rc) {
        lf_imatrix_sort(im);
        rc = check_unique(im, name, err);
    }
    if (!rc) rc = lf_imatrix_compute_importance(im, err);
    if (rc) {
        lf_imatrix_free(im);
        return rc;
    }
    *out = im;
    return LF_OK;
}

int lf_imatrix_file_read(const char *path, lf_imatrix **out, lf_error *err) {
    lf_mapped_file map;
    *out = NULL;
    int rc = lf_mapped_file_open(path, &map, err);
    if (rc) return rc;
    rc = lf_imatrix_file_parse(map.data, map.size, path, out, err);
    lf_mapped_file_close(&map);
    return rc;
}

/* ---------------------------------------------------------------------- writing */

static int write_gguf(const lf_imatrix *im, const char *path, lf_error *err) {
    gguf_writer *w;
    int rc = gguf_writer_open(path, &w, err);
    if (rc) return rc;
    rc = gguf_writer_add_str(w, "general.type", "imatrix", err);
    if (!rc) rc = gguf_writer_add_str_array(w, "imatrix.datasets", (const char *const *)im->datasets, NULL,
                                            (uint64_t)im->n_datasets, err);
    if (!rc) rc = gguf_writer_add_u32(w, "imatrix.chunk_count", (uint32_t)im->chunk_count, err);
    if (!rc) rc = gguf_writer_add_u32(w, "imatrix.chunk_size", (uint32_t)im->chunk_size, err);
    char name[MAX_NAME + 16];
    for (int i = 0; !rc && i < im->n_entries; i++) {
        const lf_imatrix_entry *e = &im->entries[i];
        uint64_t ne_sums[2] = {(uint64_t)(e->n_values / e->n_mat), (uint64_t)e->n_mat}, ne_counts[2] = {1, (uint64_t)e->n_mat};
        /* ggml drops trailing dimensions of 1 */
        snprintf(name, sizeof name, "%s" SUM2_SUFFIX, e->name);
        rc = gguf_writer_add_tensor(w, name, e->n_mat > 1 ? 2 : 1, ne_sums, LF_TYPE_F32, NULL, NULL, err);
        snprintf(name, sizeof name, "%s" COUNTS_SUFFIX, e->name);
        if (!rc) rc = gguf_writer_add_tensor(w, name, e->n_mat > 1 ? 2 : 1, ne_counts, LF_TYPE_F32, NULL, NULL, err);
    }
    for (int i = 0; !rc && i < im->n_entries; i++) {
        const lf_imatrix_entry *e = &im->entries[i];
        rc = gguf_writer_write(w, e->sums, (size_t)e->n_values * sizeof(float), err);
        for (int64_t j = 0; !rc && j < e->n_mat; j++) {
            float c = (float)e->counts[j];
            rc = gguf_writer_write(w, &c, sizeof c, err);
        }
    }
    if (!rc) rc = gguf_writer_finish(w, err);
    gguf_writer_free(w);
    return rc;
}

static bool put_i32(FILE *f, int32_t v) { return fwrite(&v, 4, 1, f) == 1; }

/* llama-imatrix's save_imatrix_legacy: ncall is the largest count in chunks (rounded
 * up), values the mean square times ncall; matrices never seen store 1. */
static bool write_dat_entries(const lf_imatrix *im, FILE *f) {
    int32_t chunk = im->chunk_size > 0 ? im->chunk_size : 1;
    bool ok = put_i32(f, im->n_entries);
    for (int i = 0; ok && i < im->n_entries; i++) {
        const lf_imatrix_entry *e = &im->entries[i];
        int64_t max = 0;
        for (int64_t j = 0; j < e->n_mat; j++) max = e->counts[j] > max ? e->counts[j] : max;
        int32_t ncall = im->legacy ? (int32_t)e->counts[0] : (int32_t)((max + chunk - 1) / chunk);
        size_t len = strlen(e->name);
        ok = put_i32(f, (int32_t)len) && fwrite(e->name, 1, len, f) == len && put_i32(f, ncall) &&
             put_i32(f, (int32_t)e->n_values);
        int64_t cols = e->n_values / e->n_mat;
        for (int64_t k = 0; ok && k < e->n_values; k++) {
            float v = e->sums[k];
            if (!im->legacy) {
                float count = (float)e->counts[k / cols];
                if (count == 0.0f) v = count = 1.0f;
                v = v / count * (float)ncall;
            }
            ok = fwrite(&v, 4, 1, f) == 1;
        }
    }
    const char *ds = im->n_datasets ? im->datasets[im->n_datasets - 1] : "";
    size_t len = strlen(ds);
    return ok && put_i32(f, im->chunk_count) && put_i32(f, (int32_t)len) && fwrite(ds, 1, len, f) == len;
}

static int write_dat(const lf_imatrix *im, const char *path, lf_error *err) {
    char *part;
    if (asprintf(&part, "%s.part", path) < 0) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    FILE *f = fopen(part, "wb");
    int rc = LF_OK;
    if (!f) {
        rc = lf_fail(err, LF_ERR_IO, "%s: cannot create: %s", part, strerror(errno));
    } else {
        bool ok = write_dat_entries(im, f);
        ok = fflush(f) == 0 && ok && fsync(fileno(f)) == 0;
        ok = fclose(f) == 0 && ok;
        if (!ok || rename(part, path) != 0) {
            rc = lf_fail(err, LF_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
            unlink(part);
        }
    }
    free(part);
    return rc;
}

int lf_imatrix_file_write(const lf_imatrix *im, const char *path, bool legacy, lf_error *err) {
    if (im->legacy && !legacy)
        return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: an imatrix read from a .dat file has no raw sums to write as GGUF",
                       path);
    for (int i = 0; i < im->n_entries; i++)
        if (im->entries[i].n_values > INT32_MAX || strlen(im->entries[i].name) > MAX_NAME)
            return lf_fail(err, LF_ERR_ARG, "%s: entry %s is too large for the file format", path, im->entries[i].name);
    return legacy ? write_dat(im, path, err) : write_gguf(im, path, err);
}
