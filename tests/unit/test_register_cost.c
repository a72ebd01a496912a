/* The registration cost kernels (reg_mi.c, reg_cost.c) against what they
 * promise, on the embedded template head (no data files):
 *  - the MI cost equals a plain one-sample-at-a-time reference (trilinear
 *    value, clamping at the border, cubic B-spline window, 1 - MI / H) to
 *    1e-9: the blocked, vectorised passes compute the same thing;
 *  - the analytic gradient (MI and correlation ratio) matches central finite
 *    differences of the cost, parameter by parameter;
 *  - value and gradient are bit-identical for 1, 2 and 3 threads, and a
 *    value-only evaluation followed by reg_cost_gradient gives the same
 *    gradient as reg_cost_eval with g. */
#include "register/reg_internal.h"
#include "templates/template_set.h"
#include "test_util.h"

#include <math.h>
#include <string.h>

/* The moving image: the template head, brightened non-linearly so that the
 * pair is not trivially identical, on its own grid. */
static reg_image moving_image(const template_set *t)
{
    reg_image m = {t->head.nx, t->head.ny, t->head.nz, {{0}}, {{0}}, NULL};
    reg_image_set_matrix(&m, t->head.vox2ras);
    int64_t n = m.nx * m.ny * m.nz;
    m.v = malloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        m.v[i] = sqrtf(template_grey_value(&t->head, i)) * 10.0f + 3.0f;
    return m;
}

/* One sample at a time, as the cost was first written. */
/* grid: the sampled image (its vox2ras places the samples); centre: the
 * samples' centre c. */
static double reference_mi(const reg_cost_ws *w, const double p[REG_NPARAM], const reg_image *grid, const double centre[3])
{
    const reg_samples *s = w->s;
    const reg_image *im = w->tpl;
    double A[4][4], G[4][4], zero[3] = {0, 0, 0};
    reg_params_to_affine(p, zero, A);
    reg_mat_mul(im->ras2vox, A, G);
    static double h[REG_BINS][REG_MI_BINS];
    memset(h, 0, sizeof h);
    const double sc = (REG_MI_BINS - 3) / (w->hi - w->lo);
    for (int64_t q = 0; q < s->n; q++) {
        if (!w->use[q])
            continue;
        double idx[3] = {s->ijk[q], s->ijk[s->n + q], s->ijk[2 * s->n + q]}, x[3], u[3];
        reg_mat_apply(grid->vox2ras, idx, x);
        for (int r = 0; r < 3; r++)
            x[r] -= centre[r];
        for (int r = 0; r < 3; r++) {
            u[r] = G[r][0] * x[0] + G[r][1] * x[1] + G[r][2] * x[2] + G[r][3];
            double hi = (r == 0 ? im->nx : r == 1 ? im->ny : im->nz) - 1 - 1e-3;
            u[r] = u[r] < 0 ? 0 : u[r] > hi ? hi : u[r];
        }
        int64_t i = (int64_t)u[0], j = (int64_t)u[1], k = (int64_t)u[2];
        double fx = u[0] - i, fy = u[1] - j, fz = u[2] - k, val = 0;
        for (int d = 0; d < 8; d++) {
            int64_t a = i + (d & 1), b = j + ((d >> 1) & 1), c = k + ((d >> 2) & 1);
            double wgt = ((d & 1) ? fx : 1 - fx) * ((d & 2) ? fy : 1 - fy) * ((d & 4) ? fz : 1 - fz);
            val += wgt * im->v[(c * im->ny + b) * im->nx + a];
        }
        double z = 1 + (val - w->lo) * sc;
        z = z < 1 ? 1 : z > REG_MI_BINS - 2 - 1e-5 ? REG_MI_BINS - 2 - 1e-5 : z;
        int b0 = (int)z;
        double f = z - b0, g = 1 - f;
        double wt[4] = {g * g * g / 6, (3 * f * f * f - 6 * f * f + 4) / 6, (3 * g * g * g - 6 * g * g + 4) / 6,
                        f * f * f / 6};
        for (int d = 0; d < 4; d++)
            h[s->bin[q]][b0 - 1 + d] += wt[d];
    }
    double N = 0, pa[REG_BINS] = {0}, pb[REG_MI_BINS] = {0};
    for (int a = 0; a < REG_BINS; a++)
        for (int b = 0; b < REG_MI_BINS; b++) {
            N += h[a][b];
            pa[a] += h[a][b];
            pb[b] += h[a][b];
        }
    double ha = 0, mi = 0;
    for (int a = 0; a < REG_BINS; a++)
        if (pa[a] > 0)
            ha -= pa[a] / N * log(pa[a] / N);
    for (int a = 0; a < REG_BINS; a++)
        for (int b = 0; b < REG_MI_BINS; b++)
            if (h[a][b] > 0)
                mi += h[a][b] / N * log(h[a][b] * N / (pa[a] * pb[b]));
    return 1 - mi / ha;
}

static void check_kind(const template_set *t, const reg_image *mov, int kind, const char *name)
{
    reg_image tpl = {t->head.nx, t->head.ny, t->head.nz, {{0}}, {{0}}, NULL};
    reg_image_set_matrix(&tpl, t->head.vox2ras);
    const int64_t n = tpl.nx * tpl.ny * tpl.nz;
    tpl.v = malloc((size_t)n * sizeof(float));
    uint8_t *keep = malloc((size_t)n);
    for (int64_t i = 0; i < n; i++) {
        tpl.v[i] = template_grey_value(&t->head, i);
        keep[i] = tpl.v[i] > 20;
    }
    const double c[3] = {0, -18, 18};
    reg_samples s;
    CHECK(reg_samples_make(&tpl, &tpl, keep, 40000, c, &s), "%s: samples", name);
    reg_cost_ws w[3];
    for (int k = 0; k < 3; k++) {
        CHECK(reg_cost_ws_init(&w[k], &s, mov, k + 1, kind), "%s: workspace", name);
        w[k].lo = 3;
        w[k].hi = 140;
    }
    /* a transform a few mm and degrees off the identity (the moving image
     * is on the template grid), so samples cross voxels and the border */
    double A[4][4] = {{0.97, 0.05, -0.02, 3.2}, {-0.04, 1.02, 0.06, -2.1}, {0.03, -0.05, 0.99, 4.4}, {0, 0, 0, 1}};
    double p[REG_NPARAM], g[3][REG_NPARAM];
    reg_affine_to_params(A, c, p);
    double f[3];
    for (int k = 0; k < 3; k++) {
        reg_cost_select(&w[k], p, 1.0);
        f[k] = reg_cost_eval(&w[k], p, g[k], NULL);
    }
    CHECK(f[0] < 0.99 && f[0] > 0, "%s: cost %g is informative", name, f[0]);
    CHECK(!memcmp(&f[0], &f[1], sizeof f[0]) && !memcmp(&f[0], &f[2], sizeof f[0]),
          "%s: cost differs across thread counts (%.17g %.17g %.17g)", name, f[0], f[1], f[2]);
    CHECK(!memcmp(g[0], g[1], sizeof g[0]) && !memcmp(g[0], g[2], sizeof g[0]),
          "%s: gradient differs across thread counts", name);
    if (kind == REG_COST_MI) {
        double r = reference_mi(&w[0], p, &tpl, c);
        /* the kernel interpolates in single precision, the reference in double */
        CHECK(fabs(r - f[0]) < 1e-6, "%s: cost %.12f, one-sample-at-a-time reference %.12f", name, f[0], r);
    }
    /* value first, gradient afterwards: what BFGS does at an accepted step */
    double g2[REG_NPARAM];
    reg_cost_eval(&w[1], p, NULL, NULL);
    reg_cost_gradient(&w[1], g2);
    CHECK(!memcmp(g2, g[0], sizeof g2), "%s: reg_cost_gradient after a value-only evaluation differs", name);
    /* central differences: translation steps of 0.05 mm, linear terms alike
     * (parameters are in mm-like units) */
    double gmax = 0;
    for (int i = 0; i < REG_NPARAM; i++)
        gmax = fmax(gmax, fabs(g[0][i]));
    for (int i = 0; i < REG_NPARAM; i++) {
        double pa[REG_NPARAM], pb[REG_NPARAM], hstep = 0.05;
        memcpy(pa, p, sizeof pa);
        memcpy(pb, p, sizeof pb);
        pa[i] += hstep;
        pb[i] -= hstep;
        double fd = (reg_cost_eval(&w[0], pa, NULL, NULL) - reg_cost_eval(&w[0], pb, NULL, NULL)) / (2 * hstep);
        CHECK(fabs(fd - g[0][i]) <= 0.05 * gmax + 0.05 * fabs(fd), "%s: d/dp%d analytic %.6g, finite difference %.6g",
              name, i, g[0][i], fd);
    }
    for (int k = 0; k < 3; k++)
        reg_cost_ws_free(&w[k]);
    reg_samples_free(&s);
    free(keep);
    free(tpl.v);
}

int main(void)
{
    faceless_ctx *ctx = faceless_ctx_new();
    template_set *t = NULL;
    CHECK(template_set_load_embedded(ctx, &t) == FACELESS_OK, "template: %s", faceless_ctx_error(ctx));
    if (!t)
        return test_finish("test_register_cost");
    reg_image mov = moving_image(t);
    check_kind(t, &mov, REG_COST_MI, "mutual information");
    check_kind(t, &mov, REG_COST_CR, "correlation ratio");
    reg_image_free(&mov);
    template_set_free(t);
    faceless_ctx_free(ctx);
    return test_finish("test_register_cost");
}
