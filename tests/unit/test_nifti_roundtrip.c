/* Round trip of every NIfTI variant: NIfTI-1 and NIfTI-2, both byte orders,
 * every scalar datatype, 3D and 4D, .nii / .nii.gz / .hdr+.img (plain and
 * gzip'd), with extensions, descrip, intent and scaling set. Reading then
 * writing must give the same bytes, header and voxels alike, and the reader
 * must report the grid, type and matrices the header holds. */
#include "core/volume.h"
#include "test_util.h"

#include <nifti/nifti2_io.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static const int CODES[] = {NIFTI_TYPE_UINT8,  NIFTI_TYPE_INT8,   NIFTI_TYPE_UINT16, NIFTI_TYPE_INT16,
                            NIFTI_TYPE_UINT32, NIFTI_TYPE_INT32,  NIFTI_TYPE_UINT64, NIFTI_TYPE_INT64,
                            NIFTI_TYPE_FLOAT32, NIFTI_TYPE_FLOAT64};
static const int SIZES[] = {1, 1, 2, 2, 4, 4, 8, 8, 4, 8};

/* An extension: esize 32 (multiple of 16), ecode 6 (comment), text. */
static const uint8_t EXT_TEXT[24] = "faceless roundtrip ext";

static uint64_t rng = 88172645463325252ull;
static uint8_t rand_byte(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint8_t)(rng >> 24);
}

static void swap_n(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        uint8_t t = p[i];
        p[i] = p[n - 1 - i];
        p[n - 1 - i] = t;
    }
}

static void put_i32(uint8_t *p, int32_t v, int swapped)
{
    memcpy(p, &v, 4);
    if (swapped)
        swap_n(p, 4);
}

/* Header bytes (header + extender + one extension) for the given variant. */
static size_t make_header(uint8_t *out, int version, int swapped, int pair, int code, int bitpix,
                          const int64_t dims[5])
{
    size_t hsize = version == 1 ? 348 : 540;
    size_t total = hsize + 4 + 32;
    if (version == 1) {
        nifti_1_header h;
        memset(&h, 0, sizeof h);
        h.sizeof_hdr = 348;
        for (int i = 0; i <= 4; i++)
            h.dim[i] = (short)dims[i];
        for (int i = 5; i < 8; i++)
            h.dim[i] = 1;
        h.datatype = (short)code;
        h.bitpix = (short)bitpix;
        h.pixdim[0] = -1.0f;
        h.pixdim[1] = 1.5f;
        h.pixdim[2] = 2.0f;
        h.pixdim[3] = 2.5f;
        h.pixdim[4] = 3.0f;
        h.vox_offset = pair ? 0.0f : (float)total;
        h.scl_slope = 2.0f;
        h.scl_inter = -7.0f;
        h.intent_code = NIFTI_INTENT_ESTIMATE;
        strcpy(h.intent_name, "roundtrip");
        strcpy(h.descrip, "faceless round trip test");
        strcpy(h.aux_file, "aux");
        h.qform_code = NIFTI_XFORM_SCANNER_ANAT;
        h.sform_code = NIFTI_XFORM_MNI_152;
        h.quatern_b = 0.1f;
        h.quatern_c = 0.2f;
        h.quatern_d = 0.3f;
        h.qoffset_x = -10.0f;
        h.qoffset_y = 20.0f;
        h.qoffset_z = -30.0f;
        float s[3][4] = {{-1.5f, 0, 0, 90}, {0, 2.0f, 0.1f, -126}, {0, 0, 2.5f, -72}};
        memcpy(h.srow_x, s[0], 16);
        memcpy(h.srow_y, s[1], 16);
        memcpy(h.srow_z, s[2], 16);
        h.xyzt_units = NIFTI_UNITS_MM | NIFTI_UNITS_SEC;
        memcpy(h.magic, pair ? "ni1" : "n+1", 4);
        if (swapped)
            nifti_swap_as_nifti1(&h);
        memcpy(out, &h, 348);
    } else {
        nifti_2_header h;
        memset(&h, 0, sizeof h);
        h.sizeof_hdr = 540;
        memcpy(h.magic, pair ? "ni2\0\r\n\032\n" : "n+2\0\r\n\032\n", 8);
        for (int i = 0; i <= 4; i++)
            h.dim[i] = dims[i];
        for (int i = 5; i < 8; i++)
            h.dim[i] = 1;
        h.datatype = (short)code;
        h.bitpix = (short)bitpix;
        h.pixdim[0] = 1.0;
        h.pixdim[1] = 0.75;
        h.pixdim[2] = 0.75;
        h.pixdim[3] = 5.5;
        h.vox_offset = pair ? 0 : (int64_t)total;
        h.scl_slope = 0.5;
        h.scl_inter = 100.0;
        strcpy(h.descrip, "faceless round trip test v2");
        h.qform_code = NIFTI_XFORM_SCANNER_ANAT;
        h.sform_code = 0; /* matrix must then come from the qform */
        h.quatern_b = 0.0;
        h.quatern_c = 0.0;
        h.quatern_d = 1.0;
        h.qoffset_x = 5.0;
        h.xyzt_units = NIFTI_UNITS_MM;
        if (swapped)
            nifti_swap_as_nifti2(&h);
        memcpy(out, &h, 540);
    }
    uint8_t *e = out + hsize;
    e[0] = 1; /* extender: extensions follow */
    e[1] = e[2] = e[3] = 0;
    put_i32(e + 4, 32, swapped);
    put_i32(e + 8, NIFTI_ECODE_COMMENT, swapped);
    memcpy(e + 12, EXT_TEXT, 24);
    return total;
}

static int write_file(const char *path, const uint8_t *a, size_t na, const uint8_t *b, size_t nb, int gz)
{
    if (gz) {
        gzFile g = gzopen(path, "wb6");
        if (!g)
            return -1;
        int ok = (na == 0 || gzwrite(g, a, (unsigned)na) == (int)na) && (nb == 0 || gzwrite(g, b, (unsigned)nb) == (int)nb);
        return gzclose(g) == Z_OK && ok ? 0 : -1;
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = (na == 0 || fwrite(a, 1, na, f) == na) && (nb == 0 || fwrite(b, 1, nb, f) == nb);
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* Whole content of a file, gunzipped when it is gzip. */
static uint8_t *slurp(const char *path, size_t *n)
{
    gzFile g = gzopen(path, "rb");
    if (!g)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    int r;
    while ((r = gzread(g, buf + len, (unsigned)(cap - len))) > 0) {
        len += (size_t)r;
        if (len == cap)
            buf = realloc(buf, cap *= 2);
    }
    gzclose(g);
    *n = len;
    return buf;
}

static int same_file_content(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    uint8_t *x = slurp(a, &na), *y = slurp(b, &nb);
    int same = x && y && na == nb && !memcmp(x, y, na);
    free(x);
    free(y);
    return same;
}

static const char *FORMS[] = {".nii", ".nii.gz", ".hdr", ".hdr.gz"};

static void one_case(faceless_ctx *ctx, const char *dir, int version, int swapped, int t, int four_d, int form)
{
    int pair = form >= 2, gz = form == 1 || form == 3;
    int64_t dims[5] = {four_d ? 4 : 3, 7, 5, 3, four_d ? 3 : 1};
    uint8_t hdr[600];
    size_t hlen = make_header(hdr, version, swapped, pair, CODES[t], 8 * SIZES[t], dims);
    size_t nvox = (size_t)(dims[1] * dims[2] * dims[3] * dims[4]), nbytes = nvox * (size_t)SIZES[t];
    uint8_t *vox = malloc(nbytes);
    for (size_t i = 0; i < nbytes; i++)
        vox[i] = rand_byte();
    if (CODES[t] == NIFTI_TYPE_FLOAT32 || CODES[t] == NIFTI_TYPE_FLOAT64)
        for (size_t i = 0; i < nbytes; i += (size_t)SIZES[t])
            vox[i + (size_t)SIZES[t] - 1 - (swapped ? SIZES[t] - 1 : 0)] &= 0x3f; /* finite values */

    char in[512], out[512], in_img[512];
    snprintf(in, sizeof in, "%s/in_v%d_s%d_t%d_%dd%s", dir, version, swapped, t, four_d ? 4 : 3, FORMS[form]);
    snprintf(out, sizeof out, "%s/out_v%d_s%d_t%d_%dd%s", dir, version, swapped, t, four_d ? 4 : 3, FORMS[form]);
    int ok;
    if (pair) {
        snprintf(in_img, sizeof in_img, "%.*s%s", (int)(strlen(in) - strlen(FORMS[form])), in,
                 gz ? ".img.gz" : ".img");
        ok = write_file(in, hdr, hlen, NULL, 0, gz) == 0 && write_file(in_img, vox, nbytes, NULL, 0, gz) == 0;
    } else {
        ok = write_file(in, hdr, hlen, vox, nbytes, gz) == 0;
    }
    CHECK(ok, "cannot write test input %s", in);

    faceless_volume *v = NULL;
    faceless_status st = faceless_volume_read(ctx, in, &v);
    CHECK(st == FACELESS_OK, "%s: read failed: %s", in, faceless_ctx_error(ctx));
    if (st == FACELESS_OK) {
        CHECK(v->nx == 7 && v->ny == 5 && v->nz == 3 && v->nt == dims[4], "%s: dims", in);
        CHECK(v->dtype == (faceless_dtype)t, "%s: dtype %d", in, (int)v->dtype);
        if (version == 1) {
            CHECK(v->matrix_source == FACELESS_MATRIX_SFORM, "%s: sform expected", in);
            CHECK(v->vox2ras[0][0] == -1.5 && v->vox2ras[1][3] == -126.0 && v->vox2ras[2][2] == 2.5, "%s: sform", in);
            CHECK(v->scl_slope == 2.0 && v->scl_inter == -7.0, "%s: scaling", in);
        } else {
            CHECK(v->matrix_source == FACELESS_MATRIX_QFORM, "%s: qform expected", in);
            /* quaternion (0,0,1): 180 degrees about z: x and y flip */
            CHECK(v->vox2ras[0][0] == -0.75 && v->vox2ras[1][1] == -0.75 && v->vox2ras[2][2] == 5.5 &&
                      v->vox2ras[0][3] == 5.0,
                  "%s: qform matrix", in);
        }
        /* Voxels are native after reading: compare with the stored bytes. */
        uint8_t *native = malloc(nbytes);
        memcpy(native, vox, nbytes);
        if (swapped)
            for (size_t i = 0; i < nbytes; i += (size_t)SIZES[t])
                swap_n(native + i, (size_t)SIZES[t]);
        CHECK(!memcmp(native, v->data, nbytes), "%s: voxel values", in);
        free(native);

        faceless_write_options wo = {0};
        st = faceless_volume_write(ctx, v, out, &wo);
        CHECK(st == FACELESS_OK, "%s: write failed: %s", out, faceless_ctx_error(ctx));
        CHECK(same_file_content(in, out), "%s: output differs from input %s", out, in);
        if (pair) {
            char out_img[512];
            snprintf(out_img, sizeof out_img, "%.*s%s", (int)(strlen(out) - strlen(FORMS[form])), out,
                     gz ? ".img.gz" : ".img");
            CHECK(same_file_content(in_img, out_img), "%s: image differs", out_img);
        }
        /* Writing again without overwrite is refused and leaves the file as it was. */
        st = faceless_volume_write(ctx, v, out, &wo);
        CHECK(st == FACELESS_ERR_OUTPUT, "%s: existing output must be refused", out);
        /* Writing over the input is refused even with overwrite. */
        faceless_write_options force = {1};
        st = faceless_volume_write(ctx, v, in, &force);
        CHECK(st == FACELESS_ERR_OUTPUT, "%s: writing over the input must be refused", in);
    }
    faceless_volume_free(v);
    free(vox);
}

int main(void)
{
    char dir[] = "/tmp/faceless-roundtrip-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    faceless_ctx *ctx = faceless_ctx_new();
    for (int version = 1; version <= 2; version++)
        for (int swapped = 0; swapped <= 1; swapped++)
            for (int t = 0; t < 10; t++)
                for (int four_d = 0; four_d <= 1; four_d++)
                    for (int form = 0; form < 4; form++)
                        one_case(ctx, dir, version, swapped, t, four_d, form);
    faceless_ctx_free(ctx);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return test_finish("test_nifti_roundtrip");
}
