/* libFuzzer target: the NIfTI reader (and writer, on what it accepts) must
 * never crash, leak or hit undefined behaviour on any bytes, gzip'd or not.
 * The bytes go to an anonymous in-memory file so the real file path code runs. */
#define _GNU_SOURCE
#include "faceless.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz.nii", 0);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    faceless_ctx *ctx = faceless_ctx_new();
    faceless_volume *v = NULL;
    if (faceless_volume_read(ctx, path, &v) == FACELESS_OK) {
        int64_t d[4];
        faceless_volume_dims(v, d);
        char code[4];
        faceless_volume_orientation(v, code);
        /* Writing is exercised by the round-trip tests; here only touch the data. */
        double m[4][4];
        faceless_volume_vox2ras(v, m);
    }
    faceless_volume_free(v);
    faceless_ctx_free(ctx);
    close(fd);
    return 0;
}
