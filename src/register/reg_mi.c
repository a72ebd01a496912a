/* Mutual-information cost (reg_cost_eval with kind REG_COST_MI).
 *
 * Joint histogram of the sample's fixed class (REG_BINS quantile classes of
 * the sampled image) and the moving image's interpolated value, binned into
 * MI_BINS linear bins with a linear (triangle) Parzen window so that the
 * histogram, hence the cost, is a piecewise-smooth function of the transform
 * with an analytic gradient (Mattes et al., IEEE TMI 2003, with a first-
 * instead of third-order window). Cost = 1 - MI / H(class) in [0, 1], lower
 * is better; H(class) is constant because the sample set is fixed per level.
 *
 * Gradient: with p_ab the joint and p_b the value marginal,
 * dMI = sum_ab log(p_ab / p_b) dp_ab, and each sample moves weight between
 * its two value bins. Same fixed-chunk reductions as the correlation ratio. */
#include "register/reg_internal.h"

#include <stdlib.h>
#include <string.h>

#define MI_BINS 32
#define MI_EPS 1e-10

static inline void value_bin(const reg_cost_ws *w, float v, int *b0, double *f, double *dzdv)
{
    double sc = (MI_BINS - 1) / (w->hi - w->lo), z = (v - w->lo) * sc;
    *dzdv = sc;
    if (z <= 0) {
        z = 0;
        *dzdv = 0;
    } else if (z >= MI_BINS - 1 - 1e-9) {
        z = MI_BINS - 1 - 1e-9;
        *dzdv = 0;
    }
    *b0 = (int)z;
    *f = z - *b0;
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
            double *row = h + (size_t)s->bin[q] * MI_BINS;
            row[b0] += 1 - f;
            row[b0 + 1] += f;
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
                const double *Lr = L + (size_t)s->bin[q] * MI_BINS;
                double coef = -(Lr[b0 + 1] - Lr[b0]) * dz;
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
