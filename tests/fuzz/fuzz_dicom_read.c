/* libFuzzer target: the DICOM series reader (DCMTK behind src/io/dicom) must
 * never crash, leak or hit undefined behaviour on any bytes: every failure
 * is a clear error. The bytes go to an anonymous in-memory file. */
#define _GNU_SOURCE
#include "io/dicom/dicom.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* DCMTK lives in the DICOM module (dicom_module.h), found at the path the
 * build wrote it to. Without it every input would fail alike and the fuzzer
 * would run on nothing: stop with the reason instead. Loading it here, before
 * the first input, also registers its coverage counters at start-up. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!dicom_dcmtk_available()) {
        fprintf(stderr, "fuzz_dicom_read: %s\n", dicom_dcmtk_load_error());
        exit(1);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz.dcm", 0);
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
    if (ctx && dicom_series_read(ctx, path, NULL, &v) == FACELESS_OK) {
        int64_t d[4];
        faceless_volume_dims(v, d);
    }
    faceless_volume_free(v);
    faceless_ctx_free(ctx);
    close(fd);
    return 0;
}
