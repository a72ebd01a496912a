/* render_raycast: one view of the skin isosurface, ray cast in world space.
 *
 * Each pixel's ray is a line in world (RAS mm) space; it is sampled every
 * step_mm at positions fixed by the camera alone (t = k * step), mapped into
 * the voxel grid through ras2vox and read by trilinear interpolation. Blocks
 * whose maximum is below the threshold are jumped over: every sample in them
 * is below the threshold, so skipping changes no result, only the time. The
 * first crossing is refined by bisection on the trilinear field, the normal is
 * its gradient mapped back to world space, and the colour is a headlight
 * Blinn-Phong with a depth cue. Nothing depends on the storage order of the
 * grid beyond rounding, and every pixel is computed on its own, so the output
 * is the same for any thread count. */
#include "render/render_internal.h"
#include "core/context.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Trilinear value at voxel position p; -INFINITY (air) outside the grid. */
static inline float sample_inside(const render_scene *s, const double p[3])
{
    const int64_t nx = s->n[0], ny = s->n[1], nz = s->n[2];
    if (!(p[0] >= 0.0 && p[1] >= 0.0 && p[2] >= 0.0 && p[0] <= (double)(nx - 1) && p[1] <= (double)(ny - 1) &&
          p[2] <= (double)(nz - 1)))
        return -INFINITY;
    int64_t i = (int64_t)p[0], j = (int64_t)p[1], k = (int64_t)p[2];
    if (i > nx - 2)
        i = nx - 2;
    if (j > ny - 2)
        j = ny - 2;
    if (k > nz - 2)
        k = nz - 2;
    float fx = (float)(p[0] - (double)i), fy = (float)(p[1] - (double)j), fz = (float)(p[2] - (double)k);
    const float *c = s->vol + (k * ny + j) * nx + i;
    const int64_t sy = nx, sz = nx * ny;
    float c00 = c[0] + fx * (c[1] - c[0]);
    float c10 = c[sy] + fx * (c[sy + 1] - c[sy]);
    float c01 = c[sz] + fx * (c[sz + 1] - c[sz]);
    float c11 = c[sz + sy] + fx * (c[sz + sy + 1] - c[sz + sy]);
    float c0 = c00 + fy * (c10 - c00);
    float c1 = c01 + fy * (c11 - c01);
    return c0 + fz * (c1 - c0);
}

/* Trilinear value at a voxel position known to be inside the grid (up to
 * rounding: indices are clamped). */
static inline float sample_fast(const render_scene *s, const double p[3])
{
    const int64_t nx = s->n[0], ny = s->n[1], nz = s->n[2];
    int64_t i = (int64_t)p[0], j = (int64_t)p[1], k = (int64_t)p[2];
    i = i < 0 ? 0 : (i > nx - 2 ? nx - 2 : i);
    j = j < 0 ? 0 : (j > ny - 2 ? ny - 2 : j);
    k = k < 0 ? 0 : (k > nz - 2 ? nz - 2 : k);
    float fx = (float)(p[0] - (double)i), fy = (float)(p[1] - (double)j), fz = (float)(p[2] - (double)k);
    const float *c = s->vol + (k * ny + j) * nx + i;
    const int64_t sy = nx, sz = nx * ny;
    float c00 = c[0] + fx * (c[1] - c[0]);
    float c10 = c[sy] + fx * (c[sy + 1] - c[sy]);
    float c01 = c[sz] + fx * (c[sz + 1] - c[sz]);
    float c11 = c[sz + sy] + fx * (c[sz + sy + 1] - c[sz + sy]);
    float c0 = c00 + fy * (c10 - c00);
    float c1 = c01 + fy * (c11 - c01);
    return c0 + fz * (c1 - c0);
}

/* Gradient (voxel units) at voxel position p: central differences at the
 * eight voxels around p, blended trilinearly. Unlike differences of the
 * trilinear field itself, this varies smoothly across cell faces, which keeps
 * the shading free of the grid's terraces. */
static void gradient_at(const render_scene *s, const double p[3], double g[3])
{
    const int64_t n[3] = {s->n[0], s->n[1], s->n[2]};
    int64_t base[3];
    double f[3];
    for (int a = 0; a < 3; a++) {
        double q = p[a] < 0.0 ? 0.0 : (p[a] > (double)(n[a] - 1) ? (double)(n[a] - 1) : p[a]);
        base[a] = (int64_t)q;
        if (base[a] > n[a] - 2)
            base[a] = n[a] - 2;
        f[a] = q - (double)base[a];
    }
    const int64_t sx = 1, sy = n[0], sz = n[0] * n[1];
    const int64_t stride[3] = {sx, sy, sz};
    g[0] = g[1] = g[2] = 0.0;
    for (int c = 0; c < 8; c++) {
        int64_t idx[3] = {base[0] + (c & 1), base[1] + ((c >> 1) & 1), base[2] + ((c >> 2) & 1)};
        double w = ((c & 1) ? f[0] : 1.0 - f[0]) * (((c >> 1) & 1) ? f[1] : 1.0 - f[1]) *
                   (((c >> 2) & 1) ? f[2] : 1.0 - f[2]);
        const float *v = s->vol + idx[2] * sz + idx[1] * sy + idx[0];
        for (int a = 0; a < 3; a++) {
            /* One-sided at the grid's border. */
            int lo = idx[a] > 0, hi = idx[a] < n[a] - 1;
            double diff = (double)(hi ? v[stride[a]] : v[0]) - (double)(lo ? v[-stride[a]] : v[0]);
            g[a] += w * diff / (double)(lo + hi);
        }
    }
}

typedef struct ray {
    double o[3]; /* voxel position at t = 0 */
    double d[3]; /* voxel displacement per mm of t */
} ray;

static inline void ray_at(const ray *r, double t, double p[3])
{
    p[0] = r->o[0] + t * r->d[0];
    p[1] = r->o[1] + t * r->d[1];
    p[2] = r->o[2] + t * r->d[2];
}

/* Clips the ray to the box of the blocks that reach the threshold (inside
 * the grid box [0, n-1]^3); returns 0 when it misses. */
static int ray_clip(const render_scene *s, const ray *r, double *t0, double *t1)
{
    double lo = -INFINITY, hi = INFINITY;
    for (int a = 0; a < 3; a++) {
        double bot = s->box_lo[a], top = s->box_hi[a];
        if (fabs(r->d[a]) < 1e-15) {
            if (r->o[a] < bot || r->o[a] > top)
                return 0;
            continue;
        }
        double ta = (bot - r->o[a]) / r->d[a], tb = (top - r->o[a]) / r->d[a];
        if (ta > tb) {
            double x = ta;
            ta = tb;
            tb = x;
        }
        lo = fmax(lo, ta);
        hi = fmin(hi, tb);
    }
    *t0 = lo;
    *t1 = hi;
    return lo <= hi;
}

/* The crossing between t = a (below the threshold) and t = c (at or above):
 * four bisections, then linear interpolation of the values at the ends
 * (a sixty-fourth of a step is far below a pixel). Both ends lie inside the
 * clipped ray, so the fast sampler applies. */
static double refine(const render_scene *s, const ray *r, double a, double c)
{
    const float thr = s->thr;
    double pa[3], pc[3];
    ray_at(r, a, pa);
    ray_at(r, c, pc);
    float fa = sample_fast(s, pa), fc = sample_fast(s, pc);
    for (int it = 0; it < 4; it++) {
        double m = 0.5 * (a + c), pm[3];
        ray_at(r, m, pm);
        float fm = sample_fast(s, pm);
        if (fm >= thr) {
            c = m;
            fc = fm;
        } else {
            a = m;
            fa = fm;
        }
    }
    double w = fc > fa ? ((double)thr - fa) / ((double)fc - fa) : 1.0;
    w = w < 0.0 ? 0.0 : (w > 1.0 ? 1.0 : w);
    return a + w * (c - a);
}

/* First crossing of the threshold along the ray, at t in mm from the camera
 * plane; returns 0 when there is none, 2 when the ray meets tissue right at
 * the border of the grid (the cut face of the field of view), else 1.
 *
 * The ray walks the block grid cell by cell (Amanatides & Woo 1987, "A fast
 * voxel traversal algorithm"): no division per block. A block whose maximum
 * is below the threshold is passed in one step; in any other, the samples
 * t = k * step that fall inside it are read one by one. */
/* Block of the ray at t (clamped into the grid) and the t at which the ray
 * crosses the next block face along each axis. */
static void dda_start(const render_scene *s, const ray *r, double t, const int dir[3], int b[3], double tmax[3])
{
    const double B = RENDER_BLOCK;
    double p[3];
    ray_at(r, t, p);
    for (int a = 0; a < 3; a++) {
        double q = p[a] < 0.0 ? 0.0 : (p[a] > (double)(s->n[a] - 1) ? (double)(s->n[a] - 1) : p[a]);
        b[a] = (int)(q / B);
        if (b[a] >= s->nb[a])
            b[a] = s->nb[a] - 1;
        if (dir[a] > 0)
            tmax[a] = ((double)(b[a] + 1) * B - r->o[a]) / r->d[a];
        else if (dir[a] < 0)
            tmax[a] = ((double)b[a] * B - r->o[a]) / r->d[a];
        else
            tmax[a] = INFINITY;
    }
}

static int ray_hit(const render_scene *s, const ray *r, double *t_hit)
{
    double t0, t1;
    if (!ray_clip(s, r, &t0, &t1))
        return 0;
    const double step = s->step_mm, B = RENDER_BLOCK;
    const float thr = s->thr;
    int b[3], dir[3];
    double tmax[3], tdelta[3], maxd = 0.0;
    for (int a = 0; a < 3; a++) {
        dir[a] = r->d[a] > 1e-15 ? 1 : (r->d[a] < -1e-15 ? -1 : 0);
        tdelta[a] = dir[a] ? B / fabs(r->d[a]) : INFINITY;
        maxd = fmax(maxd, fabs(r->d[a]));
    }
    /* Tissue at the entry point: the grid's border cuts through the head. */
    double p0[3];
    ray_at(r, t0, p0);
    for (int a = 0; a < 3; a++)
        p0[a] = p0[a] < 0.0 ? 0.0 : (p0[a] > (double)(s->n[a] - 1) ? (double)(s->n[a] - 1) : p0[a]);
    if (sample_inside(s, p0) >= thr) {
        *t_hit = t0;
        return 2;
    }
    dda_start(s, r, t0, dir, b, tmax);
    int64_t k = (int64_t)ceil(t0 / step);
    const int64_t kend = (int64_t)floor(t1 / step);
    double t_prev = t0;  /* last position known to be below the threshold */
    double t_enter = t0; /* where the ray entered the current block */
    for (;;) {
        double texit = tmax[0] < tmax[1] ? tmax[0] : tmax[1];
        texit = tmax[2] < texit ? tmax[2] : texit;
        /* Samples inside this block; the margin leaves a sample that rounding
         * puts on the far face to the next block. */
        int64_t klast = (int64_t)floor((texit - 1e-9) / step);
        if (klast > kend)
            klast = kend;
        size_t bi = ((size_t)b[2] * s->nb[1] + b[1]) * s->nb[0] + b[0];
        int dist = s->bdist[bi];
        if (dist == 0) {
            for (; k <= klast; k++) {
                double t = (double)k * step, p[3];
                ray_at(r, t, p);
                if (sample_fast(s, p) >= thr) {
                    *t_hit = refine(s, r, fmax(t - step, t_prev), t);
                    return 1;
                }
                t_prev = t;
            }
        } else if (dist >= 3) {
            /* Every block within dist-1 of this one is below the threshold,
             * and so is every point within (dist-1)*B voxels of t_enter. */
            double tj = t_enter + (double)(dist - 1) * B / maxd;
            if (tj > texit) {
                if (tj >= t1)
                    return 0;
                int64_t kj = (int64_t)floor(tj / step);
                if (kj >= k) {
                    k = kj + 1;
                    t_prev = (double)kj * step;
                }
                dda_start(s, r, tj, dir, b, tmax);
                t_enter = tj;
                continue;
            }
        }
        if (dist != 0 && klast >= k) {
            k = klast + 1;
            t_prev = (double)klast * step;
        }
        if (k > kend || texit >= t1)
            return 0;
        int a = tmax[0] <= tmax[1] ? (tmax[0] <= tmax[2] ? 0 : 2) : (tmax[1] <= tmax[2] ? 1 : 2);
        b[a] += dir[a];
        if (b[a] < 0 || b[a] >= s->nb[a])
            return 0;
        tmax[a] += tdelta[a];
        t_enter = texit;
    }
}

static inline uint8_t to_byte(double x)
{
    x = x * 255.0 + 0.5;
    return (uint8_t)(x < 0.0 ? 0.0 : (x > 255.0 ? 255.0 : x));
}

/* World position of pixel (px, py) on the camera plane (t = 0). */
static void pixel_origin(const render_scene *s, render_view view, int size, int px, int py, const double u[3],
                         const double v[3], const double d[3], double ow[3])
{
    double du = s->ucenter[view] + ((px + 0.5) / size - 0.5) * s->span;
    double dv = s->vcenter + (0.5 - (py + 0.5) / size) * s->span;
    for (int a = 0; a < 3; a++)
        ow[a] = s->center[a] + du * u[a] + dv * v[a] - s->radius * d[a];
}

void render_scene_pixel_world(const render_scene *s, render_view view, int size, int px, int py, double depth,
                              double world[3])
{
    double u[3], v[3], d[3], o[3];
    render_view_axes(view, u, v, d);
    pixel_origin(s, view, size, px, py, u, v, d, o);
    for (int a = 0; a < 3; a++)
        world[a] = o[a] + depth * d[a];
}

faceless_status render_scene_view(faceless_ctx *ctx, const render_scene *s, render_view view, int size,
                                  render_image *out)
{
    if ((unsigned)view >= RENDER_VIEW_COUNT || size < 8 || size > 8192)
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "render: bad view %d or size %d", (int)view, size);
    static const uint8_t bg[3] = {0, 0, 0};
    render_image img = {0};
    if (!render_image_alloc(&img, size, size, bg))
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "render: out of memory for a %dx%d view", size, size);
    img.depth = malloc((size_t)size * size * sizeof *img.depth);
    if (!img.depth) {
        render_image_free(&img);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "render: out of memory for a %dx%d view", size, size);
    }
    double u[3], v[3], d[3];
    render_view_axes(view, u, v, d);
    /* Ray direction in voxel units per mm, and the gradient's way back:
     * grad_world = A^T grad_voxel with A the linear part of ras2vox. */
    double dv[3];
    for (int i = 0; i < 3; i++)
        dv[i] = s->ras2vox[i][0] * d[0] + s->ras2vox[i][1] * d[1] + s->ras2vox[i][2] * d[2];
    const double depth_range = fmax(s->far_mm[view] - s->near_mm[view], 1.0);
    /* Skin tone; light from the camera (headlight). */
    static const double base[3] = {0.93, 0.78, 0.66};
    const int threads = ctx_omp_threads(ctx);

#pragma omp parallel for num_threads(threads) schedule(dynamic, 2)
    for (int py = 0; py < size; py++) {
        for (int px = 0; px < size; px++) {
            double ow[3];
            pixel_origin(s, view, size, px, py, u, v, d, ow);
            ray r;
            for (int i = 0; i < 3; i++) {
                r.o[i] = s->ras2vox[i][0] * ow[0] + s->ras2vox[i][1] * ow[1] + s->ras2vox[i][2] * ow[2] +
                         s->ras2vox[i][3];
                r.d[i] = dv[i];
            }
            size_t pix = (size_t)py * size + px;
            double t;
            int hit = ray_hit(s, &r, &t);
            if (!hit) {
                img.depth[pix] = INFINITY;
                continue;
            }
            img.depth[pix] = (float)t;
            double cue = 1.0 - 0.45 * fmin(fmax((t - s->near_mm[view]) / depth_range, 0.0), 1.0);
            uint8_t *o = img.rgb + 3 * pix;
            if (hit == 2) {
                /* Cut face of the field of view: flat grey-blue, so it is not
                 * mistaken for skin. */
                static const double cut[3] = {0.45, 0.50, 0.60};
                for (int c = 0; c < 3; c++)
                    o[c] = to_byte(cut[c] * cue);
                continue;
            }
            double p[3];
            ray_at(&r, t, p);
            double g[3];
            gradient_at(s, p, g);
            double nw[3], len = 0.0;
            for (int j = 0; j < 3; j++) {
                nw[j] = -(s->ras2vox[0][j] * g[0] + s->ras2vox[1][j] * g[1] + s->ras2vox[2][j] * g[2]);
                len += nw[j] * nw[j];
            }
            double ndotl;
            if (len > 0.0) {
                len = sqrt(len);
                ndotl = -(nw[0] * d[0] + nw[1] * d[1] + nw[2] * d[2]) / len;
            } else {
                ndotl = 1.0; /* flat field (cut face of the grid): facing the camera */
            }
            /* Two-sided: a normal flipped by noise still shows as lit. */
            ndotl = fabs(ndotl);
            double n2 = ndotl * ndotl, n4 = n2 * n2, n8 = n4 * n4;
            double spec = n8 * n8 * n8 * 0.22; /* ndotl^24 */
            for (int c = 0; c < 3; c++)
                o[c] = to_byte((0.10 + 0.90 * ndotl) * cue * base[c] + spec * cue);
        }
    }
    *out = img;
    return FACELESS_OK;
}
