/* Files only their owner may read: the private key of a face archive
 * (issue 20). Written 0600 through an output set (temporary, fsync, rename
 * that never replaces unless asked), read only when group and others have no
 * access, as ssh treats its identity files: a key others could have read
 * must be taken as leaked, and refusing it is the one moment to say so. */
#include "io/io.h"
#include "io/out_set.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

faceless_status io_write_private(faceless_ctx *ctx, const char *path, const io_bytes *data, int overwrite)
{
    io_outset *set = io_outset_new(overwrite);
    if (!set)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
    int fd = -1;
    faceless_status st = io_outset_open(ctx, set, path, &fd);
    if (st == FACELESS_OK) {
        /* before the first byte: the temporary is created 0666 & ~umask */
        int err = fchmod(fd, S_IRUSR | S_IWUSR) != 0 ? errno : 0;
        const uint8_t *d = data->data;
        size_t left = data->size;
        while (!err && left > 0) {
            ssize_t w = write(fd, d, left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                err = w < 0 ? errno : ENOSPC;
            else
                d += w, left -= (size_t)w;
        }
        st = io_outset_close(ctx, set, fd, err);
    }
    if (st == FACELESS_OK)
        st = io_outset_commit(ctx, set);
    io_outset_free(set);
    return st;
}

faceless_status io_read_private(faceless_ctx *ctx, const char *path, size_t max_bytes, io_bytes *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: cannot open (%s)", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: not a regular file", path);
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        close(fd);
        return ctx_fail(ctx, FACELESS_ERR_ARCHIVE,
                        "%s: private key is accessible by others (mode %04o); refused: take it as leaked, or "
                        "chmod 600 it if nobody else can have read it",
                        path, (unsigned)(st.st_mode & 07777));
    }
    if ((uint64_t)st.st_size > max_bytes) {
        close(fd);
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: too large for a key (%lld bytes)", path,
                        (long long)st.st_size);
    }
    uint8_t *buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        close(fd);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    out->data = buf;
    out->size = got;
    return FACELESS_OK;
}
