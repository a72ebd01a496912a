/* template_build: derives the embedded template set from Colin27 (Debian's
 * mricron-data). Run by templates/build_template.sh; see templates/README.md.
 *
 *   template_build CH2.nii.gz CH2BET.nii.gz OUTDIR
 *
 * Writes OUTDIR/head.nii.gz (uint8, 2 mm) and OUTDIR/brain.nii.gz (uint8 0/1,
 * same grid). The 2 mm grid takes every second 1 mm voxel, so its world
 * coordinates are exact (MNI, sform code 4); before decimation the head is
 * low-pass filtered with a [1 2 1]/4 kernel per axis, the standard
 * anti-aliasing step for a factor-2 decimation. The brain mask is the same
 * filter applied to ch2bet > 0, thresholded at one half, so it is the 2 mm
 * voxels that are mostly brain.
 *
 * Output bytes are reproducible: a minimal NIfTI-1 header written field by
 * field, gzip with zlib's default header (mtime 0). */
#include <nifti/nifti2_io.h>
#include <zlib.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct grid {
    int64_t nx, ny, nz;
    double m[4][4];
    float *v;
} grid;

static int load(const char *path, grid *g)
{
    nifti_image *n = nifti_image_read(path, 1);
    if (!n || n->nz < 2) {
        fprintf(stderr, "template_build: %s: cannot read\n", path);
        return 1;
    }
    g->nx = n->nx;
    g->ny = n->ny;
    g->nz = n->nz;
    int64_t nv = g->nx * g->ny * g->nz;
    g->v = malloc((size_t)nv * sizeof *g->v);
    double slope = n->scl_slope == 0 ? 1 : n->scl_slope;
    for (int64_t i = 0; i < nv; i++) {
        double x;
        switch (n->datatype) {
        case NIFTI_TYPE_UINT8: x = ((unsigned char *)n->data)[i]; break;
        case NIFTI_TYPE_INT16: x = ((short *)n->data)[i]; break;
        case NIFTI_TYPE_FLOAT32: x = ((float *)n->data)[i]; break;
        default: fprintf(stderr, "template_build: %s: datatype %d not handled\n", path, n->datatype); return 1;
        }
        g->v[i] = (float)(x * slope + n->scl_inter);
    }
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++)
            g->m[r][c] = n->sform_code > 0 ? n->sto_xyz.m[r][c] : n->qto_xyz.m[r][c];
    nifti_image_free(n);
    return 0;
}

/* [1 2 1]/4 filter at 1 mm voxel (i,j,k), edges clamped. */
static double smooth_at(const grid *g, int64_t i, int64_t j, int64_t k)
{
    static const double w[3] = {0.25, 0.5, 0.25};
    double s = 0;
    for (int c = -1; c <= 1; c++)
        for (int b = -1; b <= 1; b++)
            for (int a = -1; a <= 1; a++) {
                int64_t ii = i + a, jj = j + b, kk = k + c;
                ii = ii < 0 ? 0 : ii >= g->nx ? g->nx - 1 : ii;
                jj = jj < 0 ? 0 : jj >= g->ny ? g->ny - 1 : jj;
                kk = kk < 0 ? 0 : kk >= g->nz ? g->nz - 1 : kk;
                s += w[a + 1] * w[b + 1] * w[c + 1] * g->v[(kk * g->ny + jj) * g->nx + ii];
            }
    return s;
}

static void put_i16(unsigned char *h, int off, int v) { h[off] = (unsigned char)(v & 255); h[off + 1] = (unsigned char)((v >> 8) & 255); }
static void put_i32(unsigned char *h, int off, int32_t v) { for (int b = 0; b < 4; b++) h[off + b] = (unsigned char)(((uint32_t)v >> (8 * b)) & 255); }
static void put_f32(unsigned char *h, int off, float f) { int32_t v; memcpy(&v, &f, 4); put_i32(h, off, v); }

/* Little-endian NIfTI-1 single file, uint8, sform and qform = MNI (code 4). */
static int write_u8(const char *path, const grid *g, const unsigned char *data, const char *descrip)
{
    unsigned char h[352];
    memset(h, 0, sizeof h);
    put_i32(h, 0, 348);
    int dims[8] = {3, (int)g->nx, (int)g->ny, (int)g->nz, 1, 1, 1, 1};
    for (int d = 0; d < 8; d++)
        put_i16(h, 40 + 2 * d, dims[d]);
    put_i16(h, 70, 2);  /* datatype uint8 */
    put_i16(h, 72, 8);  /* bitpix */
    float pix[8] = {1, (float)g->m[0][0], (float)g->m[1][1], (float)g->m[2][2], 1, 1, 1, 1};
    for (int d = 0; d < 8; d++)
        put_f32(h, 76 + 4 * d, pix[d]);
    put_f32(h, 108, 352); /* vox_offset */
    put_f32(h, 112, 1);   /* scl_slope */
    h[123] = 10;          /* xyzt_units: mm, s */
    strncpy((char *)h + 148, descrip, 79);
    put_i16(h, 252, 4); /* qform_code MNI */
    put_i16(h, 254, 4); /* sform_code MNI */
    /* quatern b,c,d = 0 (identity rotation); offsets */
    put_f32(h, 268, (float)g->m[0][3]);
    put_f32(h, 272, (float)g->m[1][3]);
    put_f32(h, 276, (float)g->m[2][3]);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++)
            put_f32(h, 280 + 16 * r + 4 * c, (float)g->m[r][c]);
    memcpy(h + 344, "n+1", 4);
    gzFile f = gzopen(path, "wb9");
    if (!f)
        return 1;
    int64_t nv = g->nx * g->ny * g->nz;
    int ok = gzwrite(f, h, sizeof h) == (int)sizeof h && gzwrite(f, data, (unsigned)nv) == (int)nv;
    return (gzclose(f) == Z_OK && ok) ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: template_build CH2.nii.gz CH2BET.nii.gz OUTDIR\n");
        return 2;
    }
    grid head, bet;
    if (load(argv[1], &head) || load(argv[2], &bet))
        return 3;
    if (head.nx != bet.nx || head.ny != bet.ny || head.nz != bet.nz) {
        fprintf(stderr, "template_build: head and brain grids differ\n");
        return 3;
    }
    for (int64_t i = 0; i < bet.nx * bet.ny * bet.nz; i++)
        bet.v[i] = bet.v[i] > 0 ? 1.0f : 0.0f;
    grid out = {(head.nx + 1) / 2, (head.ny + 1) / 2, (head.nz + 1) / 2, {{0}}, NULL};
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++)
            out.m[r][c] = head.m[r][c] * (c < 3 ? 2.0 : 1.0);
    int64_t nv = out.nx * out.ny * out.nz;
    unsigned char *hv = malloc((size_t)nv), *bv = malloc((size_t)nv);
    for (int64_t k = 0; k < out.nz; k++)
        for (int64_t j = 0; j < out.ny; j++)
            for (int64_t i = 0; i < out.nx; i++) {
                int64_t o = (k * out.ny + j) * out.nx + i;
                double s = smooth_at(&head, 2 * i, 2 * j, 2 * k);
                hv[o] = (unsigned char)(s < 0 ? 0 : s > 255 ? 255 : lround(s));
                bv[o] = smooth_at(&bet, 2 * i, 2 * j, 2 * k) >= 0.5 ? 1 : 0;
            }
    char path[4096];
    snprintf(path, sizeof path, "%s/head.nii.gz", argv[3]);
    if (write_u8(path, &out, hv, "faceless template: Colin27 head, 2 mm"))
        return 5;
    snprintf(path, sizeof path, "%s/brain.nii.gz", argv[3]);
    if (write_u8(path, &out, bv, "faceless template: Colin27 brain mask, 2 mm"))
        return 5;
    printf("template_build: %lldx%lldx%lld at 2 mm written to %s\n", (long long)out.nx, (long long)out.ny,
           (long long)out.nz, argv[3]);
    free(hv);
    free(bv);
    free(head.v);
    free(bet.v);
    return 0;
}
