/* Copying a file byte for byte, with the same safety as every other output:
 * a temporary in the target folder, fsync, rename (out_set.h). Used by batch for the
 * files of a dataset that are not de-faced (sidecars, func, dwi, ...). */
#include "io/io.h"
#include "io/out_set.h"

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
    /* A set of one without overwrite: of two copies to the same name, the
     * second fails instead of replacing the first (out_set.h). */
    io_outset *set = io_outset_new(overwrite);
    uint8_t *buf = malloc(1 << 20);
    int out = -1;
    st = !set || !buf ? ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", out_path)
                      : io_outset_open(ctx, set, out_path, &out);
    int err = 0;
    while (st == FACELESS_OK && !err) {
        ssize_t n = read(in, buf, 1 << 20);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: read failed (%s)", in_path, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n && !err;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                err = w < 0 ? errno : ENOSPC;
            else
                off += w;
        }
    }
    if (st == FACELESS_OK) /* on a read error io_outset_free removes the temporary */
        st = io_outset_close(ctx, set, out, err);
    if (st == FACELESS_OK)
        st = io_outset_commit(ctx, set);
    close(in);
    io_outset_free(set);
    free(buf);
    return st;
}
