/* head_extent HEAD: the extent of a head in world RAS mm, independent of any
 * mesh: the bounding box of the centres of the voxels at or above the
 * automatic skin threshold (render_threshold_auto, the threshold --mesh-out
 * uses). Prints "threshold T bounds XMIN XMAX YMIN YMAX ZMIN ZMAX" for the
 * VTK mesh test (tests/integration/vtk_mesh.sh). */
#include "core/volume.h"
#include "render/render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: head_extent HEAD\n");
        return 2;
    }
    faceless_ctx *ctx = faceless_ctx_new();
    faceless_volume *v = NULL;
    double thr;
    if (faceless_volume_read(ctx, argv[1], &v) != FACELESS_OK ||
        render_threshold_auto(ctx, v, 0, &thr) != FACELESS_OK) {
        fprintf(stderr, "head_extent: %s\n", faceless_ctx_error(ctx));
        return 1;
    }
    float *vals = volume_frame_to_float(v, 0);
    if (!vals)
        return 1;
    double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (int64_t k = 0; k < v->nz; k++)
        for (int64_t j = 0; j < v->ny; j++)
            for (int64_t i = 0; i < v->nx; i++) {
                if (!(vals[(k * v->ny + j) * v->nx + i] >= (float)thr))
                    continue;
                for (int a = 0; a < 3; a++) {
                    double w = v->vox2ras[a][0] * i + v->vox2ras[a][1] * j + v->vox2ras[a][2] * k + v->vox2ras[a][3];
                    lo[a] = w < lo[a] ? w : lo[a];
                    hi[a] = w > hi[a] ? w : hi[a];
                }
            }
    printf("threshold %g bounds %.2f %.2f %.2f %.2f %.2f %.2f\n", thr, lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]);
    free(vals);
    faceless_volume_free(v);
    faceless_ctx_free(ctx);
    return 0;
}
