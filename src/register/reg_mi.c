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

/* Cubic B-spline weights of the bins b0 - 1 .. b0 + 2 at fraction f
 * (float: the window is smooth and its sums are accumulated in double)... */
static inline void bspline3_weights(float f, float wt[4])
{
    const float sixth = 1.0f / 6.0f, g = 1.0f - f;
    wt[0] = g * g * g * sixth;
    wt[1] = (3.0f * f * f * f - 6.0f * f * f + 4.0f) * sixth;
    wt[2] = (3.0f * g * g * g - 6.0f * g * g + 4.0f) * sixth;
    wt[3] = f * f * f * sixth;
}

/* ... and their derivatives in the bin coordinate. */
static inline void bspline3_slopes(float f, float dw[4])
{
    const float g = 1.0f - f;
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

#define MI_BLOCK 16
#define MI_ZMAX ((float)(MI_BINS - 2) - 1e-5f)

/* Per-sample values of one block of samples under one transform. */
typedef struct sample_block {
    float t[MI_BLOCK];    /* the value's bin coordinate, clamped to [1, MI_ZMAX] */
    float live[MI_BLOCK]; /* 1 where the value was not clamped (it has a gradient) */
    float g[3][MI_BLOCK]; /* the moving image's gradient (voxel units) */
} sample_block;

/* Samples q0 .. q0 + nb - 1: interpolated value and gradient of the moving
 * image and the value's bin coordinate. The per-sample arithmetic is
 * reg_tri_grad's, split into passes over the block (transform and cell; the
 * eight corner loads; interpolation) so that the compiler can run the
 * arithmetic passes on vectors. The results are the same to the bit as one
 * sample at a time, and the same in the cost pass and the gradient pass,
 * which both call this: each value goes through the same operations in the
 * same order. The gradient pass recomputes them rather than reading them
 * back from the cost pass: 16 bytes a sample (300,000 samples at 2 mm) was
 * the largest buffer of the registration (peak memory is a target, issue 4),
 * and recomputing costs less than a tenth of a fit. */
static void sample_values(const reg_cost_ws *w, const reg_mi_consts *k, int64_t q0, int nb, sample_block *out)
{
    const reg_samples *s = w->s;
    const reg_image *im = w->tpl;
    const int64_t n = s->n;
    const int16_t *X = s->ijk + q0, *Y = s->ijk + n + q0, *Z = s->ijk + 2 * n + q0;
    const int32_t sy = (int32_t)im->nx, sz = (int32_t)(im->nx * im->ny);
    float fx[MI_BLOCK], fy[MI_BLOCK], fz[MI_BLOCK], ix[MI_BLOCK], iy[MI_BLOCK], iz[MI_BLOCK];
    int32_t off[MI_BLOCK];
    for (int b = 0; b < nb; b++) {
        const float u0 = k->G[0][0] * X[b] + k->G[0][1] * Y[b] + k->G[0][2] * Z[b] + k->G[0][3];
        const float u1 = k->G[1][0] * X[b] + k->G[1][1] * Y[b] + k->G[1][2] * Z[b] + k->G[1][3];
        const float u2 = k->G[2][0] * X[b] + k->G[2][1] * Y[b] + k->G[2][2] * Z[b] + k->G[2][3];
        /* outside the grid: the nearest border value, no gradient across it */
        int32_t i, j, kk;
        reg_tri_axis(u0, k->hi[0], &i, &fx[b], &ix[b]);
        reg_tri_axis(u1, k->hi[1], &j, &fy[b], &iy[b]);
        reg_tri_axis(u2, k->hi[2], &kk, &fz[b], &iz[b]);
        off[b] = kk * sz + j * sy + i;
    }
    float v[MI_BLOCK][8];
    for (int b = 0; b < nb; b++)
        reg_tri_corners(im, off[b], v[b]);
    for (int b = 0; b < nb; b++) {
        const float inside[3] = {ix[b], iy[b], iz[b]};
        float val, g[3];
        reg_tri_interp(v[b], fx[b], fy[b], fz[b], inside, &val, g);
        out->g[0][b] = g[0];
        out->g[1][b] = g[1];
        out->g[2][b] = g[2];
        /* value -> bin coordinate z in [1, MI_BINS - 2), so that the
         * window's bins floor(z) - 1 .. floor(z) + 2 all exist; a value
         * clamped at either end has no gradient (live 0) */
        const float zr = 1.0f + (val - k->lo) * k->sc;
        out->live[b] = (float)((zr > 1.0f) & (zr < MI_ZMAX));
        float z = zr > 1.0f ? zr : 1.0f;
        out->t[b] = z < MI_ZMAX ? z : MI_ZMAX;
    }
}

/* The cost pass over one block: each selected sample's window weights added
 * to the chunk's histogram copies hq. */
static void forward_block(const reg_cost_ws *w, const reg_mi_consts *k, int64_t q0, int nb,
                          double hq[4][REG_BINS * MI_BINS])
{
    sample_block sb;
    sample_values(w, k, q0, nb, &sb);
    float wt[4][MI_BLOCK];
    for (int b = 0; b < nb; b++) {
        float w4[4];
        bspline3_weights(sb.t[b] - (float)(int32_t)sb.t[b], w4);
        for (int d = 0; d < 4; d++)
            wt[d][b] = w4[d];
    }
    const reg_samples *s = w->s;
    for (int b = 0; b < nb; b++) {
        const int64_t q = q0 + b;
        if (!w->use[q])
            continue;
        double *row = hq[q & 3] + (size_t)s->bin[q] * MI_BINS + (int32_t)sb.t[b] - 1;
        for (int d = 0; d < 4; d++)
            row[d] += wt[d][b];
    }
}

double reg_cost_mi(reg_cost_ws *w, const double G[4][4], double *overlap)
{
    const reg_samples *s = w->s;
    const reg_image *im = w->tpl;
    const int64_t n = s->n, nchunks = (n + REG_CHUNK - 1) / REG_CHUNK;
    const size_t hsz = (size_t)REG_BINS * MI_BINS;
    if (overlap)
        *overlap = 0;
    double *hist = w->chunk_hist;
    reg_mi_consts k;
    reg_matrix_float(G, k.G);
    reg_tri_limits(im, k.hi);
    k.lo = (float)w->lo;
    k.sc = value_scale(w);
    w->mi_last = k; /* for the gradient pass */
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
        for (int64_t q0 = ch * REG_CHUNK; q0 < end; q0 += MI_BLOCK)
            forward_block(w, &k, q0, end - q0 < MI_BLOCK ? (int)(end - q0) : MI_BLOCK, hq);
        double *h = hist + (size_t)ch * hsz;
        for (size_t e = 0; e < hsz; e++)
            h[e] = (hq[0][e] + hq[1][e]) + (hq[2][e] + hq[3][e]);
    }
    double *tot = w->joint;
    memset(tot, 0, hsz * sizeof *tot);
    for (int64_t ch = 0; ch < nchunks; ch++)
        for (size_t e = 0; e < hsz; e++)
            tot[e] += hist[(size_t)ch * hsz + e];
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
        /* The 12 sums kept per position in the block (lanes), added up in
         * lane order at the end of the chunk: the sample loop then runs on
         * vectors, and the order of additions is still fixed. */
        double acc[12][MI_BLOCK];
        memset(acc, 0, sizeof acc);
        int64_t end = (ch + 1) * REG_CHUNK < n ? (ch + 1) * REG_CHUNK : n;
        for (int64_t q0 = ch * REG_CHUNK; q0 < end; q0 += MI_BLOCK) {
            const int nb = end - q0 < MI_BLOCK ? (int)(end - q0) : MI_BLOCK;
            sample_block sb;
            sample_values(w, &w->mi_last, q0, nb, &sb);
            float dw[4][MI_BLOCK];
            for (int b = 0; b < nb; b++) {
                float d4[4];
                bspline3_slopes(sb.t[b] - (float)(int32_t)sb.t[b], d4);
                for (int d = 0; d < 4; d++)
                    dw[d][b] = d4[d];
            }
            /* dcost/dvalue of each sample; 0 where it does not count or has
             * no gradient */
            double coef[MI_BLOCK];
            for (int b = 0; b < nb; b++) {
                const int64_t q = q0 + b;
                coef[b] = 0.0;
                if (!w->use[q] || sb.live[b] == 0.0f)
                    continue;
                const double *Lr = L + (size_t)s->bin[q] * MI_BINS + (int32_t)sb.t[b] - 1;
                coef[b] = -(Lr[0] * dw[0][b] + Lr[1] * dw[1][b] + Lr[2] * dw[2][b] + Lr[3] * dw[3][b]) * sc;
            }
            const int16_t *X = s->ijk + q0, *Y = s->ijk + n + q0, *Z = s->ijk + 2 * n + q0;
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < nb; b++) {
                    const double cg = coef[b] * sb.g[a][b];
                    acc[4 * a + 0][b] += cg * X[b];
                    acc[4 * a + 1][b] += cg * Y[b];
                    acc[4 * a + 2][b] += cg * Z[b];
                    acc[4 * a + 3][b] += cg;
                }
        }
        for (int e = 0; e < 12; e++) {
            double t = 0;
            for (int b = 0; b < MI_BLOCK; b++)
                t += acc[e][b];
            part[12 * ch + e] = t;
        }
    }
    reg_sum_chunk_partials(part, nchunks, w->norm, sum);
    free(part);
    free(L);
    return 1;
}
