/* render_slices: sagittal, axial and coronal slices of the original in world
 * space, with the changed region (the mask, or the voxels that differ) in
 * colour over it, so a reviewer sees both what was removed and that the brain
 * is untouched. Slices are world-aligned planes resampled from the grid, so
 * they are upright whatever the storage order: sagittal with the face to the
 * left (as the "left" view), axial and coronal with the subject's right on the
 * image left (as the "front" view, facing the person). */
#include "render/render_internal.h"
#include "core/context.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SLICE_SAGITTAL, SLICE_AXIAL, SLICE_CORONAL, SLICE_COUNT };

/* In-plane axes (world) of each slice: horizontal h (image right), vertical
 * w (image up), and the axis the slice is perpendicular to. */
static void slice_axes(int kind, double h[3], double w[3], int *normal_axis)
{
    memset(h, 0, 3 * sizeof *h);
    memset(w, 0, 3 * sizeof *w);
    switch (kind) {
    case SLICE_SAGITTAL:
        h[1] = -1.0; /* anterior on the left */
        w[2] = 1.0;
        *normal_axis = 0;
        break;
    case SLICE_AXIAL:
        h[0] = -1.0; /* subject's right on the left */
        w[1] = 1.0;  /* anterior at the top */
        *normal_axis = 2;
        break;
    default:
        h[0] = -1.0;
        w[2] = 1.0;
        *normal_axis = 1;
        break;
    }
}

/* The stored voxel nearest to voxel position p, scaled; NAN outside the
 * grid. Nearest, not interpolated: the slices show the voxels as they are, and
 * the coloured region ends exactly where the changed voxels end. */
static float slice_sample(const render_scene *s, const double p[3], int64_t *index)
{
    int64_t q[3];
    for (int a = 0; a < 3; a++) {
        double r = floor(p[a] + 0.5);
        if (!(r >= 0.0 && r <= (double)(s->n[a] - 1)))
            return NAN;
        q[a] = (int64_t)r;
    }
    const faceless_volume *v = s->src;
    *index = (q[2] * s->n[1] + q[1]) * s->n[0] + q[0];
    double x = volume_get_stored(v, s->frame * volume_voxels3(v) + *index);
    if (!((v->scl_slope == 0.0 || v->scl_slope == 1.0) && v->scl_inter == 0.0))
        x = x * (v->scl_slope == 0.0 ? 1.0 : v->scl_slope) + v->scl_inter;
    return isfinite(x) ? (float)x : 0.0f;
}

/* Display window: from the air level to the 99.5th percentile of the voxels
 * above the skin threshold (histogram, exact for any thread count). */
static void slice_window(const render_scene *s, double *lo, double *hi)
{
    const int64_t n = s->n[0] * s->n[1] * s->n[2];
    double mn = INFINITY, mx = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        mn = fmin(mn, s->vol[i]);
        mx = fmax(mx, s->vol[i]);
    }
    *lo = mn;
    *hi = mx > mn ? mx : mn + 1.0;
    enum { BINS = 1024 };
    int64_t *h = calloc(BINS, sizeof *h);
    if (!h || !(mx > s->thr)) {
        free(h);
        return;
    }
    double scale = BINS / (mx - s->thr), total = 0.0;
    for (int64_t i = 0; i < n; i++) {
        if (s->vol[i] < s->thr)
            continue;
        int b = (int)((s->vol[i] - s->thr) * scale);
        h[b >= BINS ? BINS - 1 : b]++;
        total += 1.0;
    }
    double acc = 0.0;
    for (int b = 0; b < BINS; b++) {
        acc += (double)h[b];
        if (acc >= 0.995 * total) {
            *hi = s->thr + (b + 1) / scale;
            break;
        }
    }
    free(h);
}

/* Centre of the region in world mm; 0 when the region is empty. */
static int region_centre(const render_scene *s, const uint8_t *region, double c[3])
{
    const int64_t nx = s->n[0], ny = s->n[1], nz = s->n[2];
    double sum[3] = {0, 0, 0};
    int64_t cnt = 0;
    for (int64_t k = 0; k < nz; k++)
        for (int64_t j = 0; j < ny; j++) {
            const uint8_t *row = region + (k * ny + j) * nx;
            for (int64_t i = 0; i < nx; i++)
                if (row[i]) {
                    sum[0] += (double)i;
                    sum[1] += (double)j;
                    sum[2] += (double)k;
                    cnt++;
                }
        }
    if (!cnt)
        return 0;
    double pv[3] = {sum[0] / cnt, sum[1] / cnt, sum[2] / cnt};
    for (int a = 0; a < 3; a++)
        c[a] = s->vox2ras[a][0] * pv[0] + s->vox2ras[a][1] * pv[1] + s->vox2ras[a][2] * pv[2] + s->vox2ras[a][3];
    return 1;
}

static void draw_slice(const render_scene *s, const uint8_t *region, int kind, const double at[3], int size,
                       double lo, double hi, render_image *img, int ox, int threads)
{
    double h[3], w[3];
    int na;
    slice_axes(kind, h, w, &na);
    /* The slice covers the views' span, centred on the head in-plane and
     * passing through `at` along its normal. */
    double c[3] = {s->center[0], s->center[1], s->center[2]};
    c[na] = at[na];
    const double span = s->span;
    const double inv = 1.0 / (hi - lo);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int py = 0; py < size; py++) {
        for (int px = 0; px < size; px++) {
            double a = ((px + 0.5) / size - 0.5) * span, b = (0.5 - (py + 0.5) / size) * span;
            double pw[3], pv[3];
            for (int q = 0; q < 3; q++)
                pw[q] = c[q] + a * h[q] + b * w[q];
            for (int q = 0; q < 3; q++)
                pv[q] = s->ras2vox[q][0] * pw[0] + s->ras2vox[q][1] * pw[1] + s->ras2vox[q][2] * pw[2] +
                        s->ras2vox[q][3];
            uint8_t *o = img->rgb + 3 * ((size_t)py * img->width + ox + px);
            int64_t vi;
            float val = slice_sample(s, pv, &vi);
            if (isnan(val)) {
                o[0] = o[1] = o[2] = 24; /* outside the field of view */
                continue;
            }
            double g = ((double)val - lo) * inv;
            g = g < 0.0 ? 0.0 : (g > 1.0 ? 1.0 : g);
            double rgb[3] = {g, g, g};
            if (region && region[vi]) {
                /* Changed voxels: red, blended so the anatomy stays readable. */
                rgb[0] = 0.45 * g + 0.55 * 1.0;
                rgb[1] = 0.45 * g + 0.55 * 0.12;
                rgb[2] = 0.45 * g + 0.55 * 0.08;
            }
            for (int q = 0; q < 3; q++)
                o[q] = (uint8_t)(rgb[q] * 255.0 + 0.5);
        }
    }
}

faceless_status render_overlay_slices(faceless_ctx *ctx, const render_scene *s, const uint8_t *region,
                                      int size, render_image *out)
{
    static const uint8_t bg[3] = {0, 0, 0}, white[3] = {235, 235, 235}, yellow[3] = {250, 210, 80};
    const int gap = 4;
    render_image img;
    if (!render_image_alloc(&img, SLICE_COUNT * size + (SLICE_COUNT - 1) * gap, size, bg))
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "render: out of memory for the overlay slices");
    double at[3];
    if (!region || !region_centre(s, region, at))
        memcpy(at, s->center, sizeof at);
    double lo, hi;
    slice_window(s, &lo, &hi);
    int threads = ctx_omp_threads(ctx);
    static const char *const names[SLICE_COUNT] = {"SAGITTAL X", "AXIAL Z", "CORONAL Y"};
    static const int axis_of[SLICE_COUNT] = {0, 2, 1};
    /* Edge letters: left, right, top, bottom. */
    static const char *const edges[SLICE_COUNT][4] = {{"A", "P", "S", "I"}, {"R", "L", "A", "P"},
                                                       {"R", "L", "S", "I"}};
    for (int kind = 0; kind < SLICE_COUNT; kind++) {
        int ox = kind * (size + gap);
        draw_slice(s, region, kind, at, size, lo, hi, &img, ox, threads);
        char label[64];
        snprintf(label, sizeof label, "%s=%.0f MM", names[kind], at[axis_of[kind]]);
        render_text_draw(&img, ox + 6, 6, 2, white, label);
        int sc = 2, ch = RENDER_FONT_HEIGHT * sc;
        render_text_draw(&img, ox + 4, size / 2 - ch / 2, sc, yellow, edges[kind][0]);
        render_text_draw(&img, ox + size - 4 - render_text_width(sc, edges[kind][1]), size / 2 - ch / 2, sc,
                         yellow, edges[kind][1]);
        render_text_draw(&img, ox + size / 2 - sc * 2, 6 + ch + 6, sc, yellow, edges[kind][2]);
        render_text_draw(&img, ox + size / 2 - sc * 2, size - 6 - ch, sc, yellow, edges[kind][3]);
    }
    *out = img;
    return FACELESS_OK;
}
