/* Reading input files: existence checks with clear reasons, and whole-file
 * reads with gzip decompressed by libdeflate (several times faster than zlib;
 * benchmarks/bench_nifti_gz.sh). zlib remains the fallback for streams
 * libdeflate cannot take in one call (multi-member files whose trailer size
 * does not tell the total). */
#include "io/io.h"

#include <errno.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

uint64_t io_physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || page <= 0)
        return (uint64_t)1 << 34; /* unknown: assume 16 GiB */
    return (uint64_t)pages * (uint64_t)page;
}

faceless_status io_check_input_file(faceless_ctx *ctx, const char *path, int64_t *size)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: %s", path,
                        errno == ENOENT ? "no such file" : strerror(errno));
    if (S_ISDIR(st.st_mode))
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: is a directory, not an image file", path);
    if (!S_ISREG(st.st_mode))
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: not a regular file", path);
    if (access(path, R_OK) != 0)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: no read permission", path);
    if (st.st_size == 0)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: empty file", path);
    if (size)
        *size = (int64_t)st.st_size;
    return FACELESS_OK;
}

int io_is_gzip_magic(const uint8_t *p, size_t n) { return n >= 2 && p[0] == 0x1f && p[1] == 0x8b; }

faceless_status io_read_prefix(faceless_ctx *ctx, const char *path, size_t max_bytes, io_bytes *out,
                               int *is_gzip)
{
    faceless_status st = io_check_input_file(ctx, path, NULL);
    if (st != FACELESS_OK)
        return st;
    uint8_t magic[2] = {0, 0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: %s", path, strerror(errno));
    size_t got_magic = fread(magic, 1, 2, f);
    fclose(f);
    gzFile g = gzopen(path, "rb");
    if (!g)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: cannot open", path);
    uint8_t *buf = malloc(max_bytes ? max_bytes : 1);
    if (!buf) {
        gzclose(g);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
    }
    int n = gzread(g, buf, (unsigned)max_bytes);
    int gz_err = 0;
    char msg[128];
    snprintf(msg, sizeof msg, "%s", gzerror(g, &gz_err)); /* the string dies with gzclose */
    gzclose(g);
    /* A truncated gzip stream still yields its first bytes; the caller checks
     * the length it needs. Z_BUF_ERROR here means "ended early", not corrupt. */
    if (n < 0 || (gz_err != Z_OK && gz_err != Z_BUF_ERROR && n == 0)) {
        free(buf);
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: corrupt gzip data (%s)", path, msg[0] ? msg : "read error");
    }
    out->data = buf;
    out->size = (size_t)n;
    if (is_gzip)
        *is_gzip = io_is_gzip_magic(magic, got_magic);
    return FACELESS_OK;
}

static faceless_status read_raw(faceless_ctx *ctx, const char *path, uint64_t max_bytes, io_bytes *out)
{
    int64_t size = 0;
    faceless_status st = io_check_input_file(ctx, path, &size);
    if (st != FACELESS_OK)
        return st;
    if ((uint64_t)size > max_bytes)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: file of %lld bytes is larger than this machine's memory",
                        path, (long long)size);
    FILE *f = fopen(path, "rb");
    if (!f)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: %s", path, strerror(errno));
    uint8_t *buf = malloc((size_t)size);
    if (!buf) {
        fclose(f);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory reading %lld bytes", path, (long long)size);
    }
    size_t got = fread(buf, 1, (size_t)size, f);
    int err = ferror(f);
    fclose(f);
    if (err || got != (size_t)size) {
        free(buf);
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: read error", path);
    }
    out->data = buf;
    out->size = got;
    return FACELESS_OK;
}

/* Streaming inflate with a growing buffer: handles concatenated members and
 * streams whose trailer size is wrong (files over 4 GiB). */
static faceless_status gunzip_zlib(faceless_ctx *ctx, const char *path, const io_bytes *in, uint64_t max_bytes,
                                   io_bytes *out)
{
    size_t cap = in->size * 4 + 65536, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 32) != Z_OK) {
        free(buf);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
    }
    zs.next_in = in->data;
    zs.avail_in = 0;
    size_t consumed = 0;
    int ret = Z_OK;
    for (;;) {
        if (zs.avail_in == 0 && consumed < in->size) {
            size_t chunk = in->size - consumed > (1u << 30) ? (1u << 30) : in->size - consumed;
            zs.next_in = in->data + consumed;
            zs.avail_in = (uInt)chunk;
            consumed += chunk;
        }
        if (len == cap) {
            if (cap >= max_bytes) {
                inflateEnd(&zs);
                free(buf);
                return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: decompressed content larger than this machine's memory",
                                path);
            }
            size_t ncap = cap * 2 > max_bytes ? (size_t)max_bytes : cap * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                inflateEnd(&zs);
                free(buf);
                return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
            }
            buf = nb;
            cap = ncap;
        }
        size_t room = cap - len > (1u << 30) ? (1u << 30) : cap - len;
        zs.next_out = buf + len;
        zs.avail_out = (uInt)room;
        ret = inflate(&zs, Z_NO_FLUSH);
        len += room - zs.avail_out;
        if (ret == Z_STREAM_END) {
            /* Another member may follow (concatenated gzip). */
            if (zs.avail_in == 0 && consumed == in->size)
                break;
            if (zs.avail_in >= 2 && !io_is_gzip_magic(zs.next_in, zs.avail_in))
                break; /* trailing garbage after the last member: ignore, as gzip does */
            inflateReset(&zs);
            continue;
        }
        if (ret != Z_OK && ret != Z_BUF_ERROR)
            break;
        if (ret == Z_BUF_ERROR && zs.avail_in == 0 && consumed == in->size)
            break; /* input ended before the stream did */
    }
    inflateEnd(&zs);
    if (ret != Z_STREAM_END) {
        free(buf);
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: %s", path,
                        ret == Z_BUF_ERROR ? "truncated gzip data" : "corrupt gzip data");
    }
    out->data = buf;
    out->size = len;
    return FACELESS_OK;
}

faceless_status io_gunzip(faceless_ctx *ctx, const char *what, const uint8_t *data, size_t n, uint64_t max_bytes,
                          io_bytes *out)
{
    if (!io_is_gzip_magic(data, n)) {
        if (n > max_bytes)
            return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: content larger than this machine's memory", what);
        out->data = malloc(n ? n : 1);
        if (!out->data)
            return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", what);
        memcpy(out->data, data, n);
        out->size = n;
        return FACELESS_OK;
    }
    /* Fast path: one member whose trailer (ISIZE, size mod 2^32) gives the size. */
    if (n >= 18) {
        const uint8_t *t = data + n - 4;
        uint64_t isize = (uint64_t)t[0] | (uint64_t)t[1] << 8 | (uint64_t)t[2] << 16 | (uint64_t)t[3] << 24;
        /* Deflate cannot expand more than 1032:1; a larger claim is a lie
         * (a corrupt or hostile trailer) and is left to the zlib path. */
        if (isize > 0 && isize <= max_bytes && isize <= (uint64_t)n * 1032u) {
            uint8_t *buf = malloc((size_t)isize);
            struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
            if (buf && d) {
                size_t in_used = 0, out_len = 0;
                enum libdeflate_result r =
                    libdeflate_gzip_decompress_ex(d, data, n, buf, (size_t)isize, &in_used, &out_len);
                libdeflate_free_decompressor(d);
                if (r == LIBDEFLATE_SUCCESS && in_used == n && out_len == isize) {
                    out->data = buf;
                    out->size = out_len;
                    return FACELESS_OK;
                }
            } else {
                libdeflate_free_decompressor(d);
            }
            free(buf);
        }
    }
    io_bytes in = {(uint8_t *)data, n};
    return gunzip_zlib(ctx, what, &in, max_bytes, out);
}

faceless_status io_read_whole(faceless_ctx *ctx, const char *path, uint64_t max_bytes, io_bytes *out)
{
    io_bytes raw = {0};
    faceless_status st = read_raw(ctx, path, max_bytes, &raw);
    if (st != FACELESS_OK)
        return st;
    if (!io_is_gzip_magic(raw.data, raw.size)) {
        *out = raw; /* no copy */
        return FACELESS_OK;
    }
    st = io_gunzip(ctx, path, raw.data, raw.size, max_bytes, out);
    free(raw.data);
    return st;
}
