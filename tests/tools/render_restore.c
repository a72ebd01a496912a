/* render_restore IN OUT MODE: writes a copy of the head IN stored another
 * way, for the test that a render does not depend on the storage order or
 * obliquity of a file.
 *   lps       i and j reversed (LPS for a RAS input), matrix adjusted: same voxels
 *   sagittal  axes permuted and flipped to (P, I, R) order: same voxels
 *   oblique   resampled (trilinear) on a grid rotated 15 degrees about x and
 *             10 degrees about z, with a margin so nothing is cut off
 *   zeroface  a stand-in for a de-faced result until `faceless deface` exists:
 *             the nose tip is found in the front render and every voxel in front
 *             of the eyes (y > tip - 30 mm) and below the brow (z < tip + 40 mm)
 *             is set to 0; same grid and header
 * In every mode but zeroface the world position of the anatomy is unchanged. */
#include "core/volume.h"
#include "render/render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int invert(const double m[4][4], double r[4][4])
{
    double a = m[0][0], b = m[0][1], c = m[0][2], d = m[1][0], e = m[1][1], f = m[1][2], g = m[2][0],
           h = m[2][1], k = m[2][2];
    double det = a * (e * k - f * h) - b * (d * k - f * g) + c * (d * h - e * g);
    if (fabs(det) < 1e-12)
        return 0;
    double q[3][3] = {{(e * k - f * h) / det, (c * h - b * k) / det, (b * f - c * e) / det},
                      {(f * g - d * k) / det, (a * k - c * g) / det, (c * d - a * f) / det},
                      {(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det}};
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++)
            r[i][j] = q[i][j];
        r[i][3] = -(q[i][0] * m[0][3] + q[i][1] * m[1][3] + q[i][2] * m[2][3]);
    }
    r[3][0] = r[3][1] = r[3][2] = 0.0;
    r[3][3] = 1.0;
    return 1;
}

static void matmul(const double a[4][4], const double b[4][4], double out[4][4])
{
    double r[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            r[i][j] = 0.0;
            for (int k = 0; k < 4; k++)
                r[i][j] += a[i][k] * b[k][j];
        }
    memcpy(out, r, sizeof r);
}

/* New axis b reads old axis perm[b], reversed when flip[b]. */
static faceless_volume *permute(const faceless_volume *v, const int perm[3], const int flip[3])
{
    const int64_t on[3] = {v->nx, v->ny, v->nz};
    int64_t nn[3];
    double mm[3];
    for (int b = 0; b < 3; b++) {
        nn[b] = on[perm[b]];
        mm[b] = v->voxel_mm[perm[b]];
    }
    faceless_volume *o = volume_new(nn[0], nn[1], nn[2], v->nt, v->dtype, mm);
    if (!o)
        return NULL;
    /* old index = P * new index + c */
    double pm[4][4] = {{0}};
    for (int b = 0; b < 3; b++) {
        pm[perm[b]][b] = flip[b] ? -1.0 : 1.0;
        if (flip[b])
            pm[perm[b]][3] = (double)(on[perm[b]] - 1);
    }
    pm[3][3] = 1.0;
    matmul(v->vox2ras, pm, o->vox2ras);
    size_t bpv = faceless_dtype_size(v->dtype);
    for (int64_t t = 0; t < v->nt; t++)
        for (int64_t k = 0; k < nn[2]; k++)
            for (int64_t j = 0; j < nn[1]; j++)
                for (int64_t i = 0; i < nn[0]; i++) {
                    int64_t nw[3] = {i, j, k}, old[3];
                    for (int b = 0; b < 3; b++)
                        old[perm[b]] = flip[b] ? on[perm[b]] - 1 - nw[b] : nw[b];
                    int64_t src = ((t * on[2] + old[2]) * on[1] + old[1]) * on[0] + old[0];
                    int64_t dst = ((t * nn[2] + k) * nn[1] + j) * nn[0] + i;
                    memcpy((char *)o->data + dst * bpv, (const char *)v->data + src * bpv, bpv);
                }
    return o;
}

static double stored_at(const faceless_volume *v, int64_t t, const double p[3])
{
    const int64_t n[3] = {v->nx, v->ny, v->nz};
    int64_t b[3];
    double f[3];
    for (int a = 0; a < 3; a++) {
        if (p[a] < 0.0 || p[a] > (double)(n[a] - 1))
            return 0.0; /* outside: air */
        b[a] = (int64_t)p[a];
        if (b[a] > n[a] - 2)
            b[a] = n[a] - 2;
        f[a] = p[a] - (double)b[a];
    }
    double acc = 0.0;
    for (int c = 0; c < 8; c++) {
        int64_t i = b[0] + (c & 1), j = b[1] + ((c >> 1) & 1), k = b[2] + ((c >> 2) & 1);
        double w = ((c & 1) ? f[0] : 1 - f[0]) * (((c >> 1) & 1) ? f[1] : 1 - f[1]) * (((c >> 2) & 1) ? f[2] : 1 - f[2]);
        acc += w * volume_get_stored(v, ((t * n[2] + k) * n[1] + j) * n[0] + i);
    }
    return acc;
}

static faceless_volume *oblique(const faceless_volume *v)
{
    const double ax = 15.0 * 3.14159265358979 / 180.0, az = 10.0 * 3.14159265358979 / 180.0;
    double rx[4][4] = {{1, 0, 0, 0}, {0, cos(ax), -sin(ax), 0}, {0, sin(ax), cos(ax), 0}, {0, 0, 0, 1}};
    double rz[4][4] = {{cos(az), -sin(az), 0, 0}, {sin(az), cos(az), 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
    double rot[4][4];
    matmul(rz, rx, rot);
    /* Grid 25% larger, rotated about the old grid's centre. */
    const int64_t on[3] = {v->nx, v->ny, v->nz};
    int64_t nn[3];
    for (int a = 0; a < 3; a++)
        nn[a] = on[a] + on[a] / 4;
    faceless_volume *o = volume_new(nn[0], nn[1], nn[2], v->nt, v->dtype, v->voxel_mm);
    if (!o)
        return NULL;
    /* new vox2ras = T(c) * rot * T(-c) * old vox2ras * T(-(nn-on)/2) */
    double c_old[3] = {(on[0] - 1) / 2.0, (on[1] - 1) / 2.0, (on[2] - 1) / 2.0}, cw[3];
    for (int a = 0; a < 3; a++)
        cw[a] = v->vox2ras[a][0] * c_old[0] + v->vox2ras[a][1] * c_old[1] + v->vox2ras[a][2] * c_old[2] +
                v->vox2ras[a][3];
    double tpos[4][4] = {{1, 0, 0, cw[0]}, {0, 1, 0, cw[1]}, {0, 0, 1, cw[2]}, {0, 0, 0, 1}};
    double tneg[4][4] = {{1, 0, 0, -cw[0]}, {0, 1, 0, -cw[1]}, {0, 0, 1, -cw[2]}, {0, 0, 0, 1}};
    double shift[4][4] = {{1, 0, 0, -(double)(nn[0] - on[0]) / 2},
                          {0, 1, 0, -(double)(nn[1] - on[1]) / 2},
                          {0, 0, 1, -(double)(nn[2] - on[2]) / 2},
                          {0, 0, 0, 1}};
    double m[4][4], old[4][4];
    memcpy(old, v->vox2ras, sizeof old); /* a local copy: gcc 12 with ASan warns (falsely) on the struct member */
    matmul(tpos, rot, m);
    matmul(m, tneg, m);
    matmul(m, old, m);
    matmul(m, shift, o->vox2ras);
    double inv_old[4][4], new2old[4][4];
    if (!invert(v->vox2ras, inv_old)) {
        faceless_volume_free(o);
        return NULL;
    }
    matmul(inv_old, o->vox2ras, new2old);
    for (int64_t t = 0; t < v->nt; t++)
        for (int64_t k = 0; k < nn[2]; k++)
            for (int64_t j = 0; j < nn[1]; j++)
                for (int64_t i = 0; i < nn[0]; i++) {
                    double p[3];
                    for (int a = 0; a < 3; a++)
                        p[a] = new2old[a][0] * i + new2old[a][1] * j + new2old[a][2] * k + new2old[a][3];
                    volume_set_stored(o, ((t * nn[2] + k) * nn[1] + j) * nn[0] + i, stored_at(v, t, p));
                }
    return o;
}

static faceless_volume *zeroface(faceless_ctx *ctx, const faceless_volume *v)
{
    render_options o;
    render_options_default(&o);
    render_scene *sc = NULL;
    render_image img = {0};
    render_relief r;
    const int size = 256;
    if (render_scene_new(ctx, v, 0, &o, NULL, &sc) != FACELESS_OK ||
        render_scene_view(ctx, sc, RENDER_VIEW_FRONT, size, &img) != FACELESS_OK ||
        render_face_relief(ctx, &img, render_scene_mm_per_pixel(sc, size), -1, -1, &r) != FACELESS_OK) {
        fprintf(stderr, "render_restore: %s\n", faceless_ctx_error(ctx));
        render_scene_free(sc);
        render_image_free(&img);
        return NULL;
    }
    double tip[3];
    render_scene_pixel_world(sc, RENDER_VIEW_FRONT, size, r.tip_x, r.tip_y, r.tip_depth, tip);
    render_scene_free(sc);
    render_image_free(&img);
    static const int perm[3] = {0, 1, 2}, flip[3] = {0, 0, 0};
    faceless_volume *o2 = permute(v, perm, flip); /* a plain copy */
    if (!o2)
        return NULL;
    int64_t n3 = volume_voxels3(v);
    for (int64_t k = 0; k < v->nz; k++)
        for (int64_t j = 0; j < v->ny; j++)
            for (int64_t i = 0; i < v->nx; i++) {
                double w[3];
                for (int a = 0; a < 3; a++)
                    w[a] = v->vox2ras[a][0] * i + v->vox2ras[a][1] * j + v->vox2ras[a][2] * k + v->vox2ras[a][3];
                if (w[1] > tip[1] - 30.0 && w[2] < tip[2] + 40.0)
                    for (int64_t t = 0; t < v->nt; t++)
                        volume_set_stored(o2, t * n3 + (k * v->ny + j) * v->nx + i, 0.0);
            }
    return o2;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: render_restore IN OUT lps|sagittal|oblique|zeroface\n");
        return 2;
    }
    faceless_ctx *ctx = faceless_ctx_new();
    faceless_volume *v = NULL, *o = NULL;
    if (faceless_volume_read(ctx, argv[1], &v) != FACELESS_OK) {
        fprintf(stderr, "render_restore: %s\n", faceless_ctx_error(ctx));
        return 3;
    }
    if (!strcmp(argv[3], "lps")) {
        static const int perm[3] = {0, 1, 2}, flip[3] = {1, 1, 0};
        o = permute(v, perm, flip);
    } else if (!strcmp(argv[3], "sagittal")) {
        static const int perm[3] = {1, 2, 0}, flip[3] = {1, 1, 0};
        o = permute(v, perm, flip);
    } else if (!strcmp(argv[3], "oblique")) {
        o = oblique(v);
    } else if (!strcmp(argv[3], "zeroface")) {
        o = zeroface(ctx, v);
    } else {
        fprintf(stderr, "render_restore: unknown mode %s\n", argv[3]);
        return 2;
    }
    if (!o) {
        fprintf(stderr, "render_restore: out of memory\n");
        return 7;
    }
    o->scl_slope = v->scl_slope;
    o->scl_inter = v->scl_inter;
    faceless_write_options wo = {1};
    int rc = 0;
    if (faceless_volume_write(ctx, o, argv[2], &wo) != FACELESS_OK) {
        fprintf(stderr, "render_restore: %s\n", faceless_ctx_error(ctx));
        rc = 5;
    }
    faceless_volume_free(o);
    faceless_volume_free(v);
    faceless_ctx_free(ctx);
    return rc;
}
