/* render_reduce: the copy of a fine image that the pictures are drawn from
 * (render.h). A render shows a face at 256 pixels a view; a 1 mm grid has
 * more than enough detail for that, while the scene of a 0.35 mm head (a
 * float copy, the skin values, a second scene for the result) peaked at
 * 1.1 GB, about 7x the image (issue 21). Reducing by whole blocks to about
 * 1 mm keeps a render's memory near that of a 1 mm image whatever the input. */
#include "render/render.h"

#include "core/context.h"
#include "core/volume.h"

#include <stdlib.h>
#include <string.h>

/* Whole voxels per block along each axis: the block is about 1 mm (never
 * coarser than 1.2 mm: 0.35 mm -> 3 (1.05 mm), 0.5 -> 2, 0.7 mm and coarser
 * -> 1). */
void render_reduce_factors(const faceless_volume *v, int f[3])
{
    for (int a = 0; a < 3; a++)
        f[a] = volume_block_factor(v->voxel_mm[a], RENDER_REDUCE_MM);
}

faceless_status render_reduce(faceless_ctx *ctx, const faceless_volume *vol, int64_t frame, render_mask_fn in_mask,
                              const void *user, faceless_volume **out_vol, uint8_t **out_mask)
{
    return render_reduce_to(ctx, vol, frame, RENDER_REDUCE_MM, in_mask, user, out_vol, out_mask);
}

faceless_status render_reduce_to(faceless_ctx *ctx, const faceless_volume *vol, int64_t frame, double target_mm,
                                 render_mask_fn in_mask, const void *user, faceless_volume **out_vol,
                                 uint8_t **out_mask)
{
    int f[3];
    for (int a = 0; a < 3; a++)
        f[a] = volume_block_factor(vol->voxel_mm[a], target_mm);
    /* partial blocks at the far edges keep the whole field of view */
    int64_t nx = (vol->nx + f[0] - 1) / f[0], ny = (vol->ny + f[1] - 1) / f[1], nz = (vol->nz + f[2] - 1) / f[2];
    double mm[3] = {vol->voxel_mm[0] * f[0], vol->voxel_mm[1] * f[1], vol->voxel_mm[2] * f[2]};
    const char *name = vol->path ? vol->path : "render";
    faceless_volume *r = out_vol ? volume_new(nx, ny, nz, 1, vol->dtype, mm) : NULL;
    uint8_t *m = out_mask ? calloc((size_t)(nx * ny * nz), 1) : NULL;
    double *slab = out_vol ? malloc((size_t)(nx * ny) * sizeof *slab) : NULL; /* one output slice of sums */
    if ((out_vol && (!r || !slab)) || (out_mask && !m)) {
        faceless_volume_free(r);
        free(m);
        free(slab);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory for the render's reduced copy", name);
    }
    /* Slice by slice of the output, reading the input in storage order; a
     * block's value is the mean of the voxels it holds (partial at edges). */
    const int64_t base = frame * volume_voxels3(vol);
    for (int64_t ko = 0; ko < nz; ko++) {
        if (slab)
            memset(slab, 0, (size_t)(nx * ny) * sizeof *slab);
        int64_t k1 = (ko + 1) * f[2] < vol->nz ? (ko + 1) * f[2] : vol->nz;
        for (int64_t k = ko * f[2]; k < k1; k++)
            for (int64_t j = 0; j < vol->ny; j++) {
                const int64_t row = vol->nx * (j + vol->ny * k), orow = nx * (j / f[1]);
                for (int64_t i = 0; i < vol->nx; i++) {
                    if (slab)
                        slab[orow + i / f[0]] += volume_get_stored(vol, base + row + i);
                    if (m && in_mask(user, row + i))
                        m[nx * ny * ko + orow + i / f[0]] = 1;
                }
            }
        for (int64_t j = 0; slab && j < ny; j++)
            for (int64_t i = 0; i < nx; i++) {
                int64_t cx = (i + 1) * f[0] <= vol->nx ? f[0] : vol->nx - i * f[0];
                int64_t cy = (j + 1) * f[1] <= vol->ny ? f[1] : vol->ny - j * f[1];
                volume_set_stored(r, i + nx * (j + ny * ko), slab[i + nx * j] / (double)(cx * cy * (k1 - ko * f[2])));
            }
    }
    free(slab);
    if (r) {
        memcpy(r->vox2ras, vol->vox2ras, sizeof r->vox2ras);
        /* block I covers old voxels f*I .. f*I + f - 1: its centre is old
         * index f*I + (f - 1)/2 */
        for (int row = 0; row < 3; row++)
            for (int a = 0; a < 3; a++) {
                r->vox2ras[row][3] += vol->vox2ras[row][a] * 0.5 * (f[a] - 1);
                r->vox2ras[row][a] = vol->vox2ras[row][a] * f[a];
            }
        r->matrix_source = vol->matrix_source;
        r->scl_slope = vol->scl_slope;
        r->scl_inter = vol->scl_inter;
        if (vol->path)
            r->path = strdup(vol->path);
        *out_vol = r;
    }
    if (m)
        *out_mask = m;
    return FACELESS_OK;
}
