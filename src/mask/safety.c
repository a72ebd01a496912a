/* How safe a mask is (issue 16, for the report): the smallest distance in
 * millimetres from any voxel the mask changes to a brain-guard voxel (the
 * template's guard before its margin, and the user's --brain-mask), measured
 * between voxel centres on the subject's own grid.
 *
 * Exact and cheap: a voxel-by-voxel search is needed only near the guard.
 * Blocks of about 4 mm first tell, from the distance between block centres
 * less both blocks' half diagonals, which pairs of blocks could hold voxels
 * nearer than the best distance found so far; only those are compared voxel
 * by voxel. A distance transform on the block grid gives each changed block
 * its nearest guard block, so the blocks are searched nearest first and the
 * search stops at the first block that cannot beat the best distance: most
 * of a face lies far from the brain and is never searched (a raster order
 * searched 27^3 blocks around each of them while the best was still the
 * cap). Distances beyond MASK_SAFETY_CAP_MM are not searched (the value is
 * then the cap). Blocks are visited in a fixed order on one thread. */
#include "mask/mask.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#define BLOCK_MM 4.0

/* Whether voxel (i, j, k) has `bit` and a 6-neighbour without it (or the
 * grid's edge): the nearest pair of two regions lies on their boundaries. */
static int on_boundary(const uint8_t *flags, const int64_t dim[3], int64_t i, int64_t j, int64_t k, uint8_t bit)
{
    const int64_t v = i + dim[0] * (j + dim[1] * k);
    if (!(flags[v] & bit))
        return 0;
    if (i == 0 || j == 0 || k == 0 || i == dim[0] - 1 || j == dim[1] - 1 || k == dim[2] - 1)
        return 1;
    const int64_t sy = dim[0], sz = dim[0] * dim[1];
    return !(flags[v - 1] & bit) || !(flags[v + 1] & bit) || !(flags[v - sy] & bit) || !(flags[v + sy] & bit) ||
           !(flags[v - sz] & bit) || !(flags[v + sz] & bit);
}

/* The smallest world distance (below best) between a `from` voxel of block
 * pc and a `to` voxel of block qc; best when none is nearer. */
static double pair_min(const faceless_volume *subj, const uint8_t *flags, uint8_t from, uint8_t to, const int64_t pc[3],
                       const int64_t qc[3], const int64_t b[3], double best)
{
    const int64_t dim[3] = {subj->nx, subj->ny, subj->nz};
    for (int64_t k = pc[2] * b[2]; k < (pc[2] + 1) * b[2] && k < dim[2]; k++)
        for (int64_t j = pc[1] * b[1]; j < (pc[1] + 1) * b[1] && j < dim[1]; j++)
            for (int64_t i = pc[0] * b[0]; i < (pc[0] + 1) * b[0] && i < dim[0]; i++) {
                if (!on_boundary(flags, dim, i, j, k, from))
                    continue;
                for (int64_t z = qc[2] * b[2]; z < (qc[2] + 1) * b[2] && z < dim[2]; z++)
                    for (int64_t y = qc[1] * b[1]; y < (qc[1] + 1) * b[1] && y < dim[1]; y++)
                        for (int64_t x = qc[0] * b[0]; x < (qc[0] + 1) * b[0] && x < dim[0]; x++) {
                            if (!on_boundary(flags, dim, x, y, z, to))
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

/* A changed block and its distance (mm^2, between block centres) to the
 * nearest guard block. */
typedef struct {
    float near2;
    int64_t block;
} candidate;

static int by_nearness(const void *a, const void *b)
{
    const candidate *x = a, *y = b;
    if (x->near2 != y->near2)
        return x->near2 < y->near2 ? -1 : 1;
    return (x->block > y->block) - (x->block < y->block);
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
        for (int64_t j = 0; j < dim[1]; j++) {
            const uint8_t *row = flags + dim[0] * (j + dim[1] * k);
            uint8_t *hrow = has + nb[0] * (j / b[1] + nb[1] * (k / b[2]));
            /* whole blocks of the row at a time: no division per voxel */
            for (int64_t i0 = 0, bi = 0; i0 < dim[0]; i0 += b[0], bi++) {
                uint8_t any = 0;
                for (int64_t i = i0; i < i0 + b[0] && i < dim[0]; i++)
                    any |= row[i];
                if (any & (from | to)) {
                    uint8_t h = 0;
                    for (int64_t i = i0; i < i0 + b[0] && i < dim[0]; i++)
                        h |= (uint8_t)(((row[i] & from) ? 1 : 0) | ((row[i] & to) ? 2 : 0));
                    hrow[bi] |= h;
                }
            }
        }
    /* Half diagonal of a block in mm (the world distance of two voxels is at
     * least f times their axis-separable distance). */
    const double half = 0.5 * sqrt((double)(b[0] * b[0]) * s[0] * s[0] + (double)(b[1] * b[1]) * s[1] * s[1] +
                                   (double)(b[2] * b[2]) * s[2] * s[2]);
    const double bs[3] = {(double)b[0] * s[0], (double)b[1] * s[1], (double)b[2] * s[2]};
    float *near2 = malloc((size_t)n * sizeof *near2);
    candidate *cand = malloc((size_t)n * sizeof *cand);
    int ok = near2 && cand;
    for (int64_t p = 0; ok && p < n; p++)
        near2[p] = (has[p] & 2) ? 0.0f : FLT_MAX;
    ok = ok && mask_edt_grid(near2, nb, bs, 1);
    int64_t nc = 0;
    for (int64_t p = 0; ok && p < n; p++)
        if ((has[p] & 1) && near2[p] < FLT_MAX)
            cand[nc++] = (candidate){near2[p], p};
    free(near2);
    if (ok)
        qsort(cand, (size_t)nc, sizeof *cand, by_nearness);
    /* each changed block, nearest first, searches the blocks around it,
     * ring by ring, out to where no block can beat the best distance so far */
    double best = MASK_SAFETY_CAP_MM;
    const double ring_mm = fmin(bs[0], fmin(bs[1], bs[2]));
    for (int64_t c = 0; ok && c < nc; c++) {
        if (f * (sqrt((double)cand[c].near2) - 2.0 * half) >= best)
            break; /* this block and every later one are too far */
        const int64_t p = cand[c].block;
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
                        double d = (double)(pc[a] - qc[a]) * bs[a];
                        d2 += d * d;
                    }
                    if (f * (sqrt(d2) - 2.0 * half) >= best)
                        continue;
                    best = pair_min(subj, flags, from, to, pc, qc, b, best);
                }
    }
    free(cand);
    if (!ok) {
        free(has);
        return NAN;
    }
    free(has);
    return best;
}
