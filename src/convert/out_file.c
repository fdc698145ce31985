#include "convert/out_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"

#define OUT_BUFFER (1u << 20)

int out_file_open(out_file *o, const char *path, unsigned mode, lf_error *err) {
    *o = (out_file){0};
    size_t n = strlen(path);
    o->path = strdup(path);
    o->part = malloc(n + sizeof ".part");
    if (!o->path || !o->part) {
        out_file_abort(o);
        return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", path);
    }
    memcpy(o->part, path, n);
    memcpy(o->part + n, ".part", sizeof ".part");
    int fd = open(o->part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
    if (fd < 0) {
        int e = errno;
        free(o->part);
        o->part = NULL; /* not ours to remove */
        out_file_abort(o);
        return lf_fail(err, LF_ERR_IO, "%s.part: cannot create: %s", path, strerror(e));
    }
    o->fp = fdopen(fd, "wb");
    if (!o->fp) {
        close(fd);
        out_file_abort(o);
        return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", path);
    }
    setvbuf(o->fp, NULL, _IOFBF, OUT_BUFFER);
    return LF_OK;
}

int out_file_write(out_file *o, const void *data, size_t n, lf_error *err) {
    if (n && fwrite(data, 1, n, o->fp) != n)
        return lf_fail(err, LF_ERR_IO, "%s: write failed: %s", o->part, strerror(errno));
    o->written += n;
    return LF_OK;
}

int out_file_pad(out_file *o, uint64_t n, lf_error *err) {
    static const unsigned char zeros[4096];
    for (int rc; n; n -= n < sizeof zeros ? n : sizeof zeros)
        if ((rc = out_file_write(o, zeros, n < sizeof zeros ? (size_t)n : sizeof zeros, err))) return rc;
    return LF_OK;
}

int out_file_commit(out_file *o, lf_error *err) {
    int rc = LF_OK;
    if (fflush(o->fp) != 0 || fsync(fileno(o->fp)) != 0)
        rc = lf_fail(err, LF_ERR_IO, "%s: write failed: %s", o->part, strerror(errno));
    if (fclose(o->fp) != 0 && rc == LF_OK)
        rc = lf_fail(err, LF_ERR_IO, "%s: write failed: %s", o->part, strerror(errno));
    o->fp = NULL;
    if (rc == LF_OK && rename(o->part, o->path) != 0)
        rc = lf_fail(err, LF_ERR_IO, "%s: cannot rename to %s: %s", o->part, o->path, strerror(errno));
    if (rc == LF_OK) {
        free(o->part);
        o->part = NULL;
    }
    out_file_abort(o);
    return rc;
}

void out_file_abort(out_file *o) {
    if (o->fp) fclose(o->fp);
    if (o->part) unlink(o->part);
    free(o->part);
    free(o->path);
    *o = (out_file){0};
}
