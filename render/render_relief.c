/* render_relief: a measurable "is there a face" criterion on a front-view
 * depth map. A nose is the strongest local protrusion of a head seen from the
 * front: its tip stands 15-30 mm proud of the ring of cheeks, upper lip and
 * nose bridge around it, while a forehead or a flat de-faced cut stands a few
 * mm at most. Medians keep specks of noise and ray misses from deciding. */
#include "render/render_internal.h"
#include "core/context.h"

#include <math.h>
#include <stdlib.h>

#define TIP_RADIUS_MM 3.0
#define RING_INNER_MM 15.0
#define RING_OUTER_MM 25.0
#define NEAR_MM 8.0

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Median depth of the surface pixels at distance [r0, r1) mm from (cx, cy),
 * ignoring misses (the edge of the field of view may cut through the ring, as
 * in Colin27 where it passes through the nose). INFINITY when fewer than a
 * quarter of the pixels there show surface. */
static double median_in(const render_image *img, double mmpp, int cx, int cy, double r0, double r1, float *buf)
{
    size_t total = 0;
    int rpx = (int)ceil(r1 / mmpp);
    size_t n = 0;
    for (int y = cy - rpx; y <= cy + rpx; y++) {
        if (y < 0 || y >= img->height)
            continue;
        for (int x = cx - rpx; x <= cx + rpx; x++) {
            if (x < 0 || x >= img->width)
                continue;
            double r = hypot((double)(x - cx), (double)(y - cy)) * mmpp;
            if (r >= r0 && r < r1) {
                float d = img->depth[(size_t)y * img->width + x];
                total++;
                if (isfinite(d))
                    buf[n++] = d;
            }
        }
    }
    if (!n || 4 * n < total)
        return INFINITY;
    qsort(buf, n, sizeof *buf, cmp_float);
    return buf[n / 2];
}

/* 1 if the 5x5 neighbourhood of (x, y) is all surface: a real tip, not a
 * speck of noise floating in the air. */
static int solid_at(const render_image *img, int x, int y)
{
    for (int dy = -2; dy <= 2; dy++)
        for (int dx = -2; dx <= 2; dx++) {
            int xx = x + dx, yy = y + dy;
            if (xx < 0 || yy < 0 || xx >= img->width || yy >= img->height)
                return 0;
            if (!isfinite(img->depth[(size_t)yy * img->width + xx]))
                return 0;
        }
    return 1;
}

/* Relief at pixel (x, y): ring median minus tip median; -INFINITY when
 * either has too little surface. */
static void relief_at(const render_image *img, double mmpp, int x, int y, float *buf, render_relief *r)
{
    r->tip_x = x;
    r->tip_y = y;
    r->tip_depth = median_in(img, mmpp, x, y, 0.0, TIP_RADIUS_MM, buf);
    r->ring_depth = median_in(img, mmpp, x, y, RING_INNER_MM, RING_OUTER_MM, buf);
    r->relief = isfinite(r->tip_depth) && isfinite(r->ring_depth) ? r->ring_depth - r->tip_depth : -INFINITY;
}

faceless_status render_face_relief(faceless_ctx *ctx, const render_image *front, double mm_per_pixel,
                                   int at_x, int at_y, render_relief *out)
{
    if (!front || !front->depth || !(mm_per_pixel > 0.0))
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "render: relief needs a front view with its depth map");
    int rpx = (int)ceil(RING_OUTER_MM / mm_per_pixel);
    float *buf = malloc((size_t)(2 * rpx + 1) * (size_t)(2 * rpx + 1) * sizeof *buf);
    if (!buf)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "render: out of memory measuring relief");
    if (at_x >= 0 && at_y >= 0) {
        relief_at(front, mm_per_pixel, at_x, at_y, buf, out);
        free(buf);
        return FACELESS_OK;
    }
    /* Candidates: solid surface in the middle third of the columns within
     * NEAR_MM of the point closest to the camera (the front of the face; a
     * pitched head puts brow and nose at about the same depth). The nose tip
     * is the candidate with the largest relief. */
    const int w = front->width, h = front->height;
    double nearest = INFINITY;
    for (int y = 0; y < h; y++)
        for (int x = w / 3; x < 2 * w / 3; x++) {
            float d = front->depth[(size_t)y * w + x];
            if (d < nearest && solid_at(front, x, y))
                nearest = d;
        }
    if (!isfinite(nearest)) {
        free(buf);
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "render: the front view shows no surface");
    }
    int stride = 1.0 / mm_per_pixel >= 1.0 ? (int)(1.0 / mm_per_pixel) : 1; /* about one per mm */
    render_relief best = {0};
    best.relief = -INFINITY;
    int found = 0;
    for (int y = 0; y < h; y += stride)
        for (int x = w / 3; x < 2 * w / 3; x += stride) {
            float d = front->depth[(size_t)y * w + x];
            if (!(d <= nearest + NEAR_MM) || !solid_at(front, x, y))
                continue;
            render_relief r;
            relief_at(front, mm_per_pixel, x, y, buf, &r);
            if (!found || r.relief > best.relief) {
                best = r;
                found = 1;
            }
        }
    free(buf);
    *out = best;
    return FACELESS_OK;
}
