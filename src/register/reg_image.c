/* Working images of the registration: block-averaged pyramids, trilinear
 * sampling, head masks and the cost samples. */
#include "core/volume.h"
#include "register/reg_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void reg_image_free(reg_image *im)
{
    if (!im)
        return;
    free(im->v);
    im->v = NULL;
}

int reg_image_set_matrix(reg_image *im, const double vox2ras[4][4])
{
    memcpy(im->vox2ras, vox2ras, sizeof im->vox2ras);
    return reg_mat_inv(im->vox2ras, im->ras2vox);
}

/* out's grid and buffer for a block average of grid by f: dims rounded up,
 * new voxel centre = mean of its block's centres (full blocks). 0 = out of
 * memory or a singular matrix. */
static int downsample_grid(const reg_image *grid, const int f[3], reg_image *out)
{
    out->nx = (grid->nx + f[0] - 1) / f[0];
    out->ny = (grid->ny + f[1] - 1) / f[1];
    out->nz = (grid->nz + f[2] - 1) / f[2];
    out->v = malloc((size_t)(out->nx * out->ny * out->nz) * sizeof(float));
    if (!out->v)
        return 0;
    double m[4][4];
    memcpy(m, grid->vox2ras, sizeof m);
    for (int r = 0; r < 3; r++) {
        m[r][3] += 0.5 * ((f[0] - 1) * grid->vox2ras[r][0] + (f[1] - 1) * grid->vox2ras[r][1] +
                          (f[2] - 1) * grid->vox2ras[r][2]);
        for (int c = 0; c < 3; c++)
            m[r][c] *= f[c];
    }
    return reg_image_set_matrix(out, m);
}

int reg_image_downsample(const reg_image *in, const int f[3], reg_image *out, faceless_ctx *ctx)
{
    if (!downsample_grid(in, f, out))
        return 0;
    const int64_t onx = out->nx, ony = out->ny, onz = out->nz;
#pragma omp parallel for schedule(static) num_threads(ctx_omp_threads(ctx))
    for (int64_t k = 0; k < onz; k++)
        for (int64_t j = 0; j < ony; j++)
            for (int64_t i = 0; i < onx; i++) {
                double s = 0;
                int cnt = 0;
                for (int64_t c = k * f[2]; c < (k + 1) * f[2] && c < in->nz; c++)
                    for (int64_t b = j * f[1]; b < (j + 1) * f[1] && b < in->ny; b++) {
                        const float *row = in->v + (c * in->ny + b) * in->nx;
                        for (int64_t a = i * f[0]; a < (i + 1) * f[0] && a < in->nx; a++) {
                            s += row[a];
                            cnt++;
                        }
                    }
                out->v[(k * ony + j) * onx + i] = (float)(s / cnt);
            }
    return 1;
}

int reg_image_downsample_volume(const faceless_volume *v, const reg_image *grid, const int f[3], reg_image *out,
                                faceless_ctx *ctx)
{
    /* The same block average as reg_image_downsample over frame 0's scaled
     * values (non-finite as 0), summed in the same order, so the result is
     * bit-identical to downsampling volume_frame_to_float's copy, which is
     * never made: it was 4x the stored size of a uint8 image, the largest
     * buffer of the whole command. */
    if (!downsample_grid(grid, f, out))
        return 0;
    const int identity = (v->scl_slope == 0.0 || v->scl_slope == 1.0) && v->scl_inter == 0.0;
    const double slope = v->scl_slope == 0.0 ? 1.0 : v->scl_slope;
    const int64_t onx = out->nx, ony = out->ny, onz = out->nz, nx = grid->nx;
    int failed = 0;
    /* Row by row: a stored row is decoded once (volume_get_stored_run) and
     * added into its output row; per output voxel the sum still runs over
     * the block's slices, rows and columns in that order. */
#pragma omp parallel for schedule(static) num_threads(ctx_omp_threads(ctx))
    for (int64_t k = 0; k < onz; k++) {
        double *row = malloc((size_t)(nx + onx) * sizeof *row);
        if (!row) {
#pragma omp atomic write
            failed = 1;
            continue;
        }
        double *acc = row + nx;
        const int64_t c1 = (k + 1) * f[2] < grid->nz ? (k + 1) * f[2] : grid->nz;
        for (int64_t j = 0; j < ony; j++) {
            const int64_t b1 = (j + 1) * f[1] < grid->ny ? (j + 1) * f[1] : grid->ny;
            for (int64_t i = 0; i < onx; i++)
                acc[i] = 0;
            for (int64_t c = k * f[2]; c < c1; c++)
                for (int64_t b = j * f[1]; b < b1; b++) {
                    volume_get_stored_run(v, (c * grid->ny + b) * nx, nx, row);
                    for (int64_t i = 0, a = 0; i < onx; i++) {
                        double s = acc[i];
                        for (int64_t a1 = a + f[0] < nx ? a + f[0] : nx; a < a1; a++) {
                            double x = identity ? row[a] : row[a] * slope + v->scl_inter;
                            s += isfinite(x) ? (float)x : 0.0f;
                        }
                        acc[i] = s;
                    }
                }
            const int64_t rows = (c1 - k * f[2]) * (b1 - j * f[1]);
            for (int64_t i = 0; i < onx; i++) {
                const int64_t cols = ((i + 1) * f[0] < nx ? (i + 1) * f[0] : nx) - i * f[0];
                out->v[(k * ony + j) * onx + i] = (float)(acc[i] / (double)(rows * cols));
            }
        }
        free(row);
    }
    if (failed) {
        reg_image_free(out);
        return 0;
    }
    return 1;
}

float reg_image_sample(const reg_image *im, const double u[3])
{
    if (!(u[0] >= 0 && u[1] >= 0 && u[2] >= 0 && u[0] <= im->nx - 1 && u[1] <= im->ny - 1 && u[2] <= im->nz - 1))
        return 0;
    int64_t i = (int64_t)u[0], j = (int64_t)u[1], k = (int64_t)u[2];
    if (i >= im->nx - 1)
        i = im->nx - 2;
    if (j >= im->ny - 1)
        j = im->ny - 2;
    if (k >= im->nz - 1)
        k = im->nz - 2;
    double fx = u[0] - i, fy = u[1] - j, fz = u[2] - k;
    const float *p = im->v + (k * im->ny + j) * im->nx + i;
    int64_t sy = im->nx, sz = im->nx * im->ny;
    double c00 = p[0] + fx * (p[1] - p[0]), c10 = p[sy] + fx * (p[sy + 1] - p[sy]);
    double c01 = p[sz] + fx * (p[sz + 1] - p[sz]), c11 = p[sz + sy] + fx * (p[sz + sy + 1] - p[sz + sy]);
    double c0 = c00 + fy * (c10 - c00), c1 = c01 + fy * (c11 - c01);
    return (float)(c0 + fz * (c1 - c0));
}

void reg_quantiles(const float *v, int64_t n, const double *q, int nq, double *out)
{
    enum { NH = 65536 };
    float lo = v[0], hi = v[0];
    for (int64_t i = 1; i < n; i++) {
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    int64_t *hist = calloc(NH, sizeof *hist);
    if (!hist || hi <= lo) {
        for (int a = 0; a < nq; a++)
            out[a] = lo;
        free(hist);
        return;
    }
    double sc = (NH - 1) / ((double)hi - lo);
    for (int64_t i = 0; i < n; i++) {
        int64_t b = (int64_t)(((double)v[i] - lo) * sc);
        hist[b < 0 ? 0 : b > NH - 1 ? NH - 1 : b]++;
    }
    for (int a = 0; a < nq; a++) {
        int64_t want = (int64_t)(q[a] * (double)(n - 1)), acc = 0;
        int b = 0;
        while (b < NH - 1 && acc + hist[b] <= want)
            acc += hist[b++];
        out[a] = lo + b / sc;
    }
    free(hist);
}

double reg_border_median(const reg_image *im, float *tmp)
{
    const int64_t nx = im->nx, ny = im->ny, nz = im->nz;
    int64_t nb = 0;
    for (int64_t k = 0; k < nz; k++)
        for (int64_t j = 0; j < ny; j++)
            for (int64_t i = 0; i < nx; i++)
                if (i == 0 || j == 0 || k == 0 || i == nx - 1 || j == ny - 1 || k == nz - 1)
                    tmp[nb++] = im->v[(k * ny + j) * nx + i];
    double half = 0.5, bg = 0;
    if (nb > 0)
        reg_quantiles(tmp, nb, &half, 1, &bg);
    return bg;
}

uint8_t *reg_head_mask(const reg_image *im)
{
    const int64_t nx = im->nx, ny = im->ny, nz = im->nz, n = nx * ny * nz;
    uint8_t *m = calloc((size_t)n, 1);
    int64_t *stack = malloc((size_t)n * sizeof *stack);
    float *tmp = malloc((size_t)n * sizeof *tmp);
    if (!m || !stack || !tmp) {
        free(m);
        free(stack);
        free(tmp);
        return NULL;
    }
    /* Background level: median of the border voxels. */
    double bg = reg_border_median(im, tmp), spread, q98 = 0.98;
    /* Largest departure from the background, robustly: the 98th percentile of |v - bg|. */
    for (int64_t i = 0; i < n; i++)
        tmp[i] = fabsf(im->v[i] - (float)bg);
    reg_quantiles(tmp, n, &q98, 1, &spread);
    if (spread <= 0)
        spread = 1e-6;
    /* Tissue departs from the background by more than 12% of the spread; MR air
     * noise stays well under that, and so does CT air. */
    float thr = (float)(0.12 * spread);
    /* Flood the background (not tissue) from the border, 6-connected. */
    int64_t top = 0;
    for (int64_t k = 0; k < nz; k++)
        for (int64_t j = 0; j < ny; j++)
            for (int64_t i = 0; i < nx; i++)
                if (i == 0 || j == 0 || k == 0 || i == nx - 1 || j == ny - 1 || k == nz - 1) {
                    int64_t o = (k * ny + j) * nx + i;
                    if (fabsf(im->v[o] - (float)bg) <= thr && !m[o]) {
                        m[o] = 2;
                        stack[top++] = o;
                    }
                }
    while (top > 0) {
        int64_t o = stack[--top];
        int64_t i = o % nx, j = (o / nx) % ny, k = o / (nx * ny);
        int64_t nbr[6] = {i > 0 ? o - 1 : -1,       i < nx - 1 ? o + 1 : -1,  j > 0 ? o - nx : -1,
                          j < ny - 1 ? o + nx : -1, k > 0 ? o - nx * ny : -1, k < nz - 1 ? o + nx * ny : -1};
        for (int q = 0; q < 6; q++) {
            int64_t p = nbr[q];
            if (p >= 0 && !m[p] && fabsf(im->v[p] - (float)bg) <= thr) {
                m[p] = 2;
                stack[top++] = p;
            }
        }
    }
    for (int64_t i = 0; i < n; i++)
        m[i] = m[i] == 2 ? 0 : 1;
    free(stack);
    free(tmp);
    return m;
}

uint8_t *reg_mask_dilate(const reg_image *im, const uint8_t *m, int r)
{
    const int64_t nx = im->nx, ny = im->ny, nz = im->nz;
    uint8_t *a = malloc((size_t)(nx * ny * nz)), *b = malloc((size_t)(nx * ny * nz));
    if (!a || !b) {
        free(a);
        free(b);
        return NULL;
    }
    memcpy(a, m, (size_t)(nx * ny * nz));
    /* r passes of a 6-neighbour dilation, separable per axis for speed */
    for (int it = 0; it < r; it++)
        for (int axis = 0; axis < 3; axis++) {
            int64_t st = axis == 0 ? 1 : axis == 1 ? nx : nx * ny, len = axis == 0 ? nx : axis == 1 ? ny : nz;
            for (int64_t o = 0; o < nx * ny * nz; o++) {
                int64_t pos = (o / st) % len;
                b[o] = (uint8_t)(a[o] || (pos > 0 && a[o - st]) || (pos < len - 1 && a[o + st]));
            }
            memcpy(a, b, (size_t)(nx * ny * nz));
        }
    free(b);
    return a;
}

int reg_samples_make(const reg_image *im, const reg_image *kim, const uint8_t *keepm, int64_t max_n, const double c[3],
                     reg_samples *s)
{
    const int64_t nx = im->nx, ny = im->ny, nz = im->nz, n = nx * ny * nz;
    memset(s, 0, sizeof *s);
    memcpy(s->c, c, sizeof s->c);
    memcpy(s->ijk2x, im->vox2ras, sizeof s->ijk2x);
    for (int a = 0; a < 3; a++)
        s->ijk2x[a][3] -= c[a];
    uint8_t *keep = calloc((size_t)n, 1);
    if (!keep)
        return 0;
    /* keepm lives on kim's grid: look each voxel up by world position. */
    double M[4][4];
    reg_mat_mul(kim->ras2vox, im->vox2ras, M);
    int64_t cnt = 0;
    for (int64_t k = 0; k < nz; k++)
        for (int64_t j = 0; j < ny; j++)
            for (int64_t i = 0; i < nx; i++) {
                double u[3] = {(double)i, (double)j, (double)k}, w[3];
                reg_mat_apply(M, u, w);
                int64_t a = (int64_t)floor(w[0] + 0.5), b = (int64_t)floor(w[1] + 0.5), cc = (int64_t)floor(w[2] + 0.5);
                int hit = a >= 0 && b >= 0 && cc >= 0 && a < kim->nx && b < kim->ny && cc < kim->nz &&
                          keepm[(cc * kim->ny + b) * kim->nx + a];
                keep[(k * ny + j) * nx + i] = (uint8_t)hit;
                cnt += hit;
            }
    if (cnt < n / 50 || cnt < 64) { /* head mask failed: use every voxel */
        memset(keep, 1, (size_t)n);
        cnt = n;
    }
    int64_t stride = (cnt + max_n - 1) / max_n;
    if (stride < 1)
        stride = 1;
    int64_t ns = (cnt + stride - 1) / stride;
    s->ijk = nx <= INT16_MAX && ny <= INT16_MAX && nz <= INT16_MAX ? malloc((size_t)ns * 3 * sizeof(int16_t)) : NULL;
    s->bin = malloc((size_t)ns);
    float *val = malloc((size_t)ns * sizeof(float));
    if (!s->ijk || !s->bin || !val) {
        free(keep);
        free(val);
        reg_samples_free(s);
        return 0;
    }
    int64_t seen = 0, o = 0;
    for (int64_t k = 0; k < nz; k++)
        for (int64_t j = 0; j < ny; j++)
            for (int64_t i = 0; i < nx; i++) {
                if (!keep[(k * ny + j) * nx + i])
                    continue;
                if (seen++ % stride)
                    continue;
                /* ns == the final count (every stride-th of cnt) */
                s->ijk[o] = (int16_t)i;
                s->ijk[ns + o] = (int16_t)j;
                s->ijk[2 * ns + o] = (int16_t)k;
                val[o] = im->v[(k * ny + j) * nx + i];
                o++;
            }
    s->n = o;
    /* Histogram equalisation: class = rank quantile, ties share a class, so the
     * classes are invariant to any monotonic (or inverting) intensity change. */
    double qs[REG_BINS - 1], ev[REG_BINS - 1];
    float edges[REG_BINS - 1];
    for (int b = 1; b < REG_BINS; b++)
        qs[b - 1] = (double)b / REG_BINS;
    reg_quantiles(val, o, qs, REG_BINS - 1, ev);
    for (int b = 0; b < REG_BINS - 1; b++)
        edges[b] = (float)ev[b];
    for (int64_t q = 0; q < o; q++) {
        int b = 0;
        while (b < REG_BINS - 1 && val[q] >= edges[b])
            b++;
        s->bin[q] = (uint8_t)b;
    }
    free(keep);
    free(val);
    return 1;
}

void reg_samples_free(reg_samples *s)
{
    free(s->ijk);
    free(s->bin);
    s->ijk = NULL;
    s->bin = NULL;
    s->n = 0;
}

void reg_samples_matrix(const reg_samples *s, const double G[4][4], double out[4][4])
{
    reg_mat_mul(G, s->ijk2x, out);
}

void reg_samples_sums_to_world(const reg_samples *s, double sum[12])
{
    /* x_m = sum_l ijk2x[m][l] idx_l + ijk2x[m][3], so
     * sum coef g_a x_m = sum_l ijk2x[m][l] S[a][l] + ijk2x[m][3] S[a][3] */
    const double(*M)[4] = s->ijk2x;
    for (int a = 0; a < 3; a++) {
        const double *S = sum + 4 * a;
        double x[3];
        for (int m = 0; m < 3; m++)
            x[m] = M[m][0] * S[0] + M[m][1] * S[1] + M[m][2] * S[2] + M[m][3] * S[3];
        sum[4 * a + 0] = x[0];
        sum[4 * a + 1] = x[1];
        sum[4 * a + 2] = x[2];
    }
}
