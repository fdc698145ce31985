#include "core/mapped_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

int lf_mapped_file_open(const char *path, lf_mapped_file *out, lf_error *err) {
    return lf_mapped_file_open_range(path, 0, 0, out, err);
}

int lf_mapped_file_open_range(const char *path, uint64_t offset, uint64_t size, lf_mapped_file *out, lf_error *err) {
    out->data = NULL;
    out->size = 0;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0 || offset % (uint64_t)page != 0)
        return lf_fail(err, LF_ERR_ARG, "%s: offset %llu is not a multiple of the page size %ld", path,
                       (unsigned long long)offset, page);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lf_fail(err, LF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return lf_fail(err, LF_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return lf_fail(err, LF_ERR_IO, "%s: not a regular file", path);
    }
    uint64_t file_size = (uint64_t)st.st_size;
    if (size == 0 && offset < file_size) size = file_size - offset;
    if (offset > file_size || size > file_size - offset || size > SIZE_MAX) {
        close(fd);
        return lf_fail(err, LF_ERR_FORMAT, "%s: bytes %llu..+%llu lie outside the file of %llu bytes", path,
                       (unsigned long long)offset, (unsigned long long)size, (unsigned long long)file_size);
    }
    if (size == 0) {
        close(fd);
        return lf_fail(err, LF_ERR_FORMAT, "%s: file is empty", path);
    }
    void *p = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, (off_t)offset);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) return lf_fail(err, LF_ERR_IO, "%s: mmap failed: %s", path, strerror(e));
    out->data = p;
    out->size = (size_t)size;
    return LF_OK;
}

void lf_mapped_file_close(lf_mapped_file *mf) {
    if (mf->data) munmap((void *)mf->data, mf->size);
    mf->data = NULL;
    mf->size = 0;
}
