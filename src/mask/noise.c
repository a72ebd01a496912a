/* Noise mode: refill the whole masked region (tissue and air alike) with
 * random values drawn from the subject's own facial soft-tissue intensities,
 * with a spatial texture matched to the image.
 *
 * 1. Tissue: masked voxels above the Otsu threshold of the masked region
 *    (air against tissue). Their stored values are the value pool.
 * 2. Texture: the lag-1 correlation rho of neighbouring tissue voxels along
 *    each axis gives the width of a Gaussian texture, since white noise
 *    smoothed by a Gaussian of sd s has correlation exp(-d^2 / (4 s^2)) at
 *    lag d.
 * 3. White Gaussian noise over the bounding box of the mask, made from a
 *    counter-based generator keyed by (seed, voxel index): the same values
 *    for any thread count and any box. Its spectrum is shaped with FFTW
 *    (forward r2c, Gaussian transfer function, inverse c2r, single-threaded
 *    FFTW_ESTIMATE plans, which are deterministic, made under the planner
 *    lock of core/fft_plan.h: another context may plan on another thread).
 * 4. Each shaped value is turned into a probability through the normal CDF
 *    (the shaped field is Gaussian) and replaced by that quantile of the
 *    sorted tissue pool: the refill has the tissue's histogram and the
 *    noise's texture. */
#include "mask/mask.h"

#include "core/context.h"
#include "core/fft_plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define POOL_MAX 65536 /* tissue values kept (evenly strided) for the quantiles */

static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Standard normal value for voxel idx (Box-Muller on two hashed uniforms). */
static float gauss_at(uint64_t seed, uint64_t idx)
{
    uint64_t a = mix64(seed ^ mix64(2 * idx)), b = mix64(seed ^ mix64(2 * idx + 1));
    double u1 = ((double)(a >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    double u2 = (double)(b >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Otsu's threshold of values (n of them) over 256 bins. */
static double otsu(const float *vals, int64_t n)
{
    if (n <= 0)
        return 0.0;
    double lo = vals[0], hi = vals[0];
    for (int64_t i = 1; i < n; i++) {
        lo = fmin(lo, vals[i]);
        hi = fmax(hi, vals[i]);
    }
    if (!(hi > lo))
        return lo;
    double hist[256] = {0};
    for (int64_t i = 0; i < n; i++) {
        int b = (int)((vals[i] - lo) / (hi - lo) * 255.0);
        hist[b < 0 ? 0 : (b > 255 ? 255 : b)] += 1.0;
    }
    double sum = 0.0;
    for (int b = 0; b < 256; b++)
        sum += b * hist[b];
    double w0 = 0.0, s0 = 0.0, best = -1.0;
    int bt = 0, bt_last = 0; /* the plateau of equal scores (empty bins): take its middle */
    for (int b = 0; b < 255; b++) {
        w0 += hist[b];
        s0 += b * hist[b];
        double w1 = (double)n - w0;
        if (w0 == 0.0 || w1 == 0.0)
            continue;
        double m0 = s0 / w0, m1 = (sum - s0) / w1;
        double between = w0 * w1 * (m0 - m1) * (m0 - m1);
        if (between > best * (1.0 + 1e-12)) {
            best = between;
            bt = bt_last = b;
        } else if (between >= best * (1.0 - 1e-12)) {
            bt_last = b;
        }
    }
    return lo + (hi - lo) * (0.5 * (bt + bt_last) + 1.0) / 256.0;
}

faceless_status mask_noise_frame(faceless_ctx *ctx, faceless_volume *v, int64_t t,
                                 const mask_result *m, uint64_t seed, mask_scramble_stats *stats)
{
    const int64_t nx = v->nx, ny = v->ny, nz = v->nz, n3 = volume_voxels3(v);
    const char *name = v->path ? v->path : "image";
    if (m->n_remove == 0)
        return FACELESS_OK;
    float *phys = volume_frame_to_float(v, t);
    float *mv = malloc(sizeof(float) * (size_t)m->n_remove);
    if (!phys || !mv) {
        free(phys);
        free(mv);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory for the noise refill", name);
    }
    /* 1. tissue threshold and the bounding box of the mask */
    int64_t lo[3] = {nx, ny, nz}, hi[3] = {-1, -1, -1}, nm = 0;
    for (int64_t k = 0; k < nz; k++)
        for (int64_t j = 0; j < ny; j++)
            for (int64_t i = 0; i < nx; i++) {
                int64_t idx = i + nx * (j + ny * k);
                if (!(m->flags[idx] & MASK_REMOVE))
                    continue;
                mv[nm++] = phys[idx];
                int64_t c[3] = {i, j, k};
                for (int a = 0; a < 3; a++) {
                    lo[a] = c[a] < lo[a] ? c[a] : lo[a];
                    hi[a] = c[a] > hi[a] ? c[a] : hi[a];
                }
            }
    double thr = otsu(mv, nm);
    free(mv);
    int64_t ntis = 0;
    for (int64_t idx = 0; idx < n3; idx++)
        ntis += (m->flags[idx] & MASK_REMOVE) && phys[idx] > thr;
    int all = ntis < 64; /* almost no tissue under the mask: use every masked voxel */
    if (all) {
        ctx_warn(ctx, "%s: almost no tissue under the face mask; noise drawn from all masked voxels",
                 name);
        ntis = nm;
    }
    /* 2. texture: lag-1 correlation of tissue neighbours per axis */
    double sigma[3];
    const int64_t step[3] = {1, nx, nx * ny};
    for (int a = 0; a < 3; a++) {
        double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, cnt = 0;
        for (int64_t idx = 0; idx + step[a] < n3; idx++) {
            int64_t jdx = idx + step[a];
            if (a == 0 && (idx % nx) == nx - 1)
                continue;
            if (a == 1 && ((idx / nx) % ny) == ny - 1)
                continue;
            if (!(m->flags[idx] & MASK_REMOVE) || !(m->flags[jdx] & MASK_REMOVE))
                continue;
            if (!all && (phys[idx] <= thr || phys[jdx] <= thr))
                continue;
            double x = phys[idx], y = phys[jdx];
            sx += x;
            sy += y;
            sxx += x * x;
            syy += y * y;
            sxy += x * y;
            cnt += 1;
        }
        double rho = 0.05;
        if (cnt > 16) {
            double cov = sxy / cnt - (sx / cnt) * (sy / cnt);
            double vx = sxx / cnt - (sx / cnt) * (sx / cnt), vy = syy / cnt - (sy / cnt) * (sy / cnt);
            if (vx > 0 && vy > 0)
                rho = cov / sqrt(vx * vy);
        }
        rho = rho < 0.05 ? 0.05 : (rho > 0.98 ? 0.98 : rho);
        sigma[a] = sqrt(-1.0 / (4.0 * log(rho)));
    }
    /* the pool of tissue values (stored units), evenly strided, sorted */
    int64_t npool = ntis < POOL_MAX ? ntis : POOL_MAX;
    double *pool = malloc(sizeof(double) * (size_t)npool);
    if (!pool) {
        free(phys);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory for the noise refill", name);
    }
    {
        int64_t seen = 0, got = 0;
        for (int64_t idx = 0; idx < n3 && got < npool; idx++) {
            if (!(m->flags[idx] & MASK_REMOVE) || (!all && !(phys[idx] > thr)))
                continue;
            /* keep sample number seen when it crosses the next stride mark */
            if ((seen * npool) / ntis == got)
                pool[got++] = volume_get_stored(v, t * n3 + idx);
            seen++;
        }
        npool = got;
    }
    free(phys);
    qsort(pool, (size_t)npool, sizeof(double), cmp_double);

    /* 3. shaped noise over the box */
    const int64_t bx = hi[0] - lo[0] + 1, by = hi[1] - lo[1] + 1, bz = hi[2] - lo[2] + 1;
    const int64_t bxc = bx / 2 + 1, nb = bx * by * bz;
    float *field = fftwf_malloc(sizeof(float) * (size_t)nb);
    fftwf_complex *spec = fftwf_malloc(sizeof(fftwf_complex) * (size_t)(bxc * by * bz));
    if (!field || !spec) {
        fftwf_free(field);
        fftwf_free(spec);
        free(pool);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory for the noise refill", name);
    }
    fftwf_plan fwd = fft_plan_r2c_3d((int)bz, (int)by, (int)bx, field, spec);
    fftwf_plan inv = fft_plan_c2r_3d((int)bz, (int)by, (int)bx, spec, field);
    if (!fwd || !inv) {
        fft_plan_destroy(fwd);
        fft_plan_destroy(inv);
        fftwf_free(field);
        fftwf_free(spec);
        free(pool);
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: FFTW could not plan the noise transform", name);
    }
    const int threads = ctx_omp_threads(ctx);
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t k = 0; k < bz; k++)
        for (int64_t j = 0; j < by; j++)
            for (int64_t i = 0; i < bx; i++) {
                uint64_t gidx = (uint64_t)((lo[0] + i) + nx * ((lo[1] + j) + ny * (lo[2] + k)));
                field[i + bx * (j + by * k)] = gauss_at(seed, gidx);
            }
    fftwf_execute(fwd);
    const double c2 = 2.0 * M_PI * M_PI;
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t k = 0; k < bz; k++) {
        double fz = (double)(k <= bz / 2 ? k : k - bz) / (double)bz;
        for (int64_t j = 0; j < by; j++) {
            double fy = (double)(j <= by / 2 ? j : j - by) / (double)by;
            for (int64_t i = 0; i < bxc; i++) {
                double fx = (double)i / (double)bx;
                double h = exp(-c2 * (sigma[0] * sigma[0] * fx * fx + sigma[1] * sigma[1] * fy * fy +
                                      sigma[2] * sigma[2] * fz * fz));
                int64_t o = i + bxc * (j + by * k);
                spec[o][0] *= (float)h;
                spec[o][1] *= (float)h;
            }
        }
    }
    fftwf_execute(inv);
    fft_plan_destroy(fwd);
    fft_plan_destroy(inv);
    fftwf_free(spec);

    /* 4. Gaussian -> uniform -> tissue quantile. Mean and sd of the shaped
     * field under the mask, summed in index order (deterministic). */
    double s1 = 0.0, s2 = 0.0;
    for (int64_t k = 0; k < bz; k++)
        for (int64_t j = 0; j < by; j++)
            for (int64_t i = 0; i < bx; i++) {
                int64_t idx = (lo[0] + i) + nx * ((lo[1] + j) + ny * (lo[2] + k));
                if (!(m->flags[idx] & MASK_REMOVE))
                    continue;
                double x = field[i + bx * (j + by * k)];
                s1 += x;
                s2 += x * x;
            }
    double mean = s1 / (double)nm, sd = sqrt(fmax(s2 / (double)nm - mean * mean, 1e-30));
    int64_t changed = 0;
#pragma omp parallel for schedule(static) num_threads(threads) reduction(+ : changed)
    for (int64_t k = 0; k < bz; k++)
        for (int64_t j = 0; j < by; j++)
            for (int64_t i = 0; i < bx; i++) {
                int64_t idx = (lo[0] + i) + nx * ((lo[1] + j) + ny * (lo[2] + k));
                if (!(m->flags[idx] & MASK_REMOVE))
                    continue;
                double z = (field[i + bx * (j + by * k)] - mean) / sd;
                double u = 0.5 * erfc(-z / sqrt(2.0));
                int64_t q = (int64_t)(u * (double)npool);
                q = q < 0 ? 0 : (q >= npool ? npool - 1 : q);
                int64_t vi = t * n3 + idx;
                double old = volume_get_stored(v, vi);
                volume_set_stored(v, vi, pool[q]);
                changed += volume_get_stored(v, vi) != old;
            }
    fftwf_free(field);
    free(pool);
    stats->voxels_changed = changed;
    stats->tissue_threshold = thr;
    stats->tissue_samples = ntis;
    for (int a = 0; a < 3; a++)
        stats->texture_sigma_vox[a] = sigma[a];
    return FACELESS_OK;
}
