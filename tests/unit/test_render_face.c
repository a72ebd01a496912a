/* The face is visible in the original's front view and gone in a de-faced
 * copy's, by a measured criterion: the nose's relief in the depth map (its
 * tip against the ring 15-25 mm around it). Runs on Colin27 (ch2, Debian
 * mricron-data) and on every head in $FACELESS_DATA/nifti.
 *
 * Until `faceless deface` exists, the de-faced copy is made here: every voxel
 * in front of the eyes (world y > nose tip - 30 mm) and below the brow
 * (z < nose tip + 40 mm) is zeroed. The montages are written to
 * $FACELESS_BUILD_DIR/render_face/ for a person to look at. */
#include "core/volume.h"
#include "render/render.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SIZE 256
#define MIN_FACE_RELIEF_MM 10.0   /* a nose stands 15-30 mm proud */
#define MAX_GONE_RELIEF_MM 5.0    /* a flat cut: a few mm at most */
#define MIN_TIP_RECESSION_MM 15.0 /* the surface at the nose tip moves back */

static int failures = 0;

static faceless_volume *copy_volume(const faceless_volume *v)
{
    faceless_volume *c = volume_new(v->nx, v->ny, v->nz, v->nt, v->dtype, v->voxel_mm);
    if (!c)
        return NULL;
    memcpy(c->data, v->data, (size_t)volume_voxels(v) * faceless_dtype_size(v->dtype));
    memcpy(c->vox2ras, v->vox2ras, sizeof c->vox2ras);
    c->scl_slope = v->scl_slope;
    c->scl_inter = v->scl_inter;
    return c;
}

/* Zeroes (stored 0, or the value that scales to 0 is not needed: air is 0
 * in these scans) the voxels in front of the eyes and below the brow. */
static int64_t zero_face(faceless_volume *v, const double tip[3])
{
    int64_t changed = 0, n3 = volume_voxels3(v);
    for (int64_t k = 0; k < v->nz; k++)
        for (int64_t j = 0; j < v->ny; j++)
            for (int64_t i = 0; i < v->nx; i++) {
                double w[3];
                for (int a = 0; a < 3; a++)
                    w[a] = v->vox2ras[a][0] * i + v->vox2ras[a][1] * j + v->vox2ras[a][2] * k + v->vox2ras[a][3];
                if (w[1] > tip[1] - 30.0 && w[2] < tip[2] + 40.0)
                    for (int64_t t = 0; t < v->nt; t++) {
                        int64_t idx = t * n3 + (k * v->ny + j) * v->nx + i;
                        if (volume_get_stored(v, idx) != 0.0) {
                            volume_set_stored(v, idx, 0.0);
                            changed++;
                        }
                    }
            }
    return changed;
}

static void check_head(faceless_ctx *ctx, const char *path, const char *outdir)
{
    faceless_volume *v = NULL, *z = NULL;
    render_scene *sb = NULL, *sa = NULL;
    render_image fb = {0}, fa = {0}, montage = {0};
    render_options o;
    render_options_default(&o);
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (faceless_volume_read(ctx, path, &v) != FACELESS_OK) {
        printf("FAIL %s: read: %s\n", name, faceless_ctx_error(ctx));
        failures++;
        return;
    }
    if (render_scene_new(ctx, v, 0, &o, NULL, &sb) != FACELESS_OK ||
        render_scene_view(ctx, sb, RENDER_VIEW_FRONT, SIZE, &fb) != FACELESS_OK) {
        printf("FAIL %s: render: %s\n", name, faceless_ctx_error(ctx));
        failures++;
        goto done;
    }
    double mmpp = render_scene_mm_per_pixel(sb, SIZE);
    render_relief before, after;
    if (render_face_relief(ctx, &fb, mmpp, -1, -1, &before) != FACELESS_OK) {
        printf("FAIL %s: relief: %s\n", name, faceless_ctx_error(ctx));
        failures++;
        goto done;
    }
    double tip[3];
    render_scene_pixel_world(sb, RENDER_VIEW_FRONT, SIZE, before.tip_x, before.tip_y, before.tip_depth, tip);
    z = copy_volume(v);
    if (!z) {
        printf("FAIL %s: out of memory\n", name);
        failures++;
        goto done;
    }
    int64_t changed = zero_face(z, tip);
    if (render_scene_new(ctx, z, 0, &o, sb, &sa) != FACELESS_OK ||
        render_scene_view(ctx, sa, RENDER_VIEW_FRONT, SIZE, &fa) != FACELESS_OK ||
        render_face_relief(ctx, &fa, mmpp, before.tip_x, before.tip_y, &after) != FACELESS_OK) {
        printf("FAIL %s: render of the de-faced copy: %s\n", name, faceless_ctx_error(ctx));
        failures++;
        goto done;
    }
    double recession = after.tip_depth - before.tip_depth;
    int ok = before.relief >= MIN_FACE_RELIEF_MM && after.relief <= MAX_GONE_RELIEF_MM &&
             recession >= MIN_TIP_RECESSION_MM;
    printf("%s %s: threshold %.4g, nose tip (%.0f, %.0f, %.0f) mm, relief before %.1f mm, after %.1f mm, "
           "tip moved back %.1f mm, %lld voxels zeroed\n",
           ok ? "ok  " : "FAIL", name, render_scene_threshold(sb), tip[0], tip[1], tip[2], before.relief,
           after.relief, recession, (long long)changed);
    if (!ok)
        failures++;
    if (outdir) {
        char png[4096];
        snprintf(png, sizeof png, "%s/%s.png", outdir, name);
        if (render_montage_image(ctx, v, z, NULL, NULL, &montage) != FACELESS_OK ||
            render_png_write(ctx, &montage, png) != FACELESS_OK) {
            printf("FAIL %s: montage: %s\n", name, faceless_ctx_error(ctx));
            failures++;
        }
    }
done:
    render_image_free(&fb);
    render_image_free(&fa);
    render_image_free(&montage);
    render_scene_free(sa);
    render_scene_free(sb);
    faceless_volume_free(z);
    faceless_volume_free(v);
}

static int is_head(const char *n)
{
    size_t l = strlen(n);
    return (l > 7 && !strcmp(n + l - 7, ".nii.gz")) || (l > 4 && !strcmp(n + l - 4, ".nii"));
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(void)
{
    faceless_ctx *ctx = faceless_ctx_new();
    const char *build = getenv("FACELESS_BUILD_DIR");
    char outdir[4096], *dirp = NULL;
    if (build) {
        snprintf(outdir, sizeof outdir, "%s/render_face", build);
        mkdir(outdir, 0755);
        dirp = outdir;
    }
    int heads = 0;
    const char *ch2 = "/usr/share/mricron/templates/ch2.nii.gz";
    struct stat st;
    if (stat(ch2, &st) == 0) {
        check_head(ctx, ch2, dirp);
        heads++;
    } else {
        printf("note: %s absent (Debian mricron-data)\n", ch2);
    }
    const char *data = getenv("FACELESS_DATA");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/nifti", data ? data : "../shared/data");
    DIR *d = opendir(dir);
    if (d) {
        char *names[256];
        int n = 0;
        struct dirent *e;
        while ((e = readdir(d)) && n < 256)
            if (is_head(e->d_name))
                names[n++] = strdup(e->d_name);
        closedir(d);
        qsort(names, (size_t)n, sizeof *names, cmp_str);
        for (int i = 0; i < n; i++) {
            char path[8192];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            check_head(ctx, path, dirp);
            heads++;
            free(names[i]);
        }
    } else {
        printf("note: %s absent: shared heads skipped\n", dir);
    }
    faceless_ctx_free(ctx);
    if (!heads) {
        printf("skipped: no head scans available\n");
        return 77;
    }
    printf("%d heads, %d failures\n", heads, failures);
    return failures ? 1 : 0;
}
