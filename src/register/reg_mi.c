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

#define MI_BINS REG_MI_BINS
#define MI_EPS 1e-10

/* Cubic B-spline weights of the bins b0 - 1 .. b0 + 2 at fraction f, and
 * their derivatives in z (float: the window is smooth and its sums are
 * accumulated in double). */
static inline void bspline3(float f, float wt[4], float dw[4])
{
    const float sixth = 1.0f / 6.0f;
    float g = 1.0f - f;
    wt[0] = g * g * g * sixth;
    wt[1] = (3.0f * f * f * f - 6.0f * f * f + 4.0f) * sixth;
    wt[2] = (3.0f * g * g * g - 6.0f * g * g + 4.0f) * sixth;
    wt[3] = f * f * f * sixth;
    dw[0] = -0.5f * g * g;
    dw[1] = 1.5f * f * f - 2.0f * f;
    dw[2] = -(1.5f * g * g - 2.0f * g);
    dw[3] = 0.5f * f * f;
}

/* value -> bin-coordinate scale of the moving image's [lo, hi] */
static float value_scale(const reg_cost_ws *w)
{
    return (float)((MI_BINS - 3) / (w->hi - w->lo));
}

static double uninformative(reg_cost_ws *w)
{
    w->last_ok = 0;
    w->last_cost = 1.0;
    return 1.0;
}

double reg_cost_mi(reg_cost_ws *w, const double G[4][4], double *overlap)
{
    const reg_samples *s = w->s;
    const reg_image *im = w->tpl;
    const int64_t n = s->n, nchunks = (n + REG_CHUNK - 1) / REG_CHUNK;
    const size_t hsz = (size_t)REG_BINS * MI_BINS;
    /* the moving image's values binned linearly over [lo, hi] */
    const float lo = (float)w->lo, sc = value_scale(w);
    const float zmax = (float)(MI_BINS - 2) - 1e-5f;
    if (overlap)
        *overlap = 0;
    double *hist = malloc((size_t)(nchunks ? nchunks : 1) * hsz * sizeof(double));
    if (!hist)
        return uninformative(w);
    float Gf[3][4], hi[3];
    reg_matrix_float(G, Gf);
    reg_tri_limits(im, hi);
#pragma omp parallel for schedule(static) num_threads(w->threads) if (nchunks >= 4)
    for (int64_t ch = 0; ch < nchunks; ch++) {
        /* Four interleaved copies of the chunk's histogram, sample q adding
         * into copy q % 4: neighbouring samples mostly fall into the same
         * bins, and with one copy each sample's loads wait for the previous
         * sample's stores to addresses known only at the end of its
         * interpolation. */
        double hq[4][REG_BINS * MI_BINS];
        memset(hq, 0, sizeof hq);
        int64_t end = (ch + 1) * REG_CHUNK < n ? (ch + 1) * REG_CHUNK : n;
        for (int64_t q = ch * REG_CHUNK; q < end; q++) {
            if (!w->use[q]) {
                w->in[q] = 0;
                continue;
            }
            const float *x = s->x + 3 * q;
            float u[3];
            for (int r = 0; r < 3; r++)
                u[r] = Gf[r][0] * x[0] + Gf[r][1] * x[1] + Gf[r][2] * x[2] + Gf[r][3];
            float val, gr[3];
            reg_tri_grad(im, hi, u, &val, gr);
            w->grad[3 * q] = gr[0];
            w->grad[3 * q + 1] = gr[1];
            w->grad[3 * q + 2] = gr[2];
            /* value -> bin coordinate z in [1, MI_BINS - 2), so that the
             * window's bins floor(z) - 1 .. floor(z) + 2 all exist; a value
             * clamped at either end has no gradient (in = 1, not 2) */
            const float zr = 1.0f + (val - lo) * sc;
            const uint8_t in = (uint8_t)(1 + (zr > 1.0f && zr < zmax));
            float z = zr > 1.0f ? zr : 1.0f;
            z = z < zmax ? z : zmax;
            w->in[q] = in;
            w->t[q] = z; /* MI keeps the bin coordinate, not the value */
            int b0 = (int)z;
            float wt[4], dw[4];
            bspline3(z - (float)b0, wt, dw);
            double *row = hq[q & 3] + (size_t)s->bin[q] * MI_BINS + b0 - 1;
            for (int d = 0; d < 4; d++)
                row[d] += wt[d];
        }
        double *h = hist + (size_t)ch * hsz;
        for (size_t e = 0; e < hsz; e++)
            h[e] = (hq[0][e] + hq[1][e]) + (hq[2][e] + hq[3][e]);
    }
    double *tot = w->joint;
    memset(tot, 0, hsz * sizeof *tot);
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
    if (N < 200)
        return uninformative(w);
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
    if (ha <= 1e-9)
        return uninformative(w);
    w->last_ok = 1;
    w->last_cost = 1.0 - mi / ha;
    w->norm = N * ha;
    return w->last_cost;
}

int reg_mi_gradient_sums(const reg_cost_ws *w, double sum[12])
{
    const reg_samples *s = w->s;
    const int64_t n = s->n, nchunks = (n + REG_CHUNK - 1) / REG_CHUNK;
    const size_t hsz = (size_t)REG_BINS * MI_BINS;
    const double sc = value_scale(w);
    const double *tot = w->joint;
    /* L[a][b] = log(p_ab / p_b) */
    double *L = malloc(hsz * sizeof(double));
    double *part = malloc((size_t)(nchunks ? nchunks : 1) * 12 * sizeof(double));
    if (!L || !part) {
        free(L);
        free(part);
        return 0;
    }
    double pb[MI_BINS] = {0};
    for (int a = 0; a < REG_BINS; a++)
        for (int b = 0; b < MI_BINS; b++)
            pb[b] += tot[a * MI_BINS + b];
    for (int a = 0; a < REG_BINS; a++)
        for (int b = 0; b < MI_BINS; b++)
            L[a * MI_BINS + b] = log((tot[a * MI_BINS + b] + MI_EPS) / (pb[b] + MI_EPS));
#pragma omp parallel for schedule(static) num_threads(w->threads) if (nchunks >= 4)
    for (int64_t ch = 0; ch < nchunks; ch++) {
        /* the 12 sums stay in registers: through memory, each sample
         * waits for the previous sample's stores */
        double acc[12] = {0};
        int64_t end = (ch + 1) * REG_CHUNK < n ? (ch + 1) * REG_CHUNK : n;
        for (int64_t q = ch * REG_CHUNK; q < end; q++) {
            if (w->in[q] != 2)
                continue;
            const float z = w->t[q];
            const int b0 = (int)z;
            float wt[4], dw[4];
            bspline3(z - (float)b0, wt, dw);
            const double *Lr = L + (size_t)s->bin[q] * MI_BINS + b0 - 1;
            double coef = -(Lr[0] * dw[0] + Lr[1] * dw[1] + Lr[2] * dw[2] + Lr[3] * dw[3]) * sc;
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
        memcpy(part + 12 * ch, acc, sizeof acc);
    }
    for (int e = 0; e < 12; e++)
        sum[e] = 0;
    for (int64_t ch = 0; ch < nchunks; ch++)
        for (int e = 0; e < 12; e++)
            sum[e] += part[12 * ch + e];
    for (int e = 0; e < 12; e++)
        sum[e] /= w->norm;
    free(part);
    free(L);
    return 1;
}
