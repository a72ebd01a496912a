/* render_view3d: the small copy of a de-faced result that the QC page's 3D
 * view turns (issue 22), embedded in the page once per image. Only the
 * result is ever passed in, so the view cannot show the face that was
 * removed. At 2 mm a surface still shows whether nose, lips and ears are
 * gone, and Colin27 (181x217x181 at 1 mm) becomes 91x109x91 bytes; air set
 * to 0 makes it compress to a fraction of the before/after montage. */
#include "render/render_internal.h"

#include "core/context.h"
#include "core/skin_threshold.h"
#include "core/volume.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Voxels deeper than INTERIOR_DEPTH voxels inside the surface (at the skin
 * level, 6-neighbours) take one value: a surface view never sees them, and
 * the brain's detail would triple the bytes (Colin27 at 2 mm: 425 kB
 * compressed with it, see render_view3d). */
#define INTERIOR_DEPTH 2
static void flatten_interior(uint8_t *d, int64_t nx, int64_t ny, int64_t nz, uint8_t level, uint8_t *inside)
{
    int64_t n = nx * ny * nz;
    for (int64_t i = 0; i < n; i++)
        inside[i] = d[i] >= level;
    for (int pass = 1; pass <= INTERIOR_DEPTH; pass++) {
        /* a voxel stays inside when its 6 neighbours were inside after the
         * previous pass (marked pass-1 or more; grid faces count as outside) */
        for (int64_t k = 0; k < nz; k++)
            for (int64_t j = 0; j < ny; j++)
                for (int64_t i = 0; i < nx; i++) {
                    int64_t v = i + nx * (j + ny * k);
                    if (inside[v] < pass)
                        continue;
                    int keep = i > 0 && i < nx - 1 && j > 0 && j < ny - 1 && k > 0 && k < nz - 1 &&
                               inside[v - 1] >= pass && inside[v + 1] >= pass && inside[v - nx] >= pass &&
                               inside[v + nx] >= pass && inside[v - nx * ny] >= pass && inside[v + nx * ny] >= pass;
                    if (keep)
                        inside[v] = (uint8_t)(pass + 1);
                }
    }
    for (int64_t i = 0; i < n; i++)
        if (inside[i] > INTERIOR_DEPTH)
            d[i] = 255;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

faceless_status render_view3d(faceless_ctx *ctx, const faceless_volume *vol, faceless_volume **out, double *skin)
{
    const char *name = vol->path ? vol->path : "volume";
    faceless_volume *r = NULL;
    faceless_status st = render_reduce_to(ctx, vol, 0, RENDER_VIEW3D_MM, NULL, NULL, &r, NULL);
    if (st != FACELESS_OK)
        return st;
    int64_t n = volume_voxels3(r);
    float *vals = volume_frame_to_float(r, 0);
    float *sorted = vals ? malloc((size_t)n * sizeof *sorted) : NULL;
    double mm[3] = {r->voxel_mm[0], r->voxel_mm[1], r->voxel_mm[2]};
    faceless_volume *v8 = sorted ? volume_new(r->nx, r->ny, r->nz, 1, FACELESS_DT_UINT8, mm) : NULL;
    if (!v8) {
        free(vals);
        free(sorted);
        faceless_volume_free(r);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory for the 3D view", name);
    }
    memcpy(sorted, vals, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_float);
    double lo = sorted[0], hi = sorted[(size_t)((double)(n - 1) * 0.995)];
    double thr = skin_threshold_from_values(vals, n, ctx_omp_threads(ctx));
    if (!(hi > lo) || isnan(thr)) {
        st = ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: the image is uniform: no surface for the 3D view", name);
    } else {
        double scale = 255.0 / (hi - lo), level = (thr - lo) * scale;
        uint8_t *d = v8->data;
        for (int64_t i = 0; i < n; i++) {
            double x = (vals[i] - lo) * scale;
            d[i] = x < 0.5 * level ? 0 : x >= 255.0 ? 255 : (uint8_t)lround(x);
        }
        /* the marks reuse the sorted copy's memory (no longer needed) */
        flatten_interior(d, v8->nx, v8->ny, v8->nz, (uint8_t)ceil(level), (uint8_t *)sorted);
        memcpy(v8->vox2ras, r->vox2ras, sizeof v8->vox2ras);
        v8->matrix_source = r->matrix_source;
        *skin = level;
        *out = v8;
        v8 = NULL;
    }
    faceless_volume_free(v8);
    free(vals);
    free(sorted);
    faceless_volume_free(r);
    return st;
}
