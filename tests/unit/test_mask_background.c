/* Unit tests of the zero-mode background (src/mask/background.c, issue 4):
 * 0 for MR, padded or not, with noise dipping below 0; the air around the
 * head (not the padding outside the FOV) for CT in HU; and the fill that
 * mask_scramble_in_place writes. Phantoms first, then the shared CT and T2w
 * heads (skipped when $FACELESS_DATA is absent). */
#include "core/context.h"
#include "core/volume.h"
#include "mask/mask.h"
#include "test_util.h"

#include <math.h>
#include <string.h>

/* Tissue levels of a phantom head, physical units. */
typedef struct head_levels {
    double air, air_noise; /* air around the head: air +- air_noise */
    double skin, bone, brain;
    double pad; /* outside the circular FOV; NAN: no padding */
} head_levels;

static const head_levels MR = {0.0, 6.0, 300.0, 60.0, 600.0, NAN};
static const head_levels CT = {-1000.0, 15.0, 40.0, 1200.0, 35.0, NAN};

/* Deterministic noise in [-1, 1]. */
static double noise(int64_t i)
{
    uint64_t x = (uint64_t)i * 0x9E3779B97F4A7C15ull;
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 29;
    return (double)(x % 2001) / 1000.0 - 1.0;
}

/* A 48^3 head: a ball of brain (r < 11 voxels) in skull (r < 13) in skin
 * (r < 14), one voxel of partial volume into the air, air elsewhere, and
 * outside the axial circle of radius 23 (a CT's reconstruction FOV) the
 * padding value. Stored as dtype with the given scaling. */
static faceless_volume *phantom(const head_levels *h, faceless_dtype dtype, double slope, double inter)
{
    const double mm[3] = {1, 1, 1};
    const int64_t n = 48;
    faceless_volume *v = volume_new(n, n, n, 1, dtype, mm);
    if (!v)
        return NULL;
    v->scl_slope = slope;
    v->scl_inter = inter;
    const double c = (n - 1) / 2.0;
    for (int64_t k = 0; k < n; k++)
        for (int64_t j = 0; j < n; j++)
            for (int64_t i = 0; i < n; i++) {
                int64_t o = (k * n + j) * n + i;
                double dx = i - c, dy = j - c, dz = k - c;
                double r = sqrt(dx * dx + dy * dy + dz * dz), rxy = sqrt(dx * dx + dy * dy);
                double air = h->air + h->air_noise * noise(o), x;
                if (!isnan(h->pad) && rxy > 23.0)
                    x = h->pad;
                else if (r < 11.0)
                    x = h->brain;
                else if (r < 13.0)
                    x = h->bone;
                else if (r < 14.0)
                    x = h->skin;
                else if (r < 15.0)
                    x = air + (15.0 - r) * (h->skin - air);
                else
                    x = air;
                volume_set_stored(v, o, (x - inter) / slope);
            }
    return v;
}

static double background(const faceless_volume *v)
{
    faceless_ctx *ctx = faceless_ctx_new();
    double b = NAN;
    CHECK(mask_background_stored(ctx, v, &b) == FACELESS_OK, "background failed");
    faceless_ctx_free(ctx);
    return b;
}

/* MR ramps: physical 0, also under a scale factor; with an intercept, the
 * stored value of physical 0. */
static void test_mr_ramp(void)
{
    const double mm[3] = {1, 1, 1};
    faceless_volume *v = volume_new(4, 4, 4, 1, FACELESS_DT_INT16, mm);
    for (int64_t i = 0; i < 64; i++)
        volume_set_stored(v, i, 10 + (double)i);
    CHECK(background(v) == 0.0, "MR background %g", background(v));
    v->scl_slope = 2.0;
    v->scl_inter = 0.0;
    CHECK(background(v) == 0.0, "scaled MR background %g", background(v));
    v->scl_inter = -20.0; /* stored 10 is physical 0 */
    CHECK(background(v) == 10.0, "scaled MR background with intercept %g", background(v));
    faceless_volume_free(v);
}

/* MR: physical 0 whatever the padding, and with air noise below 0. */
static void test_mr(void)
{
    head_levels h = MR;
    faceless_volume *v = phantom(&h, FACELESS_DT_INT16, 1.0, 0.0);
    CHECK(background(v) == 0.0, "MR, noise down to -6, no padding: %g", background(v));
    faceless_volume_free(v);
    h.pad = -32768.0; /* the int16 minimum outside the FOV */
    v = phantom(&h, FACELESS_DT_INT16, 1.0, 0.0);
    CHECK(background(v) == 0.0, "MR padded with -32768: %g", background(v));
    faceless_volume_free(v);
    h.pad = -1000.0; /* a converter's own padding value */
    v = phantom(&h, FACELESS_DT_INT16, 1.0, 0.0);
    CHECK(background(v) == 0.0, "MR padded with -1000: %g", background(v));
    faceless_volume_free(v);
    h.pad = NAN;
    v = phantom(&h, FACELESS_DT_FLOAT32, 1.0, 0.0);
    CHECK(background(v) == 0.0, "float MR, noise down to -6: %g", background(v));
    faceless_volume_free(v);
    h.air_noise = 0.0; /* background zeroed by the scanner, stored 0..4095 with a slope */
    v = phantom(&h, FACELESS_DT_UINT16, 0.25, 0.0);
    CHECK(background(v) == 0.0, "scaled uint16 MR: %g", background(v));
    faceless_volume_free(v);
}

/* CT in HU: the air around the head, never the padding. */
static void test_ct(void)
{
    const double pads[3] = {NAN, -3024.0, -2048.0};
    for (int p = 0; p < 3; p++) {
        head_levels h = CT;
        h.pad = pads[p];
        faceless_volume *v = phantom(&h, FACELESS_DT_INT16, 1.0, 0.0);
        double b = background(v);
        CHECK(fabs(b - -1000.0) <= 1.0, "int16 CT, padding %g: %g, want -1000 (air)", pads[p], b);
        faceless_volume_free(v);
        v = phantom(&h, FACELESS_DT_FLOAT32, 1.0, 0.0);
        b = background(v);
        CHECK(fabs(b - -1000.0) <= 1.0, "float CT, padding %g: %g, want -1000 (air)", pads[p], b);
        faceless_volume_free(v);
    }
    /* DICOM-style: uint16 with RescaleIntercept -1024, outside the FOV
     * stored 0 (-1024 HU, the clip of air itself: no gap, not padding). */
    head_levels h = CT;
    h.pad = -1024.0;
    faceless_volume *v = phantom(&h, FACELESS_DT_UINT16, 1.0, -1024.0);
    double b = background(v), hu = b - 1024.0;
    CHECK(hu >= -1024.0 && hu <= -990.0, "uint16 CT, intercept -1024: stored %g (%g HU), want air", b, hu);
    faceless_volume_free(v);
}

/* Zero mode writes the background into the mask and nothing else. */
static void test_fill(void)
{
    head_levels h = CT;
    h.pad = -3024.0;
    faceless_volume *v = phantom(&h, FACELESS_DT_INT16, 1.0, 0.0);
    faceless_volume *orig = volume_copy_frame(v, 0);
    mask_result m = {v->nx, v->ny, v->nz, calloc((size_t)volume_voxels3(v), 1), 0, 0, 0, 0, NULL, 0, 0, NAN, 0, NAN, NAN};
    /* the front of the head and the air and padding in front of it */
    for (int64_t k = 10; k < 38; k++)
        for (int64_t j = 30; j < 48; j++)
            for (int64_t i = 10; i < 38; i++)
                m.flags[(k * 48 + j) * 48 + i] = MASK_FACE | MASK_REMOVE;
    faceless_ctx *ctx = faceless_ctx_new();
    mask_scramble_stats st;
    CHECK(mask_scramble_in_place(ctx, v, &m, MASK_MODE_ZERO, 1, &st) == FACELESS_OK, "zero mode failed");
    CHECK(fabs(st.background_stored - -1000.0) <= 1.0, "fill %g, want -1000", st.background_stored);
    int64_t wrong_in = 0, wrong_out = 0;
    for (int64_t i = 0; i < volume_voxels(v); i++) {
        if (m.flags[i] & MASK_REMOVE)
            wrong_in += volume_get_stored(v, i) != st.background_stored;
        else
            wrong_out += volume_get_stored(v, i) != volume_get_stored(orig, i);
    }
    CHECK(wrong_in == 0 && wrong_out == 0, "%lld masked voxels not the fill, %lld outside changed", (long long)wrong_in,
          (long long)wrong_out);
    faceless_ctx_free(ctx);
    mask_result_free(&m);
    faceless_volume_free(orig);
    faceless_volume_free(v);
}

/* The shared heads: the CT as stored (a 0..1 window, air 0) and mapped to
 * HU (stored 88, its brain peak, at 35 HU; air at -1000) with -3024 outside
 * its axial FOV circle; the int16 T2w as stored and padded with -32768. */
static void test_shared(const char *dir)
{
    char path[4096];
    faceless_ctx *ctx = faceless_ctx_new();
    faceless_volume *ct = NULL, *t2 = NULL;
    snprintf(path, sizeof path, "%s/nifti/mricrogl_ct_head.nii.gz", dir);
    if (faceless_volume_read(ctx, path, &ct) == FACELESS_OK) {
        CHECK(background(ct) == 0.0, "CT as stored: %g, want 0 (its air)", background(ct));
        faceless_volume *hu = volume_new(ct->nx, ct->ny, ct->nz, 1, FACELESS_DT_INT16, ct->voxel_mm);
        const double cx = (ct->nx - 1) / 2.0, cy = (ct->ny - 1) / 2.0, r = fmin(ct->nx, ct->ny) / 2.0;
        for (int64_t k = 0; k < ct->nz; k++)
            for (int64_t j = 0; j < ct->ny; j++)
                for (int64_t i = 0; i < ct->nx; i++) {
                    int64_t o = (k * ct->ny + j) * ct->nx + i;
                    double dx = i - cx, dy = j - cy;
                    double x = -1000.0 + volume_get_stored(ct, o) * (1035.0 / 88.0);
                    volume_set_stored(hu, o, dx * dx + dy * dy > r * r ? -3024.0 : x);
                }
        CHECK(background(hu) == -1000.0, "CT in HU padded with -3024: %g, want -1000", background(hu));
        faceless_volume_free(hu);
    } else {
        CHECK(0, "%s: %s", path, faceless_ctx_error(ctx));
    }
    snprintf(path, sizeof path, "%s/nifti/niivue_register_T2w.nii.gz", dir);
    if (faceless_volume_read(ctx, path, &t2) == FACELESS_OK) {
        CHECK(background(t2) == 0.0, "T2w as stored: %g", background(t2));
        for (int64_t i = 0; i < volume_voxels(t2); i++)
            if ((i % t2->nx) < 8 || (i % t2->nx) >= t2->nx - 8)
                volume_set_stored(t2, i, -32768.0);
            else if (volume_get_stored(t2, i) < 8.0)
                volume_set_stored(t2, i, volume_get_stored(t2, i) - 4.0); /* noise below 0 */
        CHECK(background(t2) == 0.0, "T2w padded with -32768, air down to -4: %g", background(t2));
    } else {
        CHECK(0, "%s: %s", path, faceless_ctx_error(ctx));
    }
    faceless_volume_free(ct);
    faceless_volume_free(t2);
    faceless_ctx_free(ctx);
}

int main(void)
{
    test_mr_ramp();
    test_mr();
    test_ct();
    test_fill();
    const char *dir = test_data_dir();
    if (dir)
        test_shared(dir);
    return test_finish("test_mask_background");
}
