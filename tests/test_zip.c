/* The zip reader on archives written by Python's zipfile (tests/zip_fixtures.py): stored,
 * deflated, empty and multi-megabyte members, 65537 members (ZIP64 end records), a
 * ZIP64 member with saturated 32-bit fields; then every truncation and every single-byte
 * corruption of an archive, and hand-made hostile headers (offsets and sizes outside the
 * file, too many entries, a deflate bomb, truncated deflate data, encryption, unknown
 * methods). A failure must name the archive; a success must give the original bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "format/zip.h"
#include "test.h"

static unsigned char pattern(uint64_t i) { return (unsigned char)((i * 131 + 7) ^ (i >> 8)); }

static bool is_pattern(const unsigned char *p, uint64_t n) {
    for (uint64_t i = 0; i < n; i++)
        if (p[i] != pattern(i)) return false;
    return true;
}

static const char TEXT_LINE[] = "The quick brown fox jumps over the lazy dog. ";

static bool is_text(const unsigned char *p, size_t n) {
    size_t line = sizeof TEXT_LINE - 1;
    if (n != 40 * line) return false;
    for (size_t i = 0; i < 40; i++)
        if (memcmp(p + i * line, TEXT_LINE, line) != 0) return false;
    return true;
}

/* Collects extracted bytes for comparison; can refuse after some calls. */
typedef struct collector {
    unsigned char *data;
    size_t len, cap;
    int stop_after; /* calls accepted before refusing; < 0 = never */
} collector;

static int collect(const void *data, size_t len, void *user) {
    collector *c = user;
    if (c->stop_after == 0) return 1;
    if (c->stop_after > 0) c->stop_after--;
    if (len > c->cap - c->len) return 1;
    memcpy(c->data + c->len, data, len);
    c->len += len;
    return 0;
}

/* Extracts e into c (sized for the stated size; caller frees c->data). */
static int extract(const zip_archive *z, const zip_entry *e, collector *c, lf_error *err) {
    c->cap = (size_t)e->uncompressed_size;
    c->data = malloc(c->cap ? c->cap : 1);
    c->len = 0;
    c->stop_after = -1;
    return lf_zip_extract(z, e, collect, c, err);
}

static char dir[] = "/tmp/lf_test_zip.XXXXXX";

static unsigned char *load(const char *name, size_t *len) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    unsigned char *data = NULL;
    if (f && fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        rewind(f);
        data = malloc(n > 0 ? (size_t)n : 1);
        if (data && fread(data, 1, (size_t)n, f) == (size_t)n) *len = (size_t)n;
        else {
            free(data);
            data = NULL;
        }
    }
    if (f) fclose(f);
    CHECK_MSG(data != NULL, "cannot read %s", path);
    return data;
}

static bool names_archive(const lf_error *err) { return strstr(err->message, "test.zip") != NULL; }

static void small_archive(const unsigned char *buf, size_t len) {
    zip_archive *z = NULL;
    lf_error err;
    CHECK_MSG(lf_zip_parse(buf, len, "small.zip", &z, &err) == LF_OK, "%s", err.message);
    if (!z) return;
    CHECK(z->n_entries == 3);
    const zip_entry *stored = lf_zip_find(z, "stored.bin"), *deflated = lf_zip_find(z, "deflated.txt"),
                    *empty = lf_zip_find(z, "empty");
    CHECK(stored && deflated && empty && !lf_zip_find(z, "stored.bi") && !lf_zip_find(z, "stored.bin2"));
    if (!stored || !deflated || !empty) {
        lf_zip_close(z);
        return;
    }
    CHECK(stored->method == ZIP_METHOD_STORED && deflated->method == ZIP_METHOD_DEFLATE);
    /* stored data is read in place */
    const void *p;
    CHECK(lf_zip_stored_data(z, stored, &p, &err) == LF_OK && p == buf + stored->data_offset && is_pattern(p, 1000));
    CHECK(lf_zip_stored_data(z, deflated, &p, &err) == LF_ERR_UNSUPPORTED && p == NULL);
    collector c;
    CHECK(extract(z, stored, &c, &err) == LF_OK && c.len == 1000 && is_pattern(c.data, 1000));
    free(c.data);
    CHECK_MSG(extract(z, deflated, &c, &err) == LF_OK && is_text(c.data, c.len), "%s", err.message);
    free(c.data);
    CHECK(extract(z, empty, &c, &err) == LF_OK && c.len == 0);
    free(c.data);
    /* a sink that refuses stops the extraction */
    c.cap = 4096;
    c.data = malloc(c.cap);
    c.len = 0;
    c.stop_after = 0;
    CHECK(lf_zip_extract(z, deflated, collect, &c, &err) == LF_ERR_CANCELLED && strstr(err.message, "deflated.txt"));
    free(c.data);
    lf_zip_close(z);
}

static void big_archive(void) {
    size_t len = 0;
    unsigned char *buf = load("big.zip", &len);
    zip_archive *z = NULL;
    lf_error err;
    if (!buf) return;
    CHECK_MSG(lf_zip_parse(buf, len, "big.zip", &z, &err) == LF_OK, "%s", err.message);
    for (uint64_t i = 0; z && i < z->n_entries; i++) {
        collector c;
        CHECK_MSG(extract(z, &z->entries[i], &c, &err) == LF_OK, "%s", err.message);
        CHECK(c.len == 3000000 && is_pattern(c.data, c.len));
        free(c.data);
    }
    CHECK(z && z->n_entries == 2);
    lf_zip_close(z);
    free(buf);
}

static void zip64_archives(void) {
    size_t len = 0;
    unsigned char *buf = load("many.zip", &len);
    zip_archive *z = NULL;
    lf_error err;
    if (buf) {
        CHECK_MSG(lf_zip_parse(buf, len, "many.zip", &z, &err) == LF_OK, "%s", err.message);
        CHECK(z && z->n_entries == 65537);
        CHECK(z && lf_zip_find(z, "f65536") && lf_zip_find(z, "f00000") && lf_zip_find(z, "f65536")->uncompressed_size == 0);
        lf_zip_close(z);
        free(buf);
    }
    buf = load("zip64.zip", &len);
    if (!buf) return;
    CHECK_MSG(lf_zip_parse(buf, len, "zip64.zip", &z, &err) == LF_OK, "%s", err.message);
    const zip_entry *e = z ? lf_zip_find(z, "huge.bin") : NULL;
    CHECK(e && e->uncompressed_size == 5000 && e->compressed_size == 5000);
    collector c;
    if (e) {
        CHECK_MSG(extract(z, e, &c, &err) == LF_OK && c.len == 5000 && is_pattern(c.data, 5000), "%s", err.message);
        free(c.data);
    }
    lf_zip_close(z);
    /* the 64-bit fields are needed: a ZIP64 extra field cut to 8 bytes is refused */
    unsigned char *cut = malloc(len);
    memcpy(cut, buf, len);
    size_t cd = 30 + 8 + 20 + 5000; /* local header + name + extra + data */
    cut[cd + 30] = 12;              /* extra length 28 -> 12: one of three values left */
    cut[cd + 46 + 8 + 2] = 8;       /* field size 24 -> 8 */
    CHECK(lf_zip_parse(cut, len, "test.zip", &z, &err) != LF_OK && z == NULL && names_archive(&err));
    free(cut);
    free(buf);
}

/* Every truncation of a valid archive fails cleanly, naming it. */
static void truncations(const unsigned char *buf, size_t len) {
    int clean = 0;
    for (size_t n = 0; n < len; n++) {
        unsigned char *copy = malloc(n ? n : 1); /* exact size, so ASan sees overreads */
        memcpy(copy, buf, n);
        zip_archive *z = NULL;
        lf_error err;
        if (lf_zip_parse(copy, n, "test.zip", &z, &err) != LF_OK && z == NULL && names_archive(&err)) clean++;
        else lf_zip_close(z);
        free(copy);
    }
    CHECK_MSG(clean == (int)len, "%d of %zu truncations failed cleanly", clean, len);
}

/* Every single-byte corruption either fails naming the archive or extracts the original
 * bytes of that member. */
static void corruptions(const unsigned char *buf, size_t len) {
    int bad = 0;
    for (size_t at = 0; at < len; at++) {
        for (int flip = 0; flip < 2; flip++) {
            unsigned char *copy = malloc(len);
            memcpy(copy, buf, len);
            copy[at] ^= flip ? 0xff : 0x08;
            zip_archive *z = NULL;
            lf_error err;
            if (lf_zip_parse(copy, len, "test.zip", &z, &err) != LF_OK) {
                if (z || !names_archive(&err)) bad++;
            } else {
                for (uint64_t i = 0; i < z->n_entries; i++) {
                    const zip_entry *e = &z->entries[i];
                    collector c;
                    c.cap = 1 << 16;
                    c.data = malloc(c.cap);
                    c.len = 0;
                    c.stop_after = -1;
                    int rc = lf_zip_extract(z, e, collect, &c, &err);
                    bool original = (i == 0 && c.len == 1000 && is_pattern(c.data, 1000)) ||
                                    (i == 1 && is_text(c.data, c.len)) || (i == 2 && c.len == 0);
                    if (rc == LF_OK ? !original : !names_archive(&err)) bad++;
                    free(c.data);
                }
                lf_zip_close(z);
            }
            free(copy);
        }
    }
    CHECK_MSG(bad == 0, "%d corruptions gave neither an error nor the original bytes", bad);
}

static uint32_t rd32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static void wr32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void wr16(unsigned char *p, uint16_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

/* Parses a modified copy and checks the outcome: parse_rc, then (when parsing succeeds)
 * extraction of member 'member' gives extract_rc; errors mention the given text. */
static void expect(const unsigned char *copy, size_t len, int parse_rc, int member, int extract_rc,
                   const char *mention) {
    zip_archive *z = NULL;
    lf_error err = {0};
    int rc = lf_zip_parse(copy, len, "test.zip", &z, &err);
    if (rc == LF_OK && member >= 0) {
        collector c = {malloc(1 << 16), 0, 1 << 16, -1};
        rc = lf_zip_extract(z, &z->entries[member], collect, &c, &err);
        free(c.data);
        CHECK_MSG(rc == extract_rc, "extract gave %d (%s), want %d", rc, err.message, extract_rc);
    } else {
        CHECK_MSG(rc == parse_rc, "parse gave %d (%s), want %d", rc, err.message, parse_rc);
    }
    if (rc != LF_OK) CHECK_MSG(names_archive(&err) && strstr(err.message, mention), "message: %s", err.message);
    lf_zip_close(z);
}

static void hostile_headers(const unsigned char *buf, size_t len) {
    unsigned char *copy = malloc(len + 70000);
    size_t eocd = len - 22, cd = rd32(buf + eocd + 16);
    size_t deflated_cd = cd + 46 + 10; /* second central entry: after stored.bin's */
#define FRESH() memcpy(copy, buf, len)
    FRESH();
    wr32(copy + eocd + 16, (uint32_t)len); /* central directory past the end */
    expect(copy, len, LF_ERR_FORMAT, -1, 0, "central directory");
    FRESH();
    wr16(copy + eocd + 8, 60000);
    wr16(copy + eocd + 10, 60000); /* more entries than the directory can hold */
    expect(copy, len, LF_ERR_FORMAT, -1, 0, "entries");
    FRESH();
    wr16(copy + eocd + 20, 1); /* comment length past the end: no valid end record */
    expect(copy, len, LF_ERR_FORMAT, -1, 0, "not a zip archive");
    FRESH();
    wr16(copy + eocd + 4, 1); /* multi-disk */
    expect(copy, len, LF_ERR_UNSUPPORTED, -1, 0, "multi-disk");
    FRESH();
    wr32(copy + cd + 42, (uint32_t)cd); /* local header offset into the directory */
    expect(copy, len, LF_ERR_FORMAT, -1, 0, "local header");
    FRESH();
    wr32(copy + cd + 20, (uint32_t)len); /* stored.bin's compressed size past the end */
    expect(copy, len, LF_ERR_FORMAT, -1, 0, "run past");
    FRESH();
    wr16(copy + cd + 28, 60000); /* name length past the directory */
    expect(copy, len, LF_ERR_FORMAT, -1, 0, "runs past");
    FRESH();
    wr32(copy + deflated_cd + 24, 100); /* deflate bomb: inflates to more than stated */
    expect(copy, len, LF_OK, 1, LF_ERR_FORMAT, "more than");
    FRESH();
    wr32(copy + deflated_cd + 20, 20); /* compressed data cut short */
    expect(copy, len, LF_OK, 1, LF_ERR_FORMAT, "truncated");
    FRESH();
    wr16(copy + deflated_cd + 10, 12); /* bzip2 */
    expect(copy, len, LF_OK, 1, LF_ERR_UNSUPPORTED, "method 12");
    FRESH();
    wr16(copy + cd + 8, 1); /* encrypted */
    expect(copy, len, LF_OK, 0, LF_ERR_UNSUPPORTED, "encrypted");
    FRESH();
    wr32(copy + cd + 24, 999); /* stored member whose sizes disagree */
    expect(copy, len, LF_OK, 0, LF_ERR_FORMAT, "different sizes");
    FRESH();
    wr32(copy + cd + 16, rd32(buf + cd + 16) ^ 1); /* wrong CRC */
    expect(copy, len, LF_OK, 0, LF_ERR_FORMAT, "CRC");
    /* a 65535-byte comment after the end record is allowed */
    FRESH();
    wr16(copy + eocd + 20, 65535);
    memset(copy + len, 'c', 65535);
    expect(copy, len + 65535, LF_OK, 0, LF_OK, "");
    free(copy);
#undef FRESH
}

int main(void) {
    const char *python = getenv("PYTHON") ? getenv("PYTHON") : "python3";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s tests/zip_fixtures.py %s", python, dir);
    CHECK_MSG(system(cmd) == 0, "%s failed", cmd);
    size_t len = 0;
    unsigned char *small = load("small.zip", &len);
    if (small) {
        small_archive(small, len);
        truncations(small, len);
        corruptions(small, len);
        hostile_headers(small, len);
        free(small);
    }
    big_archive();
    zip64_archives();
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", dir);
    TEST_MAIN_END();
}
