/* Writes a corpus of malformed NIfTI files into DIR and prints, for each, a
 * line "FILE EXIT_CODE" with the exit code faceless must give (README.md).
 * Used by tests/integration/nifti_malformed.sh. */
#include "faceless.h"

#include <math.h>
#include <nifti/nifti2_io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

static const char *dir;

static void good1(nifti_1_header *h)
{
    memset(h, 0, sizeof *h);
    h->sizeof_hdr = 348;
    h->dim[0] = 3;
    h->dim[1] = h->dim[2] = h->dim[3] = 8;
    h->dim[4] = h->dim[5] = h->dim[6] = h->dim[7] = 1;
    h->datatype = NIFTI_TYPE_INT16;
    h->bitpix = 16;
    h->pixdim[1] = h->pixdim[2] = h->pixdim[3] = 1.0f;
    h->vox_offset = 352.0f;
    h->sform_code = 1;
    h->srow_x[0] = h->srow_y[1] = h->srow_z[2] = 1.0f;
    memcpy(h->magic, "n+1", 4);
}

static void good2(nifti_2_header *h)
{
    memset(h, 0, sizeof *h);
    h->sizeof_hdr = 540;
    memcpy(h->magic, "n+2\0\r\n\032\n", 8);
    h->dim[0] = 3;
    h->dim[1] = h->dim[2] = h->dim[3] = 8;
    h->dim[4] = h->dim[5] = h->dim[6] = h->dim[7] = 1;
    h->datatype = NIFTI_TYPE_INT16;
    h->bitpix = 16;
    h->pixdim[1] = h->pixdim[2] = h->pixdim[3] = 1.0;
    h->vox_offset = 544;
    h->sform_code = 1;
    h->srow_x[0] = h->srow_y[1] = h->srow_z[2] = 1.0;
}

static void emit(const char *name, const void *a, size_t na, size_t data_bytes, int expect)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fwrite(a, 1, na, f);
    for (size_t i = 0; i < data_bytes; i++)
        fputc((int)(i & 0x7f), f);
    fclose(f);
    printf("%s %d\n", name, expect);
}

static void emit1(const char *name, const nifti_1_header *h, size_t data_bytes, int expect)
{
    uint8_t buf[352] = {0};
    memcpy(buf, h, 348);
    emit(name, buf, 352, data_bytes, expect);
}

static void emit2(const char *name, const nifti_2_header *h, size_t data_bytes, int expect)
{
    uint8_t buf[544] = {0};
    memcpy(buf, h, 540);
    emit(name, buf, 544, data_bytes, expect);
}

static void emit_gz(const char *name, const nifti_1_header *h, size_t data_bytes, long cut, int garbage, int expect)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    gzFile g = gzopen(path, "wb6");
    uint8_t buf[352] = {0};
    memcpy(buf, h, 348);
    gzwrite(g, buf, 352);
    uint32_t x = 2463534242u; /* incompressible bytes, so that a cut really cuts */
    for (size_t i = 0; i < data_bytes; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        gzputc(g, (int)(x & 0xff));
    }
    gzclose(g);
    if (cut > 0 && truncate(path, cut) != 0)
        exit(1);
    if (garbage) {
        FILE *f = fopen(path, "r+b");
        fseek(f, 30, SEEK_SET);
        for (int i = 0; i < 64; i++)
            fputc(0xff, f);
        fclose(f);
    }
    printf("%s %d\n", name, expect);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_malformed DIR\n");
        return 2;
    }
    dir = argv[1];
    const size_t full = 8 * 8 * 8 * 2;
    const int IN = FACELESS_ERR_INPUT, UNS = FACELESS_ERR_UNSUPPORTED, MEM = FACELESS_ERR_MEMORY;
    nifti_1_header h;
    nifti_2_header h2;

    emit("empty.nii", "", 0, 0, IN);
    emit("tiny.nii", "abc", 3, 0, IN);
    good1(&h);
    emit("truncated_header_100.nii", &h, 100, 0, IN);
    emit("truncated_header_347.nii", &h, 347, 0, IN);
    emit("text.nii", "this is not an image, just some text in a file\n", 47, 400, IN);
    good1(&h);
    h.sizeof_hdr = 1234;
    emit1("bad_sizeof_hdr.nii", &h, full, IN);
    good1(&h);
    memcpy(h.magic, "xyz", 4);
    emit1("bad_magic.nii", &h, full, IN);
    good1(&h);
    memset(h.magic, 0, 4);
    emit1("analyze_no_magic.nii", &h, full, IN);
    good1(&h);
    h.dim[0] = 0;
    emit1("dim0_zero.nii", &h, full, IN);
    good1(&h);
    h.dim[0] = 8;
    emit1("dim0_eight.nii", &h, full, IN);
    good1(&h);
    h.dim[1] = 0;
    emit1("dim1_zero.nii", &h, full, IN);
    good1(&h);
    h.dim[2] = -5;
    emit1("dim2_negative.nii", &h, full, IN);
    good1(&h);
    h.dim[0] = 4;
    h.dim[4] = 0;
    emit1("dim4_zero.nii", &h, full, IN);
    good1(&h);
    h.dim[0] = 5;
    h.dim[5] = 2;
    emit1("five_d.nii", &h, full * 2, UNS);
    good1(&h);
    h.dim[1] = h.dim[2] = h.dim[3] = 32767;
    h.dim[0] = 4;
    h.dim[4] = 32767;
    h.datatype = NIFTI_TYPE_FLOAT64;
    h.bitpix = 64;
    emit1("huge_dims_tiny_file.nii", &h, 64, MEM);
    good2(&h2);
    h2.dim[1] = h2.dim[2] = h2.dim[3] = (int64_t)1 << 40;
    emit2("dims_overflow_v2.nii", &h2, 64, MEM);
    good1(&h);
    emit1("truncated_data.nii", &h, full / 3, IN);
    emit_gz("truncated_gzip.nii.gz", &h, 200000, 2000, 0, IN);
    emit_gz("corrupt_gzip.nii.gz", &h, 200000, 0, 1, IN);
    good1(&h);
    h.srow_y[1] = NAN;
    emit1("nan_sform.nii", &h, full, IN);
    good1(&h);
    h.pixdim[2] = INFINITY;
    emit1("inf_pixdim.nii", &h, full, IN);
    good1(&h);
    h.sform_code = 0;
    h.qform_code = 1;
    h.quatern_c = NAN;
    emit1("nan_quatern.nii", &h, full, IN);
    good1(&h);
    memset(h.srow_x, 0, sizeof h.srow_x);
    memset(h.srow_y, 0, sizeof h.srow_y);
    memset(h.srow_z, 0, sizeof h.srow_z);
    emit1("singular_sform.nii", &h, full, IN);
    good1(&h);
    h.datatype = NIFTI_TYPE_COMPLEX64;
    h.bitpix = 64;
    emit1("complex64.nii", &h, full * 4, UNS);
    good1(&h);
    h.datatype = NIFTI_TYPE_RGB24;
    h.bitpix = 24;
    emit1("rgb24.nii", &h, full * 2, UNS);
    good1(&h);
    h.datatype = NIFTI_TYPE_FLOAT128;
    h.bitpix = 128;
    emit1("float128.nii", &h, full * 8, UNS);
    good1(&h);
    h.datatype = 999;
    emit1("unknown_datatype.nii", &h, full, IN);
    good1(&h);
    h.vox_offset = -352.0f;
    emit1("negative_vox_offset.nii", &h, full, IN);
    good1(&h);
    h.vox_offset = 100.0f;
    emit1("vox_offset_inside_header.nii", &h, full, IN);
    good1(&h);
    h.vox_offset = NAN;
    emit1("nan_vox_offset.nii", &h, full, IN);
    good1(&h);
    h.vox_offset = 352.5f;
    emit1("fractional_vox_offset.nii", &h, full, IN);
    good2(&h2);
    h2.magic[5] = 'X';
    emit2("bad_magic_v2.nii", &h2, full, IN);
    good2(&h2);
    emit("truncated_header_v2.nii", &h2, 400, 0, IN);
    good2(&h2);
    h2.dim[3] = -1;
    emit2("negative_dim_v2.nii", &h2, full, IN);
    /* A pair whose .img is missing, and one whose .img is too short. */
    good1(&h);
    h.vox_offset = 0.0f;
    memcpy(h.magic, "ni1", 4);
    emit1("pair_missing_img.hdr", &h, 0, IN);
    emit1("pair_short_img.hdr", &h, 0, IN);
    emit("pair_short_img.img", "0123456789", 10, 0, IN);
    /* Single-file magic under a pair name. */
    good1(&h);
    emit1("single_magic_as_pair.hdr", &h, full, IN);
    /* gzip of garbage. */
    {
        char path[4096];
        snprintf(path, sizeof path, "%s/gzip_of_garbage.nii.gz", dir);
        gzFile g = gzopen(path, "wb");
        gzputs(g, "garbage, not a header");
        gzclose(g);
        printf("gzip_of_garbage.nii.gz %d\n", IN);
    }
    return 0;
}
