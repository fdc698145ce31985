/* An executable carrying a model: PROGRAM | zeros to LF_EXE_ALIGN | GGUF | trailer
 * (exe_trailer.h). The trailer ends the file, so the program finds it from its own path
 * without knowing its own size. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "convert/exe_trailer.h"
#include "convert/out_file.h"
#include "core/error.h"
#include "format/gguf.h"

#define COPY_CHUNK (1u << 20)

static bool read_at(int fd, void *buf, size_t n, uint64_t off) {
    for (size_t got = 0; got < n;) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        got += (size_t)r;
    }
    return true;
}

/* The trailer's checks, then the model's head: its checksum, and that it is a GGUF. */
static int check_embedded(int fd, const unsigned char *t, uint64_t file_size, const char *path, lf_embedded_model *out,
                          lf_error *err) {
    lf_embedded_model m;
    uint32_t want;
    int rc = exe_trailer_decode(t, file_size, path, &m, &want, err);
    if (rc) return rc;
    size_t head = m.size < EXE_HEAD_CHECKED ? (size_t)m.size : EXE_HEAD_CHECKED;
    unsigned char *buf = malloc(head);
    if (!buf) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", path);
    bool ok = read_at(fd, buf, head, m.offset);
    bool same = ok && exe_crc32(buf, head) == want && memcmp(buf, "GGUF", 4) == 0;
    free(buf);
    if (!ok) return lf_fail(err, LF_ERR_IO, "%s: cannot read the embedded model: %s", path, strerror(errno));
    if (!same) return lf_fail(err, LF_ERR_FORMAT, "%s: embedded model is damaged (checksum mismatch)", path);
    *out = m;
    return LF_OK;
}

int lf_find_embedded_model(const char *path, lf_embedded_model *out, lf_error *err) {
    *out = (lf_embedded_model){0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lf_fail(err, LF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    unsigned char t[LF_EXE_TRAILER_BYTES];
    int rc = LF_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        rc = lf_fail(err, LF_ERR_IO, "%s: not a regular file", path);
    else if ((uint64_t)st.st_size < LF_EXE_TRAILER_BYTES) {
        out->program_size = (uint64_t)st.st_size;
    } else if (!read_at(fd, t, sizeof t, (uint64_t)st.st_size - sizeof t)) {
        rc = lf_fail(err, LF_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    } else if (!exe_trailer_present(t)) {
        out->program_size = (uint64_t)st.st_size;
    } else {
        rc = check_embedded(fd, t, (uint64_t)st.st_size, path, out, err);
    }
    close(fd);
    return rc;
}

/* Appends bytes [0, n) of path to o. */
static int copy_file(out_file *o, const char *path, uint64_t n, uint64_t *done, uint64_t total,
                     lf_export_progress_fn progress, void *user, lf_error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lf_fail(err, LF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char *buf = malloc(COPY_CHUNK);
    int rc = buf ? LF_OK : lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", path);
    for (uint64_t pos = 0; !rc && pos < n;) {
        size_t want = n - pos < COPY_CHUNK ? (size_t)(n - pos) : COPY_CHUNK;
        if (!read_at(fd, buf, want, pos)) {
            rc = lf_fail(err, LF_ERR_IO, "%s: read failed at byte %llu: %s", path, (unsigned long long)pos,
                         errno ? strerror(errno) : "file shrank");
            break;
        }
        rc = out_file_write(o, buf, want, err);
        pos += want;
        *done += want;
        if (progress) progress(*done, total, user);
    }
    free(buf);
    close(fd);
    return rc;
}

static bool same_file(const char *a, const char *b) {
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int lf_export_executable(const char *program, const char *model, const char *out_path, lf_export_progress_fn progress,
                         void *progress_user, lf_error *err) {
    if (!program || !model || !out_path) return lf_fail(err, LF_ERR_ARG, "lf_export_executable: a path is NULL");
    if (same_file(out_path, model) || same_file(out_path, program))
        return lf_fail(err, LF_ERR_ARG, "%s: the output would overwrite its own input", out_path);
    lf_embedded_model prev;
    int rc = lf_find_embedded_model(program, &prev, err);
    if (rc) return rc;
    gguf_file *g = NULL; /* refuse what could not load later, before writing anything */
    if ((rc = gguf_open(model, &g, err))) return rc;
    uint64_t model_size = g->size;
    gguf_close(g);
    uint64_t offset = (prev.program_size + LF_EXE_ALIGN - 1) / LF_EXE_ALIGN * LF_EXE_ALIGN;
    uint64_t total = prev.program_size + model_size, done = 0;
    unsigned char head[EXE_HEAD_CHECKED], t[LF_EXE_TRAILER_BYTES];
    size_t head_n = model_size < EXE_HEAD_CHECKED ? (size_t)model_size : EXE_HEAD_CHECKED;
    int fd = open(model, O_RDONLY | O_CLOEXEC);
    bool head_ok = fd >= 0 && read_at(fd, head, head_n, 0);
    if (fd >= 0) close(fd);
    if (!head_ok) return lf_fail(err, LF_ERR_IO, "%s: cannot read: %s", model, strerror(errno));
    lf_embedded_model m = {.program_size = prev.program_size, .offset = offset, .size = model_size};
    exe_trailer_encode(&m, exe_crc32(head, head_n), t);
    out_file o;
    if ((rc = out_file_open(&o, out_path, 0777, err))) return rc;
    rc = copy_file(&o, program, prev.program_size, &done, total, progress, progress_user, err);
    if (!rc) rc = out_file_pad(&o, offset - prev.program_size, err);
    if (!rc) rc = copy_file(&o, model, model_size, &done, total, progress, progress_user, err);
    if (!rc) rc = out_file_write(&o, t, sizeof t, err);
    if (!rc) rc = out_file_commit(&o, err);
    out_file_abort(&o);
    return rc;
}
