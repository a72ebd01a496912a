/* Views of a synthetic head with known geometry: upright, face-forward, the
 * subject's right on the image left in the front view, depths in mm, the same
 * pixels for any thread count, and clean errors. */
#include "core/volume.h"
#include "render/render.h"

#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures = 0;
#define CHECK(cond, ...)                                                                                   \
    do {                                                                                                   \
        if (!(cond)) {                                                                                     \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                   \
            printf(__VA_ARGS__);                                                                           \
            printf("\n");                                                                                  \
            failures++;                                                                                    \
        }                                                                                                  \
    } while (0)

#define N 96
/* World = voxel - 48 (1 mm, RAS): the head is a ball of radius 30 mm at the
 * origin, the nose a ball of radius 6 mm at (0, 32, 0) (tip at y = 38), a
 * marker ball of radius 6 mm at the subject's right and up, (24, 0, 24). */
static faceless_volume *phantom(void)
{
    const double mm[3] = {1, 1, 1};
    faceless_volume *v = volume_new(N, N, N, 1, FACELESS_DT_INT16, mm);
    for (int a = 0; a < 3; a++)
        v->vox2ras[a][3] = -48.0;
    for (int k = 0; k < N; k++)
        for (int j = 0; j < N; j++)
            for (int i = 0; i < N; i++) {
                double x = i - 48.0, y = j - 48.0, z = k - 48.0;
                int in = x * x + y * y + z * z <= 30.0 * 30.0 || x * x + (y - 32) * (y - 32) + z * z <= 36.0 ||
                         (x - 24) * (x - 24) + y * y + (z - 24) * (z - 24) <= 36.0;
                volume_set_stored(v, ((int64_t)k * N + j) * N + i, in ? 1000.0 : 0.0);
            }
    return v;
}

static void test_geometry(faceless_ctx *ctx, const faceless_volume *v)
{
    render_options o;
    render_options_default(&o);
    o.threshold_set = 1;
    o.threshold = 500.0;
    render_scene *s = NULL;
    CHECK(render_scene_new(ctx, v, 0, &o, NULL, &s) == FACELESS_OK, "scene: %s", faceless_ctx_error(ctx));
    if (!s)
        return;
    const int size = 128;
    double mmpp = render_scene_mm_per_pixel(s, size);
    render_image front = {0}, left = {0}, right = {0};
    CHECK(render_scene_view(ctx, s, RENDER_VIEW_FRONT, size, &front) == FACELESS_OK, "front");
    CHECK(render_scene_view(ctx, s, RENDER_VIEW_LEFT, size, &left) == FACELESS_OK, "left");
    CHECK(render_scene_view(ctx, s, RENDER_VIEW_RIGHT, size, &right) == FACELESS_OK, "right");
    if (!front.depth || !left.depth || !right.depth)
        goto done;
    /* Front: the nose tip is the nearest point, at the image's centre
     * column, and stands 8 mm proud of the ball (tip y = 38 vs 30). */
    float dmin = INFINITY;
    int tx = -1, ty = -1;
    for (int i = 0; i < size * size; i++)
        if (front.depth[i] < dmin) {
            dmin = front.depth[i];
            tx = i % size;
            ty = i / size;
        }
    double tip[3];
    render_scene_pixel_world(s, RENDER_VIEW_FRONT, size, tx, ty, dmin, tip);
    CHECK(fabs(tip[1] - 38.0) < 0.6 && fabs(tip[0]) < 1.5 && fabs(tip[2]) < 1.5,
          "front: nose tip at (%.2f, %.2f, %.2f), expected (0, 38, 0)", tip[0], tip[1], tip[2]);
    /* The ball's surface 12 mm to the side of the nose: y = sqrt(900-144). */
    int side = tx + (int)lround(12.0 / mmpp);
    double wside[3];
    render_scene_pixel_world(s, RENDER_VIEW_FRONT, size, side, ty, front.depth[ty * size + side], wside);
    CHECK(fabs(wside[1] - sqrt(900.0 - wside[0] * wside[0])) < 0.6,
          "front: ball surface at y %.2f, expected %.2f", wside[1], sqrt(900.0 - wside[0] * wside[0]));
    /* The marker (subject's right, up) is on the image's left and top half:
     * look for the nearest pixels in the upper-left quadrant vs upper-right. */
    int left_hits = 0, right_hits = 0;
    for (int y = 0; y < size / 2; y++)
        for (int x = 0; x < size; x++) {
            double w[3];
            float d = front.depth[y * size + x];
            if (!isfinite(d))
                continue;
            render_scene_pixel_world(s, RENDER_VIEW_FRONT, size, x, y, d, w);
            if ((w[0] - 24) * (w[0] - 24) + w[1] * w[1] + (w[2] - 24) * (w[2] - 24) < 40.0) {
                if (x < size / 2)
                    left_hits++;
                else
                    right_hits++;
            }
        }
    CHECK(left_hits > 10 && right_hits == 0,
          "front: the subject's right marker must be on the image left (left %d, right %d pixels)", left_hits,
          right_hits);
    /* Left view: the nose points to the image's left; right view: to its right. */
    double lnx = -1, rnx = -1;
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            /* the pixel farthest along the face direction = smallest u for left */
            if (isfinite(left.depth[y * size + x]) && (lnx < 0 || x < lnx))
                lnx = x;
            if (isfinite(right.depth[y * size + x]) && (rnx < 0 || x > rnx))
                rnx = x;
        }
    double wl[3], wr[3];
    int ly = size / 2, ry = size / 2;
    /* the extreme column's world position must be the nose (y near 38) */
    for (int y = 0; y < size; y++) {
        if (isfinite(left.depth[y * size + (int)lnx]))
            ly = y;
        if (isfinite(right.depth[y * size + (int)rnx]))
            ry = y;
    }
    render_scene_pixel_world(s, RENDER_VIEW_LEFT, size, (int)lnx, ly, left.depth[ly * size + (int)lnx], wl);
    render_scene_pixel_world(s, RENDER_VIEW_RIGHT, size, (int)rnx, ry, right.depth[ry * size + (int)rnx], wr);
    CHECK(wl[1] > 35.0, "left view: leftmost surface at y %.1f, expected the nose (y ~ 38)", wl[1]);
    CHECK(wr[1] > 35.0, "right view: rightmost surface at y %.1f, expected the nose (y ~ 38)", wr[1]);
    /* Upright in the side view too: the topmost surface pixel is the top of
     * the ball (z = 30). */
    int top = -1;
    for (int i = 0; i < size * size && top < 0; i++)
        if (isfinite(left.depth[i]))
            top = i;
    double wt[3];
    render_scene_pixel_world(s, RENDER_VIEW_LEFT, size, top % size, top / size, left.depth[top], wt);
    CHECK(wt[2] > 28.0, "left view: topmost surface at z %.1f, expected the top of the head (30)", wt[2]);
    /* Relief criterion on the phantom: nose 8 mm minus the ball's curvature. */
    render_relief r;
    CHECK(render_face_relief(ctx, &front, mmpp, -1, -1, &r) == FACELESS_OK, "relief");
    /* Tip at y = 38; the ring 15..25 mm out lies on the ball, whose surface
     * at 20 mm from the axis is at y = sqrt(900 - 400) = 22.4: 15.6 mm. */
    CHECK(r.relief > 14.0 && r.relief < 17.5, "relief of the phantom nose %.2f mm, expected about 15.6", r.relief);
done:
    render_image_free(&front);
    render_image_free(&left);
    render_image_free(&right);
    render_scene_free(s);
}

static void test_threads(faceless_ctx *ctx, const faceless_volume *v)
{
    render_image a = {0}, b = {0};
    faceless_ctx_set_threads(ctx, 1);
    CHECK(render_views(ctx, v, 0, NULL, &a) == FACELESS_OK, "views, 1 thread");
    faceless_ctx_set_threads(ctx, 3);
    CHECK(render_views(ctx, v, 0, NULL, &b) == FACELESS_OK, "views, 3 threads");
    faceless_ctx_set_threads(ctx, 0);
    CHECK(a.rgb && b.rgb && a.width == b.width && a.height == b.height &&
              !memcmp(a.rgb, b.rgb, (size_t)a.width * a.height * 3),
          "pictures differ between 1 and 3 threads");
    render_image_free(&a);
    render_image_free(&b);
}

static void test_montage_png(faceless_ctx *ctx, const faceless_volume *v)
{
    faceless_volume *after = volume_new(N, N, N, 1, FACELESS_DT_INT16, v->voxel_mm);
    memcpy(after->vox2ras, v->vox2ras, sizeof after->vox2ras);
    memcpy(after->data, v->data, (size_t)N * N * N * 2);
    for (int64_t i = 0; i < (int64_t)N * N * N; i++) /* remove the nose: y > 30 */
        if ((i / N) % N > 78)
            volume_set_stored(after, i, 0.0);
    char dir[] = "/tmp/faceless-test-render-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char path[256];
    snprintf(path, sizeof path, "%s/montage.png", dir);
    CHECK(render_montage(ctx, v, after, NULL, path) == FACELESS_OK, "montage: %s", faceless_ctx_error(ctx));
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    CHECK(png_image_begin_read_from_file(&im, path), "montage PNG unreadable");
    CHECK(im.width == 5 * 256 + 4 * 4 && im.height > 2 * 256, "montage size %ux%u", im.width, im.height);
    png_image_free(&im);
    unlink(path);
    /* Unwritable target: an output error naming the file. */
    CHECK(render_montage(ctx, v, after, NULL, "/nonexistent-dir/x.png") == FACELESS_ERR_OUTPUT, "bad path");
    CHECK(strstr(faceless_ctx_error(ctx), "/nonexistent-dir/x.png") != NULL, "error names the file: %s",
          faceless_ctx_error(ctx));
    rmdir(dir);
    faceless_volume_free(after);
}

static void test_errors_and_names(faceless_ctx *ctx)
{
    const double mm[3] = {1, 1, 1};
    faceless_volume *empty = volume_new(16, 16, 16, 1, FACELESS_DT_UINT8, mm);
    faceless_volume *flat = volume_new(16, 16, 1, 1, FACELESS_DT_UINT8, mm);
    render_image img = {0};
    CHECK(render_views(ctx, empty, 0, NULL, &img) == FACELESS_ERR_INPUT, "empty volume must be an input error");
    CHECK(render_views(ctx, flat, 0, NULL, &img) == FACELESS_ERR_UNSUPPORTED, "2D must be unsupported");
    CHECK(render_views(ctx, empty, 3, NULL, &img) == FACELESS_ERR_USAGE, "frame out of range");
    CHECK(img.rgb == NULL, "output untouched on failure");
    faceless_volume_free(empty);
    faceless_volume_free(flat);
    render_view vs[RENDER_VIEW_COUNT];
    CHECK(render_view_list_parse("front,left", vs) == 2 && vs[0] == RENDER_VIEW_FRONT && vs[1] == RENDER_VIEW_LEFT,
          "parse front,left");
    CHECK(render_view_list_parse("right,front-right,front,front-left,left", vs) == 5, "parse all");
    CHECK(render_view_list_parse("front,front", vs) == -1, "duplicate");
    CHECK(render_view_list_parse("top", vs) == -1, "unknown");
    CHECK(render_view_list_parse("", vs) == -1, "empty");
    CHECK(render_view_list_parse("front,", vs) == -1, "trailing comma");
    CHECK(!strcmp(render_view_name(RENDER_VIEW_FRONT_LEFT), "front-left"), "name");
}

int main(void)
{
    faceless_ctx *ctx = faceless_ctx_new();
    faceless_volume *v = phantom();
    double thr;
    CHECK(render_threshold_auto(ctx, v, 0, &thr) == FACELESS_OK && thr > 0.0 && thr < 1000.0,
          "automatic threshold %.1f between air (0) and tissue (1000)", thr);
    test_geometry(ctx, v);
    test_threads(ctx, v);
    test_montage_png(ctx, v);
    test_errors_and_names(ctx);
    faceless_volume_free(v);
    faceless_ctx_free(ctx);
    printf("%s: %d failures\n", failures ? "FAIL" : "ok", failures);
    return failures ? 1 : 0;
}
