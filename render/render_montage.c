/* render_montage: rows of labelled views, and the before/after QC montage
 * (original views, result views with the original's threshold and framing,
 * overlay slices of the changed region). */
#include "render/render_internal.h"
#include "core/context.h"
#include "render/render_vtk.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GAP 4
#define BAND 28 /* height of a caption band: 2x font plus margins */

static const uint8_t BG[3] = {0, 0, 0};
static const uint8_t WHITE[3] = {235, 235, 235};
static const uint8_t GREY[3] = {150, 150, 160};

static int view_list(const render_options *o, render_view views[RENDER_VIEW_COUNT])
{
    if (o->n_views > 0 && o->n_views <= RENDER_VIEW_COUNT) {
        memcpy(views, o->views, (size_t)o->n_views * sizeof *views);
        return o->n_views;
    }
    for (int v = 0; v < RENDER_VIEW_COUNT; v++)
        views[v] = (render_view)v;
    return RENDER_VIEW_COUNT;
}

/* Draws the views of scene side by side into img at row y; each view is
 * labelled in its top-left corner (background for a round head) when labels
 * is set. With the VTK engine, one offscreen window (and one isosurface)
 * serves the whole row. */
static faceless_status draw_row(faceless_ctx *ctx, const render_scene *scene, const render_view *views, int n, int size,
                                const render_options *o, render_image *img, int y)
{
    const int labels = o->labels;
    render_vtk_stage *stage = NULL;
    if (o->engine == RENDER_ENGINE_VTK) {
        faceless_status st = render_vtk_stage_new(ctx, scene, size, &stage);
        if (st != FACELESS_OK)
            return st;
    }
    for (int i = 0; i < n; i++) {
        render_image one = {0};
        faceless_status st = stage ? render_vtk_stage_view(ctx, stage, views[i], &one)
                                   : render_scene_view(ctx, scene, views[i], size, &one);
        if (st != FACELESS_OK) {
            render_vtk_stage_free(stage);
            return st;
        }
        int x = i * (size + GAP);
        render_image_blit(img, &one, x, y);
        render_image_free(&one);
        if (labels)
            render_text_draw(img, x + 5, y + 5, 2, GREY, render_view_name(views[i]));
    }
    render_vtk_stage_free(stage);
    return FACELESS_OK;
}

static int view_size(const render_options *o)
{
    return o->view_size >= 16 && o->view_size <= 4096 ? o->view_size : 256;
}

faceless_status render_views(faceless_ctx *ctx, const faceless_volume *vol, int64_t frame,
                             const render_options *opts, render_image *out)
{
    render_options def;
    if (!opts) {
        render_options_default(&def);
        opts = &def;
    }
    render_view views[RENDER_VIEW_COUNT];
    int n = view_list(opts, views), size = view_size(opts);
    render_scene *scene = NULL;
    faceless_status st = render_scene_new(ctx, vol, frame, opts, NULL, &scene);
    if (st != FACELESS_OK)
        return st;
    render_image img;
    if (!render_image_alloc(&img, n * size + (n - 1) * GAP, size, BG)) {
        render_scene_free(scene);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "render: out of memory for the picture");
    }
    st = draw_row(ctx, scene, views, n, size, opts, &img, 0);
    render_scene_free(scene);
    if (st != FACELESS_OK) {
        render_image_free(&img);
        return st;
    }
    *out = img;
    return FACELESS_OK;
}

/* The voxels of frame 0 whose stored values differ (same grid). */
static uint8_t *diff_region(const faceless_volume *a, const faceless_volume *b, int threads)
{
    int64_t n = volume_voxels3(a);
    uint8_t *r = malloc((size_t)n);
    if (!r)
        return NULL;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < n; i++)
        r[i] = volume_get_stored(a, i) != volume_get_stored(b, i);
    return r;
}

faceless_status render_montage_image(faceless_ctx *ctx, const faceless_volume *before,
                                     const faceless_volume *after, const uint8_t *mask,
                                     const render_options *opts, render_image *out)
{
    render_options def;
    if (!opts) {
        render_options_default(&def);
        opts = &def;
    }
    if (before->nx != after->nx || before->ny != after->ny || before->nz != after->nz)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: the result's grid differs from the original's",
                        after->path ? after->path : "result");
    render_view views[RENDER_VIEW_COUNT];
    int n = view_list(opts, views), size = view_size(opts);
    render_scene *sb = NULL, *sa = NULL;
    faceless_status st = render_scene_new(ctx, before, 0, opts, NULL, &sb);
    if (st != FACELESS_OK)
        return st;
    int row_w = n * size + (n - 1) * GAP;
    /* Slices share the width of the rows: three of them, square. */
    int slice = (row_w - 2 * GAP) / 3;
    int width = row_w;
    int height = BAND + size + BAND + size + BAND + slice;
    render_image img = {0}, slices = {0};
    uint8_t *region = NULL;
    if (!render_image_alloc(&img, width, height, BG)) {
        st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "render: out of memory for the montage");
        goto done;
    }
    /* Everything drawn from the original first (its row and the slices),
     * then its voxels are released before the result's scene is made: one
     * float copy of the image at a time instead of two. */
    char caption[256];
    int y = 0;
    snprintf(caption, sizeof caption, "BEFORE: ORIGINAL  (SKIN THRESHOLD %.4g)", render_scene_threshold(sb));
    render_text_draw(&img, 6, y + 7, 2, WHITE, caption);
    y += BAND;
    if ((st = draw_row(ctx, sb, views, n, size, opts, &img, y)) != FACELESS_OK)
        goto done;
    y += size;
    const uint8_t *shown = mask;
    if (!shown) {
        region = diff_region(before, after, ctx_omp_threads(ctx));
        if (!region) {
            st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "render: out of memory for the changed region");
            goto done;
        }
        shown = region;
    }
    if ((st = render_overlay_slices(ctx, sb, shown, slice, &slices)) != FACELESS_OK)
        goto done;
    render_scene_drop_voxels(sb);
    /* The result is drawn with the original's threshold and framing, so the
     * two rows line up and a removed face shows as a change, not a re-fit. */
    if ((st = render_scene_new(ctx, after, 0, opts, sb, &sa)) != FACELESS_OK)
        goto done;
    render_text_draw(&img, 6, y + 7, 2, WHITE, "AFTER: DE-FACED RESULT  (SAME THRESHOLD AND FRAMING)");
    y += BAND;
    if ((st = draw_row(ctx, sa, views, n, size, opts, &img, y)) != FACELESS_OK)
        goto done;
    y += size;
    render_text_draw(&img, 6, y + 7, 2, WHITE,
                     mask ? "MASK (RED) OVER THE ORIGINAL" : "CHANGED VOXELS (RED) OVER THE ORIGINAL");
    y += BAND;
    render_image_blit(&img, &slices, (width - slices.width) / 2, y);
    *out = img;
    img.rgb = NULL;
done:
    render_image_free(&img);
    render_image_free(&slices);
    free(region);
    render_scene_free(sa);
    render_scene_free(sb);
    return st;
}

faceless_status render_montage(faceless_ctx *ctx, const faceless_volume *before, const faceless_volume *after,
                               const uint8_t *mask, const char *png_path)
{
    render_image img = {0};
    faceless_status st = render_montage_image(ctx, before, after, mask, NULL, &img);
    if (st == FACELESS_OK)
        st = render_png_write(ctx, &img, png_path);
    render_image_free(&img);
    return st;
}
