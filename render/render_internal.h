/* Private header of render/: the scene layout and the small picture helpers
 * shared by the files of the module. */
#ifndef FACELESS_RENDER_INTERNAL_H
#define FACELESS_RENDER_INTERNAL_H

#include "render/render.h"
#include "core/volume.h"

/* Edge of the cubic blocks of the empty-space-skipping grid, in voxels. */
#define RENDER_BLOCK 4

struct render_scene {
    int64_t n[3];             /* grid */
    float *vol;               /* scaled values, smoothed (render_scene.c), x fastest; owned */
    const faceless_volume *src; /* the volume drawn; must outlive the scene */
    int64_t frame;
    float thr;                /* skin threshold */
    double vox2ras[4][4];
    double ras2vox[4][4];
    double step_mm;           /* ray sampling step in world mm */
    int nb[3];                /* block grid: block b spans voxels b*B .. b*B+B */
    float *bmax;              /* per block, max over its voxels incl. the far face; owned */
    double box_lo[3], box_hi[3]; /* voxel box of the blocks reaching the threshold */
    uint8_t *bdist;           /* per block, Chebyshev distance in blocks to the nearest
                                 block reaching the threshold (0 there, capped); owned */
    /* Framing (world mm), shared with the scene of a de-faced result. */
    double center[3];         /* middle of the head */
    double radius;            /* camera plane distance from center */
    double span;              /* mm covered by a view's side */
    double ucenter[RENDER_VIEW_COUNT]; /* image centre offset along the view's u axis */
    double vcenter;           /* image centre offset along +S */
    double near_mm[RENDER_VIEW_COUNT]; /* depth range of the head, for depth cueing */
    double far_mm[RENDER_VIEW_COUNT];
};

/* Releases the scene's voxels (vol, bmax, bdist), keeping its threshold and
 * framing: enough to be the framing of another scene, no longer drawable. A
 * scene's voxels are a float copy of the whole frame, and the montage would
 * otherwise hold two (before and after) at once. */
void render_scene_drop_voxels(render_scene *s);

/* Camera axes of a view: u = image right, v = image up, d = viewing direction. */
void render_view_axes(render_view view, double u[3], double v[3], double d[3]);

/* Inverts a 4x4 affine; returns 0 when singular. */
int render_affine_invert(const double m[4][4], double inv[4][4]);


/* Pictures: allocation (filled with the background colour), copy, text. */
int render_image_alloc(render_image *img, int width, int height, const uint8_t bg[3]);
void render_image_blit(render_image *dst, const render_image *src, int x, int y);
void render_fill_rect(render_image *img, int x, int y, int w, int h, const uint8_t rgb[3]);

/* Text with the built-in 5x7 font (upper case; lower case is drawn as upper),
 * each font pixel drawn as scale x scale pixels. Returns the width drawn. */
int render_text_draw(render_image *img, int x, int y, int scale, const uint8_t rgb[3], const char *text);
int render_text_width(int scale, const char *text);
#define RENDER_FONT_HEIGHT 7

/* Overlay slices of `vol` (frame 0) with `region` in colour, side by side,
 * each size x size pixels: sagittal, axial, coronal through the region's centre
 * (or the head's centre when the region is empty), labelled. */
faceless_status render_overlay_slices(faceless_ctx *ctx, const render_scene *scene, const uint8_t *region,
                                      int size, render_image *out);

#endif
