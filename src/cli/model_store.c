#include "cli/model_store.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/known_models.h"
#include "core/error.h"
#include "core/sha1.h"
#include "core/sha256.h"

static bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
}

/* One segment of a repository id, len characters long. */
static bool valid_repo_segment(const char *s, size_t len) {
    if (len == 0 || len > 96 || !(is_name_char(s[0]) && s[0] != '.' && s[0] != '-' && s[0] != '_')) return false;
    for (size_t i = 0; i < len; i++) {
        if (!is_name_char(s[i])) return false;
        if (i > 0 && (s[i] == '.' || s[i] == '-') && s[i - 1] == s[i]) return false; /* ".." or "--" */
    }
    return true;
}

bool store_valid_repo_id(const char *s) {
    const char *slash = strchr(s, '/');
    return slash && valid_repo_segment(s, (size_t)(slash - s)) && valid_repo_segment(slash + 1, strlen(slash + 1));
}

bool store_valid_file_path(const char *s) {
    size_t len = strlen(s);
    if (len == 0 || len > 1024) return false;
    if (!strcmp(s, STORE_COMPLETE_MARK)) return false;
    static const char *const reserved[] = {STORE_PART_SUFFIX, STORE_PART_SUFFIX STORE_VALIDATOR_SUFFIX};
    for (size_t i = 0; i < 2; i++)
        if (len >= strlen(reserved[i]) && !strcmp(s + len - strlen(reserved[i]), reserved[i])) return false;
    for (const char *seg = s;;) {
        size_t n = strcspn(seg, "/");
        if (n == 0 || n > 255 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.')) return false;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)seg[i];
            if (c < 0x20 || c == 0x7f || c == '\\') return false;
        }
        if (!seg[n]) return true;
        seg += n + 1;
    }
}

static int put_path(char *buf, size_t cap, lf_error *err, const char *fmt, const char *a, const char *b) {
    int n = snprintf(buf, cap, fmt, a, b);
    if (n < 0 || (size_t)n >= cap) return lf_fail(err, LF_ERR_ARG, "path too long: %s/%s", a, b);
    return LF_OK;
}

int store_home(char *buf, size_t cap, lf_error *err) {
    const char *home = getenv("LLAMA_FAST_HOME");
    if (home && *home) return put_path(buf, cap, err, "%s%s", home, "");
    const char *user_home = getenv("HOME");
    if (!user_home || !*user_home)
        return lf_fail(err, LF_ERR_ARG, "neither LLAMA_FAST_HOME nor HOME is set: nowhere to keep models");
    return put_path(buf, cap, err, "%s/%s", user_home, ".llama-fast");
}

int store_models_root(char *buf, size_t cap, lf_error *err) {
    char home[STORE_PATH_MAX];
    int rc = store_home(home, sizeof home, err);
    return rc != LF_OK ? rc : put_path(buf, cap, err, "%s/%s", home, "models");
}

int store_model_dir(const char *name, char *buf, size_t cap, lf_error *err) {
    char leaf[256];
    const known_model *m = known_model_find(name);
    if (m) snprintf(leaf, sizeof leaf, "%s", m->alias);
    else if (store_valid_repo_id(name)) {
        size_t owner = strcspn(name, "/");
        snprintf(leaf, sizeof leaf, "%.*s--%s", (int)owner, name, name + owner + 1);
    } else
        return lf_fail(err, LF_ERR_ARG,
                       "'%s' is neither a known model (llama-fast list) nor a Hugging Face repository id "
                       "(owner/name: letters, digits, '.', '_', '-')",
                       name);
    char root[STORE_PATH_MAX];
    int rc = store_models_root(root, sizeof root, err);
    return rc != LF_OK ? rc : put_path(buf, cap, err, "%s/%s", root, leaf);
}

/* mkdir that accepts an existing directory (but not a file of that name). */
static int make_dir(const char *path, lf_error *err) {
    struct stat st;
    if (mkdir(path, 0755) == 0 || (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))) return LF_OK;
    return lf_fail(err, LF_ERR_IO, "cannot create directory %s: %s", path, strerror(errno ? errno : ENOTDIR));
}

/* Creates path and its parents (mkdir -p). */
static int make_dirs(const char *path, lf_error *err) {
    char tmp[STORE_PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            int rc = make_dir(tmp, err);
            if (rc != LF_OK) return rc;
            *p = '/';
        }
    return make_dir(tmp, err);
}

int store_file_path(const char *dir, const char *rel, bool create_dirs, char *buf, size_t cap, lf_error *err) {
    if (!store_valid_file_path(rel))
        return lf_fail(err, LF_ERR_ARG, "file name '%s' is not allowed (absolute, '..', empty or control characters)",
                       rel);
    int rc = put_path(buf, cap, err, "%s/%s", dir, rel);
    if (rc != LF_OK || !create_dirs) return rc;
    char parent[STORE_PATH_MAX];
    snprintf(parent, sizeof parent, "%s", buf);
    *strrchr(parent, '/') = 0;
    return make_dirs(parent, err);
}

bool store_is_complete(const char *dir) {
    char mark[STORE_PATH_MAX];
    if (snprintf(mark, sizeof mark, "%s/%s", dir, STORE_COMPLETE_MARK) >= (int)sizeof mark) return false;
    return access(mark, F_OK) == 0;
}

/* Flushes a file or directory to disk (so a rename survives a crash). */
static int sync_path(const char *path, lf_error *err) {
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        return lf_fail(err, LF_ERR_IO, "cannot flush %s: %s", path, strerror(e));
    }
    close(fd);
    return LF_OK;
}

int store_mark_complete(const char *dir, const char *const *files, size_t n_files, lf_error *err) {
    char mark[STORE_PATH_MAX];
    int rc = put_path(mark, sizeof mark, err, "%s/%s", dir, STORE_COMPLETE_MARK);
    if (rc != LF_OK) return rc;
    FILE *f = fopen(mark, "w");
    if (!f) return lf_fail(err, LF_ERR_IO, "cannot write %s: %s", mark, strerror(errno));
    for (size_t i = 0; i < n_files; i++) fprintf(f, "%s\n", files[i]);
    if (fclose(f) != 0) return lf_fail(err, LF_ERR_IO, "cannot write %s: %s", mark, strerror(errno));
    return sync_path(mark, err);
}

/* The digests of a file that want asks for, as hex. */
static int hash_file(const char *path, const store_expect *want, int64_t size, char sha256[65], char git_oid[41],
                     lf_error *err) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return lf_fail(err, LF_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    lf_sha256_ctx s256;
    lf_sha1_ctx s1;
    lf_sha256_init(&s256);
    lf_sha1_init_git_blob(&s1, (uint64_t)size);
    static unsigned char buf[1 << 20];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        if (want->sha256[0]) lf_sha256_update(&s256, buf, (size_t)n);
        if (want->git_oid[0]) lf_sha1_update(&s1, buf, (size_t)n);
    }
    int e = errno;
    close(fd);
    if (n < 0) return lf_fail(err, LF_ERR_IO, "cannot read %s: %s", path, strerror(e));
    unsigned char digest[32];
    lf_sha256_final(&s256, digest);
    lf_sha256_hex(digest, sha256);
    lf_sha1_final(&s1, digest);
    lf_sha1_hex(digest, git_oid);
    return LF_OK;
}

static void remove_validator(const char *part) {
    char validator[STORE_PATH_MAX + 16];
    snprintf(validator, sizeof validator, "%s%s", part, STORE_VALIDATOR_SUFFIX);
    unlink(validator);
}

void store_discard_part(const char *part) {
    unlink(part);
    remove_validator(part);
}

int store_commit_file(const char *part, const char *final, const store_expect *want, lf_error *err) {
    struct stat st;
    if (stat(part, &st) != 0) return lf_fail(err, LF_ERR_IO, "cannot stat %s: %s", part, strerror(errno));
    int rc = LF_OK;
    char sha256[65], git_oid[41];
    if (want->size >= 0 && st.st_size != want->size)
        rc = lf_fail(err, LF_ERR_FORMAT, "%s: %lld bytes received, %lld expected; deleted it", final,
                     (long long)st.st_size, (long long)want->size);
    if (rc == LF_OK && (want->sha256[0] || want->git_oid[0]))
        rc = hash_file(part, want, st.st_size, sha256, git_oid, err);
    if (rc == LF_OK && want->sha256[0] && strcasecmp(sha256, want->sha256) != 0)
        rc = lf_fail(err, LF_ERR_FORMAT, "%s: sha256 %s does not match the expected %s (corrupt download); deleted it",
                     final, sha256, want->sha256);
    if (rc == LF_OK && want->git_oid[0] && strcasecmp(git_oid, want->git_oid) != 0)
        rc = lf_fail(err, LF_ERR_FORMAT,
                     "%s: git blob id %s does not match the hub's %s (corrupt download); deleted it", final, git_oid,
                     want->git_oid);
    if (rc == LF_ERR_FORMAT) {
        store_discard_part(part);
        return rc;
    }
    if (rc == LF_OK) rc = sync_path(part, err);
    if (rc == LF_OK && rename(part, final) != 0)
        rc = lf_fail(err, LF_ERR_IO, "cannot rename %s to %s: %s", part, final, strerror(errno));
    if (rc != LF_OK) return rc;
    remove_validator(part);
    char dir[STORE_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", final);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    return sync_path(slash ? dir : ".", err);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st;
    (void)ftw;
    return type == FTW_DP ? rmdir(path) : unlink(path);
}

int store_remove_dir(const char *dir, lf_error *err) {
    char root[STORE_PATH_MAX], real_root[PATH_MAX], real_dir[PATH_MAX];
    int rc = store_models_root(root, sizeof root, err);
    if (rc != LF_OK) return rc;
    struct stat st;
    if (lstat(dir, &st) != 0) return lf_fail(err, LF_ERR_IO, "%s: %s", dir, strerror(errno));
    /* A link in place of the directory is removed itself; its target is left alone. */
    if (S_ISLNK(st.st_mode)) {
        if (unlink(dir) != 0) return lf_fail(err, LF_ERR_IO, "cannot remove %s: %s", dir, strerror(errno));
        return LF_OK;
    }
    /* the resolved directory must be a direct child of the resolved models/ */
    size_t n = realpath(root, real_root) ? strlen(real_root) : 0;
    if (!n || !realpath(dir, real_dir) || strncmp(real_root, real_dir, n) || real_dir[n] != '/' ||
        strchr(real_dir + n + 1, '/'))
        return lf_fail(err, LF_ERR_ARG, "refusing to remove %s: not a model directory inside %s", dir, root);
    if (nftw(real_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return lf_fail(err, LF_ERR_IO, "cannot remove %s: %s", dir, strerror(errno));
    return LF_OK;
}
