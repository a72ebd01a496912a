/* Registration on phantoms made in memory from the embedded template head
 * (no data files needed): known affines (rotations up to 25 degrees,
 * translations up to 40 mm, scale 0.85-1.15, shear), stored in other axis
 * orders, with inverted and with non-monotonic (CT-like) contrast. Each must
 * be recovered within 2 mm over brain, face and ears, and trusted; a pure
 * noise image must not be trusted; and the matrix must be bit-identical with
 * 1, 2 and 3 threads. */
#include "support/reg_suite.h"

static int failures;
#define CHECK(c, ...)                                                                                                  \
    do {                                                                                                               \
        if (!(c)) {                                                                                                    \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                                \
            printf(__VA_ARGS__);                                                                                       \
            printf("\n");                                                                                              \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)

/* The template head as a subject volume (float32, 2 mm). */
static faceless_volume *template_as_volume(const template_set *t)
{
    double sp[3] = {2, 2, 2};
    faceless_volume *v = volume_new(t->head.nx, t->head.ny, t->head.nz, 1, FACELESS_DT_FLOAT32, sp);
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++)
            v->vox2ras[a][b] = t->head.vox2ras[a][b];
    float *d = v->data;
    for (int64_t i = 0; i < t->head.nx * t->head.ny * t->head.nz; i++)
        d[i] = template_grey_value(&t->head, i);
    return v;
}

int main(void)
{
    faceless_ctx *ctx = faceless_ctx_new();
    template_set *t = NULL;
    if (template_set_load_embedded(ctx, &t) != FACELESS_OK) {
        printf("FAIL: %s\n", faceless_ctx_error(ctx));
        return 1;
    }
    faceless_volume *base = template_as_volume(t);
    reg_image orig = {base->nx, base->ny, base->nz, {{0}}, {{0}}, base->data};
    reg_image_set_matrix(&orig, base->vox2ras);
    double I[4][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
    register_options opts;
    register_options_default(&opts);
    suite_rng rng = {42};
    double centre[3] = {0, -18, 0};
    for (int c = 0; c < 6; c++) {
        suite_copy_kind kind = {c % 4, c == 2 || c == 5, 0, 0, 0};
        double Q[4][4], Qi[4][4], cc[3];
        suite_random_affine(&rng, centre, Q);
        reg_mat_inv(Q, Qi);
        reg_mat_apply(Qi, centre, cc);
        faceless_volume *v = suite_make_copy(&orig, Q, &kind, cc, I, 255.0f);
        if (c == 4) {
            /* CT-like: bone bright, air dark, soft tissue mid; not monotonic in T1 */
            float *d = v->data;
            for (int64_t i = 0; i < volume_voxels(v); i++)
                d[i] = d[i] < 20 ? 0 : d[i] < 50 ? 250 : 100 + 0.1f * d[i];
        }
        register_result r;
        CHECK(register_affine(ctx, v, t, &opts, &r) == FACELESS_OK, "copy %d: %s", c, faceless_ctx_error(ctx));
        double B[4][4];
        reg_mat_mul(Q, r.tpl2subj, B);
        double err = register_distance_mm(t, B, I, NULL);
        printf("phantom %d (order %d, inverted %d): error %.2f mm, trusted %d, dice %.3f, %.3f s\n", c, kind.order,
               kind.invert, err, r.trusted, r.head_overlap, r.seconds);
        CHECK(err < 2.0, "phantom %d: error %.2f mm", c, err);
        CHECK(r.trusted, "phantom %d: not trusted (%s)", c, r.reason);
        if (c == 1) {
            /* the same input with 1, 2 and 3 threads: bit-identical matrices */
            for (int th = 1; th <= 3; th++) {
                faceless_ctx *c2 = faceless_ctx_new();
                faceless_ctx_set_threads(c2, th);
                register_result r2;
                register_affine(c2, v, t, &opts, &r2);
                CHECK(!memcmp(r2.tpl2subj, r.tpl2subj, sizeof r.tpl2subj) && r2.trust == r.trust,
                      "threads %d: result differs", th);
                faceless_ctx_free(c2);
            }
        }
        faceless_volume_free(v);
    }
    /* noise: no head to find, must not be trusted */
    {
        double sp[3] = {2, 2, 2};
        faceless_volume *v = volume_new(90, 100, 90, 1, FACELESS_DT_FLOAT32, sp);
        float *d = v->data;
        for (int64_t i = 0; i < volume_voxels(v); i++)
            d[i] = (float)(suite_next(&rng) % 1000);
        register_result r;
        CHECK(register_affine(ctx, v, t, &opts, &r) == FACELESS_OK, "noise: %s", faceless_ctx_error(ctx));
        printf("noise: trusted %d, dice %.3f, cost %.3f (%s)\n", r.trusted, r.head_overlap, r.final_cost, r.reason);
        CHECK(!r.trusted, "noise image trusted");
        faceless_volume_free(v);
    }
    faceless_volume_free(base);
    template_set_free(t);
    faceless_ctx_free(ctx);
    printf("%s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
