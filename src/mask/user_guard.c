/* --brain-mask (issue 16): a brain mask the user already has (SynthStrip,
 * HD-BET, BET, FreeSurfer) as a hard guard. It may lie on any grid: each
 * subject voxel's centre is placed in the mask by world coordinates, and the
 * voxel is guarded when any of the 8 mask voxels around that point is set
 * (conservative: a guard never thinner than the mask). The guard margin is
 * then added on the subject's own grid like the template guard's, so no
 * voxel inside the mask or within the margin of it ever changes.
 *
 * A mask that cannot be trusted as a guard is refused rather than used: one
 * that is empty, all ones, without geometry (unless on the image's own grid),
 * of a volume no brain has (a head mask would guard the face), or that does
 * not lie on the head. */
#include "core/context.h"
#include "mask/mask.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MIN_BRAIN_LITRES 0.25
#define MAX_BRAIN_LITRES 2.5

/* Subject voxel index -> mask voxel index, in one matrix. */
static int subject_to_mask(const faceless_volume *subj, const faceless_volume *m, double out[4][4])
{
    double inv[4][4];
    if (!mask_affine_invert(m->vox2ras, inv))
        return 0;
    /* inv x subj->vox2ras, written out: gcc 12's -Wstringop-overflow takes
     * the struct member for a 32-byte region when mask_affine_mul is inlined
     * here under -fsanitize=address */
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++)
            out[y][x] = inv[y][0] * subj->vox2ras[0][x] + inv[y][1] * subj->vox2ras[1][x] +
                        inv[y][2] * subj->vox2ras[2][x] + inv[y][3] * subj->vox2ras[3][x];
    return 1;
}

static int set_at(const faceless_volume *m, int64_t i, int64_t j, int64_t k)
{
    if (i < 0 || j < 0 || k < 0 || i >= m->nx || j >= m->ny || k >= m->nz)
        return 0;
    return volume_get_stored(m, i + m->nx * (j + m->ny * k)) != 0.0;
}

/* Whether the mask is set around mask coordinates c (any of the 8 voxels). */
static int set_near(const faceless_volume *m, const double c[3])
{
    const int64_t i = (int64_t)floor(c[0]), j = (int64_t)floor(c[1]), k = (int64_t)floor(c[2]);
    for (int n = 0; n < 8; n++)
        if (set_at(m, i + (n & 1), j + ((n >> 1) & 1), k + ((n >> 2) & 1)))
            return 1;
    return 0;
}

faceless_status mask_user_guard_check(faceless_ctx *ctx, const faceless_volume *subj, const faceless_volume *m,
                                      const char *name, mask_depth *surface)
{
    const int same_grid = m->nx == subj->nx && m->ny == subj->ny && m->nz == subj->nz;
    if (m->matrix_source == FACELESS_MATRIX_PIXDIM && !same_grid)
        return ctx_fail(ctx, FACELESS_ERR_INPUT,
                        "%s: brain mask has no usable geometry (no sform or qform) and is not on the image's grid",
                        name);
    const int64_t n = volume_voxels3(m);
    int64_t set = 0;
    for (int64_t i = 0; i < n; i++)
        set += volume_get_stored(m, i) != 0.0;
    if (set == 0)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: brain mask is empty", name);
    if (set == n)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: brain mask is all ones (not a brain mask)", name);
    /* A brain is 0.35 (a newborn's) to 2 litres; a head mask (4 litres and
     * more) would guard the face itself and leave it in place. */
    const double voxel_ml =
        fabs(m->vox2ras[0][0] * (m->vox2ras[1][1] * m->vox2ras[2][2] - m->vox2ras[1][2] * m->vox2ras[2][1]) -
             m->vox2ras[0][1] * (m->vox2ras[1][0] * m->vox2ras[2][2] - m->vox2ras[1][2] * m->vox2ras[2][0]) +
             m->vox2ras[0][2] * (m->vox2ras[1][0] * m->vox2ras[2][1] - m->vox2ras[1][1] * m->vox2ras[2][0])) /
        1000.0;
    const double litres = (double)set * voxel_ml / 1000.0;
    if (litres > MAX_BRAIN_LITRES || litres < MIN_BRAIN_LITRES)
        return ctx_fail(ctx, FACELESS_ERR_INPUT,
                        "%s: brain mask holds %.2f litres, a brain %.2f to %.1f: is it the brain mask of this image?",
                        name, litres, MIN_BRAIN_LITRES, MAX_BRAIN_LITRES);
    /* On the head: the mask's voxels must land inside the image and mostly
     * on tissue (above the skin threshold of the head surface). */
    mask_depth d;
    faceless_status st = mask_depth_build(ctx, subj, &d);
    if (st != FACELESS_OK)
        return st;
    /* mask voxel index -> subject voxel index (subject_to_mask the other way) */
    double mvox[4][4];
    int ok = subject_to_mask(m, subj, mvox);
    int64_t inside = 0, on_head = 0;
    for (int64_t v = 0; ok && v < n; v++) {
        if (volume_get_stored(m, v) == 0.0)
            continue;
        const double p[3] = {(double)(v % m->nx), (double)((v / m->nx) % m->ny), (double)(v / (m->nx * m->ny))};
        int64_t c[3];
        int in = 1;
        for (int r = 0; r < 3; r++) {
            c[r] = (int64_t)floor(mvox[r][0] * p[0] + mvox[r][1] * p[1] + mvox[r][2] * p[2] + mvox[r][3] + 0.5);
            in &= c[r] >= 0 && c[r] < (r == 0 ? subj->nx : r == 1 ? subj->ny : subj->nz);
        }
        if (!in)
            continue;
        inside++;
        on_head += d.depth[mask_depth_block(&d, c[0], c[1], c[2])] > 0;
    }
    if (!ok || inside < set / 2 || on_head < set / 2)
        mask_depth_free(&d);
    if (!ok)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: brain mask has a singular matrix", name);
    if (inside < set / 2 || on_head < set / 2)
        return ctx_fail(ctx, FACELESS_ERR_INPUT,
                        "%s: brain mask does not lie on the head (%.0f%% of it inside the image, %.0f%% on the head); "
                        "is it the mask of this image?",
                        name, 100.0 * (double)inside / (double)set, 100.0 * (double)on_head / (double)set);
    *surface = d;
    return FACELESS_OK;
}

int64_t mask_user_guard_apply(const faceless_volume *subj, const faceless_volume *m, uint8_t *flags, int threads)
{
    double s2m[4][4];
    if (!subject_to_mask(subj, m, s2m))
        return -1;
    const int64_t nx = subj->nx, ny = subj->ny, nz = subj->nz;
    int64_t guarded = 0;
#pragma omp parallel for schedule(static) num_threads(threads) reduction(+ : guarded)
    for (int64_t k = 0; k < nz; k++)
        for (int64_t j = 0; j < ny; j++)
            for (int64_t i = 0; i < nx; i++) {
                double c[3];
                for (int r = 0; r < 3; r++)
                    c[r] = s2m[r][0] * (double)i + s2m[r][1] * (double)j + s2m[r][2] * (double)k + s2m[r][3];
                if (set_near(m, c)) {
                    flags[i + nx * (j + ny * k)] |= MASK_GUARD | MASK_GUARD_USER;
                    guarded++;
                }
            }
    return guarded;
}
