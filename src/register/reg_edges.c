/* Edge agreement of a fit: inside the head, do the subject's edges run
 * along the template's? A second measure of the match beside the MI cost
 * (issue 16, item 2), after the normalised gradient fields of Haber and
 * Modersitzki (MICCAI 2006): at each template voxel of the head, at least
 * `erode` voxels inside its mask (so the outline, which any head-sized blob
 * matches, does not count), the squared cosine between the template's
 * gradient and the subject's (mapped back through the affine), weighted by
 * the template's gradient length: 1 = every edge parallel, 1/3 = unrelated
 * directions. Squared, so that inverted contrast scores the same.
 * Why: the MI cost falls with the subject's noise and grey/white contrast as
 * well as with a wrong match, and a weak-contrast 2 mm head (the XA30 T1w,
 * 0.886-0.896) costs as much as a head-sized phase image (0.908) or a shaded
 * sphere (0.928). Their edges tell them apart: measured at 4 mm with 2 voxels
 * of erosion, real heads 0.52-0.59 (ch2 0.77-0.82, the XA30 0.55-0.60),
 * bottles, spheres and phase images 0.33-0.47 (a shaded sphere the highest:
 * what shading is left near its surface runs radially, as a head's layers
 * do), and the T2w slab's copies fitted 2.5-6 mm off 0.50-0.52.
 * Serial: the same result for any thread count. */
#include "register/reg_internal.h"

#include <math.h>

/* World-space gradient from a voxel-space one: (ras2vox linear part)^T g. */
static void grad_to_world(const double ras2vox[4][4], const double gv[3], double gw[3])
{
    for (int c = 0; c < 3; c++)
        gw[c] = ras2vox[0][c] * gv[0] + ras2vox[1][c] * gv[1] + ras2vox[2][c] * gv[2];
}

double reg_edge_agreement(const reg_image *t, const uint8_t *tm, const reg_image *s, const double tpl2subj[4][4],
                          int erode)
{
    double M[4][4], tmp[4][4];
    reg_mat_mul(tpl2subj, t->vox2ras, tmp);
    reg_mat_mul(s->ras2vox, tmp, M); /* template voxel -> subject voxel */
    float hi[3];
    reg_tri_limits(s, hi);
    const int64_t nx = t->nx, ny = t->ny, nz = t->nz;
    double sw = 0, swc = 0;
    for (int64_t k = 1; k + 1 < nz; k++)
        for (int64_t j = 1; j + 1 < ny; j++)
            for (int64_t i = 1; i + 1 < nx; i++) {
                const int64_t o = (k * ny + j) * nx + i;
                if (!tm[o])
                    continue;
                int interior = 1;
                for (int e = 1; e <= erode && interior; e++)
                    interior = i - e >= 0 && i + e < nx && j - e >= 0 && j + e < ny && k - e >= 0 && k + e < nz &&
                               tm[o - e] && tm[o + e] && tm[o - e * nx] && tm[o + e * nx] && tm[o - e * nx * ny] &&
                               tm[o + e * nx * ny];
                if (!interior)
                    continue;
                const double gv[3] = {0.5 * (t->v[o + 1] - t->v[o - 1]), 0.5 * (t->v[o + nx] - t->v[o - nx]),
                                      0.5 * (t->v[o + nx * ny] - t->v[o - nx * ny])};
                double gt[3];
                grad_to_world(t->ras2vox, gv, gt);
                const double nt2 = gt[0] * gt[0] + gt[1] * gt[1] + gt[2] * gt[2];
                if (!(nt2 > 0))
                    continue;
                const double u[3] = {(double)i, (double)j, (double)k};
                double w[3];
                reg_mat_apply(M, u, w);
                if (w[0] < 0 || w[1] < 0 || w[2] < 0 || w[0] > hi[0] || w[1] > hi[1] || w[2] > hi[2])
                    continue;
                const float uf[3] = {(float)w[0], (float)w[1], (float)w[2]};
                float val, gs[3];
                reg_tri_grad(s, hi, uf, &val, gs);
                const double gsv[3] = {gs[0], gs[1], gs[2]};
                double gsw[3], gsy[3];
                grad_to_world(s->ras2vox, gsv, gsw);
                /* back to template world through the affine: grad_y S(A y) = A^T grad_x S */
                for (int c = 0; c < 3; c++)
                    gsy[c] = tpl2subj[0][c] * gsw[0] + tpl2subj[1][c] * gsw[1] + tpl2subj[2][c] * gsw[2];
                const double ns2 = gsy[0] * gsy[0] + gsy[1] * gsy[1] + gsy[2] * gsy[2];
                if (!(ns2 > 0))
                    continue;
                const double dot = gt[0] * gsy[0] + gt[1] * gsy[1] + gt[2] * gsy[2];
                const double wt = sqrt(nt2);
                sw += wt;
                swc += wt * dot * dot / (nt2 * ns2);
            }
    return sw > 0 ? swc / sw : 0;
}
