/* anatomy_eval HEAD BRAIN LANDMARKS.tsv [options]: the efficacy suite of
 * issue 16 on one labelled head. It makes other anatomies of the head and
 * runs faceless's registration and masking on each, in memory, exactly as
 * `faceless deface` does, then scores the mask against the truths carried
 * along with the head:
 *
 *  - warps: smooth random nonlinear deformations, a sum of plane waves at
 *    three scales (wavelengths 160, 80 and 40 mm; amplitude budgets 6, 3 and
 *    1.2 mm, so displacements reach about 10 mm and the Jacobian stays
 *    positive: the sum of amplitude x wavenumber is under 0.7), applied to
 *    the head (trilinear) and to its brain labels (nearest) on the same grid;
 *    the landmarks move with the inverse map;
 *  - moves: the same voxels under a moved world matrix (rotation up to 15
 *    degrees, translation up to 30 mm, scale 0.93-1.07) and re-stored (the
 *    voxel axes permuted and flipped, the matrix following), so registration
 *    must find another transform; the landmarks move with the world.
 *
 * Scores (../shared/data/README.md): brain voxels (BRAIN > 0) in the final
 * mask; a landmark counts as scrambled when at least 80% of the tissue voxels
 * within 4 mm of it are in the mask (tissue: above the 20th percentile of the
 * non-minimum voxels); brain_front and brain_bottom are brain points whose
 * voxel must stay out of the mask. A variant is refused when registration
 * does not trust it, a silent failure when it was trusted (faceless would
 * write it) and touches brain or leaves a landmark in view.
 *
 * Options: --name FILE (the head's row name in LANDMARKS.tsv; default HEAD's
 * file name), --warps N (default 20), --moves M (default 5), --seed S,
 * --margin MM (brain margin, default faceless's), -v (a line per variant).
 * Prints one summary line "NAME: ..." and exits 0 when no trusted variant
 * failed and at most 2% of the variants were refused, else 1 (3: bad input). */
#include "core/context.h"
#include "core/volume.h"
#include "mask/mask.h"
#include "register/register.h"
#include "templates/template_set.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define MAX_MARKS 16
#define WAVES_PER_SCALE 3

typedef struct landmark {
    char name[32];
    double p[3]; /* world RAS mm */
    int is_brain;
} landmark;

typedef struct wave {
    double u[3], e[3], k, a, phase; /* direction, displacement direction, wavenumber, amplitude, phase */
} wave;

/* splitmix64: a small reproducible generator for the variants */
static uint64_t rng_state;
static double uniform(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static void unit_vector(double u[3])
{
    double n;
    do {
        for (int a = 0; a < 3; a++)
            u[a] = 2 * uniform() - 1;
        n = sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
    } while (n < 0.1 || n > 1);
    for (int a = 0; a < 3; a++)
        u[a] /= n;
}

static void field_make(wave *w, int *n)
{
    const double lambda[3] = {160, 80, 40}, budget[3] = {6, 3, 1.2};
    *n = 0;
    for (int s = 0; s < 3; s++)
        for (int m = 0; m < WAVES_PER_SCALE; m++) {
            wave *x = &w[(*n)++];
            unit_vector(x->u);
            unit_vector(x->e);
            x->k = 2 * M_PI / lambda[s];
            x->a = budget[s] / WAVES_PER_SCALE * (0.4 + 0.6 * uniform());
            x->phase = 2 * M_PI * uniform();
        }
}

static void field_at(const wave *w, int n, const double p[3], double d[3])
{
    d[0] = d[1] = d[2] = 0;
    for (int m = 0; m < n; m++) {
        double s = w[m].a * sin(w[m].k * (w[m].u[0] * p[0] + w[m].u[1] * p[1] + w[m].u[2] * p[2]) + w[m].phase);
        for (int a = 0; a < 3; a++)
            d[a] += s * w[m].e[a];
    }
}

static void apply(const double m[4][4], const double p[3], double q[3])
{
    for (int r = 0; r < 3; r++)
        q[r] = m[r][0] * p[0] + m[r][1] * p[1] + m[r][2] * p[2] + m[r][3];
}


static faceless_volume *blank_like(const faceless_volume *v, faceless_dtype dt)
{
    faceless_volume *o = volume_new(v->nx, v->ny, v->nz, 1, dt, v->voxel_mm);
    if (o) {
        memcpy(o->vox2ras, v->vox2ras, sizeof o->vox2ras);
        o->matrix_source = v->matrix_source;
        o->scl_slope = v->scl_slope;
        o->scl_inter = v->scl_inter;
    }
    return o;
}

/* out(p) = in(p + d(p)) on in's grid: the head trilinear, the labels nearest. */
static void warp(const faceless_volume *head, const faceless_volume *labels, const wave *w, int nw,
                 faceless_volume *head_out, faceless_volume *labels_out)
{
    double inv[4][4];
    mask_affine_invert(head->vox2ras, inv);
    const int64_t nx = head->nx, ny = head->ny, nz = head->nz;
#pragma omp parallel for schedule(static)
    for (int64_t k = 0; k < nz; k++)
        for (int64_t j = 0; j < ny; j++)
            for (int64_t i = 0; i < nx; i++) {
                double p[3], ijk[3] = {(double)i, (double)j, (double)k}, d[3], q[3], s[3];
                apply(head->vox2ras, ijk, p);
                field_at(w, nw, p, d);
                for (int a = 0; a < 3; a++)
                    q[a] = p[a] + d[a];
                apply(inv, q, s);
                int64_t o = i + nx * (j + ny * k);
                int64_t c[3];
                double f[3];
                int inside = 1;
                for (int a = 0; a < 3; a++) {
                    c[a] = (int64_t)floor(s[a]);
                    f[a] = s[a] - (double)c[a];
                }
                if (c[0] < 0 || c[1] < 0 || c[2] < 0 || c[0] + 1 >= nx || c[1] + 1 >= ny || c[2] + 1 >= nz)
                    inside = 0;
                double val = 0;
                if (inside)
                    for (int n = 0; n < 8; n++) {
                        int64_t ii = c[0] + (n & 1), jj = c[1] + ((n >> 1) & 1), kk = c[2] + ((n >> 2) & 1);
                        double wt = ((n & 1) ? f[0] : 1 - f[0]) * (((n >> 1) & 1) ? f[1] : 1 - f[1]) *
                                    (((n >> 2) & 1) ? f[2] : 1 - f[2]);
                        val += wt * volume_get_stored(head, ii + nx * (jj + ny * kk));
                    }
                volume_set_stored(head_out, o, val);
                int64_t r[3];
                for (int a = 0; a < 3; a++)
                    r[a] = (int64_t)floor(s[a] + 0.5);
                double lab = 0;
                if (r[0] >= 0 && r[1] >= 0 && r[2] >= 0 && r[0] < nx && r[1] < ny && r[2] < nz)
                    lab = volume_get_stored(labels, r[0] + nx * (r[1] + ny * r[2]));
                volume_set_stored(labels_out, o, lab);
            }
}

/* The landmark after a warp: the p with p + d(p) = L (a contraction: |grad d| < 1). */
static void warp_point(const wave *w, int nw, const double L[3], double out[3])
{
    double p[3] = {L[0], L[1], L[2]}, d[3];
    for (int it = 0; it < 60; it++) {
        field_at(w, nw, p, d);
        for (int a = 0; a < 3; a++)
            p[a] = L[a] - d[a];
    }
    memcpy(out, p, sizeof p);
}

/* Re-stores v (and labels) with axes permuted by perm and flipped by flip,
 * the world matrix following, then moves the world by A. */
static faceless_volume *restore(const faceless_volume *v, const int perm[3], const int flip[3], const double A[4][4])
{
    const int64_t dim[3] = {v->nx, v->ny, v->nz};
    double mm[3] = {v->voxel_mm[perm[0]], v->voxel_mm[perm[1]], v->voxel_mm[perm[2]]};
    faceless_volume *o = volume_new(dim[perm[0]], dim[perm[1]], dim[perm[2]], 1, v->dtype, mm);
    if (!o)
        return NULL;
    o->scl_slope = v->scl_slope;
    o->scl_inter = v->scl_inter;
    o->matrix_source = v->matrix_source;
    /* new index n -> old index: old[perm[a]] = flip[a] ? dim-1-n[a] : n[a] */
    double P[4][4] = {{0}};
    P[3][3] = 1;
    for (int a = 0; a < 3; a++) {
        P[perm[a]][a] = flip[a] ? -1 : 1;
        P[perm[a]][3] = flip[a] ? (double)(dim[perm[a]] - 1) : 0;
    }
    double vox[4][4];
    mask_affine_mul(v->vox2ras, P, vox);
    mask_affine_mul(A, vox, o->vox2ras);
    for (int64_t k = 0; k < o->nz; k++)
        for (int64_t j = 0; j < o->ny; j++)
            for (int64_t i = 0; i < o->nx; i++) {
                int64_t n[3] = {i, j, k}, old[3];
                for (int a = 0; a < 3; a++)
                    old[perm[a]] = flip[a] ? dim[perm[a]] - 1 - n[a] : n[a];
                volume_set_stored(o, i + o->nx * (j + o->ny * k),
                                  volume_get_stored(v, old[0] + dim[0] * (old[1] + dim[1] * old[2])));
            }
    return o;
}

static void random_move(double A[4][4])
{
    double r[3], t[3], s = 0.93 + 0.14 * uniform();
    for (int a = 0; a < 3; a++) {
        r[a] = (2 * uniform() - 1) * 15 * M_PI / 180;
        t[a] = (2 * uniform() - 1) * 30;
    }
    double cx = cos(r[0]), sx = sin(r[0]), cy = cos(r[1]), sy = sin(r[1]), cz = cos(r[2]), sz = sin(r[2]);
    double Rx[4][4] = {{1, 0, 0, 0}, {0, cx, -sx, 0}, {0, sx, cx, 0}, {0, 0, 0, 1}};
    double Ry[4][4] = {{cy, 0, sy, 0}, {0, 1, 0, 0}, {-sy, 0, cy, 0}, {0, 0, 0, 1}};
    double Rz[4][4] = {{cz, -sz, 0, 0}, {sz, cz, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
    double R[4][4];
    mask_affine_mul(Rz, Ry, R);
    mask_affine_mul(R, Rx, R);
    for (int y = 0; y < 3; y++) {
        for (int x = 0; x < 3; x++)
            A[y][x] = s * R[y][x];
        A[y][3] = t[y];
        A[3][y] = 0;
    }
    A[3][3] = 1;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Tissue threshold: the 20th percentile of the non-minimum stored values. */
static double tissue_threshold(const faceless_volume *v)
{
    int64_t n = volume_voxels3(v), m = 0;
    double lo = INFINITY;
    for (int64_t i = 0; i < n; i++)
        lo = fmin(lo, volume_get_stored(v, i));
    double *x = malloc((size_t)n * sizeof *x);
    if (!x)
        return lo;
    for (int64_t i = 0; i < n; i++) {
        double s = volume_get_stored(v, i);
        if (s > lo)
            x[m++] = s;
    }
    qsort(x, (size_t)m, sizeof *x, cmp_d);
    double t = m ? x[m / 5] : lo;
    free(x);
    return t;
}

typedef struct score {
    int refused, in_view, scrambled, brain_point_hit;
    int64_t brain_voxels;
    double worst_fraction;
    char worst[32];
} score;

static void score_mask(const faceless_volume *v, const faceless_volume *labels, const mask_result *m,
                       const landmark *marks, int n_marks, score *s)
{
    const int64_t n = volume_voxels3(v);
    s->brain_voxels = 0;
    mask_depth dm = {0};
    if (getenv("ANATOMY_EVAL_WHERE")) {
        faceless_ctx *c = faceless_ctx_new();
        mask_depth_build(c, v, &dm);
        faceless_ctx_free(c);
    }
    for (int64_t i = 0; i < n; i++)
        if (mask_result_removes(m, i) && volume_get_stored(labels, i) > 0) {
            s->brain_voxels++;
            if (getenv("ANATOMY_EVAL_WHERE")) {
                double ijk[3] = {(double)(i % v->nx), (double)((i / v->nx) % v->ny), (double)(i / (v->nx * v->ny))},
                       q[3];
                apply(v->vox2ras, ijk, q);
                int64_t ii = i % v->nx, jj = (i / v->nx) % v->ny, kk = i / (v->nx * v->ny);
                printf("  brain voxel in the mask at (%.0f, %.0f, %.0f) mm: depth %.1f mm, protrusion %d\n", q[0], q[1],
                       q[2], mask_depth_at(&dm, ii, jj, kk), dm.protrusion[mask_depth_block(&dm, ii, jj, kk)]);
            }
        }
    double thr = tissue_threshold(v), inv[4][4], sp[3];
    mask_affine_invert(v->vox2ras, inv);
    mask_grid_spacing(v, sp);
    s->in_view = s->scrambled = s->brain_point_hit = 0;
    s->worst_fraction = 1;
    s->worst[0] = '\0';
    for (int l = 0; l < n_marks; l++) {
        double c[3];
        apply(inv, marks[l].p, c);
        int64_t ci[3];
        int inside = 1;
        for (int a = 0; a < 3; a++) {
            ci[a] = (int64_t)floor(c[a] + 0.5);
            inside &= ci[a] >= 0 && ci[a] < (a == 0 ? v->nx : a == 1 ? v->ny : v->nz);
        }
        if (!inside)
            continue;
        if (marks[l].is_brain) {
            s->brain_point_hit += mask_result_removes(m, ci[0] + v->nx * (ci[1] + v->ny * ci[2]));
            continue;
        }
        int64_t tissue = 0, hit = 0;
        int64_t r[3];
        for (int a = 0; a < 3; a++)
            r[a] = (int64_t)ceil(4.0 / sp[a]) + 1;
        for (int64_t k = ci[2] - r[2]; k <= ci[2] + r[2]; k++)
            for (int64_t j = ci[1] - r[1]; j <= ci[1] + r[1]; j++)
                for (int64_t i = ci[0] - r[0]; i <= ci[0] + r[0]; i++) {
                    if (i < 0 || j < 0 || k < 0 || i >= v->nx || j >= v->ny || k >= v->nz)
                        continue;
                    double q[3], ijk[3] = {(double)i, (double)j, (double)k};
                    apply(v->vox2ras, ijk, q);
                    double d2 = 0;
                    for (int a = 0; a < 3; a++)
                        d2 += (q[a] - marks[l].p[a]) * (q[a] - marks[l].p[a]);
                    int64_t idx = i + v->nx * (j + v->ny * k);
                    if (d2 > 16.0 || volume_get_stored(v, idx) <= thr)
                        continue;
                    tissue++;
                    hit += mask_result_removes(m, idx);
                    if (getenv("ANATOMY_EVAL_WHERE") && !mask_result_removes(m, idx) && dm.depth)
                        printf("  %s: kept tissue voxel (%lld,%lld,%lld): face %d guard %d depth %.1f protrusion %d\n",
                               marks[l].name, (long long)i, (long long)j, (long long)k,
                               (m->flags[idx] & MASK_FACE) != 0, (m->flags[idx] & MASK_GUARD) != 0,
                               mask_depth_at(&dm, i, j, k), dm.protrusion[mask_depth_block(&dm, i, j, k)]);
                }
        if (tissue == 0)
            continue; /* a landmark in air (cut by the field of view): nothing to scramble */
        s->in_view++;
        double f = (double)hit / (double)tissue;
        if (f >= 0.8)
            s->scrambled++;
        if (f < s->worst_fraction) {
            s->worst_fraction = f;
            memcpy(s->worst, marks[l].name, sizeof s->worst);
        }
    }
    mask_depth_free(&dm);
}

static int read_marks(const char *path, const char *name, landmark *marks)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f) && n < MAX_MARKS) {
        char file[256], lm[32];
        double x, y, z;
        if (sscanf(line, "%255[^\t]\t%31[^\t]\t%lf\t%lf\t%lf", file, lm, &x, &y, &z) != 5 || strcmp(file, name))
            continue;
        memcpy(marks[n].name, lm, sizeof marks[n].name);
        marks[n].p[0] = x;
        marks[n].p[1] = y;
        marks[n].p[2] = z;
        marks[n].is_brain = !strncmp(lm, "brain_", 6);
        n++;
    }
    fclose(f);
    return n;
}

static faceless_volume *load(faceless_ctx *ctx, const char *path)
{
    faceless_volume *v = NULL;
    if (faceless_volume_read(ctx, path, &v) != FACELESS_OK) {
        fprintf(stderr, "anatomy_eval: %s\n", faceless_ctx_error(ctx));
        exit(3);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: anatomy_eval HEAD BRAIN LANDMARKS.tsv [--name FILE] [--warps N] [--moves M] "
                        "[--seed S] [--margin MM] [-v]\n");
        return 3;
    }
    const char *name = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
    int warps = 20, moves = 5, verbose = 0;
    uint64_t seed = 1;
    mask_params mp;
    mask_params_default(&mp);
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--name") && i + 1 < argc)
            name = argv[++i];
        else if (!strcmp(argv[i], "--warps") && i + 1 < argc)
            warps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--moves") && i + 1 < argc)
            moves = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--margin") && i + 1 < argc)
            mp.brain_margin_mm = atof(argv[++i]);
        else if (!strcmp(argv[i], "-v"))
            verbose = 1;
        else {
            fprintf(stderr, "anatomy_eval: bad option %s\n", argv[i]);
            return 3;
        }
    }
    landmark marks[MAX_MARKS];
    int n_marks = read_marks(argv[3], name, marks);
    if (n_marks <= 0) {
        fprintf(stderr, "anatomy_eval: %s: no landmarks for %s\n", argv[3], name);
        return 3;
    }
    faceless_ctx *ctx = faceless_ctx_new();
    /* BRAIN "-": no brain truth (a head scored on its landmarks alone) */
    faceless_volume *head = load(ctx, argv[1]), *labels = strcmp(argv[2], "-") ? load(ctx, argv[2]) : NULL;
    if (!labels) {
        labels = blank_like(head, FACELESS_DT_UINT8);
        labels->scl_slope = 0;
    }
    if (labels->nx != head->nx || labels->ny != head->ny || labels->nz != head->nz) {
        fprintf(stderr, "anatomy_eval: %s: not on the grid of %s\n", argv[2], argv[1]);
        return 3;
    }
    template_set *tpl = NULL;
    if (template_set_load_embedded(ctx, &tpl) != FACELESS_OK) {
        fprintf(stderr, "anatomy_eval: %s\n", faceless_ctx_error(ctx));
        return 3;
    }
    rng_state = seed * 0x2545f4914f6cdd1dull + 17;
    int total = 1 + warps + moves, refused = 0, silent = 0, touched = 0;
    int64_t max_brain = 0;
    int marks_in_view = 0, marks_scrambled = 0;
    double worst = 1;
    char worst_where[96] = "";
    for (int vi = 0; vi < total; vi++) {
        faceless_volume *v = NULL, *lab = NULL;
        landmark mk[MAX_MARKS];
        memcpy(mk, marks, sizeof mk);
        char what[64];
        if (vi == 0) {
            v = head;
            lab = labels;
            snprintf(what, sizeof what, "original");
        } else if (vi <= warps) {
            wave w[9];
            int nw;
            field_make(w, &nw);
            v = blank_like(head, head->dtype);
            lab = blank_like(labels, labels->dtype);
            warp(head, labels, w, nw, v, lab);
            for (int l = 0; l < n_marks; l++)
                warp_point(w, nw, marks[l].p, mk[l].p);
            snprintf(what, sizeof what, "warp %d", vi);
        } else {
            int perm[3] = {0, 1, 2}, flip[3];
            for (int a = 2; a > 0; a--) {
                int b = (int)(uniform() * (a + 1)), t = perm[a];
                perm[a] = perm[b];
                perm[b] = t;
            }
            for (int a = 0; a < 3; a++)
                flip[a] = uniform() < 0.5;
            double A[4][4];
            random_move(A);
            v = restore(head, perm, flip, A);
            lab = restore(labels, perm, flip, A);
            for (int l = 0; l < n_marks; l++)
                apply(A, marks[l].p, mk[l].p);
            snprintf(what, sizeof what, "move %d (axes %d%d%d)", vi - warps, perm[0], perm[1], perm[2]);
        }
        score s = {0};
        register_options ro;
        register_options_default(&ro);
        register_result rr;
        mask_result m;
        if (register_affine(ctx, v, tpl, &ro, &rr) != FACELESS_OK) {
            fprintf(stderr, "anatomy_eval: %s: %s\n", what, faceless_ctx_error(ctx));
            return 3;
        }
        if (!rr.trusted) {
            refused++;
            if (verbose)
                printf("%s %s: refused (%s)\n", name, what, rr.reason);
        } else if (mask_build(ctx, v, tpl, rr.tpl2subj, &mp, &m) != FACELESS_OK) {
            fprintf(stderr, "anatomy_eval: %s: %s\n", what, faceless_ctx_error(ctx));
            return 3;
        } else {
            score_mask(v, lab, &m, mk, n_marks, &s);
            mask_result_free(&m);
            int bad = s.brain_voxels > 0 || s.brain_point_hit > 0 || s.scrambled < s.in_view;
            silent += bad;
            touched += s.brain_voxels > 0;
            max_brain = s.brain_voxels > max_brain ? s.brain_voxels : max_brain;
            marks_in_view += s.in_view;
            marks_scrambled += s.scrambled;
            if (s.worst[0] && s.worst_fraction < worst) {
                worst = s.worst_fraction;
                snprintf(worst_where, sizeof worst_where, "%s in %s", s.worst, what);
            }
            if (verbose || bad)
                printf("%s %s: brain voxels %lld, brain points %d, landmarks %d/%d (lowest %s %.2f), trust %.3f%s\n",
                       name, what, (long long)s.brain_voxels, s.brain_point_hit, s.scrambled, s.in_view,
                       s.worst[0] ? s.worst : "-", s.worst_fraction, rr.trust, bad ? "  FAILED" : "");
        }
        if (v != head) {
            faceless_volume_free(v);
            faceless_volume_free(lab);
        }
    }
    printf("%s: %d anatomies (1 + %d warps + %d moves): refused %d (%.1f%%), brain touched in %d (max %lld voxels), "
           "landmarks scrambled %d/%d, lowest landmark %.2f (%s), silent failures %d\n",
           name, total, warps, moves, refused, 100.0 * refused / total, touched, (long long)max_brain, marks_scrambled,
           marks_in_view, worst, worst_where[0] ? worst_where : "-", silent);
    template_set_free(tpl);
    faceless_volume_free(head);
    faceless_volume_free(labels);
    faceless_ctx_free(ctx);
    return silent == 0 && refused * 50 <= total ? 0 : 1;
}
