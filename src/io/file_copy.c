/* Copying a file byte for byte, with the same safety as every other output:
 * a temporary in the target folder, fsync, rename. Used by batch for the
 * files of a dataset that are not de-faced (sidecars, func, dwi, ...). */
#include "io/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

faceless_status faceless_file_copy(faceless_ctx *ctx, const char *in_path, const char *out_path, int overwrite)
{
    faceless_status st = io_check_input_file(ctx, in_path, NULL);
    if (st != FACELESS_OK && strstr(faceless_ctx_error(ctx), "empty file")) {
        ctx_clear_error(ctx);
        st = FACELESS_OK; /* empty files are copied too */
    }
    if (st != FACELESS_OK)
        return st;
    st = io_check_output_path(ctx, in_path, out_path, overwrite);
    if (st != FACELESS_OK)
        return st;
    int in = open(in_path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: %s", in_path, strerror(errno));
    size_t tlen = strlen(out_path) + strlen(IO_TEMP_PREFIX) + IO_TEMP_EXTRA;
    char *tmp = malloc(tlen);
    uint8_t *buf = malloc(1 << 20);
    if (!tmp || !buf || faceless_temp_path(out_path, tmp, tlen) < 0) {
        close(in);
        free(tmp);
        free(buf);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", out_path);
    }
    unlink(tmp);
    int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    const char *why = out < 0 ? "cannot create a file in its folder" : NULL;
    int err = out < 0 ? errno : 0;
    while (!why) {
        ssize_t n = read(in, buf, 1 << 20);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = errno;
            why = "read failed";
            break;
        }
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n && !why;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                err = w < 0 ? errno : ENOSPC;
                why = "write failed";
            } else {
                off += w;
            }
        }
    }
    if (!why && fsync(out) != 0) {
        err = errno;
        why = "flush to disk failed";
    }
    if (out >= 0 && close(out) != 0 && !why) {
        err = errno;
        why = "close failed";
    }
    close(in);
    if (!why && rename(tmp, out_path) != 0) {
        err = errno;
        why = "rename failed";
    }
    if (why && out >= 0)
        unlink(tmp);
    free(tmp);
    free(buf);
    if (why)
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: %s (%s)", out_path, why, strerror(err));
    return FACELESS_OK;
}
