/* Writing outputs safely: refuse to clobber the input or an existing file,
 * write to a temporary in the target folder, fsync, rename. */
#include "io/io.h"

#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int io_has_suffix(const char *path, const char *suffix)
{
    size_t n = strlen(path), m = strlen(suffix);
    return n >= m && memcmp(path + n - m, suffix, m) == 0;
}

faceless_status io_check_output_path(faceless_ctx *ctx, const char *in_path, const char *out_path, int overwrite)
{
    struct stat so;
    if (stat(out_path, &so) != 0)
        return FACELESS_OK; /* does not exist yet */
    struct stat si;
    if (in_path && stat(in_path, &si) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino)
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: output is the input file; refusing to overwrite the input",
                        out_path);
    if (S_ISDIR(so.st_mode))
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: output is a directory", out_path);
    if (!overwrite)
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: output exists (use --force to replace it)", out_path);
    return FACELESS_OK;
}

int faceless_temp_path(const char *out_path, char *buf, size_t size)
{
    const char *slash = strrchr(out_path, '/');
    int dir_len = slash ? (int)(slash - out_path) : 1;
    const char *dir = slash ? out_path : ".";
    const char *base = slash ? slash + 1 : out_path;
    if (slash == out_path)
        dir_len = 0; /* "/x": the folder is the root */
    /* NAME.PID@HOST: a rerun can tell a temporary left by a dead process of
     * this machine (removed, io_remove_stale_temps) from one being written
     * by another machine of a cluster into the same folder (kept) */
    char host[IO_TEMP_HOST_MAX + 1];
    io_temp_host(host);
    int n = snprintf(buf, size, "%.*s/%s%s.%ld@%s", dir_len, dir, IO_TEMP_PREFIX, base, (long)getpid(), host);
    return n < 0 || (size_t)n >= size ? -1 : n;
}

faceless_status io_write_atomic(faceless_ctx *ctx, const char *path, const io_bytes *parts, size_t n)
{
    /* The temporary's name is known in advance (faceless_temp_path), so a
     * signal handler can remove it without allocating. */
    size_t tlen = strlen(path) + strlen(IO_TEMP_PREFIX) + IO_TEMP_EXTRA;
    char *tmp = malloc(tlen);
    if (!tmp || faceless_temp_path(path, tmp, tlen) < 0) {
        free(tmp);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
    }
    /* A leftover with our pid belongs to a dead process that had this pid. */
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
        faceless_status st = ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: cannot create a file in its folder (%s)", path,
                                      strerror(errno));
        free(tmp);
        return st;
    }
    const char *why = NULL;
    int err = 0;
    for (size_t p = 0; p < n && !why; p++) {
        const uint8_t *d = parts[p].data;
        size_t left = parts[p].size;
        while (left > 0) {
            ssize_t w = write(fd, d, left > (1u << 30) ? (1u << 30) : left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                err = w < 0 ? errno : ENOSPC;
                why = "write failed";
                break;
            }
            d += w;
            left -= (size_t)w;
        }
    }
    if (!why && fsync(fd) != 0) {
        err = errno;
        why = "flush to disk failed";
    }
    if (close(fd) != 0 && !why) {
        err = errno;
        why = "close failed";
    }
    if (!why && rename(tmp, path) != 0) {
        err = errno;
        why = "rename failed";
    }
    if (why) {
        unlink(tmp);
        free(tmp);
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: %s (%s)", path, why, strerror(err));
    }
    free(tmp);
    return FACELESS_OK;
}

faceless_status io_gzip_compress(faceless_ctx *ctx, const io_bytes *parts, size_t n, int level, io_bytes *out)
{
    size_t total = 0;
    for (size_t p = 0; p < n; p++)
        total += parts[p].size;
    /* libdeflate compresses from one contiguous buffer; join the parts unless
     * there is only one. */
    uint8_t *joined = NULL;
    const uint8_t *src = n == 1 ? parts[0].data : NULL;
    if (n != 1) {
        joined = malloc(total ? total : 1);
        if (!joined)
            return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory compressing %zu bytes", total);
        size_t off = 0;
        for (size_t p = 0; p < n; p++) {
            if (parts[p].size)
                memcpy(joined + off, parts[p].data, parts[p].size);
            off += parts[p].size;
        }
        src = joined;
    }
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
    size_t bound = c ? libdeflate_gzip_compress_bound(c, total) : 0;
    uint8_t *buf = c ? malloc(bound) : NULL;
    size_t len = buf ? libdeflate_gzip_compress(c, src, total, buf, bound) : 0;
    libdeflate_free_compressor(c);
    free(joined);
    if (!len) {
        free(buf);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory compressing %zu bytes", total);
    }
    out->data = buf;
    out->size = len;
    return FACELESS_OK;
}
