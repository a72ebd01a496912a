/* Coil shading (intensity non-uniformity, "bias field") of the subject's
 * working images, corrected before the cost sees them when it is strong.
 *
 * Why (issue 16, item 2): the Siemens XA30 enhanced T1w
 * (../shared/data/dicom/XA30_enhanced_T1w_tfl, 2 mm, receive-array shading)
 * has scalp at the coil 4-6x as bright as the brain, the brain in a few of
 * the MI's 32 value bins, and its fit slid between two optima 8% apart in
 * left-right scale (ears 5-9 mm apart; its perturbed copies a median 6.0 mm
 * from its fit). Divided by its shading it lands in one of them every time
 * (copies a median 0.8 mm from its fit) and costs 0.890 instead of 0.916.
 *
 * The field: the mean of the head's signal (its departure from the
 * background, so that an inverted copy, bright air, is corrected the same:
 * the XA30's inverted copies otherwise kept the wrong fit, 7.2 mm off) over
 * a Gaussian window of BIAS_SIGMA_MM, normalised by the head mask's own
 * weight (normalised convolution: the air around the head does not darken
 * the scalp's estimate), divided by its median over the head. On heads without strong shading it is tissue
 * composition, not shading (scalp and skull at the edge, brain in the middle),
 * and dividing by it removes contrast the template has: measured, always
 * correcting raised the cost of the other shared T1w heads by up to 0.015 and
 * moved the CT's fit 1-2 mm (landmarks of Colin27 mapped onto its own ones,
 * all further off). So the correction is applied with a strength that rises
 * from 0 to 1 with the field's spread, log(p90 / p10) over the head, between
 * BIAS_SPREAD_LO and BIAS_SPREAD_HI: measured 0.22 (the CT), 0.27-0.49 (ch2,
 * chris_t1, T1_head_ext2, IXI012-014, the T2w: untouched, their fits are
 * bit-identical to before) and 0.75 (the XA30: fully corrected). A ramp, not a
 * cut, so that no small change of the input flips the result.
 *
 * Memory: two float grids of the 4 mm level. Serial loops only: the result
 * does not depend on the thread count. */
#include "register/reg_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BIAS_SIGMA_MM                                                                                                  \
    20.0 /* 15 mm flattened the XA30 further (0.886) but fitted as well; 30 mm left its copies 1.3 mm apart */
#define BIAS_SPREAD_LO 0.55
#define BIAS_SPREAD_HI 0.70
#define BIAS_MIN_WEIGHT 1e-3f /* normalised-convolution weight below which a voxel is far air: field 1 */

/* Gaussian of sigma s voxels along axis a, in place, zero outside the grid
 * (the normalised convolution divides that out). line: len doubles. */
static void gauss_axis(float *v, const int64_t n[3], int a, const double *k, int r, double *line)
{
    const int64_t len = n[a], st = a == 0 ? 1 : a == 1 ? n[0] : n[0] * n[1];
    const int64_t nl = n[0] * n[1] * n[2] / len;
    for (int64_t l = 0; l < nl; l++) {
        const int64_t base = a == 0 ? l * n[0] : a == 1 ? (l / n[0]) * n[0] * n[1] + l % n[0] : l;
        for (int64_t x = 0; x < len; x++)
            line[x] = v[base + x * st];
        for (int64_t x = 0; x < len; x++) {
            double acc = 0;
            const int64_t y0 = x - r < 0 ? 0 : x - r, y1 = x + r >= len ? len - 1 : x + r;
            for (int64_t y = y0; y <= y1; y++)
                acc += k[y - x + r] * line[y];
            v[base + x * st] = (float)acc;
        }
    }
}

/* Both grids smoothed along all three axes with a Gaussian of sigma_mm. */
static int smooth2(float *a, float *b, const reg_image *im, double sigma_mm)
{
    const int64_t n[3] = {im->nx, im->ny, im->nz};
    int64_t maxlen = n[0] > n[1] ? n[0] : n[1];
    maxlen = maxlen > n[2] ? maxlen : n[2];
    double *line = malloc((size_t)maxlen * sizeof *line);
    if (!line)
        return 0;
    int ok = 1;
    for (int ax = 0; ax < 3 && ok; ax++) {
        const double sp = sqrt(im->vox2ras[0][ax] * im->vox2ras[0][ax] + im->vox2ras[1][ax] * im->vox2ras[1][ax] +
                               im->vox2ras[2][ax] * im->vox2ras[2][ax]);
        const double s = sigma_mm / sp;
        const int r = (int)ceil(3.0 * s);
        if (r < 1)
            continue;
        double *k = malloc((size_t)(2 * r + 1) * sizeof *k);
        if (!k) {
            ok = 0;
            break;
        }
        for (int d = -r; d <= r; d++)
            k[d + r] = exp(-0.5 * d * d / (s * s));
        gauss_axis(a, n, ax, k, r, line);
        gauss_axis(b, n, ax, k, r, line);
        free(k);
    }
    free(line);
    return ok;
}

float *reg_bias_field(const reg_image *im, const uint8_t *mask, double *spread, double *background)
{
    const int64_t n = im->nx * im->ny * im->nz;
    float *num = malloc((size_t)n * sizeof *num), *den = malloc((size_t)n * sizeof *den);
    if (!num || !den) {
        free(num);
        free(den);
        return NULL;
    }
    /* Shading scales the signal, the departure from the background (air):
     * taken so, an inverted image (bright air) is corrected as well. */
    const double bg = reg_border_median(im, den);
    *background = bg;
    for (int64_t i = 0; i < n; i++) {
        num[i] = mask[i] ? (float)fabs(im->v[i] - bg) : 0.0f;
        den[i] = mask[i] ? 1.0f : 0.0f;
    }
    if (!smooth2(num, den, im, BIAS_SIGMA_MM)) {
        free(num);
        free(den);
        return NULL;
    }
    for (int64_t i = 0; i < n; i++)
        num[i] = den[i] > BIAS_MIN_WEIGHT ? num[i] / den[i] : 0.0f;
    /* the field's values over the head (den is free again) */
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (mask[i] && num[i] > 0)
            den[m++] = num[i];
    double q[3] = {0.1, 0.5, 0.9}, r[3] = {1, 1, 1};
    if (m > 0)
        reg_quantiles(den, m, q, 3, r);
    free(den);
    const int usable = m > 0 && r[0] > 0 && r[1] > 0;
    *spread = usable ? log(r[2] / r[0]) : 0;
    for (int64_t i = 0; i < n; i++)
        num[i] = usable && num[i] > 0 ? (float)(num[i] / r[1]) : 1.0f;
    return num;
}

double reg_bias_strength(double spread)
{
    if (!(spread > BIAS_SPREAD_LO))
        return 0;
    if (spread >= BIAS_SPREAD_HI)
        return 1;
    return (spread - BIAS_SPREAD_LO) / (BIAS_SPREAD_HI - BIAS_SPREAD_LO);
}

void reg_bias_apply(reg_image *im, const reg_image *fgrid, const float *field, double background, double strength)
{
    const float bg = (float)background;
    double M[4][4];
    reg_mat_mul(fgrid->ras2vox, im->vox2ras, M);
    reg_image f = *fgrid;
    f.v = (float *)field;
    const double hi[3] = {(double)(f.nx - 1), (double)(f.ny - 1), (double)(f.nz - 1)};
    for (int64_t k = 0; k < im->nz; k++)
        for (int64_t j = 0; j < im->ny; j++)
            for (int64_t i = 0; i < im->nx; i++) {
                double u[3] = {(double)i, (double)j, (double)k}, x[3];
                reg_mat_apply(M, u, x);
                for (int a = 0; a < 3; a++) /* beyond the 4 mm grid: its border value */
                    x[a] = x[a] < 0 ? 0 : x[a] > hi[a] ? hi[a] : x[a];
                double b = reg_image_sample(&f, x);
                b = b < 0.2 ? 0.2 : b > 5.0 ? 5.0 : b;
                float *p = im->v + (k * im->ny + j) * im->nx + i;
                *p = bg + (*p - bg) / (float)(strength >= 1 ? b : pow(b, strength));
            }
}
