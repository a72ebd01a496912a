/* Pulling template masks back onto the subject grid, and building the final
 * subject mask (face/ear minus brain guard). */
#include "mask/mask.h"

#include "core/context.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void mask_params_default(mask_params *p)
{
    p->brain_margin_mm = MASK_DEFAULT_BRAIN_MARGIN_MM;
    p->brain_mask = NULL;
    p->surface = NULL;
}

void mask_result_free(mask_result *m)
{
    if (!m)
        return;
    free(m->flags);
    free(m->removed);
    memset(m, 0, sizeof *m);
}

int mask_affine_invert(const double m[4][4], double out[4][4])
{
    /* 3x3 inverse by cofactors, then the translation. */
    double a = m[0][0], b = m[0][1], c = m[0][2];
    double d = m[1][0], e = m[1][1], f = m[1][2];
    double g = m[2][0], h = m[2][1], i = m[2][2];
    double A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
    double det = a * A + b * B + c * C;
    if (!(fabs(det) > 1e-12) || !isfinite(det))
        return 0;
    double r[3][3] = {{A / det, -(b * i - c * h) / det, (b * f - c * e) / det},
                      {B / det, (a * i - c * g) / det, -(a * f - c * d) / det},
                      {C / det, -(a * h - b * g) / det, (a * e - b * d) / det}};
    for (int y = 0; y < 3; y++) {
        for (int x = 0; x < 3; x++)
            out[y][x] = r[y][x];
        out[y][3] = -(r[y][0] * m[0][3] + r[y][1] * m[1][3] + r[y][2] * m[2][3]);
    }
    out[3][0] = out[3][1] = out[3][2] = 0.0;
    out[3][3] = 1.0;
    return 1;
}

void mask_affine_mul(const double a[4][4], const double b[4][4], double out[4][4])
{
    double r[4][4];
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++)
            r[y][x] = a[y][0] * b[0][x] + a[y][1] * b[1][x] + a[y][2] * b[2][x] + a[y][3] * b[3][x];
    memcpy(out, r, sizeof r);
}

/* A mask byte as the value 0..1 it stands for (255 -> exactly 1). */
static float level(uint8_t q) { return (float)q * (1.0f / 255.0f); }

static float tpl_at(const template_image *img, int64_t i, int64_t j, int64_t k)
{
    if (i < 0 || j < 0 || k < 0 || i >= img->nx || j >= img->ny || k >= img->nz)
        return 0.0f;
    return level(img->mask[i + img->nx * (j + img->ny * k)]);
}

/* Value test at template voxel coordinates c (see mask_pullback). The 8
 * neighbours are read without bounds checks when all lie inside the grid
 * (the common case), and the weights are only computed where they differ
 * (the boundary of a binary mask). */
static int tpl_test(const template_image *img, const double c[3], int mode)
{
    double fx = floor(c[0]), fy = floor(c[1]), fz = floor(c[2]);
    /* Entirely outside (with a one-voxel border): reads as 0. */
    if (fx < -1.0 || fy < -1.0 || fz < -1.0 || fx >= (double)img->nx || fy >= (double)img->ny ||
        fz >= (double)img->nz)
        return 0;
    int64_t i = (int64_t)fx, j = (int64_t)fy, k = (int64_t)fz;
    float n[8];
    if (i >= 0 && j >= 0 && k >= 0 && i + 1 < img->nx && j + 1 < img->ny && k + 1 < img->nz) {
        const uint8_t *p = img->mask + i + img->nx * (j + img->ny * k);
        const int64_t sy = img->nx, sz = img->nx * img->ny;
        n[0] = level(p[0]), n[1] = level(p[1]), n[2] = level(p[sy]), n[3] = level(p[sy + 1]);
        n[4] = level(p[sz]), n[5] = level(p[sz + 1]), n[6] = level(p[sz + sy]), n[7] = level(p[sz + sy + 1]);
    } else {
        for (int d = 0; d < 8; d++)
            n[d] = tpl_at(img, i + (d & 1), j + ((d >> 1) & 1), k + ((d >> 2) & 1));
    }
    if (mode == 1) {
        for (int d = 0; d < 8; d++)
            if (n[d] > 0.0f)
                return 1;
        return 0;
    }
    int same = 1;
    for (int d = 1; d < 8; d++)
        same &= n[d] == n[0];
    if (same)
        return n[0] >= 0.5f;
    double tx = c[0] - fx, ty = c[1] - fy, tz = c[2] - fz;
    double v = 0.0;
    for (int d = 0; d < 8; d++) {
        double w = ((d & 1) ? tx : 1.0 - tx) * ((d & 2) ? ty : 1.0 - ty) * ((d & 4) ? tz : 1.0 - tz);
        v += w * n[d];
    }
    return v >= 0.5;
}

/* Tile summary of a template image, so that whole blocks of subject voxels
 * that map into uniform template regions are decided at once (most of a
 * head is far from any mask edge). */
#define TILE 4
#define TILE_ANY 1u      /* some value > 0 */
#define TILE_ALL_HALF 2u /* every value >= 0.5 */
#define TILE_ALL_POS 4u  /* every value > 0 */
#define BLOCK 8          /* subject block edge, voxels */

typedef struct tiles {
    int64_t tx, ty, tz;
    uint8_t *bits;
} tiles;

static int tiles_make(const template_image *img, tiles *t)
{
    t->tx = (img->nx + TILE - 1) / TILE;
    t->ty = (img->ny + TILE - 1) / TILE;
    t->tz = (img->nz + TILE - 1) / TILE;
    t->bits = malloc((size_t)(t->tx * t->ty * t->tz));
    if (!t->bits)
        return -1;
    memset(t->bits, TILE_ALL_HALF | TILE_ALL_POS, (size_t)(t->tx * t->ty * t->tz));
    for (int64_t k = 0; k < img->nz; k++)
        for (int64_t j = 0; j < img->ny; j++)
            for (int64_t i = 0; i < img->nx; i++) {
                float v = level(img->mask[i + img->nx * (j + img->ny * k)]);
                uint8_t *b = &t->bits[i / TILE + t->tx * (j / TILE + t->ty * (k / TILE))];
                if (v > 0.0f)
                    *b |= TILE_ANY;
                else
                    *b &= (uint8_t)~TILE_ALL_POS;
                if (!(v >= 0.5f))
                    *b &= (uint8_t)~TILE_ALL_HALF;
            }
    return 0;
}

/* Decides a block whose corners map to template coordinates within
 * [mn, mx]: 0 (all clear), 1 (all set) or -1 (decide voxel by voxel). */
static int block_decide(const template_image *img, const tiles *t, const double mn[3], const double mx[3],
                        int mode)
{
    const int64_t n[3] = {img->nx, img->ny, img->nz};
    int64_t a[3], b[3];
    int inside = 1;
    for (int r = 0; r < 3; r++) {
        double f0 = floor(mn[r]), f1 = floor(mx[r]) + 1.0;
        if (f0 < 0.0 || f1 > (double)(n[r] - 1))
            inside = 0;
        if (f1 < 0.0 || f0 > (double)(n[r] - 1))
            return 0; /* entirely outside: reads as 0 */
        a[r] = f0 < 0.0 ? 0 : (int64_t)f0;
        b[r] = f1 > (double)(n[r] - 1) ? n[r] - 1 : (int64_t)f1;
    }
    uint8_t any = 0, all = TILE_ALL_HALF | TILE_ALL_POS;
    for (int64_t k = a[2] / TILE; k <= b[2] / TILE; k++)
        for (int64_t j = a[1] / TILE; j <= b[1] / TILE; j++)
            for (int64_t i = a[0] / TILE; i <= b[0] / TILE; i++) {
                uint8_t x = t->bits[i + t->tx * (j + t->ty * k)];
                any |= x & TILE_ANY;
                all &= x;
            }
    if (!any)
        return 0;
    if (inside && (all & (mode == 0 ? TILE_ALL_HALF : TILE_ALL_POS)))
        return 1;
    return -1;
}

/* mask_pullback over the box lo..hi (inclusive) of the subject grid. */
static int64_t pullback_box(const faceless_volume *subj, const template_image *img,
                            const double tpl2subj[4][4], int mode, uint8_t bit, uint8_t *out,
                            const int64_t lo[3], const int64_t hi[3], int threads)
{
    double subj2tpl[4][4], tras2vox[4][4], m[4][4];
    if (!mask_affine_invert(tpl2subj, subj2tpl) || !mask_affine_invert(img->vox2ras, tras2vox))
        return -1;
    /* subject voxel index -> template voxel index, in one matrix */
    mask_affine_mul(subj2tpl, subj->vox2ras, m);
    mask_affine_mul(tras2vox, m, m);
    tiles t;
    if (tiles_make(img, &t) != 0)
        return -2;
    const int64_t nx = subj->nx, ny = subj->ny;
    const uint8_t keep = (uint8_t)~bit;
    const int64_t nbx = (hi[0] - lo[0]) / BLOCK + 1, nby = (hi[1] - lo[1]) / BLOCK + 1;
    const int64_t nbz = (hi[2] - lo[2]) / BLOCK + 1;
    int64_t total = 0;
    /* One block per iteration; blocks are independent, and the count is an
     * integer sum, so the result does not depend on the thread count. */
#pragma omp parallel for schedule(dynamic, 16) num_threads(threads) reduction(+ : total)
    for (int64_t b = 0; b < nbx * nby * nbz; b++) {
        const int64_t i0 = lo[0] + BLOCK * (b % nbx), j0 = lo[1] + BLOCK * ((b / nbx) % nby);
        const int64_t k0 = lo[2] + BLOCK * (b / (nbx * nby));
        const int64_t i1 = i0 + BLOCK - 1 < hi[0] ? i0 + BLOCK - 1 : hi[0];
        const int64_t j1 = j0 + BLOCK - 1 < hi[1] ? j0 + BLOCK - 1 : hi[1];
        const int64_t k1 = k0 + BLOCK - 1 < hi[2] ? k0 + BLOCK - 1 : hi[2];
        double mn[3] = {DBL_MAX, DBL_MAX, DBL_MAX}, mx[3] = {-DBL_MAX, -DBL_MAX, -DBL_MAX};
        for (int c = 0; c < 8; c++) {
            double v[3] = {(double)((c & 1) ? i1 : i0), (double)((c & 2) ? j1 : j0), (double)((c & 4) ? k1 : k0)};
            for (int r = 0; r < 3; r++) {
                double x = m[r][0] * v[0] + m[r][1] * v[1] + m[r][2] * v[2] + m[r][3];
                mn[r] = x < mn[r] ? x : mn[r];
                mx[r] = x > mx[r] ? x : mx[r];
            }
        }
        int decided = block_decide(img, &t, mn, mx, mode);
        int64_t n = 0;
        for (int64_t k = k0; k <= k1; k++)
            for (int64_t j = j0; j <= j1; j++) {
                uint8_t *row = out + nx * (j + ny * k);
                if (decided >= 0) {
                    for (int64_t i = i0; i <= i1; i++)
                        row[i] = (uint8_t)(decided ? (row[i] | bit) : (row[i] & keep));
                    n += decided ? i1 - i0 + 1 : 0;
                    continue;
                }
                for (int64_t i = i0; i <= i1; i++) {
                    double c[3];
                    for (int r = 0; r < 3; r++)
                        c[r] = m[r][0] * (double)i + m[r][1] * (double)j + m[r][2] * (double)k + m[r][3];
                    int hit = tpl_test(img, c, mode);
                    row[i] = (uint8_t)(hit ? (row[i] | bit) : (row[i] & keep));
                    n += hit;
                }
            }
        total += n;
    }
    free(t.bits);
    return total;
}

int64_t mask_pullback(const faceless_volume *subj, const template_image *img,
                      const double tpl2subj[4][4], int mode, uint8_t bit, uint8_t *out,
                      int threads)
{
    const int64_t lo[3] = {0, 0, 0}, hi[3] = {subj->nx - 1, subj->ny - 1, subj->nz - 1};
    return pullback_box(subj, img, tpl2subj, mode, bit, out, lo, hi, threads);
}

/* Bounding box of the voxels with `bit`, grown by the reach of a margin_mm
 * dilation (the same reach as mask_dilate_guard, plus slack) and clipped to
 * the grid. 0 when no voxel has the bit. */
static int bit_box(const faceless_volume *subj, const uint8_t *flags, uint8_t bit, double margin_mm,
                   int64_t lo[3], int64_t hi[3])
{
    const int64_t dim[3] = {subj->nx, subj->ny, subj->nz};
    for (int a = 0; a < 3; a++) {
        lo[a] = dim[a];
        hi[a] = -1;
    }
    for (int64_t k = 0; k < dim[2]; k++)
        for (int64_t j = 0; j < dim[1]; j++) {
            const uint8_t *row = flags + dim[0] * (j + dim[1] * k);
            int64_t first = -1, last = -1;
            for (int64_t i = 0; i < dim[0]; i++)
                if (row[i] & bit) {
                    if (first < 0)
                        first = i;
                    last = i;
                }
            if (first < 0)
                continue;
            lo[0] = first < lo[0] ? first : lo[0];
            hi[0] = last > hi[0] ? last : hi[0];
            lo[1] = j < lo[1] ? j : lo[1];
            hi[1] = j > hi[1] ? j : hi[1];
            lo[2] = k < lo[2] ? k : lo[2];
            hi[2] = k > hi[2] ? k : hi[2];
        }
    if (hi[0] < 0)
        return 0;
    double s[3];
    const double reach = margin_mm / mask_grid_spacing(subj, s);
    for (int a = 0; a < 3; a++) {
        int64_t grow = (int64_t)ceil(reach / s[a]) + 2;
        lo[a] = lo[a] - grow < 0 ? 0 : lo[a] - grow;
        hi[a] = hi[a] + grow >= dim[a] ? dim[a] - 1 : hi[a] + grow;
    }
    return 1;
}

faceless_status mask_build(faceless_ctx *ctx, const faceless_volume *subj, const template_set *tpl,
                           const double tpl2subj[4][4], const mask_params *p, mask_result *out)
{
    if (!(p->brain_margin_mm >= 0.0) || p->brain_margin_mm > 100.0)
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "brain margin %g mm: must be between 0 and 100",
                        p->brain_margin_mm);
    if (!tpl->face.mask || !tpl->guard.mask)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: template set has no face or guard mask",
                        tpl->name ? tpl->name : "template");
    const int64_t n = volume_voxels3(subj);
    /* The head surface first, before the byte-per-voxel flags exist: its
     * work arrays then never add to the flags (peak memory, issue 4). */
    mask_depth own; /* built here unless the caller has it (p->surface) */
    memset(&own, 0, sizeof own);
    const int have_depth = tpl->face_depth.mask != NULL;
    const mask_depth *d = p->surface;
    if (have_depth && !d) {
        faceless_status st = mask_depth_build(ctx, subj, &own);
        if (st != FACELESS_OK)
            return st;
        d = &own;
    }
    mask_result r = {subj->nx, subj->ny, subj->nz, NULL, 0, 0, 0, 0, NULL, 0, 0, NAN, 0, NAN, NAN};
    r.flags = calloc((size_t)n, 1);
    if (!r.flags) {
        if (have_depth)
            mask_depth_free(&own);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory for the masks",
                        subj->path ? subj->path : "subject");
    }
    const int threads = ctx_omp_threads(ctx);
    r.n_face = mask_pullback(subj, &tpl->face, tpl2subj, 0, MASK_FACE, r.flags, threads);
    /* The guard only matters where it can reach a face/ear voxel: pull it
     * back inside the face mask's box grown by the margin (the dilation in
     * mask_dilate_guard reads no farther). */
    int64_t g = 0, lo[3], hi[3];
    if (r.n_face > 0 && bit_box(subj, r.flags, MASK_FACE, p->brain_margin_mm, lo, hi))
        g = pullback_box(subj, &tpl->guard, tpl2subj, 1, MASK_GUARD, r.flags, lo, hi, threads);
    /* the guard as pulled back, before its margin, for the safety distance */
    for (int64_t v = 0; g > 0 && v < n; v++)
        if (r.flags[v] & MASK_GUARD)
            r.flags[v] |= MASK_GUARD_RAW;
    if (p->brain_mask && r.n_face > 0 && g >= 0 &&
        (r.n_user_guard = mask_user_guard_apply(subj, p->brain_mask, r.flags, threads)) < 0) {
        mask_result_free(&r);
        mask_depth_free(&own);
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: brain mask has a singular matrix",
                        subj->path ? subj->path : "subject");
    }
    if (r.n_face == -2 || g == -2) {
        mask_result_free(&r);
        mask_depth_free(&own);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory for the masks",
                        subj->path ? subj->path : "subject");
    }
    if (r.n_face < 0 || g < 0) {
        mask_result_free(&r);
        mask_depth_free(&own);
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: singular template-to-subject affine",
                        subj->path ? subj->path : "subject");
    }
    /* The template's depth limit, on this head's own surface (surface.c),
     * before the guard's margin: the surface's arrays are freed before the
     * dilation's are made (peak memory, issue 4). A face voxel the limit
     * keeps inside the margin is still guarded below, so the order does not
     * change what is removed. */
    if (have_depth && r.n_face > 0) {
        int64_t dropped = mask_limit_by_depth(subj, &tpl->face_depth, tpl2subj, d, r.flags, threads);
        if (dropped < 0) {
            mask_depth_free(&own);
            mask_result_free(&r);
            if (dropped == -2)
                return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory for the head surface",
                                subj->path ? subj->path : "subject");
            return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: singular template-to-subject affine",
                            subj->path ? subj->path : "subject");
        }
        r.n_face -= dropped;
        r.depth_limited = 1;
        r.n_depth_dropped = dropped;
        r.skin_threshold = d->threshold;
    }
    if (have_depth)
        mask_depth_free(&own);
    if (mask_dilate_guard(subj, r.flags, p->brain_margin_mm, threads) != 0) {
        mask_result_free(&r);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory for the brain guard",
                        subj->path ? subj->path : "subject");
    }
    /* The guard wins: it is applied last, so nothing it covers can be
     * scrambled whatever the face mask says. */
    int64_t removed = 0, kept = 0, guarded = 0;
    for (int64_t v = 0; v < n; v++) {
        uint8_t f = r.flags[v];
        guarded += (f & MASK_GUARD) != 0;
        if (!(f & MASK_FACE))
            continue;
        if (f & MASK_GUARD) {
            kept++;
        } else {
            r.flags[v] = (uint8_t)(f | MASK_REMOVE);
            removed++;
        }
    }
    r.n_guard = guarded;
    r.n_remove = removed;
    r.n_face_guarded = kept;
    r.min_mm_to_guard = mask_min_distance_mm(subj, r.flags, MASK_REMOVE, MASK_GUARD_RAW);
    if (p->brain_mask)
        r.min_mm_to_user = mask_min_distance_mm(subj, r.flags, MASK_REMOVE, MASK_GUARD_USER);
    ctx_log(ctx, FACELESS_LOG_INFO, "mask: face/ear %lld voxels, guard %lld, final %lld",
            (long long)r.n_face, (long long)r.n_guard, (long long)r.n_remove);
    *out = r;
    return FACELESS_OK;
}
