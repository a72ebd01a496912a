/* Unit tests of src/mask: pull-back through known affines, brain guard
 * margin against a brute-force distance, zero and noise scrambling, the
 * invariant check, and bit-identical noise for any thread count. */
#include "core/context.h"
#include "core/volume.h"
#include "mask/mask.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
        }                                                                                          \
    } while (0)

/* A template image on a 2 mm grid starting at `origin`. */
static void tpl_image_init(template_image *im, int64_t n, double origin)
{
    im->nx = im->ny = im->nz = n;
    memset(im->vox2ras, 0, sizeof im->vox2ras);
    for (int a = 0; a < 3; a++) {
        im->vox2ras[a][a] = 2.0;
        im->vox2ras[a][3] = origin;
    }
    im->vox2ras[3][3] = 1.0;
    im->mask = calloc((size_t)(n * n * n), 1);
}

static void tpl_world(const template_image *im, int64_t i, int64_t j, int64_t k, double p[3])
{
    for (int r = 0; r < 3; r++)
        p[r] = im->vox2ras[r][0] * i + im->vox2ras[r][1] * j + im->vox2ras[r][2] * k + im->vox2ras[r][3];
}

/* Template: face = box x,y,z in [0, 20) mm; guard = ball of radius 10 mm
 * at (-4, 10, 10) mm, overlapping the face box's left part. */
static void make_template(template_set *t)
{
    memset(t, 0, sizeof *t);
    tpl_image_init(&t->face, 30, -30.0);
    tpl_image_init(&t->guard, 30, -30.0);
    for (int64_t k = 0; k < 30; k++)
        for (int64_t j = 0; j < 30; j++)
            for (int64_t i = 0; i < 30; i++) {
                double p[3];
                tpl_world(&t->face, i, j, k, p);
                int64_t idx = i + 30 * (j + 30 * k);
                t->face.mask[idx] = 255 * (p[0] >= 0 && p[0] < 20 && p[1] >= 0 && p[1] < 20 && p[2] >= 0 && p[2] < 20);
                double dx = p[0] + 4, dy = p[1] - 10, dz = p[2] - 10;
                t->guard.mask[idx] = 255 * (dx * dx + dy * dy + dz * dz <= 100.0);
            }
    t->name = "unit";
}

/* Face voxels on which the guard disagrees with the brute-force distance
 * (subject mm) to the pulled-back ball of make_template (template radius
 * 10 mm, subject radius 11 mm): unguarded within the margin, or guarded
 * farther than the margin + slack mm (the ball's edge on the template grid
 * moves by up to a template voxel). */
static int64_t guard_disagreements(const faceless_volume *v, const double tpl2subj[4][4], const mask_result *m,
                                   double margin, double slack)
{
    int64_t wrong = 0;
    for (int64_t k = 0; k < v->nz; k++)
        for (int64_t j = 0; j < v->ny; j++)
            for (int64_t i = 0; i < v->nx; i++) {
                double w[3], cw[3], ct[3] = {-4, 10, 10};
                for (int r = 0; r < 3; r++)
                    w[r] = v->vox2ras[r][0] * i + v->vox2ras[r][1] * j + v->vox2ras[r][2] * k + v->vox2ras[r][3];
                for (int r = 0; r < 3; r++)
                    cw[r] = tpl2subj[r][0] * ct[0] + tpl2subj[r][1] * ct[1] + tpl2subj[r][2] * ct[2] + tpl2subj[r][3];
                double d = sqrt((w[0] - cw[0]) * (w[0] - cw[0]) + (w[1] - cw[1]) * (w[1] - cw[1]) +
                                (w[2] - cw[2]) * (w[2] - cw[2])) - 11.0;
                uint8_t f = m->flags[i + v->nx * (j + v->ny * k)];
                wrong += (f & MASK_FACE) && d <= margin && !(f & MASK_GUARD);
                wrong += (f & MASK_FACE) && d > margin + slack && (f & MASK_GUARD);
            }
    return wrong;
}

static faceless_volume *make_subject(const double vox2ras[4][4], faceless_dtype dt)
{
    const double mm[3] = {1, 1, 1};
    faceless_volume *v = volume_new(48, 40, 44, 1, dt, mm);
    memcpy(v->vox2ras, vox2ras, sizeof v->vox2ras);
    uint64_t s = 12345;
    for (int64_t i = 0; i < volume_voxels(v); i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        volume_set_stored(v, i, 20 + (double)((s >> 33) % 200));
    }
    return v;
}

static void subj_world(const faceless_volume *v, int64_t i, int64_t j, int64_t k, double p[3])
{
    for (int r = 0; r < 3; r++)
        p[r] = v->vox2ras[r][0] * i + v->vox2ras[r][1] * j + v->vox2ras[r][2] * k + v->vox2ras[r][3];
}

static void apply(const double m[4][4], const double p[3], double q[3])
{
    for (int r = 0; r < 3; r++)
        q[r] = m[r][0] * p[0] + m[r][1] * p[1] + m[r][2] * p[2] + m[r][3];
}

/* Pull-back through a rotation + scaling + translation agrees with mapping
 * each subject voxel by hand (away from the boundary, where rounding of the
 * half-way rule could go either way), and the guard margin agrees with a
 * brute-force Euclidean distance. */
static void test_pullback_and_guard(void)
{
    faceless_ctx *ctx = faceless_ctx_new();
    template_set t;
    make_template(&t);
    double c = cos(0.3), s = sin(0.3);
    /* template -> subject world: rotate about z, scale 1.1, shift */
    double tpl2subj[4][4] = {{1.1 * c, -1.1 * s, 0, 5}, {1.1 * s, 1.1 * c, 0, -3}, {0, 0, 1.1, 2}, {0, 0, 0, 1}};
    /* subject grid: 1 x 1.2 x 1.5 mm, oblique-free, origin shifted */
    double v2r[4][4] = {{1, 0, 0, -20}, {0, 1.2, 0, -15}, {0, 0, 1.5, -20}, {0, 0, 0, 1}};
    faceless_volume *v = make_subject(v2r, FACELESS_DT_UINT8);
    double inv[4][4];
    CHECK(mask_affine_invert(tpl2subj, inv), "invert");
    mask_params p;
    mask_params_default(&p);
    CHECK(p.brain_margin_mm >= 5.0, "default margin %g < 5 mm", p.brain_margin_mm);
    mask_result m;
    CHECK(mask_build(ctx, v, &t, tpl2subj, &p, &m) == FACELESS_OK, "mask_build: %s", faceless_ctx_error(ctx));
    int64_t wrong_face = 0, wrong_guard = 0, n_remove = 0, n_guarded_face = 0;
    for (int64_t k = 0; k < v->nz; k++)
        for (int64_t j = 0; j < v->ny; j++)
            for (int64_t i = 0; i < v->nx; i++) {
                double w[3], q[3];
                subj_world(v, i, j, k, w);
                apply(inv, w, q);
                uint8_t f = m.flags[i + v->nx * (j + v->ny * k)];
                /* face box [0,20) in template mm; its pulled-back edge lies
                 * within half a template voxel (1 mm) of the true edge */
                double inset = 1e9;
                for (int a = 0; a < 3; a++)
                    inset = fmin(inset, fmin(q[a] - (-1.0), 19.0 - q[a]));
                if (inset > 1.01 && !(f & MASK_FACE))
                    wrong_face++;
                if (inset < -1.01 && (f & MASK_FACE))
                    wrong_face++;
                /* guard: brute-force distance (subject mm) to the pulled-back
                 * ball (template radius 10 -> subject radius 11) */
                double cw[3], ct[3] = {-4, 10, 10};
                apply(tpl2subj, ct, cw);
                double d = sqrt((w[0] - cw[0]) * (w[0] - cw[0]) + (w[1] - cw[1]) * (w[1] - cw[1]) +
                                (w[2] - cw[2]) * (w[2] - cw[2])) - 11.0;
                if ((f & MASK_FACE) && d <= p.brain_margin_mm && !(f & MASK_GUARD))
                    wrong_guard++; /* within the margin yet not guarded: never allowed */
                if ((f & MASK_FACE) && d > p.brain_margin_mm + 5.0 && (f & MASK_GUARD))
                    wrong_guard++; /* guard far too thick */
                if (f & MASK_REMOVE) {
                    n_remove++;
                    CHECK((f & MASK_FACE) && !(f & MASK_GUARD), "remove bit outside face or in guard");
                }
                n_guarded_face += (f & MASK_FACE) && (f & MASK_GUARD);
            }
    CHECK(wrong_face == 0, "%lld voxels disagree with the hand-mapped face box", (long long)wrong_face);
    CHECK(wrong_guard == 0, "%lld voxels disagree with the brute-force guard margin", (long long)wrong_guard);
    CHECK(n_remove == m.n_remove && n_remove > 1000, "n_remove %lld vs %lld", (long long)n_remove, (long long)m.n_remove);
    CHECK(n_guarded_face == m.n_face_guarded && n_guarded_face > 100, "guarded face %lld", (long long)n_guarded_face);

    /* a larger margin guards more and removes less */
    mask_result m2;
    p.brain_margin_mm = 9.0;
    CHECK(mask_build(ctx, v, &t, tpl2subj, &p, &m2) == FACELESS_OK, "mask_build 9 mm");
    CHECK(m2.n_remove < m.n_remove, "9 mm margin removes %lld, 5 mm %lld", (long long)m2.n_remove, (long long)m.n_remove);
    /* thin slices (0.4 mm): an 8 mm margin reaches 20 slices each way, more
     * than the dilation transforms in one batch (EDT_BATCH, 16), while the
     * face still reaches 20 mm from the ball, so a guard too thick or too
     * thin shows */
    {
        const double mm[3] = {1, 1.2, 0.4};
        faceless_volume *thin = volume_new(48, 40, 120, 1, FACELESS_DT_UINT8, mm);
        /* the grid starts at z = 10 mm, inside the face box (z 2-24 mm), so
         * the field of view cuts the dilation's box and its first slices
         * hold face voxels */
        double tv[4][4] = {{1, 0, 0, -20}, {0, 1.2, 0, -15}, {0, 0, 0.4, 10}, {0, 0, 0, 1}};
        memcpy(thin->vox2ras, tv, sizeof tv);
        mask_result m4;
        p.brain_margin_mm = 8.0;
        CHECK(mask_build(ctx, thin, &t, tpl2subj, &p, &m4) == FACELESS_OK, "mask_build thin slices");
        CHECK(m4.n_remove > 1000 && m4.n_face_guarded > 1000, "thin slices: %lld removed, %lld guarded",
              (long long)m4.n_remove, (long long)m4.n_face_guarded);
        CHECK(guard_disagreements(thin, tpl2subj, &m4, 8.0, 3.0) == 0,
              "thin slices, 8 mm margin: voxels disagree with the brute-force guard");
        mask_result_free(&m4);
        faceless_volume_free(thin);
    }
    p.brain_margin_mm = -1.0;
    mask_result m3;
    CHECK(mask_build(ctx, v, &t, tpl2subj, &p, &m3) == FACELESS_ERR_USAGE, "negative margin accepted");
    double singular[4][4] = {{0}};
    p.brain_margin_mm = 5.0;
    CHECK(mask_build(ctx, v, &t, singular, &p, &m3) == FACELESS_ERR_INTERNAL, "singular affine accepted");
    mask_result_free(&m2);

    /* zero mode: masked voxels become 0, the rest is untouched, invariant holds */
    faceless_volume *orig = make_subject(v2r, FACELESS_DT_UINT8);
    uint64_t h = mask_protected_hash(v, &m, 2);
    mask_scramble_stats st;
    CHECK(mask_scramble_in_place(ctx, v, &m, MASK_MODE_ZERO, 1, &st) == FACELESS_OK, "zero");
    CHECK(mask_check_invariant(ctx, v, &m, h) == FACELESS_OK, "invariant after zero: %s", faceless_ctx_error(ctx));
    int64_t bad = 0;
    for (int64_t i = 0; i < volume_voxels(v); i++) {
        double a = volume_get_stored(v, i), b = volume_get_stored(orig, i);
        bad += (m.flags[i] & MASK_REMOVE) ? a != 0.0 : a != b;
    }
    CHECK(bad == 0, "%lld voxels wrong after zero mode", (long long)bad);
    CHECK(st.voxels_changed == m.n_remove, "changed %lld of %lld", (long long)st.voxels_changed, (long long)m.n_remove);
    /* the invariant catches a changed guarded voxel and a changed outside voxel */
    for (int64_t i = 0; i < volume_voxels(v); i++)
        if ((m.flags[i] & MASK_GUARD) && (m.flags[i] & MASK_FACE)) {
            volume_set_stored(v, i, volume_get_stored(v, i) + 1);
            CHECK(mask_check_invariant(ctx, v, &m, h) == FACELESS_ERR_INTERNAL, "guard change not caught");
            volume_set_stored(v, i, volume_get_stored(v, i) - 1);
            break;
        }
    volume_set_stored(v, 0, volume_get_stored(v, 0) + 1);
    CHECK(mask_check_invariant(ctx, v, &m, h) == FACELESS_ERR_INTERNAL, "outside change not caught");
    faceless_volume_free(orig);
    faceless_volume_free(v);
    mask_result_free(&m);
    free(t.face.mask);
    free(t.guard.mask);
    faceless_ctx_free(ctx);
}

/* Mode names (the background itself: tests/unit/test_mask_background.c). */
static void test_mode_names(void)
{
    mask_mode md;
    CHECK(mask_mode_parse("noise", &md) && md == MASK_MODE_NOISE, "parse noise");
    CHECK(!mask_mode_parse("blur", &md), "parse accepted blur");
}

/* A subject of smooth 'tissue' (values 100..200) with air (0) in part of
 * the mask: the noise refill uses only tissue values, is the same for 1 and
 * 2 threads, changes with the seed, and leaves everything else alone. */
static void test_noise(void)
{
    template_set t;
    make_template(&t);
    double id[4][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
    double v2r[4][4] = {{1, 0, 0, -20}, {0, 1, 0, -15}, {0, 0, 1, -20}, {0, 0, 0, 1}};
    faceless_volume *vol[3];
    mask_result m;
    for (int r = 0; r < 3; r++) {
        faceless_ctx *ctx = faceless_ctx_new();
        faceless_ctx_set_threads(ctx, r == 1 ? 2 : 1);
        vol[r] = make_subject(v2r, FACELESS_DT_INT16);
        for (int64_t k = 0; k < vol[r]->nz; k++)
            for (int64_t j = 0; j < vol[r]->ny; j++)
                for (int64_t i = 0; i < vol[r]->nx; i++) {
                    double w[3];
                    subj_world(vol[r], i, j, k, w);
                    double val = w[1] > 12 ? 0.0 : 150 + 50 * sin(0.3 * i) * cos(0.2 * j + 0.1 * k);
                    volume_set_stored(vol[r], i + vol[r]->nx * (j + vol[r]->ny * k), val);
                }
        mask_params p;
        mask_params_default(&p);
        if (r > 0)
            mask_result_free(&m);
        CHECK(mask_build(ctx, vol[r], &t, id, &p, &m) == FACELESS_OK, "build");
        uint64_t h = mask_protected_hash(vol[r], &m, 1);
        mask_scramble_stats st;
        CHECK(mask_scramble_in_place(ctx, vol[r], &m, MASK_MODE_NOISE, r == 2 ? 8 : 7, &st) == FACELESS_OK,
              "noise: %s", faceless_ctx_error(ctx));
        CHECK(mask_check_invariant(ctx, vol[r], &m, h) == FACELESS_OK, "invariant after noise");
        CHECK(st.tissue_samples > 100, "tissue samples %lld", (long long)st.tissue_samples);
        CHECK(st.tissue_threshold > 10 && st.tissue_threshold < 100, "threshold %g", st.tissue_threshold);
        faceless_ctx_free(ctx);
    }
    int64_t outside = 0, diff12 = 0, diff_seed = 0;
    for (int64_t i = 0; i < volume_voxels(vol[0]); i++) {
        double a = volume_get_stored(vol[0], i);
        if (m.flags[i] & MASK_REMOVE)
            outside += a < 100 || a > 200; /* every refill value is a tissue value */
        diff12 += memcmp((char *)vol[0]->data + 2 * i, (char *)vol[1]->data + 2 * i, 2) != 0;
        diff_seed += a != volume_get_stored(vol[2], i);
    }
    CHECK(outside == 0, "%lld refilled voxels outside the tissue range", (long long)outside);
    CHECK(diff12 == 0, "%lld voxels differ between 1 and 2 threads", (long long)diff12);
    CHECK(diff_seed > m.n_remove / 2, "seed 7 and 8 differ in only %lld voxels", (long long)diff_seed);
    for (int r = 0; r < 3; r++)
        faceless_volume_free(vol[r]);
    mask_result_free(&m);
    free(t.face.mask);
    free(t.guard.mask);
}

int main(void)
{
    test_pullback_and_guard();
    test_mode_names();
    test_noise();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("test_mask: all checks passed\n");
    return 0;
}
