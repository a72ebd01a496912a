/* How safe a mask is (issue 16, for the report): the smallest distance in
 * millimetres from any voxel the mask changes to a brain-guard voxel (the
 * template's guard before its margin, and the user's --brain-mask), measured
 * between voxel centres on the subject's own grid.
 *
 * Exact and cheap: a voxel-by-voxel search is needed only near the guard.
 * Blocks of about 4 mm first tell, from the distance between block centres
 * less both blocks' half diagonals, which pairs of blocks could hold voxels
 * nearer than the best distance found so far; only those are compared voxel
 * by voxel. Distances beyond MASK_SAFETY_CAP_MM are not searched (the value
 * is then the cap). Blocks are visited in a fixed order on one thread. */
#include "mask/mask.h"

#include <math.h>
#include <stdlib.h>

#define BLOCK_MM 4.0

/* The smallest world distance (below best) between a `from` voxel of block
 * pc and a `to` voxel of block qc; best when none is nearer. */
static double pair_min(const faceless_volume *subj, const uint8_t *flags, uint8_t from, uint8_t to, const int64_t pc[3],
                       const int64_t qc[3], const int64_t b[3], double best)
{
    const int64_t dim[3] = {subj->nx, subj->ny, subj->nz};
    for (int64_t k = pc[2] * b[2]; k < (pc[2] + 1) * b[2] && k < dim[2]; k++)
        for (int64_t j = pc[1] * b[1]; j < (pc[1] + 1) * b[1] && j < dim[1]; j++)
            for (int64_t i = pc[0] * b[0]; i < (pc[0] + 1) * b[0] && i < dim[0]; i++) {
                if (!(flags[i + dim[0] * (j + dim[1] * k)] & from))
                    continue;
                for (int64_t z = qc[2] * b[2]; z < (qc[2] + 1) * b[2] && z < dim[2]; z++)
                    for (int64_t y = qc[1] * b[1]; y < (qc[1] + 1) * b[1] && y < dim[1]; y++)
                        for (int64_t x = qc[0] * b[0]; x < (qc[0] + 1) * b[0] && x < dim[0]; x++) {
                            if (!(flags[x + dim[0] * (y + dim[1] * z)] & to))
                                continue;
                            const double dv[3] = {(double)(i - x), (double)(j - y), (double)(k - z)};
                            double w2 = 0;
                            for (int r = 0; r < 3; r++) {
                                double wr = subj->vox2ras[r][0] * dv[0] + subj->vox2ras[r][1] * dv[1] +
                                            subj->vox2ras[r][2] * dv[2];
                                w2 += wr * wr;
                            }
                            if (w2 < best * best)
                                best = sqrt(w2);
                        }
            }
    return best;
}

double mask_min_distance_mm(const faceless_volume *subj, const uint8_t *flags, uint8_t from, uint8_t to)
{
    double s[3];
    const double f = mask_grid_spacing(subj, s);
    const int64_t dim[3] = {subj->nx, subj->ny, subj->nz};
    int64_t b[3], nb[3];
    for (int a = 0; a < 3; a++) {
        b[a] = (int64_t)fmax(1.0, floor(BLOCK_MM / s[a]));
        nb[a] = (dim[a] + b[a] - 1) / b[a];
    }
    const int64_t n = nb[0] * nb[1] * nb[2];
    uint8_t *has = calloc((size_t)n, 1); /* bit 1: a `from` voxel, bit 2: a `to` voxel */
    if (!has)
        return NAN;
    for (int64_t k = 0; k < dim[2]; k++)
        for (int64_t j = 0; j < dim[1]; j++)
            for (int64_t i = 0; i < dim[0]; i++) {
                uint8_t v = flags[i + dim[0] * (j + dim[1] * k)];
                int64_t blk = i / b[0] + nb[0] * (j / b[1] + nb[1] * (k / b[2]));
                has[blk] |= (uint8_t)(((v & from) ? 1 : 0) | ((v & to) ? 2 : 0));
            }
    /* Half diagonal of a block in mm (the world distance of two voxels is at
     * least f times their axis-separable distance). */
    const double half = 0.5 * sqrt((double)(b[0] * b[0]) * s[0] * s[0] + (double)(b[1] * b[1]) * s[1] * s[1] +
                                   (double)(b[2] * b[2]) * s[2] * s[2]);
    /* each removed block searches the blocks around it, ring by ring, out
     * to where no block can beat the best distance so far (or the cap) */
    double best = MASK_SAFETY_CAP_MM;
    const double ring_mm = fmin(b[0] * s[0], fmin(b[1] * s[1], b[2] * s[2]));
    for (int64_t p = 0; p < n; p++) {
        if (!(has[p] & 1))
            continue;
        const int64_t pc[3] = {p % nb[0], (p / nb[0]) % nb[1], p / (nb[0] * nb[1])};
        const int64_t rings = (int64_t)ceil((best / f + 2.0 * half) / ring_mm) + 1;
        for (int64_t qz = pc[2] - rings; qz <= pc[2] + rings; qz++)
            for (int64_t qy = pc[1] - rings; qy <= pc[1] + rings; qy++)
                for (int64_t qx = pc[0] - rings; qx <= pc[0] + rings; qx++) {
                    if (qx < 0 || qy < 0 || qz < 0 || qx >= nb[0] || qy >= nb[1] || qz >= nb[2])
                        continue;
                    if (!(has[qx + nb[0] * (qy + nb[1] * qz)] & 2))
                        continue;
                    const int64_t qc[3] = {qx, qy, qz};
                    double d2 = 0;
                    for (int a = 0; a < 3; a++) {
                        double d = (double)(pc[a] - qc[a]) * (double)b[a] * s[a];
                        d2 += d * d;
                    }
                    if (f * (sqrt(d2) - 2.0 * half) >= best)
                        continue;
                    best = pair_min(subj, flags, from, to, pc, qc, b, best);
                }
    }
    free(has);
    return best;
}
