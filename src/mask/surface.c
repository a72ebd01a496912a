/* Limits the pulled-back face/ear mask by depth below the subject's own skin
 * (issue 16; depth.c builds the surface). The template says, per position,
 * how deep a removal may reach: no limit over the nose, mouth and chin (the
 * whole face in front of the skull goes, as a person expects of de-facing),
 * a shell of a few millimetres beside the ears and over the brow, tapering
 * to nothing at the mask's edge (templates/tools/build_masks.c). So the cut
 * follows this head's own surface instead of the template's boxes, and it
 * cannot reach a temporal lobe or a frontal pole that lies farther out than
 * the affine put the template's: those lie under scalp, muscle and skull,
 * deeper than any shell. Protrusions (pinnae) are removed whatever their
 * depth, since nothing deeper than the opening's radius is one. */
#include "mask/mask.h"

#include <math.h>
#include <stdlib.h>

/* Trilinear value of a template level image (levels 0..255) at template
 * voxel coordinates c; 0 outside. */
static double level_at(const template_image *img, const double c[3])
{
    double f[3] = {floor(c[0]), floor(c[1]), floor(c[2])};
    const int64_t n[3] = {img->nx, img->ny, img->nz};
    double v = 0;
    for (int m = 0; m < 8; m++) {
        int64_t q[3];
        double w = 1;
        int inside = 1;
        for (int a = 0; a < 3; a++) {
            int up = (m >> a) & 1;
            q[a] = (int64_t)f[a] + up;
            w *= up ? c[a] - f[a] : 1.0 - (c[a] - f[a]);
            inside &= q[a] >= 0 && q[a] < n[a];
        }
        if (inside && w != 0.0)
            v += w * img->mask[q[0] + n[0] * (q[1] + n[1] * q[2])];
    }
    return v;
}

int64_t mask_limit_by_depth(const faceless_volume *subj, const template_image *face_depth, const double tpl2subj[4][4],
                            const mask_depth *d, uint8_t *flags, int threads)
{
    double subj2tpl[4][4], ras2vox[4][4], m[4][4];
    if (!mask_affine_invert(tpl2subj, subj2tpl) || !mask_affine_invert(face_depth->vox2ras, ras2vox))
        return -1;
    mask_affine_mul(subj2tpl, subj->vox2ras, m);
    mask_affine_mul(ras2vox, m, m);
    const int64_t nx = subj->nx, ny = subj->ny, nz = subj->nz;
    int64_t dropped = 0;
    int ok = 1;
    /* slices are independent and the count an integer sum: the same for any
     * thread count */
#pragma omp parallel num_threads(threads) reduction(+ : dropped)
    {
        /* the depth of a row, interpolated once for all its voxels */
        double *col = malloc((size_t)d->dim[0] * sizeof *col);
        float *depth = malloc((size_t)nx * sizeof *depth);
        const int mine = col && depth;
#pragma omp for schedule(dynamic, 4)
        for (int64_t k = 0; k < nz; k++)
            for (int64_t j = 0; mine && j < ny; j++) {
                uint8_t *row = flags + nx * (j + ny * k);
                const uint8_t *prow = d->protrusion + d->dim[0] * (j / d->f[1] + d->dim[1] * (k / d->f[2]));
                int have_depth = 0;
                for (int64_t i = 0; i < nx; i++) {
                    if ((row[i] & (MASK_FACE | MASK_GUARD)) != MASK_FACE)
                        continue;
                    double c[3];
                    for (int r = 0; r < 3; r++)
                        c[r] = m[r][0] * (double)i + m[r][1] * (double)j + m[r][2] * (double)k + m[r][3];
                    double limit = level_at(face_depth, c);
                    if (limit >= 254.5)
                        continue; /* no limit here */
                    if (prow[i / d->f[0]])
                        continue;
                    if (!have_depth) {
                        mask_depth_row(d, j, k, nx, col, depth);
                        have_depth = 1;
                    }
                    if (depth[i] <= limit)
                        continue;
                    row[i] = (uint8_t)(row[i] & ~MASK_FACE);
                    dropped++;
                }
            }
#pragma omp atomic
        ok &= mine;
        free(col);
        free(depth);
    }
    if (!ok)
        return -2;
    return dropped;
}
