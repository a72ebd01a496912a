/* render_threshold: the automatic air/skin threshold of a volume's frame
 * (core/skin_threshold.c says how it is chosen). */
#include "render/render_internal.h"
#include "core/context.h"
#include "core/skin_threshold.h"

#include <stdlib.h>

faceless_status render_threshold_auto(faceless_ctx *ctx, const faceless_volume *vol, int64_t frame,
                                      double *out)
{
    if (frame < 0 || frame >= vol->nt)
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: frame %lld is out of range",
                        vol->path ? vol->path : "volume", (long long)frame);
    float *vals = volume_frame_to_float(vol, frame);
    if (!vals)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory computing the threshold",
                        vol->path ? vol->path : "volume");
    *out = skin_threshold_from_values(vals, volume_voxels3(vol), ctx_omp_threads(ctx));
    free(vals);
    return FACELESS_OK;
}
