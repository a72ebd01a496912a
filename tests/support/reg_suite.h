/* The registration test suite, shared by tests/unit/test_register_suite.c
 * (the ctest with pass/fail limits) and tests/tools/register_eval.c (prints
 * the distribution). Header-only so that both are single files.
 *
 * For each head: register the original (T0, template -> original world); then
 * make perturbed copies in memory: resampled through a random known affine
 * (rotations up to 25 degrees per axis, translations up to 40 mm, scale
 * 0.85-1.15, shears up to 0.05), some re-stored in other axis orders
 * (sagittal, coronal, LPS), some with inverted contrast, some cropped to a
 * 26-slice slab (2 mm slices) around the eyes and nose, some with thick
 * 5.5 mm slices. Register each copy (T1, template -> copy world); with Q
 * mapping copy world to original world, Q T1 must agree with T0 within 2 mm
 * RMS over brain, face and ear points (register_distance_mm). */
#ifndef FACELESS_TEST_REG_SUITE_H
#define FACELESS_TEST_REG_SUITE_H

#include "core/volume.h"
#include "register/reg_internal.h"
#include "register/register.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUITE_LIMIT_MM 2.0 /* issue 3's accuracy target */
/* A trusted fit off by more than the default brain-guard margin (5 mm) could
 * cut brain or leave part of a face: the gross failure that must never pass. */
#define SUITE_GROSS_MM 5.0

typedef struct suite_rng {
    uint64_t s;
} suite_rng;

static inline uint64_t suite_next(suite_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static inline double suite_uniform(suite_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * (double)(suite_next(r) >> 11) / 9007199254740992.0;
}

typedef struct suite_copy_kind {
    int order;     /* 0 as stored, 1 sagittal, 2 coronal, 3 LPS-like flips */
    int invert;    /* contrast inverted */
    int slab;      /* 26 slices of 2 mm around eyes and nose */
    int thick;     /* 5.5 mm slices */
    int scramble;  /* header orientation scrambled (ignore_orientation test) */
} suite_copy_kind;

typedef struct suite_stats {
    double *err;      /* per copy, mm (largest region RMS) */
    int *trusted;
    int n, cap;
    int failures;         /* err > limit and trusted: silent failures */
    int refused_bad;      /* err > limit and refused */
    int refused_good;     /* err <= limit but refused */
    int gross;            /* err > SUITE_GROSS_MM and trusted */
    double seconds;
} suite_stats;

static inline void suite_stats_add(suite_stats *st, double err, int trusted)
{
    if (st->n == st->cap) {
        st->cap = st->cap ? 2 * st->cap : 256;
        st->err = realloc(st->err, (size_t)st->cap * sizeof *st->err);
        st->trusted = realloc(st->trusted, (size_t)st->cap * sizeof *st->trusted);
    }
    st->err[st->n] = err;
    st->trusted[st->n] = trusted;
    st->n++;
    if (err > SUITE_GROSS_MM && trusted)
        st->gross++;
    if (err > SUITE_LIMIT_MM && trusted)
        st->failures++;
    else if (err > SUITE_LIMIT_MM)
        st->refused_bad++;
    else if (!trusted)
        st->refused_good++;
}

static inline int suite_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantile of the copies' errors (all copies, trusted or not). */
static inline double suite_quantile(const suite_stats *st, double q)
{
    if (st->n == 0)
        return 0;
    double *v = malloc((size_t)st->n * sizeof *v);
    memcpy(v, st->err, (size_t)st->n * sizeof *v);
    qsort(v, (size_t)st->n, sizeof *v, suite_cmp);
    double r = v[(int)floor(q * (st->n - 1) + 0.5)];
    free(v);
    return r;
}

/* A random affine Q (copy world -> original world) about the point c. */
static inline void suite_random_affine(suite_rng *r, const double c[3], double Q[4][4])
{
    double R[4][4], S[4][4] = {{0}}, A[4][4], B[4][4];
    reg_mat_rotation(suite_uniform(r, -25, 25), suite_uniform(r, -25, 25), suite_uniform(r, -25, 25), R);
    for (int a = 0; a < 3; a++)
        S[a][a] = suite_uniform(r, 0.85, 1.15);
    S[0][1] = suite_uniform(r, -0.05, 0.05);
    S[1][2] = suite_uniform(r, -0.05, 0.05);
    S[0][2] = suite_uniform(r, -0.05, 0.05);
    S[3][3] = 1;
    reg_mat_mul(R, S, A);
    double t[3] = {suite_uniform(r, -40, 40), suite_uniform(r, -40, 40), suite_uniform(r, -40, 40)};
    /* Q x = A (x - c) + c + t */
    memcpy(B, A, sizeof B);
    for (int a = 0; a < 3; a++) {
        double ac = 0;
        for (int b = 0; b < 3; b++)
            ac += A[a][b] * c[b];
        B[a][3] = c[a] - ac + t[a];
    }
    memcpy(Q, B, sizeof B);
}

/* A signed permutation of world axes (det +1 or -1), about point c. */
static inline void suite_random_scramble(suite_rng *r, const double c[3], double W[4][4])
{
    static const int perm[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    int p = (int)(suite_next(r) % 6), s = (int)(suite_next(r) % 8);
    if (p == 0 && s == 0)
        p = 3; /* never the identity */
    memset(W, 0, 16 * sizeof(double));
    for (int a = 0; a < 3; a++)
        W[a][perm[p][a]] = (s >> a) & 1 ? -1 : 1;
    for (int a = 0; a < 3; a++) {
        double wc = 0;
        for (int b = 0; b < 3; b++)
            wc += W[a][b] * c[b];
        W[a][3] = c[a] - wc;
    }
    W[3][3] = 1;
}

/* Builds a copy of orig (float image in world space, orig_world) on a new
 * grid: storage axes of the original reordered per kind->order, spacing sp,
 * centred at world point centre (copy world), values orig(Q z). */
static inline faceless_volume *suite_make_copy(const reg_image *orig, const double Q[4][4], const suite_copy_kind *kind,
                                        const double centre[3], const double T0[4][4], float vmax)
{
    /* Directions of the original storage axes, then reorder. */
    double dir[3][3], sp0[3];
    for (int a = 0; a < 3; a++) {
        sp0[a] = sqrt(orig->vox2ras[0][a] * orig->vox2ras[0][a] + orig->vox2ras[1][a] * orig->vox2ras[1][a] +
                      orig->vox2ras[2][a] * orig->vox2ras[2][a]);
        for (int r = 0; r < 3; r++)
            dir[a][r] = orig->vox2ras[r][a] / sp0[a];
    }
    static const int orders[4][3] = {{0, 1, 2}, {1, 2, 0}, {0, 2, 1}, {0, 1, 2}};
    static const int flips[4][3] = {{0, 0, 0}, {0, 0, 1}, {0, 1, 0}, {1, 1, 0}};
    double nd[3][3], ext[3], sp[3];
    for (int a = 0; a < 3; a++) {
        int src = orders[kind->order][a];
        for (int r = 0; r < 3; r++)
            nd[a][r] = dir[src][r] * (flips[kind->order][a] ? -1 : 1);
        sp[a] = sp0[src] < 1.0 ? 1.0 : sp0[src]; /* the suite works at >= 1 mm */
        double n0 = src == 0 ? orig->nx : src == 1 ? orig->ny : orig->nz;
        ext[a] = n0 * sp0[src];
    }
    /* The axis closest to world z carries thick slices or the slab. */
    int zax = 0;
    for (int a = 1; a < 3; a++)
        if (fabs(nd[a][2]) > fabs(nd[zax][2]))
            zax = a;
    double c2[3];
    memcpy(c2, centre, sizeof c2);
    if (kind->thick)
        sp[zax] = 5.5;
    if (kind->slab) {
        /* Eyes and nose: template z -45..+7 mm at y = 60; centre there. */
        double Qi[4][4], M[4][4], ptpl[3] = {0, 60, -19};
        reg_mat_inv(Q, Qi);
        reg_mat_mul(Qi, T0, M);
        reg_mat_apply(M, ptpl, c2);
        sp[zax] = 2.0;
        ext[zax] = 52.0;
    }
    int64_t n[3];
    for (int a = 0; a < 3; a++)
        n[a] = (int64_t)floor(ext[a] / sp[a] + 0.5);
    faceless_volume *v = volume_new(n[0], n[1], n[2], 1, FACELESS_DT_FLOAT32, sp);
    if (!v)
        return NULL;
    for (int a = 0; a < 3; a++)
        for (int r = 0; r < 3; r++)
            v->vox2ras[r][a] = nd[a][r] * sp[a];
    for (int r = 0; r < 3; r++) {
        double off = 0;
        for (int a = 0; a < 3; a++)
            off += v->vox2ras[r][a] * (n[a] - 1) / 2.0;
        v->vox2ras[r][3] = c2[r] - off;
    }
    double M[4][4], M2[4][4], vv[4][4];
    memcpy(vv, v->vox2ras, sizeof vv);
    reg_mat_mul(Q, vv, M);
    reg_mat_mul(orig->ras2vox, M, M2);
    float *d = v->data;
    for (int64_t k = 0; k < n[2]; k++)
        for (int64_t j = 0; j < n[1]; j++)
            for (int64_t i = 0; i < n[0]; i++) {
                double u[3] = {(double)i, (double)j, (double)k}, w[3];
                reg_mat_apply(M2, u, w);
                float val = reg_image_sample(orig, w);
                d[(k * n[1] + j) * n[0] + i] = kind->invert ? vmax - val : val;
            }
    return v;
}

/* Runs the suite on one head. Returns 0, or -1 when the original itself could
 * not be registered (a harness error). */
static int suite_correlation_ratio; /* register_eval --cost cr */

static inline int suite_run_head(const faceless_volume *head, const char *label, const template_set *tpl, int ncopies,
                          uint64_t seed, int ignore_orientation, int threads, int verbose, suite_stats *st)
{
    faceless_ctx *ctx = faceless_ctx_new();
    faceless_ctx_set_threads(ctx, threads);
    register_options opts;
    register_options_default(&opts);
    opts.correlation_ratio = suite_correlation_ratio;
    register_result r0;
    if (register_affine(ctx, head, tpl, &opts, &r0) != FACELESS_OK) {
        fprintf(stderr, "%s: reference registration failed (%s)\n", label, faceless_ctx_error(ctx));
        faceless_ctx_free(ctx);
        return -1;
    }
    /* The mirror-handed reference: the same voxels with world x negated,
     * registered, then mapped back (Mw T'), a template -> original-world
     * affine with det < 0. */
    double r0m[4][4];
    int have_mirror = 0;
    if (ignore_orientation) {
        faceless_volume hm = *head; /* shallow: the voxels are only read */
        for (int c = 0; c < 4; c++)
            hm.vox2ras[0][c] = -head->vox2ras[0][c];
        register_result rm;
        if (register_affine(ctx, &hm, tpl, &opts, &rm) == FACELESS_OK) {
            memcpy(r0m, rm.tpl2subj, sizeof r0m);
            for (int c = 0; c < 4; c++)
                r0m[0][c] = -r0m[0][c];
            have_mirror = 1;
        }
    }
    if (!r0.trusted) /* a refused head: its copies are compared with the refused fit and must be refused too */
        printf("%s: the original itself is refused (%s); copies compared with its fit\n", label, r0.reason);
    reg_image orig = {head->nx, head->ny, head->nz, {{0}}, {{0}}, volume_frame_to_float(head, 0)};
    reg_image_set_matrix(&orig, head->vox2ras);
    float vmax = 0;
    for (int64_t i = 0; i < orig.nx * orig.ny * orig.nz; i++)
        vmax = orig.v[i] > vmax ? orig.v[i] : vmax;
    double centre[3], zero[3] = {0, 0, 0};
    reg_mat_apply(r0.tpl2subj, zero, centre);
    double fov_centre[3], mid[3] = {(head->nx - 1) / 2.0, (head->ny - 1) / 2.0, (head->nz - 1) / 2.0};
    reg_mat_apply(head->vox2ras, mid, fov_centre);
    suite_rng rng = {seed};
    for (int c = 0; c < ncopies; c++) {
        suite_copy_kind kind = {0, 0, 0, 0, 0};
        int pick = c % 8;
        kind.order = (int)(suite_next(&rng) % 4);
        kind.invert = pick == 2 || pick == 5;
        kind.slab = pick == 3;
        kind.thick = pick == 6;
        kind.scramble = ignore_orientation;
        double Q[4][4], Qi[4][4], cc[3];
        suite_random_affine(&rng, centre, Q);
        reg_mat_inv(Q, Qi);
        /* The copy's grid is centred on the original's field of view, so it
         * holds the same anatomy as the original (a partial-coverage head
         * stays as partial as it is, not cut a second time): the copy then
         * differs from the original by the known affine and resampling only.
         * Partial coverage has its own copies (slab). */
        reg_mat_apply(Qi, fov_centre, cc);
        faceless_volume *v = suite_make_copy(&orig, Q, &kind, cc, r0.tpl2subj, vmax);
        if (!v)
            continue;
        double Wi[4][4];
        memset(Wi, 0, sizeof Wi);
        for (int a = 0; a < 4; a++)
            Wi[a][a] = 1;
        if (kind.scramble) {
            double W[4][4], nv[4][4], vv[4][4];
            suite_random_scramble(&rng, cc, W);
            memcpy(vv, v->vox2ras, sizeof vv);
            reg_mat_mul(W, vv, nv);
            for (int a = 0; a < 4; a++)
                for (int b = 0; b < 4; b++)
                    v->vox2ras[a][b] = nv[a][b];
            reg_mat_inv(W, Wi);
        }
        register_options o = opts;
        o.ignore_orientation = ignore_orientation;
        register_result r1;
        double err = 1e9, reg3[3] = {0, 0, 0};
        int mirrored = 0;
        if (register_affine(ctx, v, tpl, &o, &r1) == FACELESS_OK) {
            double A[4][4], B[4][4];
            reg_mat_mul(Wi, r1.tpl2subj, A);
            reg_mat_mul(Q, A, B);
            err = register_distance_mm(tpl, B, r0.tpl2subj, reg3);
            mirrored = B[0][0] * (B[1][1] * B[2][2] - B[1][2] * B[2][1]) - B[0][1] * (B[1][0] * B[2][2] - B[1][2] * B[2][0]) +
                       B[0][2] * (B[1][0] * B[2][1] - B[1][1] * B[2][0]) < 0;
            if (kind.scramble && have_mirror) {
                /* Without the header, left and right can only be told apart
                 * by the head's own asymmetry, and the face/ear mask and the
                 * guard are symmetric: the mirror-handed fit (the original
                 * registered with its world mirrored, r0m) is accepted too. */
                double rm[3];
                double em = register_distance_mm(tpl, B, r0m, rm);
                if (em < err) {
                    err = em;
                    memcpy(reg3, rm, sizeof reg3);
                }
            }
            st->seconds += r1.seconds;
        } else {
            r1.trusted = 0;
        }
        suite_stats_add(st, err, r1.trusted);
        if (verbose || (err > SUITE_LIMIT_MM && r1.trusted))
            printf("%s copy %3d order %d inv %d slab %d thick %d scr %d: err %7.2f mm trusted %d (dice %.3f cost %.3f edge %.3f "
                   "cover %.2f tcov %.2f besd %.2f ent %.1f inc %.2f amb %.1f %s) brain/face/ear %.1f/%.1f/%.1f%s %.2fs%s\n",
                   label, c, kind.order, kind.invert, kind.slab, kind.thick, kind.scramble, err, r1.trusted,
                   r1.head_overlap, r1.final_cost, r1.edge_agreement, r1.coverage, r1.template_coverage, r1.beside, r1.entropy_bits, r1.inconsistency_mm, r1.ambiguity_mm, r1.reason ? r1.reason : "", reg3[0], reg3[1], reg3[2], mirrored ? " MIRRORED" : "", r1.seconds,
                   err > SUITE_LIMIT_MM && r1.trusted ? "  SILENT FAILURE" : "");
        faceless_volume_free(v);
    }
    free(orig.v);
    faceless_ctx_free(ctx);
    return 0;
}

static inline void suite_print(const char *title, const suite_stats *st)
{
    printf("%s: %d copies, error median %.2f mm, 95th pct %.2f mm, max %.2f mm; above %.1f mm: %d refused, %d silent "
           "failures (%d above %.0f mm); good but refused: %d; mean registration %.3f s\n",
           title, st->n, suite_quantile(st, 0.5), suite_quantile(st, 0.95), suite_quantile(st, 1.0), SUITE_LIMIT_MM,
           st->refused_bad, st->failures, st->gross, SUITE_GROSS_MM, st->refused_good, st->n ? st->seconds / st->n : 0);
}

#endif
