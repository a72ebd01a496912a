/* The head surface of issue 16 (src/mask/depth.c) on a phantom: a ball of
 * tissue (radius 45 mm) with a dark shell (a "skull and CSF" shell seen in a
 * T1w), joined to the outside by a narrow channel (an ear canal), with a thin
 * fin on its side (a pinna) and a thick bump (a chin). Checks: depth below the
 * skin grows inwards; the channel does not let outside air into the dark core
 * (so the deep tissue stays deep); the fin is a protrusion, the bump and the
 * ball are not; nothing deeper than MASK_PROTRUSION_DEPTH_MM is one; and the
 * result is the same for 1 and 2 threads. */
#include "core/context.h"
#include "mask/mask.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N 96 /* 1.5 mm voxels: 144 mm */

static double tissue(double x, double y, double z)
{
    double r = sqrt(x * x + y * y + z * z);
    /* the fin: 3 mm thick, 20 mm out from the ball's side, 30 mm tall */
    if (x > 40 && x < 65 && fabs(y) < 1.5 && fabs(z) < 15)
        return 200;
    /* the bump: a 36 mm wide block on the front, 12 mm out */
    if (y > 40 && y < 57 && fabs(x) < 18 && fabs(z) < 18)
        return 200;
    /* the channel: 4 mm wide, from the outside through the dark shell along -x */
    if (x < -20 && fabs(y) < 2 && fabs(z) < 2)
        return 0;
    if (r > 45)
        return 0;
    if (r > 30 && r < 38)
        return 10; /* dark skull and CSF */
    return 200;
}

static faceless_volume *phantom(void)
{
    const double mm[3] = {1.5, 1.5, 1.5};
    faceless_volume *v = volume_new(N, N, N, 1, FACELESS_DT_UINT8, mm);
    for (int a = 0; a < 3; a++)
        v->vox2ras[a][3] = -0.5 * (N - 1) * 1.5;
    v->matrix_source = FACELESS_MATRIX_SFORM;
    for (int64_t k = 0; k < N; k++)
        for (int64_t j = 0; j < N; j++)
            for (int64_t i = 0; i < N; i++)
                volume_set_stored(
                    v, i + N * (j + N * k),
                    tissue(v->vox2ras[0][3] + 1.5 * i, v->vox2ras[1][3] + 1.5 * j, v->vox2ras[2][3] + 1.5 * k));
    return v;
}

static int64_t vox(const faceless_volume *v, double x, double y, double z, int64_t ijk[3])
{
    ijk[0] = (int64_t)lround((x - v->vox2ras[0][3]) / 1.5);
    ijk[1] = (int64_t)lround((y - v->vox2ras[1][3]) / 1.5);
    ijk[2] = (int64_t)lround((z - v->vox2ras[2][3]) / 1.5);
    return ijk[0] + N * (ijk[1] + N * ijk[2]);
}

int main(void)
{
    faceless_volume *v = phantom();
    mask_depth d[2];
    for (int t = 0; t < 2; t++) {
        faceless_ctx *ctx = faceless_ctx_new();
        faceless_ctx_set_threads(ctx, t + 1);
        CHECK(mask_depth_build(ctx, v, &d[t]) == FACELESS_OK, "build: %s", faceless_ctx_error(ctx));
        faceless_ctx_free(ctx);
    }
    const int64_t nb = d[0].dim[0] * d[0].dim[1] * d[0].dim[2];
    CHECK(!memcmp(d[0].depth, d[1].depth, (size_t)nb * sizeof *d[0].depth) &&
              !memcmp(d[0].protrusion, d[1].protrusion, (size_t)nb),
          "1 and 2 threads differ");
    int64_t c[3];
    /* skin, then deeper inwards */
    vox(v, 0, 0, 43, c);
    double skin = mask_depth_at(&d[0], c[0], c[1], c[2]);
    vox(v, 0, 0, 15, c);
    double deep = mask_depth_at(&d[0], c[0], c[1], c[2]);
    CHECK(skin < 5.0, "skin depth %.1f mm", skin);
    CHECK(deep > 25.0, "depth 30 mm under the skin: %.1f mm", deep);
    /* the channel does not let outside air in: tissue 8 mm beside it inside
     * the dark shell (18 mm below the skin by the shortest way) stays deep */
    vox(v, -26, 0, 8, c);
    double inner = mask_depth_at(&d[0], c[0], c[1], c[2]);
    CHECK(inner > 15.0, "tissue inside the dark shell near the channel: depth %.1f mm (outside air leaked in)", inner);
    /* the fin is a protrusion, the ball and the bump are not */
    vox(v, 55, 0, 0, c);
    CHECK(d[0].protrusion[mask_depth_block(&d[0], c[0], c[1], c[2])], "the fin is not a protrusion");
    vox(v, 0, 50, 0, c);
    CHECK(!d[0].protrusion[mask_depth_block(&d[0], c[0], c[1], c[2])], "the bump counts as a protrusion");
    vox(v, 0, -43, 0, c);
    CHECK(!d[0].protrusion[mask_depth_block(&d[0], c[0], c[1], c[2])], "the ball's skin counts as a protrusion");
    for (int64_t b = 0; b < nb; b++)
        if (d[0].protrusion[b] && d[0].depth[b] / MASK_DEPTH_UNITS_PER_MM > MASK_PROTRUSION_DEPTH_MM) {
            CHECK(0, "a protrusion %.1f mm deep", d[0].depth[b] / MASK_DEPTH_UNITS_PER_MM);
            break;
        }
    mask_depth_free(&d[0]);
    mask_depth_free(&d[1]);
    faceless_volume_free(v);
    return test_finish("test_mask_depth");
}
