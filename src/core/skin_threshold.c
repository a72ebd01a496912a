/* skin_threshold: the automatic air/skin threshold of a head image, shared by
 * the renders (the surface QC staff look at) and the masks (which follow that
 * same surface, src/mask/depth.c).
 *
 * Otsu's method (Otsu 1979, IEEE SMC-9:62) on a histogram clipped at the
 * 99.5th percentile (so a few very bright voxels do not squash it) splits air
 * from tissue in MRI and CT heads. Its threshold sits where the classes are
 * best separated, which is often inside the tissue range (between dark and
 * bright tissue); skin and fat at the edge of the head are partial-volumed and
 * darker than the tissue mean, so the surface is put at a point between the
 * air level and Otsu's threshold (RENDER_THR_FRACTION of the way up). */
#include "core/skin_threshold.h"

#include <math.h>
#include <stdlib.h>

#define HIST_FINE 4096
#define RENDER_THR_FRACTION 0.5
/* Histograms are counted over all voxels in fixed chunks whose integer
 * counts are summed afterwards: exact, and the same for any thread count and
 * for any storage order of the same voxels (a permuted copy of a volume gets
 * the same threshold, so it renders the same picture). */
#define CHUNK ((int64_t)1 << 18)

/* Histogram of vals over [lo, hi] into nbins bins (values above hi go to the
 * last bin). */
static void histogram(const float *vals, int64_t n, double lo, double hi, int nbins, int64_t *h, int threads)
{
    for (int b = 0; b < nbins; b++)
        h[b] = 0;
    const float scale = hi > lo ? (float)(nbins / (hi - lo)) : 0.0f, flo = (float)lo;
    const int64_t nchunks = (n + CHUNK - 1) / CHUNK;
#pragma omp parallel num_threads(threads)
    {
        int64_t *mine = calloc((size_t)nbins, sizeof *mine);
        int ok = mine != NULL;
#pragma omp for schedule(static)
        for (int64_t c = 0; c < nchunks; c++) {
            int64_t end = (c + 1) * CHUNK < n ? (c + 1) * CHUNK : n;
            for (int64_t i = c * CHUNK; i < end; i++) {
                int b = (int)((vals[i] - flo) * scale);
                b = b < 0 ? 0 : (b >= nbins ? nbins - 1 : b);
                if (ok)
                    mine[b]++;
            }
        }
        /* Integer sums: the order of the threads does not matter. */
#pragma omp critical
        for (int b = 0; b < nbins && ok; b++)
            h[b] += mine[b];
        free(mine);
    }
}

double skin_threshold_from_values(const float *vals, int64_t n, int threads)
{
    float flo = INFINITY, fhi = -INFINITY;
#pragma omp parallel for num_threads(threads) reduction(min : flo) reduction(max : fhi) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        flo = vals[i] < flo ? vals[i] : flo;
        fhi = vals[i] > fhi ? vals[i] : fhi;
    }
    double lo = flo, hi = fhi;
    if (!(hi > lo))
        return NAN; /* one value everywhere: no surface */
    int64_t *h = malloc(HIST_FINE * sizeof *h);
    if (!h)
        return 0.5 * (lo + hi);
    histogram(vals, n, lo, hi, HIST_FINE, h, threads);
    /* Otsu over the bins below the 99.5th percentile. */
    int64_t acc = 0, target = (int64_t)(0.995 * (double)n);
    int top = HIST_FINE;
    for (int b = 0; b < HIST_FINE; b++) {
        acc += h[b];
        if (acc >= target) {
            top = b + 1;
            break;
        }
    }
    const double bw = (hi - lo) / HIST_FINE;
    double total = 0.0, sum = 0.0;
    for (int b = 0; b < top; b++) {
        total += (double)h[b];
        sum += (double)h[b] * (b + 0.5);
    }
    double w0 = 0.0, s0 = 0.0, best = -1.0;
    int cut = top / 2;
    for (int b = 0; b < top - 1; b++) {
        w0 += (double)h[b];
        s0 += (double)h[b] * (b + 0.5);
        double w1 = total - w0;
        if (w0 <= 0.0 || w1 <= 0.0)
            continue;
        double m0 = s0 / w0, m1 = (sum - s0) / w1;
        double between = w0 * w1 * (m0 - m1) * (m0 - m1);
        if (between > best) {
            best = between;
            cut = b + 1;
        }
    }
    /* Air level: the mode of the lower class. */
    int mode = 0;
    for (int b = 1; b < cut; b++)
        if (h[b] > h[mode])
            mode = b;
    free(h);
    double air = lo + (mode + 0.5) * bw;
    double otsu = lo + cut * bw;
    return air + RENDER_THR_FRACTION * (otsu - air);
}
