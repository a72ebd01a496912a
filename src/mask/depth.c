/* The subject's own head surface (issue 16): how deep below the skin each
 * voxel lies, and which voxels belong to thin protrusions (ears, nose).
 *
 * The template masks are placed by an affine, which cannot follow one
 * person's ears, temporal lobes and frontal poles. The skin is the one
 * surface every head shows in every modality, and the one QC staff look at in
 * the render; so the masks are limited by depth below it: removal beside the
 * ears and above the eyes stays a shell a few millimetres deep, which the
 * brain (under scalp, muscle, skull and CSF) never reaches, and the cut
 * follows the surface instead of the template's boxes.
 *
 * Everything is computed on a work grid of about 2 mm (blocks of whole
 * subject voxels, block means), so the cost stays a small part of a de-face:
 *  1. the skin threshold of the block means (core/skin_threshold.c, the
 *     render's own), air below it;
 *  2. exterior air: air connected to the grid's border (6-neighbours) once
 *     the head is closed by a ball (channels such as ear canals and nostrils
 *     sealed), so CSF, bone and sinuses inside the head are not air;
 *  3. depth: Euclidean distance (mm) from each head block's centre to the
 *     nearest exterior block (Felzenszwalb & Huttenlocher's separable squared
 *     distance transform, mask_edt_line);
 *  4. protrusions: blocks of the head (without the closing) outside its
 *     morphological opening by a ball of MASK_PROTRUSION_RADIUS_MM, at most
 *     MASK_PROTRUSION_DEPTH_MM below the closed head's skin: what is thinner
 *     than the ball, pinnae and nose.
 * Every step is a fixed computation per line or per block: the result is the
 * same for any thread count. */
#include "core/context.h"
#include "core/skin_threshold.h"
#include "mask/mask.h"

#include <float.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define WORK_STEP_MM 2.0
/* How deep below the closed head's skin air still counts as outside for the
 * protrusions: the gap behind a pinna, not the inside of the skull (whose
 * contents lie 10 mm and more below the skin). */
#define PLAIN_AIR_DEPTH_MM 8.0

void mask_depth_free(mask_depth *d)
{
    if (!d)
        return;
    free(d->depth);
    free(d->protrusion);
    memset(d, 0, sizeof *d);
}

/* Bits of the work array while the surface is built. */
#define B_AIR 1u      /* block mean below the skin threshold */
#define B_FAR 2u      /* (padded grid) air farther than the closing radius from tissue */
#define B_OUT 4u      /* reached from the border */
#define B_SHALLOW 8u  /* air at most PLAIN_AIR_DEPTH_MM below the closed skin */
#define B_PLAIN 16u   /* plain exterior air */
#define B_ERODED 32u  /* the plain head eroded by the protrusion ball */

/* Sets `out` on the border blocks with a `seed` bit and on the blocks with a
 * `pass` bit connected to them (6-neighbours, through such blocks). stack:
 * n entries (it may share the memory of a float array being rewritten). */
static void flood_from_border(uint8_t *bits, uint8_t seed, uint8_t pass, uint8_t out, const int64_t dim[3],
                              int32_t *stack)
{
    const int64_t n = dim[0] * dim[1] * dim[2];
    int64_t top = 0;
    for (int64_t b = 0; b < n; b++) {
        const int64_t bi = b % dim[0], bj = (b / dim[0]) % dim[1], bk = b / (dim[0] * dim[1]);
        int border = bi == 0 || bj == 0 || bk == 0 || bi == dim[0] - 1 || bj == dim[1] - 1 || bk == dim[2] - 1;
        if (border && (bits[b] & seed) && !(bits[b] & out)) {
            bits[b] |= out;
            stack[top++] = (int32_t)b;
        }
    }
    const int64_t step[6] = {1, -1, dim[0], -dim[0], dim[0] * dim[1], -dim[0] * dim[1]};
    while (top > 0) {
        int64_t b = stack[--top];
        const int64_t c[3] = {b % dim[0], (b / dim[0]) % dim[1], b / (dim[0] * dim[1])};
        for (int m = 0; m < 6; m++) {
            int a = m / 2;
            if ((m % 2 == 0 && c[a] == dim[a] - 1) || (m % 2 == 1 && c[a] == 0))
                continue;
            int64_t nb = b + step[m];
            if (!(bits[nb] & out) && (bits[nb] & pass)) {
                bits[nb] |= out;
                stack[top++] = (int32_t)nb;
            }
        }
    }
}

/* Squared distance (mm^2) from every block to the nearest block with (want
 * set: any; want_clear: none) of the bits mask, into dist. */
static int distance_to(const uint8_t *bits, uint8_t mask, int want_set, const int64_t dim[3], const double s[3],
                       float *dist, int threads)
{
    const int64_t n = dim[0] * dim[1] * dim[2];
    for (int64_t b = 0; b < n; b++)
        dist[b] = ((bits[b] & mask) != 0) == want_set ? 0.0f : FLT_MAX;
    return mask_edt_grid(dist, dim, s, threads);
}

/* Block means in physical units (frame 0). */
static void block_means(const faceless_volume *subj, const mask_depth *d, float *mean, int threads)
{
    const int64_t sdim[3] = {subj->nx, subj->ny, subj->nz}, n = d->dim[0] * d->dim[1] * d->dim[2];
    const double slope = subj->scl_slope == 0.0 ? 1.0 : subj->scl_slope;
    const double inter = subj->scl_slope == 0.0 ? 0.0 : subj->scl_inter;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t b = 0; b < n; b++) {
        const int64_t bi = b % d->dim[0], bj = (b / d->dim[0]) % d->dim[1], bk = b / (d->dim[0] * d->dim[1]);
        double sum = 0;
        int64_t cnt = 0;
        for (int64_t k = bk * d->f[2]; k < (bk + 1) * d->f[2] && k < sdim[2]; k++)
            for (int64_t j = bj * d->f[1]; j < (bj + 1) * d->f[1] && j < sdim[1]; j++)
                for (int64_t i = bi * d->f[0]; i < (bi + 1) * d->f[0] && i < sdim[0]; i++) {
                    double x = volume_get_stored(subj, i + sdim[0] * (j + sdim[1] * k));
                    sum += isfinite(x) ? x : 0.0;
                    cnt++;
                }
        mean[b] = (float)(sum / (double)cnt * slope + inter);
    }
}

/* The exterior air of the head closed by a ball of MASK_CLOSING_RADIUS_MM,
 * returned as the blocks of ext_out whose bits get `ext` (B_AIR blocks
 * only): air farther than the radius from tissue, flood-filled from outside
 * the field of view, grown back by the radius. Channels narrower than the
 * ball (ear canals, nostrils) stay inside the head: through them, and the
 * dark bone and CSF behind them in a T1w, plain air would reach the brain.
 * The grid is padded with air by more than the radius, as if the world went
 * on beyond the field of view: an ear close to its edge is then outside too.
 * Memory: a byte and a float per padded block (the flood's stack shares the
 * float array between its two distance transforms). */
static int closed_exterior(uint8_t *bits, const mask_depth *d, uint8_t ext, int threads)
{
    const int64_t pad =
        (int64_t)ceil(MASK_CLOSING_RADIUS_MM / fmin(d->step_mm[0], fmin(d->step_mm[1], d->step_mm[2]))) + 2;
    const int64_t pd[3] = {d->dim[0] + 2 * pad, d->dim[1] + 2 * pad, d->dim[2] + 2 * pad};
    const int64_t pn = pd[0] * pd[1] * pd[2];
    if (pn > INT32_MAX)
        return 0;
    uint8_t *pbits = malloc((size_t)pn);
    float *dist = malloc((size_t)pn * sizeof *dist);
    int ok = pbits && dist;
    if (ok) {
        memset(pbits, B_AIR, (size_t)pn);
        for (int64_t k = 0; k < d->dim[2]; k++)
            for (int64_t j = 0; j < d->dim[1]; j++) {
                const uint8_t *row = bits + d->dim[0] * (j + d->dim[1] * k);
                uint8_t *prow = pbits + pad + pd[0] * (j + pad + pd[1] * (k + pad));
                for (int64_t i = 0; i < d->dim[0]; i++)
                    prow[i] = row[i] & B_AIR;
            }
        const float rc2 = (float)(MASK_CLOSING_RADIUS_MM * MASK_CLOSING_RADIUS_MM);
        ok = distance_to(pbits, B_AIR, 0, pd, d->step_mm, dist, threads);
        for (int64_t b = 0; b < pn; b++)
            if (dist[b] > rc2)
                pbits[b] |= B_FAR;
        flood_from_border(pbits, B_FAR, B_FAR, B_OUT, pd, (int32_t *)(void *)dist);
        ok = ok && distance_to(pbits, B_OUT, 1, pd, d->step_mm, dist, threads);
        for (int64_t k = 0; k < d->dim[2]; k++)
            for (int64_t j = 0; j < d->dim[1]; j++)
                for (int64_t i = 0; i < d->dim[0]; i++) {
                    int64_t b = i + d->dim[0] * (j + d->dim[1] * k);
                    if ((bits[b] & B_AIR) && dist[(i + pad) + pd[0] * ((j + pad) + pd[1] * (k + pad))] <= rc2)
                        bits[b] |= ext;
                }
    }
    free(pbits);
    free(dist);
    return ok;
}

/* The work grid of about WORK_STEP_MM for subj. */
static void work_grid(const faceless_volume *subj, mask_depth *d)
{
    double sp[3];
    mask_grid_spacing(subj, sp);
    const int64_t sdim[3] = {subj->nx, subj->ny, subj->nz};
    for (int a = 0; a < 3; a++) {
        long f = lround(WORK_STEP_MM / sp[a]);
        d->f[a] = f < 1 ? 1 : (int)f;
        d->dim[a] = (sdim[a] + d->f[a] - 1) / d->f[a];
        d->step_mm[a] = sp[a] * d->f[a];
    }
}

faceless_status mask_depth_build(faceless_ctx *ctx, const faceless_volume *subj, mask_depth *out)
{
    const char *name = subj->path ? subj->path : "subject";
    mask_depth d;
    memset(&d, 0, sizeof d);
    work_grid(subj, &d);
    const int64_t n = d.dim[0] * d.dim[1] * d.dim[2];
    const int threads = ctx_omp_threads(ctx);
    /* d.protrusion holds the work bits until the end; peak memory is a
     * target (issue 4): one float array at a time besides the depth */
    d.protrusion = calloc((size_t)n, 1);
    float *mean = malloc((size_t)n * sizeof *mean);
    int ok = d.protrusion && mean && n <= INT32_MAX;
    uint8_t *bits = d.protrusion;
    if (ok) {
        /* 1. the skin threshold of the block means */
        block_means(subj, &d, mean, threads);
        d.threshold = skin_threshold_from_values(mean, n, threads);
        for (int64_t b = 0; b < n; b++)
            bits[b] = mean[b] < d.threshold ? B_AIR : 0;
    }
    free(mean);
    /* 2. exterior air of the head closed by a ball (closed_exterior), before
     * the depth array exists (its padded work arrays are the largest) */
    const int flat = ok && isnan(d.threshold);
    if (ok && !flat)
        ok = closed_exterior(bits, &d, B_OUT, threads);
    /* squared depth (mm^2) while the surface is built; d.depth at the end */
    float *depth2 = ok ? malloc((size_t)n * sizeof *depth2) : NULL;
    ok = ok && depth2;
    if (ok && flat) {
        /* one value everywhere: no head and no surface; depth 0 everywhere
         * allows no shell at all */
        memset(depth2, 0, (size_t)n * sizeof *depth2);
        memset(bits, 0, (size_t)n);
    } else if (ok) {
        /* 3. the depth below the closed head's skin */
        ok = distance_to(bits, B_OUT, 1, d.dim, d.step_mm, depth2, threads);
        /* 4. protrusions: blocks of the plain (unclosed) head outside its
         * opening by a ball (erosion: farther than the radius from plain
         * exterior air; dilation: within the radius of what is left), no
         * deeper than MASK_PROTRUSION_DEPTH_MM below the closed head's skin.
         * The plain head keeps the gap behind a pinna; plain air counts only
         * down to PLAIN_AIR_DEPTH_MM below the closed skin, so it cannot run
         * through an ear canal into the dark bone and CSF of a T1w and make
         * the scalp over them look thin. */
        const float rp2 = (float)(MASK_PROTRUSION_RADIUS_MM * MASK_PROTRUSION_RADIUS_MM);
        const float shallow2 = (float)(PLAIN_AIR_DEPTH_MM * PLAIN_AIR_DEPTH_MM);
        const float pd2 = (float)(MASK_PROTRUSION_DEPTH_MM * MASK_PROTRUSION_DEPTH_MM);
        float *dist = ok ? malloc((size_t)n * sizeof *dist) : NULL;
        ok = ok && dist;
        if (ok) {
            for (int64_t b = 0; b < n; b++)
                if ((bits[b] & B_AIR) && depth2[b] <= shallow2)
                    bits[b] |= B_SHALLOW;
            flood_from_border(bits, B_SHALLOW, B_SHALLOW, B_PLAIN, d.dim, (int32_t *)(void *)dist);
            ok = distance_to(bits, B_PLAIN, 1, d.dim, d.step_mm, dist, threads);
            for (int64_t b = 0; b < n; b++)
                if (dist[b] > rp2)
                    bits[b] |= B_ERODED;
            ok = ok && distance_to(bits, B_ERODED, 1, d.dim, d.step_mm, dist, threads);
            for (int64_t b = 0; b < n; b++)
                bits[b] = (uint8_t)(!(bits[b] & B_PLAIN) && dist[b] > rp2 && depth2[b] <= pd2);
        }
        free(dist);
    }
    d.depth = ok ? malloc((size_t)n * sizeof *d.depth) : NULL;
    ok = ok && d.depth;
    for (int64_t b = 0; ok && b < n; b++) {
        double units = floor(sqrt((double)depth2[b]) * MASK_DEPTH_UNITS_PER_MM + 0.5);
        d.depth[b] = units >= MASK_DEPTH_MAX ? (uint16_t)MASK_DEPTH_MAX : (uint16_t)units;
    }
    free(depth2);
    if (!ok) {
        mask_depth_free(&d);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory for the head surface", name);
    }
    *out = d;
    return FACELESS_OK;
}

int64_t mask_depth_block(const mask_depth *d, int64_t i, int64_t j, int64_t k)
{
    return i / d->f[0] + d->dim[0] * (j / d->f[1] + d->dim[1] * (k / d->f[2]));
}

/* Linear interpolation between block centres along axis a at subject index
 * s: blocks *lo and *hi with weight 1 - *t and *t (block b's centre is at
 * subject index b * f + (f - 1) / 2; clamped at the grid's ends). */
static void axis_weights(const mask_depth *d, int a, int64_t s, int64_t *lo, int64_t *hi, double *t)
{
    double x = ((double)s - 0.5 * (d->f[a] - 1)) / d->f[a];
    x = x < 0 ? 0 : x > (double)(d->dim[a] - 1) ? (double)(d->dim[a] - 1) : x;
    int64_t c0 = (int64_t)floor(x);
    if (c0 > d->dim[a] - 2)
        c0 = d->dim[a] >= 2 ? d->dim[a] - 2 : 0;
    *lo = c0;
    *hi = c0 + (d->dim[a] >= 2);
    *t = d->dim[a] >= 2 ? x - (double)c0 : 0.0;
}

double mask_depth_at(const mask_depth *d, int64_t i, int64_t j, int64_t k)
{
    int64_t lo[3], hi[3];
    double t[3];
    const int64_t s[3] = {i, j, k};
    for (int a = 0; a < 3; a++)
        axis_weights(d, a, s[a], &lo[a], &hi[a], &t[a]);
    double v = 0;
    for (int n = 0; n < 8; n++) {
        int64_t q[3];
        double w = 1;
        for (int a = 0; a < 3; a++) {
            int up = (n >> a) & 1;
            q[a] = up ? hi[a] : lo[a];
            w *= up ? t[a] : 1.0 - t[a];
        }
        if (w != 0.0)
            v += w * d->depth[q[0] + d->dim[0] * (q[1] + d->dim[1] * q[2])];
    }
    return v / MASK_DEPTH_UNITS_PER_MM;
}

void mask_depth_row(const mask_depth *d, int64_t j, int64_t k, int64_t nx, double *col, float *out)
{
    int64_t y0, y1, z0, z1;
    double ty, tz;
    axis_weights(d, 1, j, &y0, &y1, &ty);
    axis_weights(d, 2, k, &z0, &z1, &tz);
    const int64_t n0 = d->dim[0], r00 = n0 * (y0 + d->dim[1] * z0), r10 = n0 * (y1 + d->dim[1] * z0),
                  r01 = n0 * (y0 + d->dim[1] * z1), r11 = n0 * (y1 + d->dim[1] * z1);
    for (int64_t b = 0; b < n0; b++)
        col[b] = (1.0 - tz) * ((1.0 - ty) * d->depth[r00 + b] + ty * d->depth[r10 + b]) +
                 tz * ((1.0 - ty) * d->depth[r01 + b] + ty * d->depth[r11 + b]);
    for (int64_t i = 0; i < nx; i++) {
        int64_t x0, x1;
        double tx;
        axis_weights(d, 0, i, &x0, &x1, &tx);
        out[i] = (float)(((1.0 - tx) * col[x0] + tx * col[x1]) / MASK_DEPTH_UNITS_PER_MM);
    }
}
