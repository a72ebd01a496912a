/* deface_check IN OUT [options]: checks a de-faced image against its input
 * (issue 4). Exit 0 when every requested check passes, 1 otherwise; one line
 * per check on stdout.
 *
 *  --mask M           M (uint8, IN's grid): every voxel with M == 0 must be
 *                     bit-identical in OUT (all frames)
 *  --brain B [G]      B on IN's grid (voxel grid G if given: "down" = IN is
 *                     half-size); every voxel with B > 0 must be unchanged
 *  --landmark NAME:I,J,K:R
 *                     every voxel within R mm of voxel (I,J,K) of IN is
 *                     scrambled: in --mask, and (zero mode) background in OUT
 *  --mode zero|noise  (default zero)
 *  --background PHYS  zero mode: the physical value the landmarks must hold
 *                     (default 0; CT in HU: its air, e.g. -1000)
 *  --ks MAX           noise: KS distance between OUT under the mask and IN's
 *                     tissue under the mask (values above Otsu) <= MAX
 *  --protrusion I,J,K:MAXMM
 *                     nose tip voxel: in OUT the skin surface at the nose
 *                     (most anterior tissue voxel) may stand out from the
 *                     cheeks (25 mm to each side) by at most MAXMM; IN must
 *                     show a real nose there (> 8 mm), or the landmark is wrong
 */
#include "core/volume.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static faceless_volume *load(faceless_ctx *ctx, const char *path)
{
    faceless_volume *v = NULL;
    if (faceless_volume_read(ctx, path, &v) != FACELESS_OK) {
        fprintf(stderr, "deface_check: %s\n", faceless_ctx_error(ctx));
        exit(3);
    }
    return v;
}

static double phys(const faceless_volume *v, int64_t idx)
{
    double s = v->scl_slope == 0.0 ? 1.0 : v->scl_slope, b = v->scl_slope == 0.0 ? 0.0 : v->scl_inter;
    return volume_get_stored(v, idx) * s + b;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double otsu(const double *v, int64_t n)
{
    double lo = v[0], hi = v[0];
    for (int64_t i = 0; i < n; i++) {
        lo = fmin(lo, v[i]);
        hi = fmax(hi, v[i]);
    }
    if (!(hi > lo))
        return lo;
    double h[256] = {0}, sum = 0, w0 = 0, s0 = 0, best = -1;
    for (int64_t i = 0; i < n; i++) {
        int b = (int)((v[i] - lo) / (hi - lo) * 255);
        h[b < 0 ? 0 : b > 255 ? 255 : b]++;
    }
    for (int b = 0; b < 256; b++)
        sum += b * h[b];
    int bt = 0;
    for (int b = 0; b < 255; b++) {
        w0 += h[b];
        s0 += b * h[b];
        double w1 = n - w0;
        if (w0 == 0 || w1 == 0)
            continue;
        double d = s0 / w0 - (sum - s0) / w1, bc = w0 * w1 * d * d;
        if (bc > best) {
            best = bc;
            bt = b;
        }
    }
    return lo + (hi - lo) * (bt + 1) / 256.0;
}

static void world(const faceless_volume *v, double i, double j, double k, double w[3])
{
    for (int r = 0; r < 3; r++)
        w[r] = v->vox2ras[r][0] * i + v->vox2ras[r][1] * j + v->vox2ras[r][2] * k + v->vox2ras[r][3];
}

/* The storage axis closest to world direction dir (0 x, 1 y) and its sign. */
static void axis_of(const faceless_volume *v, int dir, int *axis, int *sign)
{
    double best = 0;
    for (int a = 0; a < 3; a++) {
        double c = v->vox2ras[dir][a] / v->voxel_mm[a];
        if (fabs(c) > best) {
            best = fabs(c);
            *axis = a;
            *sign = c > 0 ? 1 : -1;
        }
    }
}

/* Most anterior position (mm along +y) of a voxel above thr on the line
 * through voxel p along the anterior storage axis; -1e9 when none. */
static double surface_mm(const faceless_volume *v, const int64_t p[3], int ant, double thr)
{
    int64_t n[3] = {v->nx, v->ny, v->nz}, q[3] = {p[0], p[1], p[2]};
    for (int a = 0; a < 3; a++)
        if (q[a] < 0 || q[a] >= n[a])
            return -1e9;
    double best = -1e9;
    for (int64_t s = 0; s < n[ant]; s++) {
        q[ant] = s;
        int64_t idx = q[0] + n[0] * (q[1] + n[1] * q[2]);
        if (phys(v, idx) > thr) {
            double w[3];
            world(v, (double)q[0], (double)q[1], (double)q[2], w);
            best = fmax(best, w[1]);
        }
    }
    return best;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: deface_check IN OUT [--mask M] [--brain B] [--landmark N:I,J,K:R]... "
                        "[--mode zero|noise] [--background PHYS] [--ks MAX] [--protrusion I,J,K:MAXMM]\n");
        return 2;
    }
    faceless_ctx *ctx = faceless_ctx_new();
    faceless_volume *in = load(ctx, argv[1]), *out = load(ctx, argv[2]), *mask = NULL;
    int noise = 0;
    for (int i = 3; i < argc; i++)
        if (!strcmp(argv[i], "--mode") && i + 1 < argc)
            noise = !strcmp(argv[i + 1], "noise");
    if (in->nx != out->nx || in->ny != out->ny || in->nz != out->nz || in->nt != out->nt || in->dtype != out->dtype) {
        printf("FAIL grid or datatype differ\n");
        return 1;
    }
    const int64_t n3 = volume_voxels3(in), nall = volume_voxels(in);
    const size_t vs = faceless_dtype_size(in->dtype);
    /* the background faceless writes in zero mode: physical 0 unless told
     * (padding such as -32768 outside the FOV never counts, issue 4) */
    double bg_phys = 0.0;
    for (int i = 3; i < argc; i++)
        if (!strcmp(argv[i], "--background") && i + 1 < argc)
            bg_phys = atof(argv[i + 1]);
    /* air/tissue threshold of the whole input (Otsu, physical values) */
    double head_thr;
    {
        double *all = malloc(sizeof(double) * (size_t)n3);
        for (int64_t v = 0; v < n3; v++)
            all[v] = phys(in, v);
        head_thr = otsu(all, n3);
        free(all);
    }
    for (int i = 3; i < argc; i++) {
        const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(o, "--mask")) {
            i++;
            mask = load(ctx, val);
            if (mask->nx != in->nx || mask->ny != in->ny || mask->nz != in->nz) {
                printf("FAIL mask grid differs\n");
                return 1;
            }
            int64_t outside = 0, inside = 0, changed_in = 0;
            for (int64_t v = 0; v < nall; v++) {
                int m = volume_get_stored(mask, v % n3) != 0;
                int diff = memcmp((char *)in->data + v * vs, (char *)out->data + v * vs, vs) != 0;
                inside += m;
                changed_in += m && diff;
                outside += !m && diff;
            }
            printf("%s mask: %lld voxels changed outside the mask (must be 0); %lld of %lld masked voxels changed\n",
                   outside ? "FAIL" : "ok", (long long)outside, (long long)changed_in, (long long)inside);
            failures += outside != 0 || inside == 0;
        } else if (!strcmp(o, "--brain")) {
            i++;
            faceless_volume *b = load(ctx, val);
            if (b->nx != in->nx || b->ny != in->ny || b->nz != in->nz) {
                printf("FAIL brain labels grid differs\n");
                return 1;
            }
            int64_t nb = 0, changed = 0;
            for (int64_t v = 0; v < nall; v++) {
                if (!(volume_get_stored(b, v % n3) > 0))
                    continue;
                nb++;
                changed += memcmp((char *)in->data + v * vs, (char *)out->data + v * vs, vs) != 0;
            }
            printf("%s brain: %lld of %lld labelled brain voxels changed (must be 0)\n", changed ? "FAIL" : "ok",
                   (long long)changed, (long long)nb);
            failures += changed != 0 || nb == 0;
            faceless_volume_free(b);
        } else if (!strcmp(o, "--landmark")) {
            i++;
            char name[64];
            double c[3], r;
            if (sscanf(val, "%63[^:]:%lf,%lf,%lf:%lf", name, &c[0], &c[1], &c[2], &r) != 5) {
                fprintf(stderr, "deface_check: bad landmark %s\n", val);
                return 2;
            }
            double wc[3];
            world(in, c[0], c[1], c[2], wc);
            int64_t total = 0, bad = 0, tissue = 0;
            int64_t rad[3];
            for (int a = 0; a < 3; a++)
                rad[a] = (int64_t)ceil(r / in->voxel_mm[a]) + 1;
            for (int64_t k = (int64_t)c[2] - rad[2]; k <= (int64_t)c[2] + rad[2]; k++)
                for (int64_t j = (int64_t)c[1] - rad[1]; j <= (int64_t)c[1] + rad[1]; j++)
                    for (int64_t ii = (int64_t)c[0] - rad[0]; ii <= (int64_t)c[0] + rad[0]; ii++) {
                        if (ii < 0 || j < 0 || k < 0 || ii >= in->nx || j >= in->ny || k >= in->nz)
                            continue;
                        double w[3];
                        world(in, (double)ii, (double)j, (double)k, w);
                        double d2 = (w[0] - wc[0]) * (w[0] - wc[0]) + (w[1] - wc[1]) * (w[1] - wc[1]) +
                                    (w[2] - wc[2]) * (w[2] - wc[2]);
                        if (d2 > r * r)
                            continue;
                        int64_t idx = ii + in->nx * (j + in->ny * k);
                        total++;
                        tissue += phys(in, idx) > 0.5 * head_thr; /* dim skin counts */
                        int ok = 1;
                        if (mask && volume_get_stored(mask, idx) == 0)
                            ok = 0;
                        if (!noise && fabs(phys(out, idx) - bg_phys) > 1e-6 * (1 + fabs(bg_phys)))
                            ok = 0;
                        bad += !ok;
                    }
            /* a landmark in air would prove nothing: most of it must be tissue */
            int placed = tissue * 10 >= total * 3;
            printf("%s landmark %s (%g,%g,%g r %g mm): %lld of %lld voxels not scrambled; %lld tissue%s\n",
                   bad || !total || !placed ? "FAIL" : "ok", name, c[0], c[1], c[2], r, (long long)bad,
                   (long long)total, (long long)tissue, placed ? "" : " (misplaced: mostly air)");
            failures += bad != 0 || total == 0 || !placed;
        } else if (!strcmp(o, "--ks")) {
            i++;
            double maxks = atof(val);
            if (!mask) {
                fprintf(stderr, "deface_check: --ks needs --mask first\n");
                return 2;
            }
            int64_t nm = 0;
            for (int64_t v = 0; v < n3; v++)
                nm += volume_get_stored(mask, v) != 0;
            double *a = malloc(sizeof(double) * (size_t)nm), *b = malloc(sizeof(double) * (size_t)nm);
            int64_t k = 0;
            for (int64_t v = 0; v < n3; v++)
                if (volume_get_stored(mask, v) != 0) {
                    a[k] = phys(in, v);
                    b[k] = phys(out, v);
                    k++;
                }
            double thr = otsu(a, nm);
            int64_t na = 0;
            for (int64_t v = 0; v < nm; v++)
                if (a[v] > thr)
                    a[na++] = a[v];
            qsort(a, (size_t)na, sizeof(double), cmp_d);
            qsort(b, (size_t)nm, sizeof(double), cmp_d);
            double ks = 0;
            int64_t x = 0, y = 0;
            while (x < na && y < nm) {
                double t = fmin(a[x], b[y]);
                while (x < na && a[x] <= t)
                    x++;
                while (y < nm && b[y] <= t)
                    y++;
                ks = fmax(ks, fabs((double)x / na - (double)y / nm));
            }
            printf("%s ks: KS distance %.4f between the refill (%lld voxels) and facial tissue (%lld voxels, > %.4g), max %g\n",
                   ks <= maxks ? "ok" : "FAIL", ks, (long long)nm, (long long)na, thr, maxks);
            failures += !(ks <= maxks) || na < 100;
            free(a);
            free(b);
        } else if (!strcmp(o, "--protrusion")) {
            i++;
            int64_t p[3];
            double maxmm;
            long long pi, pj, pk;
            if (sscanf(val, "%lld,%lld,%lld:%lf", &pi, &pj, &pk, &maxmm) != 4) {
                fprintf(stderr, "deface_check: bad protrusion %s\n", val);
                return 2;
            }
            p[0] = pi, p[1] = pj, p[2] = pk;
            int ant = 1, asg = 1, lat = 0, lsg = 1;
            axis_of(in, 1, &ant, &asg);
            axis_of(in, 0, &lat, &lsg);
            double thr = head_thr;
            int64_t off = (int64_t)floor(25.0 / in->voxel_mm[lat] + 0.5);
            double prot[2];
            const faceless_volume *vv[2] = {in, out};
            for (int s = 0; s < 2; s++) {
                int64_t l[3] = {p[0], p[1], p[2]}, rr[3] = {p[0], p[1], p[2]};
                l[lat] -= off;
                rr[lat] += off;
                double nose = surface_mm(vv[s], p, ant, thr);
                double cl = surface_mm(vv[s], l, ant, thr), cr = surface_mm(vv[s], rr, ant, thr);
                prot[s] = nose - 0.5 * (cl + cr);
            }
            int ok = prot[0] > 8.0 && prot[1] <= maxmm;
            printf("%s protrusion: nose stands %.1f mm out of the cheeks in IN, %.1f mm in OUT (max %g)\n",
                   ok ? "ok" : "FAIL", prot[0], prot[1], maxmm);
            failures += !ok;
        } else if (!strcmp(o, "--mode") || !strcmp(o, "--background")) {
            i++;
        } else {
            fprintf(stderr, "deface_check: unknown option %s\n", o);
            return 2;
        }
    }
    faceless_volume_free(in);
    faceless_volume_free(out);
    faceless_volume_free(mask);
    faceless_ctx_free(ctx);
    return failures ? 1 : 0;
}
