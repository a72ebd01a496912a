/* render: headless surface renders of a head volume, the before/after QC
 * montage, PNG output and the self-contained QC report page (issue 5).
 *
 * The renderer ray-casts the skin isosurface (threshold chosen between air
 * and skin, or given) in world RAS space: rays are cast in world mm and mapped
 * into the voxel grid through the inverse of vox2ras, so a volume stored
 * sagittally, as LPS or obliquely renders the same picture as the canonical
 * one. Views are upright (superior at the top) and named after where the
 * camera stands: "front" looks at the face (the subject's right on the image
 * left, as when facing the person), "left" looks at the left side of the head
 * (face towards the image left), "right" at the right side, and "front-left" /
 * "front-right" are the three-quarter views half way between.
 *
 * Thread safety: as faceless.h. Every function uses OpenMP internally across
 * pixels with results that depend on nothing but the inputs, so the pictures
 * are bit-identical for any thread count.
 *
 * Ownership: render_image buffers are allocated by the functions that fill
 * them and released with render_image_free(); inputs are never modified.
 *
 * Stability: render_montage() is called by the deface command (branch mask);
 * its signature is frozen. Add a new function rather than change it. */
#ifndef FACELESS_RENDER_H
#define FACELESS_RENDER_H

#include "faceless.h"

#include <stdint.h>

/* The five views, in the left-to-right order of a montage row (camera moving
 * from the subject's right round the face to the subject's left). */
typedef enum render_view {
    RENDER_VIEW_RIGHT = 0,
    RENDER_VIEW_FRONT_RIGHT = 1,
    RENDER_VIEW_FRONT = 2,
    RENDER_VIEW_FRONT_LEFT = 3,
    RENDER_VIEW_LEFT = 4,
    RENDER_VIEW_COUNT = 5
} render_view;

/* "right", "front-right", "front", "front-left", "left"; "?" when out of range. */
const char *render_view_name(render_view v);

/* Parses a comma-separated list of view names ("front,left") into views[]
 * (at most RENDER_VIEW_COUNT, no duplicates). Returns the count, or -1 when a
 * name is unknown, repeated, or the list is empty. */
int render_view_list_parse(const char *list, render_view views[RENDER_VIEW_COUNT]);

/* Who draws the surface views: the built-in ray caster, or VTK (render_vtk.h;
 * only in builds with VTK, and only with an X display). Both use the same
 * cameras, framing, shading and montage layout. */
typedef enum render_engine { RENDER_ENGINE_BUILTIN = 0, RENDER_ENGINE_VTK = 1 } render_engine;

typedef struct render_options {
    int threshold_set;           /* 1: use `threshold` (scaled units); 0: automatic */
    double threshold;
    int view_size;               /* pixels per view side; 0 means 256 */
    int n_views;                 /* 0 means all five in montage order */
    render_view views[RENDER_VIEW_COUNT];
    int labels;                  /* 1: write the view name under each view */
    render_engine engine;        /* default RENDER_ENGINE_BUILTIN */
} render_options;

void render_options_default(render_options *opts);

/* An RGB picture, 8 bits per channel, rows top to bottom. `depth` is set only
 * by render_scene_view(): per pixel, the distance in mm from the view's
 * camera plane to the skin surface, or INFINITY where the ray missed. */
typedef struct render_image {
    int width, height;
    uint8_t *rgb;  /* width*height*3; owned */
    float *depth;  /* width*height or NULL; owned */
} render_image;

/* Frees the buffers (not the struct) and zeroes it. NULL is fine. */
void render_image_free(render_image *img);

/* ------------------------------------------------------------------------ */
/* Scenes: one volume prepared for rendering (float copy, threshold, coarse
 * block grid for empty-space skipping, the framing of every view).          */

typedef struct render_scene render_scene;

/* Prepares frame `frame` of vol. When `framing` is not NULL, the new scene
 * takes its threshold (unless opts sets one) and its camera framing, so that
 * the views of a de-faced result line up pixel for pixel with the original's.
 * FACELESS_ERR_INPUT when no voxel is above the threshold (nothing to draw). */
faceless_status render_scene_new(faceless_ctx *ctx, const faceless_volume *vol, int64_t frame,
                                 const render_options *opts, const render_scene *framing,
                                 render_scene **out);
void render_scene_free(render_scene *scene);

/* The skin threshold in scaled (physical) units. */
double render_scene_threshold(const render_scene *scene);

/* Renders one view, size x size pixels, with its depth map (img->depth). */
faceless_status render_scene_view(faceless_ctx *ctx, const render_scene *scene, render_view view,
                                  int size, render_image *out);

/* The automatic skin threshold of a frame: half way between the air level
 * (the mode below Otsu's threshold) and Otsu's threshold on the histogram of
 * all voxels (clipped at the 99.5th percentile): skin and fat at the edge of
 * the head are partial-volumed and darker than the tissue Otsu separates.
 * Scaled units. NAN when every voxel has the same value. Depends only on the
 * set of voxel values, not on their order or the thread count. */
faceless_status render_threshold_auto(faceless_ctx *ctx, const faceless_volume *vol, int64_t frame,
                                      double *out);

/* ------------------------------------------------------------------------ */
/* Face relief: the measurable "is there a face" criterion of the tests.      */

typedef struct render_relief {
    int tip_x, tip_y;      /* pixel of the nose-tip candidate in the front view */
    double tip_depth;      /* mm, median depth in a disc of radius 3 mm there */
    double ring_depth;     /* mm, median depth in the ring 15..25 mm around it
                              (surface pixels only; misses are ignored) */
    double relief;         /* ring_depth - tip_depth: about 15-30 mm for a face;
                              -INFINITY when either has too little surface */
} render_relief;

/* Finds the nose tip in a front-view depth map (among the points of the
 * middle third of the columns within 8 mm of the one closest to the camera,
 * the one that stands most proud of its surroundings) and measures its relief.
 * mm_per_pixel is render_scene_mm_per_pixel() of the scene that drew it.
 * When at_x/at_y are >= 0, measures at that pixel instead of searching (to
 * compare a result with its original at the original's nose tip).
 * FACELESS_ERR_INPUT when the map holds no surface. */
faceless_status render_face_relief(faceless_ctx *ctx, const render_image *front, double mm_per_pixel,
                                   int at_x, int at_y, render_relief *out);

/* Size of a pixel in mm for views of `size` pixels. */
double render_scene_mm_per_pixel(const render_scene *scene, int size);

/* World (RAS mm) position of the surface seen at pixel (px, py) of a view of
 * `size` pixels whose depth map holds `depth` there (finite). */
void render_scene_pixel_world(const render_scene *scene, render_view view, int size, int px, int py,
                              double depth, double world[3]);

/* ------------------------------------------------------------------------ */
/* Pictures                                                                   */

/* One row of the requested views of frame `frame`, labelled when opts->labels. */
faceless_status render_views(faceless_ctx *ctx, const faceless_volume *vol, int64_t frame,
                             const render_options *opts, render_image *out);

/* The before/after montage as a picture: a labelled row of the five views of
 * `before` above the same views of `after` (same threshold, same framing),
 * then sagittal, axial and coronal slices of `before` through the changed
 * region with that region in colour. `mask` is on the subject grid (nx*ny*nz
 * bytes, nonzero = changed region) and may be NULL: then the voxels where
 * before and after differ are shown. before and after must share the grid.
 * opts may be NULL (defaults); frame 0 is drawn. */
faceless_status render_montage_image(faceless_ctx *ctx, const faceless_volume *before,
                                     const faceless_volume *after, const uint8_t *mask,
                                     const render_options *opts, render_image *out);

/* render_montage_image() with default options, written to png_path (a
 * temporary file in the target folder, flushed, then renamed). Overwrites an
 * existing png_path. FROZEN SIGNATURE: called by `faceless deface --render-out`. */
faceless_status render_montage(faceless_ctx *ctx, const faceless_volume *before,
                               const faceless_volume *after, const uint8_t *mask,
                               const char *png_path);

/* The grid pictures are drawn from: an image finer than about
 * RENDER_REDUCE_MM is reduced by whole blocks of voxels (block means) to
 * about that size, so a render's memory stays near a 1 mm image's whatever
 * the input's resolution (issue 21). render_reduce_factors gives the block
 * (voxels per axis, 1 = not reduced). render_reduce makes, for frame `frame`
 * of vol, the reduced volume (*out_vol, same datatype and scaling, the same
 * world space; NULL out_vol: not made) and the reduced mask (*out_mask, a
 * block is set when in_mask(user, i) is nonzero for any voxel i of frame 0's
 * grid in it; NULL out_mask: not made). Caller frees both. */
#define RENDER_REDUCE_MM VOLUME_RENDER_MM
typedef int (*render_mask_fn)(const void *user, int64_t voxel);
void render_reduce_factors(const faceless_volume *vol, int f[3]);
faceless_status render_reduce(faceless_ctx *ctx, const faceless_volume *vol, int64_t frame, render_mask_fn in_mask,
                              const void *user, faceless_volume **out_vol, uint8_t **out_mask);
/* The same with blocks of about target_mm (the QC page's 3D view, render_view3d.c). */
faceless_status render_reduce_to(faceless_ctx *ctx, const faceless_volume *vol, int64_t frame, double target_mm,
                                 render_mask_fn in_mask, const void *user, faceless_volume **out_vol,
                                 uint8_t **out_mask);

/* The QC page's 3D view of a de-faced result (render_view3d.c): frame 0
 * reduced by block means to about RENDER_VIEW3D_MM, as 8-bit values (0 at
 * zero, 255 at the 99.5th percentile) with everything darker than half the
 * skin threshold set to 0 (air and noise: they only cost bytes), same world
 * space. *skin (0..255) is the automatic skin threshold on that scale, the
 * level a viewer draws the surface at. Caller frees *out. */
#define RENDER_VIEW3D_MM 2.0
faceless_status render_view3d(faceless_ctx *ctx, const faceless_volume *vol, faceless_volume **out, double *skin);

/* Writes img as an 8-bit RGB PNG (temporary file + rename). */
faceless_status render_png_write(faceless_ctx *ctx, const render_image *img, const char *png_path);

#endif
