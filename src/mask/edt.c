/* Squared Euclidean distance transforms (Felzenszwalb & Huttenlocher's
 * separable lower envelope of parabolas): one line, and a whole 3D grid line
 * by line along each axis. Used by the guard's margin (dilate.c), the head
 * surface (depth.c) and the safety distance (safety.c). Lines are
 * independent, so any partition over threads gives the same result. */
#include "mask/mask.h"

#include <float.h>
#include <stdint.h>
#include <stdlib.h>

void mask_edt_line(const float *f, float *d, int64_t n, double w, int64_t *v, double *z)
{
    int64_t k = 0;
    int64_t q0 = 0;
    while (q0 < n && !(f[q0] < FLT_MAX))
        q0++;
    if (q0 == n) {
        for (int64_t q = 0; q < n; q++)
            d[q] = FLT_MAX;
        return;
    }
    v[0] = q0;
    z[0] = -DBL_MAX;
    z[1] = DBL_MAX;
    for (int64_t q = q0 + 1; q < n; q++) {
        if (!(f[q] < FLT_MAX))
            continue;
        double s;
        for (;;) {
            int64_t p = v[k];
            s = ((f[q] + w * (double)q * q) - (f[p] + w * (double)p * p)) / (2.0 * w * (double)(q - p));
            if (s <= z[k] && k > 0)
                k--;
            else
                break;
        }
        if (s <= z[k]) { /* k == 0 and the new parabola wins everywhere */
            v[0] = q;
            z[0] = -DBL_MAX;
            z[1] = DBL_MAX;
            continue;
        }
        k++;
        v[k] = q;
        z[k] = s;
        z[k + 1] = DBL_MAX;
    }
    k = 0;
    for (int64_t q = 0; q < n; q++) {
        while (z[k + 1] < (double)q)
            k++;
        double dq = (double)(q - v[k]);
        double val = w * dq * dq + f[v[k]];
        d[q] = val < FLT_MAX ? (float)val : FLT_MAX;
    }
}

int mask_edt_grid(float *g, const int64_t dim[3], const double s[3], int threads)
{
    const int64_t nmax = dim[0] > dim[1] ? (dim[0] > dim[2] ? dim[0] : dim[2]) : (dim[1] > dim[2] ? dim[1] : dim[2]);
    int ok = 1;
    for (int axis = 0; axis < 3; axis++) {
        const int64_t n = dim[axis], stride = axis == 0 ? 1 : axis == 1 ? dim[0] : dim[0] * dim[1];
        const int64_t lines = dim[0] * dim[1] * dim[2] / n;
        const double w = s[axis] * s[axis];
#pragma omp parallel num_threads(threads)
        {
            float *f = malloc((size_t)nmax * sizeof *f), *d = malloc((size_t)nmax * sizeof *d);
            int64_t *v = malloc((size_t)nmax * sizeof *v);
            double *z = malloc((size_t)(nmax + 1) * sizeof *z);
            int mine = f && d && v && z;
#pragma omp for schedule(static)
            for (int64_t l = 0; l < lines; l++) {
                if (!mine)
                    continue;
                /* the first element of line l */
                int64_t base;
                if (axis == 0)
                    base = l * dim[0];
                else if (axis == 1)
                    base = (l % dim[0]) + dim[0] * dim[1] * (l / dim[0]);
                else
                    base = l;
                for (int64_t q = 0; q < n; q++)
                    f[q] = g[base + q * stride];
                mask_edt_line(f, d, n, w, v, z);
                for (int64_t q = 0; q < n; q++)
                    g[base + q * stride] = d[q];
            }
#pragma omp atomic
            ok &= mine;
            free(f);
            free(d);
            free(v);
            free(z);
        }
    }
    return ok;
}

