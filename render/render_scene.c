/* render_scene: a volume prepared for ray casting (float copy, threshold,
 * block grid for empty-space skipping) and the camera framing of its views. */
#include "render/render_internal.h"
#include "core/skin_threshold.h"
#include "core/context.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const VIEW_NAMES[RENDER_VIEW_COUNT] = {"right", "front-right", "front", "front-left",
                                                          "left"};

const char *render_view_name(render_view v)
{
    return (unsigned)v < RENDER_VIEW_COUNT ? VIEW_NAMES[v] : "?";
}

int render_view_list_parse(const char *list, render_view views[RENDER_VIEW_COUNT])
{
    int n = 0;
    const char *p = list;
    if (!p || !*p)
        return -1;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        int found = -1;
        for (int v = 0; v < RENDER_VIEW_COUNT; v++)
            if (strlen(VIEW_NAMES[v]) == len && !strncmp(VIEW_NAMES[v], p, len))
                found = v;
        if (found < 0 || n == RENDER_VIEW_COUNT)
            return -1;
        for (int i = 0; i < n; i++)
            if ((int)views[i] == found)
                return -1;
        views[n++] = (render_view)found;
        if (!e)
            break;
        p = e + 1;
        if (!*p)
            return -1; /* trailing comma */
    }
    return n;
}

void render_options_default(render_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->view_size = 256;
    opts->labels = 1;
}

void render_image_free(render_image *img)
{
    if (!img)
        return;
    free(img->rgb);
    free(img->depth);
    memset(img, 0, sizeof *img);
}

/* Camera position on a circle round the head at azimuth a (0 = in front of
 * the face, +90 degrees = at the subject's left): d points from the camera
 * to the head, u is the image's right, v = +S is up; u x v = -d. */
void render_view_axes(render_view view, double u[3], double v[3], double d[3])
{
    static const double azimuth_deg[RENDER_VIEW_COUNT] = {-90.0, -45.0, 0.0, 45.0, 90.0};
    double a = azimuth_deg[view] * (3.14159265358979323846 / 180.0);
    double s = sin(a), c = cos(a);
    /* Exact zeros for the axis-aligned views, so front/left/right rays run
     * exactly along world axes. */
    if (view == RENDER_VIEW_FRONT) {
        s = 0.0;
        c = 1.0;
    } else if (view == RENDER_VIEW_LEFT) {
        s = 1.0;
        c = 0.0;
    } else if (view == RENDER_VIEW_RIGHT) {
        s = -1.0;
        c = 0.0;
    }
    d[0] = s;
    d[1] = -c;
    d[2] = 0.0;
    u[0] = -c;
    u[1] = -s;
    u[2] = 0.0;
    v[0] = 0.0;
    v[1] = 0.0;
    v[2] = 1.0;
}

int render_affine_invert(const double m[4][4], double inv[4][4])
{
    double a = m[0][0], b = m[0][1], c = m[0][2];
    double d = m[1][0], e = m[1][1], f = m[1][2];
    double g = m[2][0], h = m[2][1], k = m[2][2];
    double det = a * (e * k - f * h) - b * (d * k - f * g) + c * (d * h - e * g);
    if (!(fabs(det) > 1e-12))
        return 0;
    double r[3][3] = {{(e * k - f * h) / det, (c * h - b * k) / det, (b * f - c * e) / det},
                      {(f * g - d * k) / det, (a * k - c * g) / det, (c * d - a * f) / det},
                      {(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det}};
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++)
            inv[i][j] = r[i][j];
        inv[i][3] = -(r[i][0] * m[0][3] + r[i][1] * m[1][3] + r[i][2] * m[2][3]);
    }
    inv[3][0] = inv[3][1] = inv[3][2] = 0.0;
    inv[3][3] = 1.0;
    return 1;
}

/* Scaled values of one frame, converted in parallel (each voxel on its own,
 * so the result does not depend on the partition). The common integer types
 * get a direct loop: this conversion is a good part of a render's time. */
#define CONVERT(type)                                                                        \
    do {                                                                                     \
        const type *src = (const type *)v->data + base;                                      \
        _Pragma("omp parallel for num_threads(threads) schedule(static)")                   \
        for (int64_t i = 0; i < n; i++)                                                      \
            out[i] = identity ? (float)src[i] : (float)((double)src[i] * slope + inter);     \
    } while (0)

static float *frame_values(const faceless_volume *v, int64_t frame, int threads)
{
    int64_t n = volume_voxels3(v);
    float *out = malloc((size_t)n * sizeof *out);
    if (!out)
        return NULL;
    const int identity = (v->scl_slope == 0.0 || v->scl_slope == 1.0) && v->scl_inter == 0.0;
    const double slope = v->scl_slope == 0.0 ? 1.0 : v->scl_slope, inter = v->scl_inter;
    const int64_t base = frame * n;
    switch (v->dtype) {
    case FACELESS_DT_UINT8: CONVERT(uint8_t); return out;
    case FACELESS_DT_INT16: CONVERT(int16_t); return out;
    case FACELESS_DT_UINT16: CONVERT(uint16_t); return out;
    default: break;
    }
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        double x = volume_get_stored(v, base + i);
        if (!identity)
            x = x * slope + inter;
        out[i] = isfinite(x) ? (float)x : 0.0f;
    }
    return out;
}

/* Smooths the values in place with the separable [1 2 1]/4 kernel along each
 * grid axis (edges repeated). Integer-valued scans have flat terraces at the
 * threshold that would show as contour lines in the shading, and specks of
 * noise in the air would show as dust; one pass of this kernel removes both
 * at a cost of a fraction of a millimetre of sharpness. Symmetric and along
 * the grid axes, so a permuted or flipped copy of a volume smooths the same. */
static int smooth_121(float *vol, const int64_t n[3], int threads)
{
    const int64_t nx = n[0], ny = n[1], nz = n[2];
    int ok = 1;
    /* Every pass works on whole rows of x (contiguous, vectorisable): a copy
     * of the unsmoothed previous row/plane row is kept in a buffer. */
#pragma omp parallel num_threads(threads)
    {
        float *line = malloc((size_t)nx * 2 * sizeof *line);
        if (!line) {
#pragma omp atomic write
            ok = 0;
        }
        float *prev = line ? line + nx : NULL;
#pragma omp for schedule(static)
        for (int64_t z = 0; z < nz; z++) {
            if (!line)
                continue;
            float *slice = vol + z * nx * ny;
            for (int64_t y = 0; y < ny; y++) { /* along x */
                float *row = slice + y * nx;
                memcpy(line, row, (size_t)nx * sizeof *line);
                row[0] = 0.75f * line[0] + 0.25f * line[nx > 1 ? 1 : 0];
                for (int64_t x = 1; x < nx - 1; x++)
                    row[x] = 0.25f * line[x - 1] + 0.5f * line[x] + 0.25f * line[x + 1];
                if (nx > 1)
                    row[nx - 1] = 0.25f * line[nx - 2] + 0.75f * line[nx - 1];
            }
            memcpy(prev, slice, (size_t)nx * sizeof *prev); /* along y */
            for (int64_t y = 0; y < ny; y++) {
                float *row = slice + y * nx;
                const float *next = slice + (y < ny - 1 ? y + 1 : y) * nx;
                for (int64_t x = 0; x < nx; x++) {
                    float c = row[x];
                    row[x] = 0.25f * prev[x] + 0.5f * c + 0.25f * next[x];
                    prev[x] = c;
                }
            }
        }
#pragma omp for schedule(static)
        for (int64_t y = 0; y < ny; y++) { /* along z */
            if (!line)
                continue;
            memcpy(prev, vol + y * nx, (size_t)nx * sizeof *prev);
            for (int64_t z = 0; z < nz; z++) {
                float *cur = vol + (z * ny + y) * nx;
                const float *next = vol + ((z < nz - 1 ? z + 1 : z) * ny + y) * nx;
                for (int64_t x = 0; x < nx; x++) {
                    float c = cur[x];
                    cur[x] = 0.25f * prev[x] + 0.5f * c + 0.25f * next[x];
                    prev[x] = c;
                }
            }
        }
        free(line);
    }
    return ok;
}

/* Per block: the max over voxels b*B .. b*B+B (one voxel of overlap, because
 * a trilinear sample inside the block reads the far corners too). */
static void block_grid(render_scene *s, int threads)
{
    const int64_t nx = s->n[0], ny = s->n[1], nz = s->n[2];
    const int nbx = s->nb[0], nby = s->nb[1], nbz = s->nb[2];
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int bz = 0; bz < nbz; bz++) {
        for (int by = 0; by < nby; by++) {
            for (int bx = 0; bx < nbx; bx++) {
                int64_t x0 = (int64_t)bx * RENDER_BLOCK, y0 = (int64_t)by * RENDER_BLOCK,
                        z0 = (int64_t)bz * RENDER_BLOCK;
                int64_t x1 = x0 + RENDER_BLOCK < nx - 1 ? x0 + RENDER_BLOCK : nx - 1;
                int64_t y1 = y0 + RENDER_BLOCK < ny - 1 ? y0 + RENDER_BLOCK : ny - 1;
                int64_t z1 = z0 + RENDER_BLOCK < nz - 1 ? z0 + RENDER_BLOCK : nz - 1;
                float mx = -INFINITY;
                for (int64_t z = z0; z <= z1; z++)
                    for (int64_t y = y0; y <= y1; y++) {
                        const float *row = s->vol + (z * ny + y) * nx;
                        for (int64_t x = x0; x <= x1; x++)
                            mx = row[x] > mx ? row[x] : mx;
                    }
                s->bmax[((size_t)bz * nby + by) * nbx + bx] = mx;
            }
        }
    }
    /* Chebyshev distance (in blocks) to the nearest block that reaches the
     * threshold: two raster passes over the 26-neighbourhood, exact for the
     * L-infinity metric. A ray in a block at distance d can jump d-1 blocks
     * in any direction without missing a crossing. */
    for (size_t b = 0; b < (size_t)nbx * nby * nbz; b++)
        s->bdist[b] = s->bmax[b] >= s->thr ? 0 : 255;
    for (int pass = 0; pass < 2; pass++) {
        int st = pass ? -1 : 1;
        for (int bz = pass ? nbz - 1 : 0; bz >= 0 && bz < nbz; bz += st)
            for (int by = pass ? nby - 1 : 0; by >= 0 && by < nby; by += st)
                for (int bx = pass ? nbx - 1 : 0; bx >= 0 && bx < nbx; bx += st) {
                    size_t b = ((size_t)bz * nby + by) * nbx + bx;
                    int best = s->bdist[b];
                    /* the 13 neighbours already visited in this pass */
                    for (int dz = -1; dz <= 0; dz++)
                        for (int dy = -1; dy <= 1; dy++)
                            for (int dx = -1; dx <= 1; dx++) {
                                if (dz == 0 && (dy > 0 || (dy == 0 && dx >= 0)))
                                    continue;
                                int qx = bx + st * dx, qy = by + st * dy, qz = bz + st * dz;
                                if (qx < 0 || qy < 0 || qz < 0 || qx >= nbx || qy >= nby || qz >= nbz)
                                    continue;
                                int d = s->bdist[((size_t)qz * nby + qy) * nbx + qx] + 1;
                                best = d < best ? d : best;
                            }
                    s->bdist[b] = (uint8_t)best;
                }
    }
    /* The box of the blocks that can hold a crossing: rays are clipped to
     * it, so the air around the head costs nothing. */
    int lo[3] = {nbx, nby, nbz}, hi[3] = {-1, -1, -1};
    for (int bz = 0; bz < nbz; bz++)
        for (int by = 0; by < nby; by++)
            for (int bx = 0; bx < nbx; bx++)
                if (s->bmax[((size_t)bz * nby + by) * nbx + bx] >= s->thr) {
                    const int b[3] = {bx, by, bz};
                    for (int a = 0; a < 3; a++) {
                        lo[a] = b[a] < lo[a] ? b[a] : lo[a];
                        hi[a] = b[a] > hi[a] ? b[a] : hi[a];
                    }
                }
    for (int a = 0; a < 3; a++) {
        double top = (double)(s->n[a] - 1);
        s->box_lo[a] = hi[a] < 0 ? 0.0 : (double)lo[a] * RENDER_BLOCK;
        s->box_hi[a] = hi[a] < 0 ? -1.0 : fmin((double)(hi[a] + 1) * RENDER_BLOCK, top);
    }
}

static void affine_apply(const double m[4][4], const double p[3], double out[3])
{
    for (int i = 0; i < 3; i++)
        out[i] = m[i][0] * p[0] + m[i][1] * p[1] + m[i][2] * p[2] + m[i][3];
}

/* Framing: where the head is along each view's axes. The voxels above the
 * threshold are projected, in world mm, on the image axis u and the depth
 * axis d of every view and on +S, into 1 mm histograms (integer counts summed
 * in any order: exact); the extent along each axis runs between the
 * FRAME_SKIP-th voxel from either end, so a few specks of noise in the air do
 * not shrink the head. Only the set of voxels and their world positions
 * matter, so a permuted or flipped copy of a volume is framed the same. */
#define FRAME_SKIP 200
/* Histogrammed world axes, relative to the grid centre: x, y, z and the two
 * diagonals (x+y)/sqrt2 and (x-y)/sqrt2, which are all the three-quarter views
 * need. Each view's u and d axes are one of them, possibly negated. */
enum { HX, HY, HZ, HP, HM, NHIST };
static const int VIEW_U[RENDER_VIEW_COUNT][2] = {{HY, 1}, {HM, -1}, {HX, -1}, {HP, -1}, {HY, -1}};
static const int VIEW_D[RENDER_VIEW_COUNT][2] = {{HX, -1}, {HP, -1}, {HY, -1}, {HM, 1}, {HX, 1}};

static int frame_views(render_scene *s, int threads)
{
    const int64_t nx = s->n[0], ny = s->n[1], nz = s->n[2];
    /* Histogram range: the grid's bounding sphere around its centre. */
    double gc[3], half = 0.0;
    double cv[3] = {(nx - 1) / 2.0, (ny - 1) / 2.0, (nz - 1) / 2.0};
    affine_apply(s->vox2ras, cv, gc);
    for (int c = 0; c < 8; c++) {
        double pv[3] = {(c & 1) ? (double)(nx - 1) : 0.0, (c & 2) ? (double)(ny - 1) : 0.0,
                        (c & 4) ? (double)(nz - 1) : 0.0}, pw[3];
        affine_apply(s->vox2ras, pv, pw);
        half = fmax(half, sqrt((pw[0] - gc[0]) * (pw[0] - gc[0]) + (pw[1] - gc[1]) * (pw[1] - gc[1]) +
                               (pw[2] - gc[2]) * (pw[2] - gc[2])));
    }
    const int nbins = (int)ceil(2.0 * half) + 3;
    int64_t *hist = calloc((size_t)NHIST * nbins, sizeof *hist);
    if (!hist)
        return -1;
    const float thr = s->thr;
    const double r2 = 0.70710678118654752440, off = half + 1.0;
    const double(*m)[4] = s->vox2ras;
    int failed = 0;
#pragma omp parallel num_threads(threads)
    {
        int64_t *mine = calloc((size_t)NHIST * nbins, sizeof *mine);
        if (!mine) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 4)
        for (int64_t z = 0; z < nz; z++) {
            for (int64_t y = 0; mine && y < ny; y++) {
                const float *row = s->vol + (z * ny + y) * nx;
                double ry[3];
                for (int a = 0; a < 3; a++)
                    ry[a] = m[a][1] * (double)y + m[a][2] * (double)z + m[a][3] - gc[a];
                for (int64_t x = 0; x < nx; x++) {
                    if (row[x] < thr)
                        continue;
                    double wx = m[0][0] * (double)x + ry[0], wy = m[1][0] * (double)x + ry[1],
                           wz = m[2][0] * (double)x + ry[2];
                    /* off > |any coordinate|, so the cast truncates a positive number */
                    mine[HX * nbins + (int)(wx + off)]++;
                    mine[HY * nbins + (int)(wy + off)]++;
                    mine[HZ * nbins + (int)(wz + off)]++;
                    mine[HP * nbins + (int)((wx + wy) * r2 + off)]++;
                    mine[HM * nbins + (int)((wx - wy) * r2 + off)]++;
                }
            }
        }
#pragma omp critical
        for (size_t i = 0; mine && i < (size_t)NHIST * nbins; i++)
            hist[i] += mine[i];
        free(mine);
    }
    if (failed) {
        free(hist);
        return -1;
    }
    int64_t total = 0;
    for (int b = 0; b < nbins; b++)
        total += hist[b];
    if (total == 0) {
        free(hist);
        return 0;
    }
    int64_t skip = total > 4 * FRAME_SKIP ? FRAME_SKIP : total / 4;
    double lo[NHIST], hi[NHIST];
    for (int a = 0; a < NHIST; a++) {
        const int64_t *h = hist + (size_t)a * nbins;
        int64_t acc = 0;
        int b0, b1;
        for (b0 = 0; b0 < nbins - 1 && (acc += h[b0]) <= skip; b0++)
            ;
        acc = 0;
        for (b1 = nbins - 1; b1 > 0 && (acc += h[b1]) <= skip; b1--)
            ;
        lo[a] = (double)b0 - off;
        hi[a] = (double)(b1 + 1) - off;
    }
    free(hist);
    /* The head's centre and the per-view extents relative to it. */
    double c[3] = {0.5 * (lo[HX] + hi[HX]), 0.5 * (lo[HY] + hi[HY]), 0.5 * (lo[HZ] + hi[HZ])};
    for (int a = 0; a < 3; a++)
        s->center[a] = gc[a] + c[a];
    const double cproj[NHIST] = {c[0], c[1], c[2], (c[0] + c[1]) * r2, (c[0] - c[1]) * r2};
    double span = hi[HZ] - lo[HZ];
    double ulo[RENDER_VIEW_COUNT], uhi[RENDER_VIEW_COUNT];
    for (int vw = 0; vw < RENDER_VIEW_COUNT; vw++) {
        int a = VIEW_U[vw][0], sg = VIEW_U[vw][1];
        ulo[vw] = sg > 0 ? lo[a] - cproj[a] : cproj[a] - hi[a];
        uhi[vw] = sg > 0 ? hi[a] - cproj[a] : cproj[a] - lo[a];
        span = fmax(span, uhi[vw] - ulo[vw]);
    }
    s->span = span * 1.08 + 6.0; /* a small margin all round */
    /* The camera plane must clear everything, noise included: the grid's
     * whole bounding sphere, seen from the head's centre. */
    s->radius = half + sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]) + 2.0;
    s->vcenter = 0.0;
    for (int vw = 0; vw < RENDER_VIEW_COUNT; vw++) {
        s->ucenter[vw] = 0.5 * (ulo[vw] + uhi[vw]);
        int a = VIEW_D[vw][0], sg = VIEW_D[vw][1];
        double dlo = sg > 0 ? lo[a] - cproj[a] : cproj[a] - hi[a];
        double dhi = sg > 0 ? hi[a] - cproj[a] : cproj[a] - lo[a];
        s->near_mm[vw] = s->radius + dlo;
        s->far_mm[vw] = s->radius + dhi;
    }
    return 1;
}

faceless_status render_scene_new(faceless_ctx *ctx, const faceless_volume *vol, int64_t frame,
                                 const render_options *opts, const render_scene *framing,
                                 render_scene **out)
{
    const char *name = vol->path ? vol->path : "volume";
    if (vol->nx < 2 || vol->ny < 2 || vol->nz < 2)
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: a surface render needs a 3D volume, got %lldx%lldx%lld",
                        name, (long long)vol->nx, (long long)vol->ny, (long long)vol->nz);
    if (frame < 0 || frame >= vol->nt)
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: frame %lld is out of range (the volume has %lld)", name,
                        (long long)frame, (long long)vol->nt);
    if (framing && (framing->n[0] != vol->nx || framing->n[1] != vol->ny || framing->n[2] != vol->nz))
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: grid differs from the original it is compared with", name);
    render_scene *s = calloc(1, sizeof *s);
    if (!s)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory preparing the render", name);
    int threads = ctx_omp_threads(ctx);
    s->n[0] = vol->nx;
    s->n[1] = vol->ny;
    s->n[2] = vol->nz;
    memcpy(s->vox2ras, vol->vox2ras, sizeof s->vox2ras);
    if (!render_affine_invert(s->vox2ras, s->ras2vox)) {
        render_scene_free(s);
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: the voxel-to-world matrix is singular", name);
    }
    double vmin = INFINITY;
    for (int a = 0; a < 3; a++) {
        double len = sqrt(s->vox2ras[0][a] * s->vox2ras[0][a] + s->vox2ras[1][a] * s->vox2ras[1][a] +
                          s->vox2ras[2][a] * s->vox2ras[2][a]);
        vmin = fmin(vmin, len);
    }
    /* Half a voxel: fine enough that a thin nose or ear is not stepped over. */
    s->step_mm = 0.5 * vmin;
    s->vol = frame_values(vol, frame, threads);
    s->src = vol;
    s->frame = frame;
    for (int a = 0; a < 3; a++)
        s->nb[a] = (int)((s->n[a] - 1) / RENDER_BLOCK + 1);
    size_t nblocks = (size_t)s->nb[0] * s->nb[1] * s->nb[2];
    s->bmax = malloc(nblocks * sizeof *s->bmax);
    s->bdist = malloc(nblocks);
    if (!s->vol || !s->bmax || !s->bdist) {
        render_scene_free(s);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory preparing the render", name);
    }
    if (opts && opts->threshold_set)
        s->thr = (float)opts->threshold;
    else if (framing)
        s->thr = framing->thr;
    else
        s->thr = (float)skin_threshold_from_values(s->vol, volume_voxels3(vol), threads);
    if (isnan(s->thr)) {
        render_scene_free(s);
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: every voxel has the same value: no surface to render", name);
    }
    if (!smooth_121(s->vol, s->n, threads)) {
        render_scene_free(s);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory preparing the render", name);
    }
    block_grid(s, threads);
    if (framing) {
        memcpy(s->center, framing->center, sizeof s->center);
        s->radius = framing->radius;
        s->span = framing->span;
        memcpy(s->ucenter, framing->ucenter, sizeof s->ucenter);
        s->vcenter = framing->vcenter;
        memcpy(s->near_mm, framing->near_mm, sizeof s->near_mm);
        memcpy(s->far_mm, framing->far_mm, sizeof s->far_mm);
        s->step_mm = framing->step_mm;
    } else {
        int fr = frame_views(s, threads);
        if (fr <= 0) {
            float thr = s->thr;
            render_scene_free(s);
            if (fr < 0)
                return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory preparing the render", name);
            return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: nothing above the skin threshold %g to render", name,
                            (double)thr);
        }
    }
    ctx_log(ctx, FACELESS_LOG_DEBUG, "render: %s threshold %g, view span %.1f mm", name, (double)s->thr,
            s->span);
    *out = s;
    return FACELESS_OK;
}

void render_scene_drop_voxels(render_scene *s)
{
    free(s->vol);
    free(s->bmax);
    free(s->bdist);
    s->vol = s->bmax = NULL;
    s->bdist = NULL;
}

void render_scene_free(render_scene *s)
{
    if (!s)
        return;
    render_scene_drop_voxels(s);
    free(s);
}

double render_scene_threshold(const render_scene *s) { return s->thr; }

double render_scene_mm_per_pixel(const render_scene *s, int size) { return s->span / (double)size; }
