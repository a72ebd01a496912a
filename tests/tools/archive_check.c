/* Checks on face archives (issue 20) that need the images' voxels.
 *
 * usage:
 *   archive_check changed ORIG DEFACED OUT.bin
 *       writes the original stored bytes (storage order, frame by frame, this
 *       machine's byte order, as the archive keeps them on a little-endian
 *       machine) of every voxel whose stored bytes differ between ORIG and
 *       DEFACED: what an archive must keep, the benchmark's gzip baseline.
 *       Prints the count.
 *   archive_check no-runs ARCHIVE ORIG DEFACED [CONTROL]
 *       exit 1 when any 16 consecutive bytes of those original values
 *       appear in ARCHIVE. With CONTROL (a file holding the original voxels
 *       in clear, e.g. ORIG gunzipped) also exit 1 unless the same search
 *       finds them there: the check must be able to fail.
 *
 * Stored bytes are compared, so a NaN or -0.0 counts as changed when its
 * bits changed, as in the archive. Reads through the library's reader. */
#include "core/volume.h"
#include "faceless.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 16

static faceless_volume *load(const char *path)
{
    faceless_ctx *ctx = faceless_ctx_new();
    faceless_volume *v = NULL;
    if (faceless_volume_read(ctx, path, &v) != FACELESS_OK) {
        fprintf(stderr, "archive_check: %s\n", faceless_ctx_error(ctx));
        exit(2);
    }
    faceless_ctx_free(ctx);
    return v;
}

/* The original bytes of the changed voxels; *n_vox their count. */
static uint8_t *changed_bytes(const char *orig, const char *defaced, size_t *n_bytes, int64_t *n_vox)
{
    faceless_volume *a = load(orig), *b = load(defaced);
    if (a->nx != b->nx || a->ny != b->ny || a->nz != b->nz || a->nt != b->nt || a->dtype != b->dtype) {
        fprintf(stderr, "archive_check: %s and %s differ in grid or type\n", orig, defaced);
        exit(2);
    }
    size_t bpv = faceless_dtype_size(a->dtype);
    uint8_t *out = malloc((size_t)volume_voxels(a) * bpv + 1);
    const uint8_t *pa = a->data, *pb = b->data;
    size_t n = 0;
    *n_vox = 0;
    for (int64_t i = 0; i < volume_voxels(a); i++)
        if (memcmp(pa + (size_t)i * bpv, pb + (size_t)i * bpv, bpv)) {
            memcpy(out + n, pa + (size_t)i * bpv, bpv);
            n += bpv;
            ++*n_vox;
        }
    faceless_volume_free(a);
    faceless_volume_free(b);
    *n_bytes = n;
    return out;
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc((size_t)len + 1);
    *n = fread(d, 1, (size_t)len, f);
    fclose(f);
    return d;
}

static const uint8_t *g_hay;
static int cmp_win(const void *x, const void *y)
{
    return memcmp(g_hay + *(const size_t *)x, g_hay + *(const size_t *)y, W);
}

/* Offset in needles_src of the first 16-byte window that also occurs in
 * hay, or -1: hay's windows sorted, each window of needles_src looked up. */
static long find_common(const uint8_t *hay, size_t hay_n, const uint8_t *src, size_t src_n)
{
    if (hay_n < W || src_n < W)
        return -1;
    size_t n = hay_n - W + 1;
    size_t *idx = malloc(n * sizeof *idx);
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    g_hay = hay;
    qsort(idx, n, sizeof *idx, cmp_win);
    long hit = -1;
    for (size_t i = 0; i + W <= src_n && hit < 0; i++) {
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            int c = memcmp(hay + idx[mid], src + i, W);
            if (c == 0) {
                hit = (long)i;
                break;
            }
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
    }
    free(idx);
    return hit;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "changed")) {
        size_t n;
        int64_t nv;
        uint8_t *d = changed_bytes(argv[2], argv[3], &n, &nv);
        FILE *f = fopen(argv[4], "wb");
        if (!f || fwrite(d, 1, n, f) != n || fclose(f)) {
            perror(argv[4]);
            return 2;
        }
        printf("%lld\n", (long long)nv);
        free(d);
        return 0;
    }
    if ((argc == 5 || argc == 6) && !strcmp(argv[1], "no-runs")) {
        size_t n, an;
        int64_t nv;
        uint8_t *d = changed_bytes(argv[3], argv[4], &n, &nv);
        if (n < 4 * W) {
            printf("archive_check: only %lld changed voxels: nothing to search for\n", (long long)nv);
            return 1;
        }
        uint8_t *arch = slurp(argv[2], &an);
        long at = find_common(arch, an, d, n);
        if (at >= 0) {
            printf("archive_check: %s holds 16 bytes of the original face (offset %ld of %zu)\n", argv[2], at, n);
            return 1;
        }
        if (argc == 6) {
            size_t cn;
            uint8_t *ctl = slurp(argv[5], &cn);
            long c = find_common(ctl, cn, d, n);
            free(ctl);
            if (c < 0) {
                printf("archive_check: control %s: the face's bytes not found: the check is blind\n", argv[5]);
                return 1;
            }
        }
        printf("archive_check: no 16-byte run of the %lld changed voxels' %zu original bytes in %s\n",
               (long long)nv, n, argv[2]);
        free(arch);
        free(d);
        return 0;
    }
    fprintf(stderr, "usage: archive_check changed ORIG DEFACED OUT.bin\n"
                    "       archive_check no-runs ARCHIVE ORIG DEFACED [CONTROL]\n");
    return 2;
}
