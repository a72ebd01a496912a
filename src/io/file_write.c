/* Writing outputs safely: refuse to clobber the input or an existing file,
 * write to a temporary in the target folder, fsync, rename (out_set.c). */
#include "io/io.h"
#include "io/out_set.h"

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
    io_outset *set = ctx_outset(ctx);
    if (set)
        return io_outset_stage(ctx, set, path, parts, n);
    /* A set of one, published at once; it may replace (the callers without
     * a set checked io_check_output_path with their own overwrite flag). */
    io_outset *one = io_outset_new(1);
    if (!one)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
    faceless_status st = io_outset_stage(ctx, one, path, parts, n);
    if (st == FACELESS_OK)
        st = io_outset_commit(ctx, one);
    io_outset_free(one);
    return st;
}

faceless_status io_gzip_compress(faceless_ctx *ctx, const char *name, const io_bytes *parts, size_t n, int level,
                                 io_bytes *out)
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
            return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory compressing %zu bytes", name, total);
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
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory compressing %zu bytes", name, total);
    }
    out->data = buf;
    out->size = len;
    return FACELESS_OK;
}
