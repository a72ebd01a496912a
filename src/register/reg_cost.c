/* The registration cost and its optimiser.
 *
 * Costs: mutual information (reg_mi.c, the one register_affine uses) and
 * the correlation ratio 1 - eta^2(moving | sample class) (Roche et al.,
 * MICCAI 1998), both over samples on the template grid with fixed quantile
 * classes, so that only the trilinear subject moves and the cost has an exact
 * analytic gradient. Why MI, measured on the registration suite
 * (tests/support/reg_suite.h, 8 copies of each of 8 heads):
 *  - the correlation ratio in this direction predicts the subject from the
 *    template's class; in CT, T1w-dark holds air (CT dark) and bone (CT
 *    bright) at once, and the fit escaped by squashing the template onto the
 *    cranium (z scale 0.60, the face mask 25 mm too high on the MRIcroGL CT);
 *    in the other direction (subject samples) it tilted the CT by ~10 deg;
 *  - MI has no such direction: CT copies median 1.55 mm (CR: 15 mm, every
 *    copy off), T1w as accurate (median 0.52-1.2 mm), T2w registered.
 * The correlation ratio stays as the measured alternative
 * (register_options.correlation_ratio; register_eval --cost cr).
 * The samples that count are chosen once per level (reg_cost_select: those
 * the start transform maps inside the template, e.g. not the neck under the
 * template's lowest slice) and stay fixed while the transform moves; samples
 * that then leave the grid take the nearest border value (tri_grad). A
 * changing sample set would let the fit lower its cost by pushing awkward
 * parts of the subject out of the template (the overlap bias of shrinking).
 *
 * Determinism: samples are split into fixed chunks of REG_CHUNK; each chunk
 * sums into its own partials, reduced in chunk order. */
#include "register/reg_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int reg_cost_ws_init(reg_cost_ws *w, const reg_samples *s, const reg_image *tpl, int threads, int kind)
{
    memset(w, 0, sizeof *w);
    w->s = s;
    w->tpl = tpl;
    w->threads = threads < 1 ? 1 : threads;
    w->kind = kind;
    /* MI: the moving image's values binned linearly over its 0.5..99.5% range */
    double q[2] = {0.005, 0.995}, r[2];
    reg_quantiles(tpl->v, tpl->nx * tpl->ny * tpl->nz, q, 2, r);
    w->lo = r[0];
    w->hi = r[1] > r[0] ? r[1] : r[0] + 1;
    const int cr = kind == REG_COST_CR;
    if (cr) {
        w->t = malloc((size_t)(s->n ? s->n : 1) * sizeof(float));
        w->grad = malloc((size_t)(s->n ? s->n : 1) * 3 * sizeof(float));
        w->in = malloc((size_t)(s->n ? s->n : 1));
    }
    w->use = malloc((size_t)(s->n ? s->n : 1));
    w->joint = malloc((size_t)REG_BINS * REG_MI_BINS * sizeof *w->joint);
    /* allocated once, not per evaluation: a buffer this size is its own
     * mapping (main.c), and mapping it anew each time costs page faults */
    const int64_t nchunks = (s->n + REG_CHUNK - 1) / REG_CHUNK;
    w->chunk_hist = malloc((size_t)(nchunks ? nchunks : 1) * REG_BINS * REG_MI_BINS * sizeof *w->chunk_hist);
    if ((cr && (!w->t || !w->grad || !w->in)) || !w->use || !w->joint || !w->chunk_hist) {
        reg_cost_ws_free(w);
        return 0;
    }
    return 1;
}

void reg_cost_ws_free(reg_cost_ws *w)
{
    free(w->t);
    free(w->grad);
    free(w->in);
    free(w->use);
    free(w->joint);
    free(w->chunk_hist);
    w->joint = w->chunk_hist = NULL;
    w->t = w->grad = NULL;
    w->in = w->use = NULL;
}

/* The affine A of parameters p (world mm minus c -> moving world) and G,
 * the samples' voxel indices -> the moving image's voxels:
 * G = ras2vox * A * ijk2x. */
static void sample_transform(const reg_cost_ws *w, const double p[REG_NPARAM], double A[4][4], double G[4][4])
{
    double zero[3] = {0, 0, 0}, Gx[4][4];
    reg_params_to_affine(p, zero, A);
    reg_mat_mul(w->tpl->ras2vox, A, Gx);
    reg_samples_matrix(w->s, Gx, G);
}

void reg_cost_select(reg_cost_ws *w, const double p[REG_NPARAM], double margin_vox)
{
    double A[4][4], G[4][4];
    sample_transform(w, p, A, G);
    const reg_image *t = w->tpl;
    for (int64_t q = 0; q < w->s->n; q++) {
        const int64_t n = w->s->n;
        const double x[3] = {w->s->ijk[q], w->s->ijk[n + q], w->s->ijk[2 * n + q]};
        double u[3];
        for (int r = 0; r < 3; r++)
            u[r] = G[r][0] * x[0] + G[r][1] * x[1] + G[r][2] * x[2] + G[r][3];
        w->use[q] = (uint8_t)(u[0] >= margin_vox && u[1] >= margin_vox && u[2] >= margin_vox &&
                              u[0] <= t->nx - 1 - margin_vox && u[1] <= t->ny - 1 - margin_vox &&
                              u[2] <= t->nz - 1 - margin_vox);
    }
}

typedef struct chunk_sums {
    double n[REG_BINS], s[REG_BINS], s2;
} chunk_sums;

static double uninformative(reg_cost_ws *w, double *overlap)
{
    if (overlap)
        *overlap = 0;
    w->last_ok = 0;
    w->last_cost = 1.0;
    return 1.0;
}

/* Correlation ratio at G (the samples' voxel indices -> moving-image
 * voxels); sets the workspace's last evaluation. */
static double cost_cr(reg_cost_ws *w, const double G[4][4], double *overlap)
{
    const reg_samples *s = w->s;
    const reg_image *tpl = w->tpl;
    const int64_t n = s->n, nchunks = (n + REG_CHUNK - 1) / REG_CHUNK;
    chunk_sums *cs = calloc((size_t)(nchunks ? nchunks : 1), sizeof *cs);
    if (!cs)
        return uninformative(w, overlap);
    float Gf[3][4], hi[3];
    reg_matrix_float(G, Gf);
    reg_tri_limits(tpl, hi);
#pragma omp parallel for schedule(static) num_threads(w->threads) if (nchunks >= 4)
    for (int64_t ch = 0; ch < nchunks; ch++) {
        chunk_sums *c = &cs[ch];
        int64_t end = (ch + 1) * REG_CHUNK < n ? (ch + 1) * REG_CHUNK : n;
        for (int64_t q = ch * REG_CHUNK; q < end; q++) {
            const float x[3] = {s->ijk[q], s->ijk[n + q], s->ijk[2 * n + q]};
            float u[3];
            for (int r = 0; r < 3; r++)
                u[r] = Gf[r][0] * x[0] + Gf[r][1] * x[1] + Gf[r][2] * x[2] + Gf[r][3];
            float val, gr[3];
            if (!w->use[q]) {
                w->in[q] = 0;
                continue;
            }
            reg_tri_grad(tpl, hi, u, &val, gr);
            w->in[q] = 1;
            w->t[q] = val;
            w->grad[q] = gr[0];
            w->grad[n + q] = gr[1];
            w->grad[2 * n + q] = gr[2];
            int b = s->bin[q];
            c->n[b] += 1;
            c->s[b] += val;
            c->s2 += (double)val * val;
        }
    }
    chunk_sums tot;
    memset(&tot, 0, sizeof tot);
    for (int64_t ch = 0; ch < nchunks; ch++) {
        for (int b = 0; b < REG_BINS; b++) {
            tot.n[b] += cs[ch].n[b];
            tot.s[b] += cs[ch].s[b];
        }
        tot.s2 += cs[ch].s2;
    }
    free(cs);
    double N = 0, S = 0, within = tot.s2;
    for (int b = 0; b < REG_BINS; b++) {
        N += tot.n[b];
        S += tot.s[b];
        w->mu[b] = tot.n[b] > 0 ? tot.s[b] / tot.n[b] : 0;
        if (tot.n[b] > 0)
            within -= tot.s[b] * tot.s[b] / tot.n[b];
    }
    w->mean = N > 0 ? S / N : 0;
    w->var = tot.s2 - S * w->mean;
    /* Too little overlap, or a flat template region: no information. */
    if (N < 0.1 * n || N < 200 || w->var <= 1e-9 * (tot.s2 + 1))
        return uninformative(w, overlap);
    if (overlap)
        *overlap = n > 0 ? N / n : 0;
    w->last_ok = 1;
    w->last_cost = within / w->var;
    return w->last_cost;
}

/* d cost = sum_i 2 [(t_i - mu_b) - cost (t_i - mean)] dt_i / var: the sums
 * sum_i coef_i * grad_u_i (x) (x_i, 1) of the last evaluation, normalised. */
static int cr_gradient_sums(const reg_cost_ws *w, double sum[12])
{
    const reg_samples *s = w->s;
    const int64_t n = s->n, nchunks = (n + REG_CHUNK - 1) / REG_CHUNK;
    double *part = malloc((size_t)(nchunks ? nchunks : 1) * 12 * sizeof(double));
    if (!part)
        return 0;
    const double cost = w->last_cost, mean = w->mean;
#pragma omp parallel for schedule(static) num_threads(w->threads) if (nchunks >= 4)
    for (int64_t ch = 0; ch < nchunks; ch++) {
        double acc[12] = {0};
        int64_t end = (ch + 1) * REG_CHUNK < n ? (ch + 1) * REG_CHUNK : n;
        for (int64_t q = ch * REG_CHUNK; q < end; q++) {
            if (!w->in[q])
                continue;
            double t = w->t[q];
            double coef = (t - w->mu[s->bin[q]]) - cost * (t - mean);
            const float x[3] = {s->ijk[q], s->ijk[n + q], s->ijk[2 * n + q]};
            const float gu[3] = {w->grad[q], w->grad[n + q], w->grad[2 * n + q]};
            for (int a = 0; a < 3; a++) {
                double cg = coef * gu[a];
                acc[4 * a + 0] += cg * x[0];
                acc[4 * a + 1] += cg * x[1];
                acc[4 * a + 2] += cg * x[2];
                acc[4 * a + 3] += cg;
            }
        }
        memcpy(part + 12 * ch, acc, sizeof acc);
    }
    reg_sum_chunk_partials(part, nchunks, 0.5 * w->var, sum);
    free(part);
    return 1;
}

void reg_sum_chunk_partials(const double *part, int64_t nchunks, double divisor, double sum[12])
{
    for (int e = 0; e < 12; e++)
        sum[e] = 0;
    for (int64_t ch = 0; ch < nchunks; ch++)
        for (int e = 0; e < 12; e++)
            sum[e] += part[12 * ch + e];
    for (int e = 0; e < 12; e++)
        sum[e] /= divisor;
}

void reg_cost_gradient(reg_cost_ws *w, double g[REG_NPARAM])
{
    double sum[12];
    if (!w->last_ok || !(w->kind == REG_COST_MI ? reg_mi_gradient_sums(w, sum) : cr_gradient_sums(w, sum))) {
        memset(g, 0, REG_NPARAM * sizeof *g);
        return;
    }
    reg_samples_sums_to_world(w->s, sum);
    /* Chain rule, once for all samples: a sample's value moves with its
     * template voxel coordinate u = ras2vox (A x), so
     * dcost/dA[r][k] = sum_a ras2vox[a][r] * sum[a][k] (x_3 = 1). */
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 4; k++) {
            double d = 0;
            for (int a = 0; a < 3; a++)
                d += w->tpl->ras2vox[a][r] * sum[4 * a + k];
            if (k == 3)
                g[r] = d;
            else
                g[3 + 3 * r + k] = d / REG_LIN_SCALE;
        }
}

double reg_cost_eval(reg_cost_ws *w, const double p[REG_NPARAM], double g[REG_NPARAM], double *overlap)
{
    w->evals++;
    double A[4][4], G[4][4];
    sample_transform(w, p, A, G);
    /* A transform that folds or collapses the head is never a head fit. */
    double det = A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) - A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) +
                 A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]);
    double cost;
    if (!(fabs(det) > 0.3 && fabs(det) < 3.0)) /* det < 0: a mirrored start (ignore_orientation) */
        cost = uninformative(w, overlap);
    else
        cost = w->kind == REG_COST_MI ? reg_cost_mi(w, G, overlap) : cost_cr(w, G, overlap);
    if (g)
        reg_cost_gradient(w, g);
    return cost;
}

/* Similarity parameters q (7): translation t (mm), rotation vector w and log
 * scale, both times REG_LIN_SCALE, applied on top of a base linear part:
 * L = exp(q6/S) R(w/S) L0. Coarse levels fit these first: a 12-DOF fit from a
 * rough start can trade a wrong rotation for shears; a similarity fit cannot. */
static void sim_to_params(const double q[7], const double base[REG_NPARAM], double p[REG_NPARAM])
{
    double w[3] = {q[3] / REG_LIN_SCALE, q[4] / REG_LIN_SCALE, q[5] / REG_LIN_SCALE};
    double th = sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]), R[3][3];
    /* Rodrigues' formula */
    double k[3] = {0, 0, 0}, c = cos(th), sn = sin(th);
    if (th > 1e-12)
        for (int a = 0; a < 3; a++)
            k[a] = w[a] / th;
    double K[3][3] = {{0, -k[2], k[1]}, {k[2], 0, -k[0]}, {-k[1], k[0], 0}};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double kk = 0;
            for (int m = 0; m < 3; m++)
                kk += K[i][m] * K[m][j];
            R[i][j] = (i == j) + sn * K[i][j] + (1 - c) * kk;
        }
    double sc = exp(q[6] / REG_LIN_SCALE);
    for (int r = 0; r < 3; r++) {
        p[r] = q[r];
        for (int kx = 0; kx < 3; kx++) {
            double v = 0;
            for (int m = 0; m < 3; m++)
                v += R[r][m] * base[3 + 3 * m + kx];
            p[3 + 3 * r + kx] = sc * v;
        }
    }
}

typedef struct objective {
    reg_cost_ws *w;
    int similarity; /* 1: q are similarity parameters on base */
    double base[REG_NPARAM];
} objective;

/* The cost at q (similarity or full parameters). */
static double objective_value(objective *o, const double *q)
{
    if (!o->similarity)
        return reg_cost_eval(o->w, q, NULL, NULL);
    double p[REG_NPARAM];
    sim_to_params(q, o->base, p);
    return reg_cost_eval(o->w, p, NULL, NULL);
}

/* The gradient at q, which must be the point of the last objective_value. */
static void objective_gradient(objective *o, const double *q, double *g)
{
    if (!o->similarity) {
        reg_cost_gradient(o->w, g);
        return;
    }
    double gp[REG_NPARAM];
    reg_cost_gradient(o->w, gp);
    /* chain rule with dp/dq by central differences of the (cheap, smooth)
     * parameter map; the cost gradient itself is analytic. */
    for (int j = 0; j < 7; j++) {
        double qa[7], qb[7], pa[REG_NPARAM], pb[REG_NPARAM], h = 1e-3;
        memcpy(qa, q, sizeof qa);
        memcpy(qb, q, sizeof qb);
        qa[j] += h;
        qb[j] -= h;
        sim_to_params(qa, o->base, pa);
        sim_to_params(qb, o->base, pb);
        double d = 0;
        for (int i = 0; i < REG_NPARAM; i++)
            d += gp[i] * (pa[i] - pb[i]) / (2 * h);
        g[j] = d;
    }
}

/* BFGS (Nocedal & Wright, algorithm 6.1) with an Armijo backtracking line
 * search; the inverse Hessian starts as the identity scaled so that the first
 * step has length step0. Parameters are all in mm-like units. */
static double bfgs(objective *o, int P, double *p, double step0, double tol, int max_iter, reg_curvature *warm)
{
    double g[REG_NPARAM], H[REG_NPARAM][REG_NPARAM], f = objective_value(o, p);
    objective_gradient(o, p, g);
    int reset = 1;
    if (warm && warm->valid) {
        memcpy(H, warm->H, sizeof H);
        reset = 0;
    }
    for (int it = 0; it < max_iter; it++) {
        if (reset) {
            double gmax = 0;
            for (int i = 0; i < P; i++)
                gmax = fmax(gmax, fabs(g[i]));
            if (gmax <= 0)
                break;
            memset(H, 0, sizeof H);
            for (int i = 0; i < P; i++)
                H[i][i] = step0 / gmax;
            reset = 0;
        }
        double d[REG_NPARAM], gd = 0, dmax = 0;
        for (int i = 0; i < P; i++) {
            d[i] = 0;
            for (int j = 0; j < P; j++)
                d[i] -= H[i][j] * g[j];
            gd += d[i] * g[i];
            dmax = fmax(dmax, fabs(d[i]));
        }
        if (gd >= 0) { /* not a descent direction: restart from steepest descent */
            reset = 1;
            continue;
        }
        /* Never jump further than 4 * step0 in one line search. */
        double alpha = dmax > 4 * step0 ? 4 * step0 / dmax : 1.0;
        double pn[REG_NPARAM], gn[REG_NPARAM], fn = 0;
        int ok = 0;
        for (int ls = 0; ls < 12; ls++) {
            for (int i = 0; i < P; i++)
                pn[i] = p[i] + alpha * d[i];
            /* the gradient only where the step is taken: most trials of a
             * line search are rejected, and the gradient pass costs a third
             * of an evaluation */
            fn = objective_value(o, pn);
            if (fn <= f + 1e-4 * alpha * gd) {
                objective_gradient(o, pn, gn);
                ok = 1;
                break;
            }
            /* Next trial at the minimum of the quadratic through f, the
             * slope gd and fn (Nocedal & Wright, 3.5), kept within
             * [0.1, 0.5] of the rejected step: plain halving needed ~1.5
             * rejected trials per accepted step on the suite's heads. */
            double denom = 2.0 * (fn - f - gd * alpha), next = 0.5 * alpha;
            if (denom > 0)
                next = -gd * alpha * alpha / denom;
            alpha = fmin(fmax(next, 0.1 * alpha), 0.5 * alpha);
        }
        if (!ok) {
            if (it > 0 && !reset) {
                reset = 1; /* retry once along the gradient */
                continue;
            }
            break;
        }
        double sv[REG_NPARAM], yv[REG_NPARAM], sy = 0, smax = 0;
        for (int i = 0; i < P; i++) {
            sv[i] = pn[i] - p[i];
            yv[i] = gn[i] - g[i];
            sy += sv[i] * yv[i];
            smax = fmax(smax, fabs(sv[i]));
        }
        memcpy(p, pn, (size_t)P * sizeof *p);
        memcpy(g, gn, (size_t)P * sizeof *g);
        double fold = f;
        f = fn;
        if (smax < tol || fold - f < 1e-9 * fabs(fold))
            break;
        if (sy > 1e-12) {
            double Hy[REG_NPARAM], yHy = 0;
            for (int i = 0; i < P; i++) {
                Hy[i] = 0;
                for (int j = 0; j < P; j++)
                    Hy[i] += H[i][j] * yv[j];
                yHy += yv[i] * Hy[i];
            }
            double rho = 1.0 / sy;
            for (int i = 0; i < P; i++)
                for (int j = 0; j < P; j++)
                    H[i][j] += rho * ((1 + rho * yHy) * sv[i] * sv[j] - Hy[i] * sv[j] - sv[i] * Hy[j]);
        }
    }
    if (warm) {
        memcpy(warm->H, H, sizeof H);
        warm->valid = !reset;
    }
    return f;
}

double reg_optimize(reg_cost_ws *w, double p[REG_NPARAM], double step0, double tol, int max_iter)
{
    objective o = {w, 0, {0}};
    return bfgs(&o, REG_NPARAM, p, step0, tol, max_iter, NULL);
}

double reg_optimize_warm(reg_cost_ws *w, double p[REG_NPARAM], double step0, double tol, int max_iter,
                         reg_curvature *curv)
{
    objective o = {w, 0, {0}};
    return bfgs(&o, REG_NPARAM, p, step0, tol, max_iter, curv);
}

double reg_optimize_similarity(reg_cost_ws *w, double p[REG_NPARAM], double step0, double tol, int max_iter)
{
    objective o = {w, 1, {0}};
    memcpy(o.base, p, sizeof o.base);
    double q[7] = {p[0], p[1], p[2], 0, 0, 0, 0};
    double f = bfgs(&o, 7, q, step0, tol, max_iter, NULL);
    sim_to_params(q, o.base, p);
    return f;
}
