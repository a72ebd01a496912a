/* Mutual-information cost (reg_cost_eval with kind REG_COST_MI).
 *
 * Joint histogram of the sample's fixed class (REG_BINS quantile classes of
 * the sampled image) and the moving image's interpolated value, binned into
 * MI_BINS linear bins with a cubic B-spline Parzen window (Mattes et al.,
 * IEEE TMI 2003), so that the histogram, hence the cost, has a continuous
 * derivative in each sample's value. A linear (triangle) window was measured
 * first: its gradient jumps whenever a sample crosses a bin edge, the BFGS
 * line search then failed after a few steps, and fits of the same head from
 * different starts ended up to 3 mm apart. Cost = 1 - MI / H(class) in
 * [0, 1], lower is better; H(class) is constant because the sample set is
 * fixed per level.
 *
 * Gradient: with p_ab the joint and p_b the value marginal,
 * dMI = sum_ab log(p_ab / p_b) dp_ab, and each sample moves weight between
 * its four value bins. Same fixed-chunk reductions as the correlation ratio. */
#include "register/reg_internal.h"

#include <stdlib.h>
#include <string.h>

#define MI_BINS 32
#define MI_EPS 1e-10

/* Value v -> continuous bin coordinate z in [1, MI_BINS - 2), so that the
 * window's four bins floor(z) - 1 .. floor(z) + 2 all exist; *dzdv = 0 where
 * v is clamped (outside the 0.5..99.5% range). */
static inline void value_bin(const reg_cost_ws *w, float v, int *b0, double *f, double *dzdv)
{
    double sc = (MI_BINS - 3) / (w->hi - w->lo), z = 1.0 + (v - w->lo) * sc;
    *dzdv = sc;
    if (z <= 1.0) {
        z = 1.0;
        *dzdv = 0;
    } else if (z >= MI_BINS - 2 - 1e-9) {
        z = MI_BINS - 2 - 1e-9;
        *dzdv = 0;
    }
    *b0 = (int)z;
    *f = z - *b0;
}

/* Cubic B-spline weights of the bins b0 - 1 .. b0 + 2 at fraction f, and
 * their derivatives in z. */
static inline void bspline3(double f, double wt[4], double dw[4])
{
    double g = 1.0 - f;
    wt[0] = g * g * g / 6.0;
    wt[1] = (3.0 * f * f * f - 6.0 * f * f + 4.0) / 6.0;
    wt[2] = (3.0 * g * g * g - 6.0 * g * g + 4.0) / 6.0;
    wt[3] = f * f * f / 6.0;
    dw[0] = -0.5 * g * g;
    dw[1] = 1.5 * f * f - 2.0 * f;
    dw[2] = -(1.5 * g * g - 2.0 * g);
    dw[3] = 0.5 * f * f;
}

double reg_cost_mi(reg_cost_ws *w, const double G[4][4], double g[REG_NPARAM], double *overlap)
{
    const reg_samples *s = w->s;
    const reg_image *im = w->tpl;
    const int64_t n = s->n, nchunks = (n + REG_CHUNK - 1) / REG_CHUNK;
    const size_t hsz = (size_t)REG_BINS * MI_BINS;
    double *hist = calloc((size_t)(nchunks ? nchunks : 1) * hsz, sizeof(double));
    if (!hist) {
        if (g)
            memset(g, 0, REG_NPARAM * sizeof *g);
        return 1.0;
    }
#pragma omp parallel for schedule(static) num_threads(w->threads) if (nchunks >= 4)
    for (int64_t ch = 0; ch < nchunks; ch++) {
        double *h = hist + (size_t)ch * hsz;
        int64_t end = (ch + 1) * REG_CHUNK < n ? (ch + 1) * REG_CHUNK : n;
        for (int64_t q = ch * REG_CHUNK; q < end; q++) {
            if (!w->use[q]) {
                w->in[q] = 0;
                continue;
            }
            const float *x = s->x + 3 * q;
            double u[3];
            for (int r = 0; r < 3; r++)
                u[r] = G[r][0] * x[0] + G[r][1] * x[1] + G[r][2] * x[2] + G[r][3];
            float val, gr[3];
            reg_tri_grad(im, u, &val, gr);
            w->in[q] = 1;
            w->t[q] = val;
            w->grad[3 * q] = gr[0];
            w->grad[3 * q + 1] = gr[1];
            w->grad[3 * q + 2] = gr[2];
            int b0;
            double f, dz;
            value_bin(w, val, &b0, &f, &dz);
            double wt[4], dw[4];
            bspline3(f, wt, dw);
            double *row = h + (size_t)s->bin[q] * MI_BINS + b0 - 1;
            for (int d = 0; d < 4; d++)
                row[d] += wt[d];
        }
    }
    double *tot = calloc(hsz, sizeof(double));
    if (!tot) {
        free(hist);
        if (g)
            memset(g, 0, REG_NPARAM * sizeof *g);
        return 1.0;
    }
    for (int64_t ch = 0; ch < nchunks; ch++)
        for (size_t e = 0; e < hsz; e++)
            tot[e] += hist[(size_t)ch * hsz + e];
    free(hist);
    double N = 0, pa[REG_BINS] = {0}, pb[MI_BINS] = {0};
    for (int a = 0; a < REG_BINS; a++)
        for (int b = 0; b < MI_BINS; b++) {
            double v = tot[a * MI_BINS + b];
            N += v;
            pa[a] += v;
            pb[b] += v;
        }
    if (overlap)
        *overlap = n > 0 ? N / n : 0;
    if (N < 200) {
        free(tot);
        if (g)
            memset(g, 0, REG_NPARAM * sizeof *g);
        return 1.0;
    }
    double ha = 0, mi = 0;
    for (int a = 0; a < REG_BINS; a++)
        if (pa[a] > 0)
            ha -= pa[a] / N * log(pa[a] / N);
    for (int a = 0; a < REG_BINS; a++)
        for (int b = 0; b < MI_BINS; b++) {
            double v = tot[a * MI_BINS + b];
            if (v > 0)
                mi += v / N * log(v * N / (pa[a] * pb[b]));
        }
    if (ha <= 1e-9) {
        free(tot);
        if (g)
            memset(g, 0, REG_NPARAM * sizeof *g);
        return 1.0;
    }
    double cost = 1.0 - mi / ha;
    if (g) {
        /* L[a][b] = log(p_ab / p_b) */
        double *L = malloc(hsz * sizeof(double));
        double *part = calloc((size_t)(nchunks ? nchunks : 1) * 12, sizeof(double));
        if (!L || !part) {
            free(L);
            free(part);
            free(tot);
            memset(g, 0, REG_NPARAM * sizeof *g);
            return cost;
        }
        for (int a = 0; a < REG_BINS; a++)
            for (int b = 0; b < MI_BINS; b++)
                L[a * MI_BINS + b] = log((tot[a * MI_BINS + b] + MI_EPS) / (pb[b] + MI_EPS));
#pragma omp parallel for schedule(static) num_threads(w->threads) if (nchunks >= 4)
        for (int64_t ch = 0; ch < nchunks; ch++) {
            double *acc = part + 12 * ch;
            int64_t end = (ch + 1) * REG_CHUNK < n ? (ch + 1) * REG_CHUNK : n;
            for (int64_t q = ch * REG_CHUNK; q < end; q++) {
                if (!w->in[q])
                    continue;
                int b0;
                double f, dz;
                value_bin(w, w->t[q], &b0, &f, &dz);
                if (dz == 0)
                    continue;
                double wt[4], dw[4];
                bspline3(f, wt, dw);
                const double *Lr = L + (size_t)s->bin[q] * MI_BINS + b0 - 1;
                double coef = -(Lr[0] * dw[0] + Lr[1] * dw[1] + Lr[2] * dw[2] + Lr[3] * dw[3]) * dz;
                const float *x = s->x + 3 * q;
                const float *gu = w->grad + 3 * q;
                for (int a = 0; a < 3; a++) {
                    double cg = coef * gu[a];
                    acc[4 * a + 0] += cg * x[0];
                    acc[4 * a + 1] += cg * x[1];
                    acc[4 * a + 2] += cg * x[2];
                    acc[4 * a + 3] += cg;
                }
            }
        }
        double sum[12] = {0};
        for (int64_t ch = 0; ch < nchunks; ch++)
            for (int e = 0; e < 12; e++)
                sum[e] += part[12 * ch + e];
        free(part);
        free(L);
        for (int r = 0; r < 3; r++)
            for (int k = 0; k < 4; k++) {
                double d = 0;
                for (int a = 0; a < 3; a++)
                    d += im->ras2vox[a][r] * sum[4 * a + k];
                d /= N * ha;
                if (k == 3)
                    g[r] = d;
                else
                    g[3 + 3 * r + k] = d / REG_LIN_SCALE;
            }
    }
    free(tot);
    return cost;
}
