/* render_vtk_relief HEAD [SIZE]: the front view of HEAD drawn by both engines
 * (built-in ray caster and VTK, same scene), compared by their depth maps,
 * which is what the face is made of: the nose's relief (render_face_relief:
 * its tip against the ring 15-25 mm around it) in each, and the median and
 * 95th percentile of |depth difference| over the pixels both hit. Exits 1
 * when the reliefs differ by more than MAX_RELIEF_DIFF_MM or the median depth
 * difference is above MAX_MEDIAN_DEPTH_DIFF_MM; 77 when VTK or an X display
 * is missing. Run under xvfb-run (tests/integration/vtk_render.sh). */
#include "core/volume.h"
#include "render/render.h"
#include "render/render_internal.h"
#include "render/render_vtk.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_RELIEF_DIFF_MM 3.0
#define MAX_MEDIAN_DEPTH_DIFF_MM 0.5

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: render_vtk_relief HEAD [SIZE]\n");
        return 2;
    }
    const int size = argc > 2 ? atoi(argv[2]) : 256;
    if (!render_vtk_available()) {
        printf("skipped: built without VTK\n");
        return 77;
    }
    faceless_ctx *ctx = faceless_ctx_new();
    if (render_vtk_display_check(ctx) != FACELESS_OK) {
        printf("skipped: no X display (%s)\n", faceless_ctx_error(ctx));
        faceless_ctx_free(ctx);
        return 77;
    }
    faceless_volume *vol = NULL;
    render_scene *scene = NULL;
    render_vtk_stage *stage = NULL;
    render_image ray = {0}, vtk = {0};
    render_relief rr, rv;
    int rc = 1;
    if (faceless_volume_read(ctx, argv[1], &vol) != FACELESS_OK ||
        render_scene_new(ctx, vol, 0, NULL, NULL, &scene) != FACELESS_OK ||
        render_scene_view(ctx, scene, RENDER_VIEW_FRONT, size, &ray) != FACELESS_OK ||
        render_vtk_stage_new(ctx, scene, size, &stage) != FACELESS_OK ||
        render_vtk_stage_view(ctx, stage, RENDER_VIEW_FRONT, &vtk) != FACELESS_OK) {
        printf("FAIL: %s\n", faceless_ctx_error(ctx));
        goto done;
    }
    const double mmpp = render_scene_mm_per_pixel(scene, size);
    if (render_face_relief(ctx, &ray, mmpp, -1, -1, &rr) != FACELESS_OK ||
        render_face_relief(ctx, &vtk, mmpp, -1, -1, &rv) != FACELESS_OK) {
        printf("FAIL: %s\n", faceless_ctx_error(ctx));
        goto done;
    }
    /* Depth differences where both engines hit the head. */
    float *diff = malloc((size_t)size * size * sizeof *diff);
    size_t n = 0, only = 0;
    for (size_t i = 0; diff && i < (size_t)size * size; i++) {
        int a = isfinite(ray.depth[i]), b = isfinite(vtk.depth[i]);
        only += a != b;
        if (a && b)
            diff[n++] = fabsf(ray.depth[i] - vtk.depth[i]);
    }
    if (!diff || n == 0) {
        printf("FAIL: no common pixels\n");
        free(diff);
        goto done;
    }
    qsort(diff, n, sizeof *diff, cmp_float);
    double median = diff[n / 2], p95 = diff[(size_t)(0.95 * (double)(n - 1))];
    free(diff);
    double relief_diff = fabs(rr.relief - rv.relief);
    int ok = relief_diff <= MAX_RELIEF_DIFF_MM && median <= MAX_MEDIAN_DEPTH_DIFF_MM;
    printf("%s front view %dx%d: nose relief built-in %.2f mm at (%d,%d), vtk %.2f mm at (%d,%d) (differ by %.2f, "
           "max %.1f); |depth difference| median %.3f mm (max %.1f), 95th percentile %.3f mm over %zu pixels; "
           "%zu pixels hit by one engine only\n",
           ok ? "ok" : "FAIL", size, size, rr.relief, rr.tip_x, rr.tip_y, rv.relief, rv.tip_x, rv.tip_y, relief_diff,
           MAX_RELIEF_DIFF_MM, median, MAX_MEDIAN_DEPTH_DIFF_MM, p95, n, only);
    rc = ok ? 0 : 1;
done:
    render_image_free(&ray);
    render_image_free(&vtk);
    render_vtk_stage_free(stage);
    render_scene_free(scene);
    faceless_volume_free(vol);
    faceless_ctx_free(ctx);
    return rc;
}
