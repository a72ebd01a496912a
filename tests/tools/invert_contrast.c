/* invert_contrast IN OUT: a "T2w-like" copy of a T1w head on the same grid
 * (stored values v -> max - v inside the head, air kept), for tests that need
 * a second contrast of the same person. */
#include "core/volume.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: invert_contrast IN OUT\n");
        return 2;
    }
    faceless_ctx *ctx = faceless_ctx_new();
    faceless_volume *v = NULL;
    faceless_status st = faceless_volume_read(ctx, argv[1], &v);
    if (st == FACELESS_OK) {
        double lo, hi;
        volume_stored_range(v, &lo, &hi);
        double air = lo + 0.08 * (hi - lo);
        for (int64_t i = 0; i < volume_voxels(v); i++) {
            double x = volume_get_stored(v, i);
            if (x > air)
                volume_set_stored(v, i, hi - x + air);
        }
        faceless_write_options wo = {1};
        st = faceless_volume_write(ctx, v, argv[2], &wo);
    }
    if (st != FACELESS_OK)
        fprintf(stderr, "invert_contrast: %s\n", faceless_ctx_error(ctx));
    faceless_volume_free(v);
    faceless_ctx_free(ctx);
    return st == FACELESS_OK ? 0 : 1;
}
