/* libFuzzer target: reading a template folder (--template DIR) must never
 * crash, leak or hit undefined behaviour, whatever one of its files holds
 * (issue 21). The first byte picks the file (head, brain, face, guard) that
 * gets the remaining bytes; the other three are the embedded set's own, so
 * the checks across files (same grid for head and brain, masks on their own
 * grids) run on real neighbours. Byte 1 = 0xff leaves the picked file out. */
#define _GNU_SOURCE
#include "faceless.h"
#include "templates/template_set.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const NAMES[4] = {"head.nii.gz", "brain.nii.gz", "face.nii.gz", "guard.nii.gz"};

/* The embedded set's files, read once from the source tree. */
static uint8_t *real[4];
static size_t real_size[4];

static void load_real(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    for (int i = 0; i < 4; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/templates/%s", FACELESS_FUZZ_SOURCE_DIR, NAMES[i]);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        real[i] = n > 0 ? malloc((size_t)n) : NULL;
        if (real[i] && fread(real[i], 1, (size_t)n, f) == (size_t)n)
            real_size[i] = (size_t)n;
        fclose(f);
    }
}

static void put(const char *dir, int i, const uint8_t *d, size_t n)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, NAMES[i]);
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    if (n)
        fwrite(d, 1, n, f);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    load_real();
    char dir[] = "/tmp/faceless-fuzz-template-XXXXXX";
    if (!mkdtemp(dir))
        return 0;
    int pick = data[0] % 4, absent = data[1] == 0xff;
    for (int i = 0; i < 4; i++) {
        if (i != pick)
            put(dir, i, real[i], real_size[i]);
        else if (!absent)
            put(dir, i, data + 2, size - 2);
    }
    faceless_ctx *ctx = faceless_ctx_new();
    template_set *t = NULL;
    template_set_load_dir(ctx, dir, &t);
    template_set_free(t);
    faceless_ctx_free(ctx);
    for (int i = 0; i < 4; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, NAMES[i]);
        unlink(path);
    }
    rmdir(dir);
    return 0;
}
