/* make_mask IN OUT [--empty | --ones | --shift X,Y,Z | --half]
 * Writes a binary brain mask (uint8, 1 where IN > 0) for the --brain-mask
 * tests (issue 16), or a broken one:
 *  --empty: all 0; --ones: all 1;
 *  --shift X,Y,Z: the same voxels under a world matrix moved by X,Y,Z mm
 *    (a mask that does not lie on the head);
 *  --half: 2x2x2 blocks (set when any voxel is) on a grid of twice the
 *    spacing in the same world space (a mask on another grid). */
#include "core/volume.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: make_mask IN OUT [--empty | --ones | --shift X,Y,Z | --half]\n");
        return 2;
    }
    const char *kind = argc > 3 ? argv[3] : "";
    double shift[3] = {0, 0, 0};
    if (!strcmp(kind, "--shift") &&
        (argc < 5 || sscanf(argv[4], "%lf,%lf,%lf", &shift[0], &shift[1], &shift[2]) != 3)) {
        fprintf(stderr, "make_mask: --shift X,Y,Z\n");
        return 2;
    }
    faceless_ctx *ctx = faceless_ctx_new();
    faceless_volume *in = NULL;
    if (faceless_volume_read(ctx, argv[1], &in) != FACELESS_OK) {
        fprintf(stderr, "make_mask: %s\n", faceless_ctx_error(ctx));
        return 3;
    }
    const int half = !strcmp(kind, "--half");
    double mm[3];
    for (int a = 0; a < 3; a++)
        mm[a] = in->voxel_mm[a] * (half ? 2 : 1);
    const int64_t nx = half ? (in->nx + 1) / 2 : in->nx, ny = half ? (in->ny + 1) / 2 : in->ny;
    const int64_t nz = half ? (in->nz + 1) / 2 : in->nz;
    faceless_volume *out = volume_new(nx, ny, nz, 1, FACELESS_DT_UINT8, mm);
    if (!out)
        return 7;
    memcpy(out->vox2ras, in->vox2ras, sizeof out->vox2ras);
    for (int r = 0; r < 3; r++) {
        if (half)
            for (int c = 0; c < 3; c++) {
                out->vox2ras[r][3] += 0.5 * in->vox2ras[r][c];
                out->vox2ras[r][c] *= 2;
            }
        out->vox2ras[r][3] += shift[r];
    }
    for (int64_t k = 0; k < in->nz; k++)
        for (int64_t j = 0; j < in->ny; j++)
            for (int64_t i = 0; i < in->nx; i++) {
                int set = volume_get_stored(in, i + in->nx * (j + in->ny * k)) > 0;
                int64_t o = half ? i / 2 + nx * (j / 2 + ny * (k / 2)) : i + nx * (j + ny * k);
                if (!strcmp(kind, "--empty"))
                    set = 0;
                else if (!strcmp(kind, "--ones"))
                    set = 1;
                if (set || !half)
                    volume_set_stored(out, o, set || (half && volume_get_stored(out, o) > 0));
            }
    faceless_write_options wo = {1};
    if (faceless_volume_write(ctx, out, argv[2], &wo) != FACELESS_OK) {
        fprintf(stderr, "make_mask: %s\n", faceless_ctx_error(ctx));
        return 5;
    }
    faceless_volume_free(in);
    faceless_volume_free(out);
    faceless_ctx_free(ctx);
    return 0;
}
