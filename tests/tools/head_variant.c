/* head_variant IN OUT [--rotate RX,RY,RZ] [--translate TX,TY,TZ] [--scale S]
 *                     [--frames N] [--downsample]
 * Writes a variant of a head for the deface tests (issue 4):
 *  --rotate/--translate/--scale: the same voxels under a moved world matrix
 *    (world' = A world, rotation in degrees about the image centre), so the
 *    registration must find a different transform while voxel-space truths
 *    (brain labels, landmarks) stay valid;
 *  --frames N: a 4D image of N copies of the volume (frame t adds t);
 *  --downsample: 2x2x2 block means on a grid of twice the spacing, in the
 *    same world space (a different grid of the same head, for --apply-to);
 *  --spacing MM: the same head and field of view on a grid of MM voxels
 *    (nearest neighbour), e.g. the 0.5 and 0.35 mm copies of Colin27 that
 *    the memory benchmarks use (issue 21);
 *  --slices K0,K1: only slices K0 to K1-1 of the third axis, in the same
 *    world space (a slab; the refusal tests' partial views).
 * The output gets a fresh NIfTI-1 header built from the new matrix. */
#include "core/volume.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static int parse3(const char *s, double v[3]) { return sscanf(s, "%lf,%lf,%lf", &v[0], &v[1], &v[2]) == 3; }

static void mat_mul(const double a[4][4], const double b[4][4], double o[4][4])
{
    double r[4][4];
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++)
            r[y][x] = a[y][0] * b[0][x] + a[y][1] * b[1][x] + a[y][2] * b[2][x] + a[y][3] * b[3][x];
    memcpy(o, r, sizeof r);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: head_variant IN OUT [--rotate RX,RY,RZ] [--translate TX,TY,TZ] [--scale S] "
                        "[--frames N] [--downsample] [--spacing MM] [--slices K0,K1]\n");
        return 2;
    }
    double rot[3] = {0, 0, 0}, tr[3] = {0, 0, 0}, scale = 1.0;
    int frames = 1, down = 0;
    double spacing = 0;
    long k0 = 0, k1 = -1;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--rotate") && i + 1 < argc && parse3(argv[i + 1], rot))
            i++;
        else if (!strcmp(argv[i], "--translate") && i + 1 < argc && parse3(argv[i + 1], tr))
            i++;
        else if (!strcmp(argv[i], "--scale") && i + 1 < argc)
            scale = atof(argv[++i]);
        else if (!strcmp(argv[i], "--frames") && i + 1 < argc)
            frames = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--spacing") && i + 1 < argc && (spacing = atof(argv[i + 1])) > 0)
            i++;
        else if (!strcmp(argv[i], "--slices") && i + 1 < argc && sscanf(argv[i + 1], "%ld,%ld", &k0, &k1) == 2)
            i++;
        else if (!strcmp(argv[i], "--downsample"))
            down = 1;
        else {
            fprintf(stderr, "head_variant: bad option %s\n", argv[i]);
            return 2;
        }
    }
    faceless_ctx *ctx = faceless_ctx_new();
    faceless_volume *in = NULL;
    if (faceless_volume_read(ctx, argv[1], &in) != FACELESS_OK) {
        fprintf(stderr, "head_variant: %s\n", faceless_ctx_error(ctx));
        return 3;
    }
    if (k1 >= 0 && (k0 < 0 || k1 <= k0 || k1 > in->nz || down || spacing > 0)) {
        fprintf(stderr, "head_variant: --slices %ld,%ld: want 0 <= K0 < K1 <= %lld, alone\n", k0, k1,
                (long long)in->nz);
        return 2;
    }
    int64_t nx = down ? in->nx / 2 : in->nx, ny = down ? in->ny / 2 : in->ny, nz = down ? in->nz / 2 : in->nz;
    if (k1 >= 0)
        nz = k1 - k0;
    double mm[3], f[3] = {1, 1, 1}; /* --spacing: old voxels per new voxel, per axis */
    for (int a = 0; a < 3; a++)
        mm[a] = in->voxel_mm[a] * (down ? 2 : 1) * scale;
    if (spacing > 0) {
        int64_t *n[3] = {&nx, &ny, &nz};
        for (int a = 0; a < 3; a++) {
            f[a] = spacing / in->voxel_mm[a];
            *n[a] = (int64_t)floor((double)*n[a] / f[a] + 0.5);
            mm[a] = spacing * scale;
        }
    }
    faceless_volume *out = volume_new(nx, ny, nz, frames, in->dtype, mm);
    if (!out)
        return 7;
    out->scl_slope = in->scl_slope;
    out->scl_inter = in->scl_inter;
    /* grid matrix: downsampled voxel I covers old voxels 2I, 2I+1 */
    double g[4][4];
    memcpy(g, in->vox2ras, sizeof g);
    if (down) {
        for (int r = 0; r < 3; r++) {
            g[r][3] += 0.5 * (in->vox2ras[r][0] + in->vox2ras[r][1] + in->vox2ras[r][2]);
            for (int c = 0; c < 3; c++)
                g[r][c] *= 2.0;
        }
    }
    /* --slices: new slice 0 is old slice K0 */
    for (int r = 0; k1 >= 0 && r < 3; r++)
        g[r][3] += in->vox2ras[r][2] * (double)k0;
    /* --spacing: new voxel I's centre is old continuous index (I + 0.5) f - 0.5 */
    for (int r = 0; spacing > 0 && r < 3; r++)
        for (int a = 0; a < 3; a++) {
            g[r][3] += in->vox2ras[r][a] * (0.5 * f[a] - 0.5);
            g[r][a] = in->vox2ras[r][a] * f[a];
        }
    /* world motion A about the centre of the image */
    double c[3];
    for (int r = 0; r < 3; r++)
        c[r] = g[r][0] * (nx - 1) / 2.0 + g[r][1] * (ny - 1) / 2.0 + g[r][2] * (nz - 1) / 2.0 + g[r][3];
    double ax = rot[0] * M_PI / 180, ay = rot[1] * M_PI / 180, az = rot[2] * M_PI / 180;
    double Rx[4][4] = {{1, 0, 0, 0}, {0, cos(ax), -sin(ax), 0}, {0, sin(ax), cos(ax), 0}, {0, 0, 0, 1}};
    double Ry[4][4] = {{cos(ay), 0, sin(ay), 0}, {0, 1, 0, 0}, {-sin(ay), 0, cos(ay), 0}, {0, 0, 0, 1}};
    double Rz[4][4] = {{cos(az), -sin(az), 0, 0}, {sin(az), cos(az), 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
    double A[4][4], T1[4][4] = {{1, 0, 0, -c[0]}, {0, 1, 0, -c[1]}, {0, 0, 1, -c[2]}, {0, 0, 0, 1}};
    double T2[4][4] = {{scale, 0, 0, c[0] + tr[0]}, {0, scale, 0, c[1] + tr[1]}, {0, 0, scale, c[2] + tr[2]}, {0, 0, 0, 1}};
    mat_mul(Ry, Rx, A);
    mat_mul(Rz, A, A);
    mat_mul(A, T1, A);
    mat_mul(T2, A, A);
    mat_mul(A, g, out->vox2ras);
    const int64_t n3 = nx * ny * nz;
    for (int64_t t = 0; t < frames; t++)
        for (int64_t k = 0; k < nz; k++)
            for (int64_t j = 0; j < ny; j++)
                for (int64_t i = 0; i < nx; i++) {
                    double v;
                    if (down) {
                        v = 0;
                        for (int d = 0; d < 8; d++)
                            v += volume_get_stored(in, (2 * i + (d & 1)) + in->nx * ((2 * j + ((d >> 1) & 1)) +
                                                                                    in->ny * (2 * k + ((d >> 2) & 1))));
                        v /= 8;
                    } else if (spacing > 0) {
                        int64_t o[3] = {i, j, k}, lim[3] = {in->nx, in->ny, in->nz};
                        for (int a = 0; a < 3; a++) {
                            o[a] = (int64_t)floor(((double)o[a] + 0.5) * f[a]);
                            o[a] = o[a] < lim[a] ? o[a] : lim[a] - 1;
                        }
                        v = volume_get_stored(in, o[0] + in->nx * (o[1] + in->ny * o[2]));
                    } else {
                        v = volume_get_stored(in, i + nx * (j + ny * (k + (k1 >= 0 ? k0 : 0))));
                    }
                    volume_set_stored(out, t * n3 + i + nx * (j + ny * k), v + (double)t);
                }
    faceless_write_options wo = {1};
    if (faceless_volume_write(ctx, out, argv[2], &wo) != FACELESS_OK) {
        fprintf(stderr, "head_variant: %s\n", faceless_ctx_error(ctx));
        return 5;
    }
    faceless_volume_free(in);
    faceless_volume_free(out);
    faceless_ctx_free(ctx);
    return 0;
}
