/* Brain guard margin: Euclidean dilation of the guard on the subject grid.
 *
 * Squared distance transform by separable lower envelopes of parabolas
 * (Felzenszwalb & Huttenlocher, "Distance Transforms of Sampled Functions",
 * Theory of Computing 8, 2012) within each slice, with the subject's own
 * voxel spacing, so the margin is in the subject's millimetres; across
 * slices by a minimum over the few slices within the margin. Only the
 * bounding box of the face mask, grown by the margin, is transformed (a
 * guard voxel farther than the margin from every face voxel cannot change
 * the final mask), and only 2R+1 slices are held at a time: the workspace
 * stays a small fraction of the image. */
#include "mask/mask.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Smallest eigenvalue of a symmetric 3x3 matrix (trigonometric method,
 * Smith 1961). */
static double sym3_min_eigenvalue(const double a[3][3])
{
    double p1 = a[0][1] * a[0][1] + a[0][2] * a[0][2] + a[1][2] * a[1][2];
    if (p1 == 0.0)
        return fmin(a[0][0], fmin(a[1][1], a[2][2]));
    double q = (a[0][0] + a[1][1] + a[2][2]) / 3.0;
    double p2 = (a[0][0] - q) * (a[0][0] - q) + (a[1][1] - q) * (a[1][1] - q) +
                (a[2][2] - q) * (a[2][2] - q) + 2.0 * p1;
    double p = sqrt(p2 / 6.0);
    double b[3][3];
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 3; x++)
            b[y][x] = (a[y][x] - (x == y ? q : 0.0)) / p;
    double r = (b[0][0] * (b[1][1] * b[2][2] - b[1][2] * b[2][1]) -
                b[0][1] * (b[1][0] * b[2][2] - b[1][2] * b[2][0]) +
                b[0][2] * (b[1][0] * b[2][1] - b[1][1] * b[2][0])) / 2.0;
    double phi = r <= -1.0 ? M_PI / 3.0 : (r >= 1.0 ? 0.0 : acos(r) / 3.0);
    return q + 2.0 * p * cos(phi + 2.0 * M_PI / 3.0);
}

/* Per-axis spacing (column norms of vox2ras) and a factor <= 1 such that the
 * true distance is at least factor * the axis-separable distance; 1 for
 * orthogonal grids. */
double mask_grid_spacing(const faceless_volume *v, double s[3])
{
    double g[3][3];
    for (int a = 0; a < 3; a++) {
        s[a] = sqrt(v->vox2ras[0][a] * v->vox2ras[0][a] + v->vox2ras[1][a] * v->vox2ras[1][a] +
                    v->vox2ras[2][a] * v->vox2ras[2][a]);
        if (!(s[a] > 0.0))
            s[a] = 1.0;
    }
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            double d = 0.0;
            for (int r = 0; r < 3; r++)
                d += v->vox2ras[r][a] * v->vox2ras[r][b];
            g[a][b] = d / (s[a] * s[b]); /* correlation of the columns */
        }
    double lmin = sym3_min_eigenvalue(g);
    if (lmin > 0.999999)
        return 1.0;
    return lmin > 1e-6 ? sqrt(lmin) : 1e-3;
}

/* 2D squared distance transform of one slice (bx*by floats) in place: x
 * lines, then y lines. Lines are independent, so any partition gives the
 * same result. */
/* 2D squared distance transform of one slice in place (rows, then
 * columns); f, d, v, z are line workspaces of at least max(bx, by) (+1 for
 * z) entries. */
static void edt_slice(float *sl, int64_t bx, int64_t by, double wx, double wy, float *f, float *d, int64_t *v,
                      double *z)
{
    for (int64_t j = 0; j < by; j++) {
        float *row = sl + bx * j;
        mask_edt_line(row, d, bx, wx, v, z);
        for (int64_t i = 0; i < bx; i++)
            row[i] = d[i];
    }
    for (int64_t i = 0; i < bx; i++) {
        for (int64_t j = 0; j < by; j++)
            f[j] = sl[i + bx * j];
        mask_edt_line(f, d, by, wy, v, z);
        for (int64_t j = 0; j < by; j++)
            sl[i + bx * j] = d[j];
    }
}

/* Slices transformed per parallel region: one region per slice stalled on
 * its barriers whenever another process shared the cores (the mask stage
 * took 1.9 s instead of 0.35 s on a child's DICOM series at load 5). */
#define EDT_BATCH 16

int mask_dilate_guard(const faceless_volume *subj, uint8_t *flags, double margin_mm, int threads)
{
    const int64_t nx = subj->nx, ny = subj->ny, nz = subj->nz;
    int64_t lo[3] = {nx, ny, nz}, hi[3] = {-1, -1, -1};
    for (int64_t k = 0; k < nz; k++)
        for (int64_t j = 0; j < ny; j++) {
            const uint8_t *row = flags + nx * (j + ny * k);
            for (int64_t i = 0; i < nx; i++)
                if (row[i] & MASK_FACE) {
                    int64_t c[3] = {i, j, k};
                    for (int a = 0; a < 3; a++) {
                        if (c[a] < lo[a])
                            lo[a] = c[a];
                        if (c[a] > hi[a])
                            hi[a] = c[a];
                    }
                }
        }
    if (hi[0] < 0 || margin_mm <= 0.0)
        return 0; /* no face voxel, or no margin: nothing to dilate */
    double s[3];
    double factor = mask_grid_spacing(subj, s);
    const double reach = margin_mm / factor; /* in axis-separable mm */
    const int64_t dim[3] = {nx, ny, nz};
    int64_t bn[3];
    for (int a = 0; a < 3; a++) {
        int64_t grow = (int64_t)ceil(reach / s[a]) + 1;
        lo[a] = lo[a] - grow < 0 ? 0 : lo[a] - grow;
        hi[a] = hi[a] + grow >= dim[a] ? dim[a] - 1 : hi[a] + grow;
        bn[a] = hi[a] - lo[a] + 1;
    }
    /* The z direction by brute force over a window of slices: a slice
     * farther than the reach cannot matter, so only 2R+1 transformed slices
     * are held at a time instead of the whole box. */
    int64_t R = (int64_t)floor(reach / s[2]);
    int64_t W = 2 * R + 1 < bn[2] ? 2 * R + 1 : bn[2];
    const int64_t bx = bn[0], by = bn[1], area = bx * by;
    /* the window plus a batch of slices transformed ahead */
    const int64_t C = W + EDT_BATCH - 1;
    float *ring = malloc(sizeof(float) * (size_t)(area * C));
    float *best = malloc(sizeof(float) * (size_t)area);
    if (!ring || !best) {
        free(ring);
        free(best);
        return -1;
    }
    /* FLT_MAX + dz2 stays FLT_MAX-ish and never passes the test */
    const float r2 = (float)(reach * reach);
    const int64_t nmax = bx > by ? bx : by;
    int64_t next = 0; /* next slice (box-local) whose 2D transform is due */
    for (int64_t z = 0; z < bn[2]; z++) {
        /* Transform every slice up to z + R (a batch at a time) before slice
         * z is changed below: each transform reads the guard bits as pulled
         * back, never dilated (the batch ends before any slice is changed
         * that it could read: changed slices are < z <= next). */
        while (next <= z + R && next < bn[2]) {
            const int64_t end = next + EDT_BATCH < bn[2] ? next + EDT_BATCH : bn[2];
            int failed = 0;
#pragma omp parallel num_threads(threads) reduction(| : failed)
            {
                float *f = malloc(sizeof(float) * (size_t)nmax);
                float *d = malloc(sizeof(float) * (size_t)nmax);
                int64_t *v = malloc(sizeof(int64_t) * (size_t)nmax);
                double *zz = malloc(sizeof(double) * (size_t)(nmax + 1));
                const int ok = f && d && v && zz;
                failed |= !ok;
#pragma omp for schedule(static)
                for (int64_t q = next; q < end; q++) {
                    if (!ok)
                        continue;
                    float *sl = ring + area * (q % C);
                    for (int64_t j = 0; j < by; j++) {
                        const uint8_t *row = flags + (lo[0]) + nx * ((lo[1] + j) + ny * (lo[2] + q));
                        for (int64_t i = 0; i < bx; i++)
                            sl[i + bx * j] = (row[i] & MASK_GUARD) ? 0.0f : FLT_MAX;
                    }
                    edt_slice(sl, bx, by, s[0] * s[0], s[1] * s[1], f, d, v, zz);
                }
                free(f);
                free(d);
                free(v);
                free(zz);
            }
            if (failed) {
                free(ring);
                free(best);
                return -1;
            }
            next = end;
        }
        const int64_t q0 = z - R < 0 ? 0 : z - R, q1 = z + R < bn[2] ? z + R : bn[2] - 1;
        /* best = min over the window of slice distance + (dz mm)^2; slice by
         * slice so the inner loop is a plain vectorisable min */
        for (int64_t q = q0; q <= q1; q++) {
            const float *sl = ring + area * (q % C);
            const float dz2 = (float)(((double)(q - z) * s[2]) * ((double)(q - z) * s[2]));
            if (q == q0)
                for (int64_t p = 0; p < area; p++)
                    best[p] = sl[p] + dz2;
            else
                for (int64_t p = 0; p < area; p++) {
                    float d = sl[p] + dz2;
                    best[p] = d < best[p] ? d : best[p];
                }
        }
        for (int64_t j = 0; j < by; j++) {
            uint8_t *row = flags + lo[0] + nx * ((lo[1] + j) + ny * (lo[2] + z));
            for (int64_t i = 0; i < bx; i++)
                if (best[i + bx * j] <= r2)
                    row[i] |= MASK_GUARD;
        }
    }
    free(ring);
    free(best);
    return 0;
}
