/* register_resolution [--noise F,F,...] [--flatten MM] [--seed S] [--threads T] FILE...
 * Measures what a 2 mm acquisition does to the registration (the XA30
 * enhanced T1w, native 2 mm, was refused on its MI cost alone). For each
 * head ("ch2" = Colin27 of mricron-data):
 *  - its noise: SNR = median tissue value / noise sigma, the sigma from the
 *    MAD of each voxel's departure from the mean of its 6 neighbours inside
 *    the tissue (above 30% of the 99th percentile);
 *  - the original registered (T0, its cost);
 *  - a 2 mm copy (block means, factor round(2 mm / spacing) per axis) in the
 *    same world, then that copy with Rician noise of sigma = F x the median
 *    tissue value for each F of --noise; each registered, its cost, trust
 *    and the distance of its fit from T0 (register_distance_mm).
 * A head already at about 2 mm gets the noisy copies only.
 * --flatten MM: also the original divided by its own smoothed self (three
 * box passes of about MM, floored at 20% of the 99th percentile so that
 * air stays dark): a crude intensity non-uniformity (bias field)
 * correction, to see how much of a cost is the bias field. */
#include "core/volume.h"
#include "register/reg_internal.h"
#include "register/register.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double uniform01(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(uint64_t *state)
{
    double r = sqrt(-2.0 * log(uniform01(state)));
    return r * cos(6.283185307179586 * uniform01(state));
}

static int cmpf(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* Median tissue value and noise sigma of a float image. */
static void noise_stats(const float *v, int64_t nx, int64_t ny, int64_t nz, double *median, double *sigma)
{
    const int64_t n = nx * ny * nz;
    double q = 0.99, p99;
    reg_quantiles(v, n, &q, 1, &p99);
    float *t = malloc((size_t)n * sizeof *t), *r = malloc((size_t)n * sizeof *r);
    int64_t nt = 0, nr = 0;
    for (int64_t k = 1; k + 1 < nz; k++)
        for (int64_t j = 1; j + 1 < ny; j++)
            for (int64_t i = 1; i + 1 < nx; i++) {
                int64_t o = (k * ny + j) * nx + i;
                if (v[o] < 0.3 * p99)
                    continue;
                t[nt++] = v[o];
                double m = (v[o - 1] + v[o + 1] + v[o - nx] + v[o + nx] + v[o - nx * ny] + v[o + nx * ny]) / 6.0;
                r[nr++] = (float)fabs(v[o] - m);
            }
    qsort(t, (size_t)nt, sizeof *t, cmpf);
    qsort(r, (size_t)nr, sizeof *r, cmpf);
    *median = nt ? t[nt / 2] : 0;
    /* v - mean of 6 iid neighbours: variance sigma^2 (1 + 1/6) */
    *sigma = nr ? 1.4826 * r[nr / 2] / sqrt(7.0 / 6.0) : 0;
    free(t);
    free(r);
}

/* One box pass of half-width r voxels along axis a (0, 1, 2), in place. */
static void box_pass(float *v, int64_t n[3], int a, int r)
{
    const int64_t st = a == 0 ? 1 : a == 1 ? n[0] : n[0] * n[1], len = n[a];
    const int64_t nl = n[0] * n[1] * n[2] / len;
    double *line = malloc((size_t)len * sizeof *line);
    for (int64_t l = 0; l < nl; l++) {
        int64_t base;
        if (a == 0)
            base = l * n[0];
        else if (a == 1)
            base = (l / n[0]) * n[0] * n[1] + l % n[0];
        else
            base = l;
        for (int64_t x = 0; x < len; x++)
            line[x] = v[base + x * st];
        for (int64_t x = 0; x < len; x++) {
            double s = 0;
            int64_t c = 0;
            for (int64_t y = x - r; y <= x + r; y++)
                if (y >= 0 && y < len) {
                    s += line[y];
                    c++;
                }
            v[base + x * st] = (float)(s / (double)c);
        }
    }
    free(line);
}

static faceless_volume *float_volume(int64_t nx, int64_t ny, int64_t nz, const double vox2ras[4][4])
{
    double mm[3];
    for (int a = 0; a < 3; a++)
        mm[a] = sqrt(vox2ras[0][a] * vox2ras[0][a] + vox2ras[1][a] * vox2ras[1][a] + vox2ras[2][a] * vox2ras[2][a]);
    faceless_volume *v = volume_new(nx, ny, nz, 1, FACELESS_DT_FLOAT32, mm);
    if (v)
        memcpy(v->vox2ras, vox2ras, sizeof v->vox2ras);
    return v;
}

static void run(faceless_ctx *ctx, const template_set *tpl, const char *label, const faceless_volume *v,
                const double T0[4][4], const char *what)
{
    register_options o;
    register_options_default(&o);
    register_result r;
    double med, sig;
    noise_stats(v->data, v->nx, v->ny, v->nz, &med, &sig);
    if (register_affine(ctx, v, tpl, &o, &r) != FACELESS_OK) {
        printf("%-28s %-14s error %s\n", label, what, faceless_ctx_error(ctx));
        return;
    }
    double reg3[3] = {0, 0, 0};
    double err = T0 ? register_distance_mm(tpl, r.tpl2subj, T0, reg3) : 0;
    printf("%-28s %-14s %4.1fmm SNR %6.1f cost %.4f dice %.3f amb %4.1f inc %4.2f err %5.2f mm (b/f/e %.1f/%.1f/%.1f) "
           "%s %s\n",
           label, what, v->voxel_mm[0], sig > 0 ? med / sig : 0, r.final_cost, r.head_overlap, r.ambiguity_mm,
           r.inconsistency_mm, err, reg3[0], reg3[1], reg3[2], r.trusted ? "trusted" : "REFUSED", r.reason);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    double noise[16];
    int nnoise = 0, threads = 0;
    uint64_t seed = 1;
    double flatten = 0;
    faceless_ctx *ctx = faceless_ctx_new();
    template_set *tpl = NULL;
    if (template_set_load_embedded(ctx, &tpl) != FACELESS_OK) {
        fprintf(stderr, "register_resolution: %s\n", faceless_ctx_error(ctx));
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--noise") && i + 1 < argc) {
            char *s = argv[++i], *e;
            nnoise = 0;
            while (*s && nnoise < 16) {
                noise[nnoise++] = strtod(s, &e);
                s = *e == ',' ? e + 1 : e;
                if (e == s && *e != ',')
                    break;
            }
        } else if (!strcmp(argv[i], "--flatten") && i + 1 < argc) {
            flatten = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            threads = atoi(argv[++i]);
        } else {
            faceless_ctx_set_threads(ctx, threads);
            const char *path = strcmp(argv[i], "ch2") ? argv[i] : "/usr/share/mricron/templates/ch2.nii.gz";
            const char *label = strrchr(path, '/') && strrchr(path, '/')[1] ? strrchr(path, '/') + 1 : path;
            faceless_volume *in = NULL;
            if (faceless_volume_read(ctx, path, &in) != FACELESS_OK) {
                fprintf(stderr, "register_resolution: %s\n", faceless_ctx_error(ctx));
                continue;
            }
            float *f = volume_frame_to_float(in, 0);
            faceless_volume *orig = float_volume(in->nx, in->ny, in->nz, in->vox2ras);
            memcpy(orig->data, f, (size_t)(in->nx * in->ny * in->nz) * sizeof *f);
            free(f);
            register_options o;
            register_options_default(&o);
            register_result r0;
            if (register_affine(ctx, orig, tpl, &o, &r0) != FACELESS_OK) {
                fprintf(stderr, "register_resolution: %s\n", faceless_ctx_error(ctx));
                faceless_volume_free(orig);
                faceless_volume_free(in);
                continue;
            }
            run(ctx, tpl, label, orig, r0.tpl2subj, "original");
            if (flatten > 0) {
                int64_t n[3] = {in->nx, in->ny, in->nz}, nv = in->nx * in->ny * in->nz;
                faceless_volume *fl = float_volume(n[0], n[1], n[2], in->vox2ras);
                float *b = malloc((size_t)nv * sizeof *b), *ov = orig->data, *fv = fl->data;
                memcpy(b, ov, (size_t)nv * sizeof *b);
                for (int pass = 0; pass < 3; pass++)
                    for (int a = 0; a < 3; a++)
                        box_pass(b, n, a, (int)floor(flatten / in->voxel_mm[a] / 2 + 0.5));
                double q = 0.99, p99;
                reg_quantiles(ov, nv, &q, 1, &p99);
                for (int64_t x = 0; x < nv; x++)
                    fv[x] = (float)(1000.0 * ov[x] / fmax(b[x], 0.2 * p99));
                free(b);
                run(ctx, tpl, label, fl, r0.tpl2subj, "flattened");
                faceless_volume_free(fl);
            }
            /* 2 mm block means */
            int fct[3];
            for (int a = 0; a < 3; a++) {
                int q = (int)floor(2.0 / in->voxel_mm[a] + 0.5);
                fct[a] = q < 1 ? 1 : q;
            }
            int64_t n2[3] = {in->nx / fct[0], in->ny / fct[1], in->nz / fct[2]};
            double g[4][4];
            memcpy(g, in->vox2ras, sizeof g);
            for (int r = 0; r < 3; r++) {
                for (int a = 0; a < 3; a++) {
                    g[r][3] += 0.5 * (fct[a] - 1) * in->vox2ras[r][a];
                    g[r][a] *= fct[a];
                }
            }
            faceless_volume *d = float_volume(n2[0], n2[1], n2[2], g);
            float *dv = d->data;
            const float *ov = orig->data;
            for (int64_t k = 0; k < n2[2]; k++)
                for (int64_t j = 0; j < n2[1]; j++)
                    for (int64_t ii = 0; ii < n2[0]; ii++) {
                        double s = 0;
                        for (int c = 0; c < fct[2]; c++)
                            for (int b = 0; b < fct[1]; b++)
                                for (int a = 0; a < fct[0]; a++)
                                    s += ov[((k * fct[2] + c) * in->ny + j * fct[1] + b) * in->nx + ii * fct[0] + a];
                        dv[(k * n2[1] + j) * n2[0] + ii] = (float)(s / (fct[0] * fct[1] * fct[2]));
                    }
            if (fct[0] * fct[1] * fct[2] > 1)
                run(ctx, tpl, label, d, r0.tpl2subj, "2mm");
            double med, sig;
            noise_stats(dv, n2[0], n2[1], n2[2], &med, &sig);
            faceless_volume *nz = float_volume(n2[0], n2[1], n2[2], g);
            for (int q = 0; q < nnoise; q++) {
                float *nv = nz->data;
                double s = noise[q] * med;
                for (int64_t x = 0; x < n2[0] * n2[1] * n2[2]; x++) {
                    double re = dv[x] + s * gauss(&seed), im = s * gauss(&seed);
                    nv[x] = (float)sqrt(re * re + im * im);
                }
                char what[32];
                snprintf(what, sizeof what, "2mm+n%.3f", noise[q]);
                run(ctx, tpl, label, nz, r0.tpl2subj, what);
            }
            faceless_volume_free(nz);
            faceless_volume_free(d);
            faceless_volume_free(orig);
            faceless_volume_free(in);
        }
    }
    template_set_free(tpl);
    faceless_ctx_free(ctx);
    return 0;
}
