/* dicom_tool: helper for the DICOM integration tests (tests/integration/dicom_*.sh).
 *
 *   dicom_tool list PATH                          series under PATH, one per line
 *   dicom_tool roundtrip IN OUT [opts]            read, zero a box, write; prints "changed N"
 *       --box i0 i1 j0 j1 k0 k1   inclusive voxel box to set to 0 (default: none)
 *       --series UID  --seed N  --force
 *   dicom_tool compare A B [--box ...]            two DICOM series: same grid, matrix,
 *       dtype, scaling; voxels outside the box identical, inside the box 0
 *   dicom_tool niicmp DICOM NIFTI                 a DICOM series against dcm2niix's NIfTI
 *       of it: every voxel's world position maps to a voxel of the NIfTI with the
 *       same value (so any axis flips of dcm2niix are accounted for)
 *   dicom_tool niipair A.nii B.nii                two NIfTI: same dims and matrix;
 *       prints "differ N" (voxels with different values)
 *   dicom_tool maskcmp IN OUT MASK                a de-faced series against its input and
 *       the mask (NIfTI on the input's grid, from deface --mask-out): same grid and
 *       matrix; prints "outside_changed N" (must be 0), "inside_changed N" over every
 *       frame; for several frames also "frames T", "frames_untouched N" (frames
 *       with no voxel changed inside the mask)
 * Exit: 0 ok, 1 mismatch, else the faceless status of a failed read/write. */
#include "core/context.h"
#include "core/volume.h"
#include "io/dicom/dicom.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void log_stderr(void *user, faceless_log_level level, const char *msg)
{
    (void)user;
    fprintf(stderr, "dicom_tool: %s%s\n", level == FACELESS_LOG_WARN ? "warning: " : "", msg);
}

static faceless_ctx *new_ctx(uint64_t seed)
{
    faceless_ctx *ctx = faceless_ctx_new();
    if (!ctx)
        exit(7);
    faceless_ctx_set_log(ctx, log_stderr, NULL, FACELESS_LOG_WARN);
    faceless_ctx_set_seed(ctx, seed);
    return ctx;
}

/* Prints the context's error, frees the context and the volumes. */
static int die2(faceless_ctx *ctx, faceless_status st, faceless_volume *a, faceless_volume *b)
{
    fprintf(stderr, "dicom_tool: %s\n", faceless_ctx_error(ctx));
    faceless_volume_free(a);
    faceless_volume_free(b);
    faceless_ctx_free(ctx);
    return (int)st;
}

static int die(faceless_ctx *ctx, faceless_status st) { return die2(ctx, st, NULL, NULL); }

/* A mismatch found by a comparison: frees everything, returns 1. */
static int mismatch(faceless_ctx *ctx, faceless_volume *a, faceless_volume *b)
{
    faceless_volume_free(a);
    faceless_volume_free(b);
    faceless_ctx_free(ctx);
    return 1;
}

static int in_box(const long box[6], int64_t i, int64_t j, int64_t k)
{
    return box[0] >= 0 && i >= box[0] && i <= box[1] && j >= box[2] && j <= box[3] && k >= box[4] && k <= box[5];
}

static int same_matrix(const double a[4][4], const double b[4][4], double tol)
{
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++)
            if (fabs(a[r][c] - b[r][c]) > tol)
                return 0;
    return 1;
}

static void print_matrix(const char *name, const double m[4][4])
{
    fprintf(stderr, "%s:\n", name);
    for (int r = 0; r < 3; r++)
        fprintf(stderr, "  %11.5f %11.5f %11.5f %11.5f\n", m[r][0], m[r][1], m[r][2], m[r][3]);
}

static int cmd_list(const char *path)
{
    faceless_ctx *ctx = new_ctx(0);
    dicom_series_summary *s = NULL;
    size_t n = 0;
    faceless_status st = dicom_list_series(ctx, path, &s, &n);
    if (st != FACELESS_OK)
        return die(ctx, st);
    for (size_t i = 0; i < n; i++)
        printf("%s\t%s\t%d\t%d\t%d\t%dx%d\t%s\t%s\n", s[i].uid, s[i].modality, s[i].series_number, s[i].n_files,
               s[i].n_images, s[i].cols, s[i].rows, s[i].transfer_syntax, s[i].description);
    free(s);
    faceless_ctx_free(ctx);
    return 0;
}

static int cmd_roundtrip(const char *in, const char *out, const long box[6], const char *uid, uint64_t seed,
                         int force)
{
    faceless_ctx *ctx = new_ctx(seed);
    faceless_volume *v = NULL;
    faceless_status st = dicom_series_read(ctx, in, uid, &v);
    if (st != FACELESS_OK)
        return die(ctx, st);
    long changed = 0;
    for (int64_t k = 0; k < v->nz; k++)
        for (int64_t j = 0; j < v->ny; j++)
            for (int64_t i = 0; i < v->nx; i++) {
                int64_t idx = (k * v->ny + j) * v->nx + i;
                if (in_box(box, i, j, k) && volume_get_stored(v, idx) != 0) {
                    volume_set_stored(v, idx, 0);
                    changed++;
                }
            }
    faceless_write_options o = {force};
    st = dicom_series_write(ctx, v, out, &o);
    if (st != FACELESS_OK)
        return die2(ctx, st, v, NULL);
    printf("changed %ld\n", changed);
    faceless_volume_free(v);
    faceless_ctx_free(ctx);
    return 0;
}

static int cmd_compare(const char *a, const char *b, const long box[6])
{
    faceless_ctx *ctx = new_ctx(0);
    faceless_volume *va = NULL, *vb = NULL;
    faceless_status st = dicom_series_read(ctx, a, NULL, &va);
    if (st == FACELESS_OK)
        st = dicom_series_read(ctx, b, NULL, &vb);
    if (st != FACELESS_OK)
        return die2(ctx, st, va, vb);
    int bad = 0;
    if (va->nx != vb->nx || va->ny != vb->ny || va->nz != vb->nz || va->dtype != vb->dtype) {
        fprintf(stderr, "grid or dtype differ\n");
        return mismatch(ctx, va, vb);
    }
    if (!same_matrix(va->vox2ras, vb->vox2ras, 1e-6)) {
        print_matrix(a, va->vox2ras);
        print_matrix(b, vb->vox2ras);
        bad = 1;
    }
    if (va->scl_slope != vb->scl_slope || va->scl_inter != vb->scl_inter) {
        fprintf(stderr, "rescale differs\n");
        bad = 1;
    }
    long outside = 0, inside = 0;
    for (int64_t k = 0; k < va->nz; k++)
        for (int64_t j = 0; j < va->ny; j++)
            for (int64_t i = 0; i < va->nx; i++) {
                int64_t idx = (k * va->ny + j) * va->nx + i;
                double x = volume_get_stored(va, idx), y = volume_get_stored(vb, idx);
                if (in_box(box, i, j, k))
                    inside += y != 0;
                else
                    outside += x != y;
            }
    printf("differ_outside %ld\nnonzero_inside %ld\n", outside, inside);
    faceless_volume_free(va);
    faceless_volume_free(vb);
    faceless_ctx_free(ctx);
    return bad || outside || inside;
}

static void invert(const double m[4][4], double r[4][4])
{
    /* Affine inverse: 3x3 by cofactors, then the translation. */
    double a = m[0][0], b = m[0][1], c = m[0][2], d = m[1][0], e = m[1][1], f = m[1][2], g = m[2][0],
           h = m[2][1], i = m[2][2];
    double det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
    double inv[3][3] = {{(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det},
                        {(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det},
                        {(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det}};
    for (int row = 0; row < 3; row++) {
        r[row][3] = 0;
        for (int col = 0; col < 3; col++) {
            r[row][col] = inv[row][col];
            r[row][3] -= inv[row][col] * m[col][3];
        }
    }
    r[3][0] = r[3][1] = r[3][2] = 0;
    r[3][3] = 1;
}

static int cmd_niicmp(const char *dcm, const char *nii)
{
    faceless_ctx *ctx = new_ctx(0);
    faceless_volume *v = NULL, *n = NULL;
    faceless_status st = dicom_series_read(ctx, dcm, NULL, &v);
    if (st == FACELESS_OK)
        st = faceless_volume_read(ctx, nii, &n);
    if (st != FACELESS_OK)
        return die2(ctx, st, v, n);
    if (volume_voxels3(v) != volume_voxels3(n)) {
        fprintf(stderr, "voxel count differs: %lld vs %lld\n", (long long)volume_voxels3(v),
                (long long)volume_voxels3(n));
        return mismatch(ctx, v, n);
    }
    double inv[4][4];
    invert(n->vox2ras, inv);
    long off_grid = 0, differ = 0, outside = 0;
    double worst = 0;
    double sv = v->scl_slope == 0 ? 1 : v->scl_slope, sn = n->scl_slope == 0 ? 1 : n->scl_slope;
    for (int64_t k = 0; k < v->nz; k++)
        for (int64_t j = 0; j < v->ny; j++)
            for (int64_t i = 0; i < v->nx; i++) {
                double w[3], p[3];
                for (int r = 0; r < 3; r++)
                    w[r] = v->vox2ras[r][0] * (double)i + v->vox2ras[r][1] * (double)j +
                           v->vox2ras[r][2] * (double)k + v->vox2ras[r][3];
                int64_t q[3];
                for (int r = 0; r < 3; r++) {
                    p[r] = inv[r][0] * w[0] + inv[r][1] * w[1] + inv[r][2] * w[2] + inv[r][3];
                    q[r] = (int64_t)llround(p[r]);
                    double e = fabs(p[r] - (double)q[r]);
                    if (e > worst)
                        worst = e;
                    if (e > 0.01)
                        off_grid++;
                }
                if (q[0] < 0 || q[1] < 0 || q[2] < 0 || q[0] >= n->nx || q[1] >= n->ny || q[2] >= n->nz) {
                    outside++;
                    continue;
                }
                double a = volume_get_stored(v, (k * v->ny + j) * v->nx + i) * sv + v->scl_inter;
                double b = volume_get_stored(n, (q[2] * n->ny + q[1]) * n->nx + q[0]) * sn + n->scl_inter;
                if (fabs(a - b) > 1e-3 * (1 + fabs(a)))
                    differ++;
            }
    printf("max_index_error %.6f\noff_grid %ld\noutside %ld\ndiffer %ld\n", worst, off_grid, outside, differ);
    int bad = off_grid || outside || differ;
    if (bad) {
        print_matrix("faceless", v->vox2ras);
        print_matrix("dcm2niix", n->vox2ras);
    }
    faceless_volume_free(v);
    faceless_volume_free(n);
    faceless_ctx_free(ctx);
    return bad;
}

static int cmd_niipair(const char *a, const char *b)
{
    faceless_ctx *ctx = new_ctx(0);
    faceless_volume *va = NULL, *vb = NULL;
    faceless_status st = faceless_volume_read(ctx, a, &va);
    if (st == FACELESS_OK)
        st = faceless_volume_read(ctx, b, &vb);
    if (st != FACELESS_OK)
        return die2(ctx, st, va, vb);
    if (va->nx != vb->nx || va->ny != vb->ny || va->nz != vb->nz || va->nt != vb->nt) {
        fprintf(stderr, "dims differ\n");
        return mismatch(ctx, va, vb);
    }
    if (!same_matrix(va->vox2ras, vb->vox2ras, 1e-4)) {
        print_matrix(a, va->vox2ras);
        print_matrix(b, vb->vox2ras);
        return mismatch(ctx, va, vb);
    }
    long differ = 0;
    for (int64_t i = 0; i < volume_voxels(va); i++)
        differ += volume_get_stored(va, i) != volume_get_stored(vb, i);
    printf("differ %ld\n", differ);
    faceless_volume_free(va);
    faceless_volume_free(vb);
    faceless_ctx_free(ctx);
    return 0;
}

static int cmd_maskcmp(const char *in, const char *out, const char *mask)
{
    faceless_ctx *ctx = new_ctx(0);
    faceless_volume *a = NULL, *b = NULL, *m = NULL;
    faceless_status st = dicom_series_read(ctx, in, NULL, &a);
    if (st == FACELESS_OK)
        st = dicom_series_read(ctx, out, NULL, &b);
    if (st == FACELESS_OK)
        st = faceless_volume_read(ctx, mask, &m);
    if (st != FACELESS_OK) {
        faceless_volume_free(m);
        return die2(ctx, st, a, b);
    }
    int bad = a->nx != b->nx || a->ny != b->ny || a->nz != b->nz || a->nt != b->nt || a->dtype != b->dtype ||
              volume_voxels3(m) != volume_voxels3(a) || !same_matrix(a->vox2ras, b->vox2ras, 1e-6) ||
              !same_matrix(a->vox2ras, m->vox2ras, 1e-3);
    if (bad) {
        fprintf(stderr, "grid, datatype or matrix differ\n");
        print_matrix(in, a->vox2ras);
        print_matrix(out, b->vox2ras);
        print_matrix(mask, m->vox2ras);
        faceless_volume_free(m);
        return mismatch(ctx, a, b);
    }
    /* Every frame against the one mask: frame t's voxel i is t * n3 + i. */
    long outside = 0, inside = 0, masked = 0, frames_untouched = 0;
    const int64_t n3 = volume_voxels3(a);
    for (int64_t t = 0; t < a->nt; t++) {
        long inside_t = 0;
        for (int64_t i = 0; i < n3; i++) {
            int changed = volume_get_stored(a, t * n3 + i) != volume_get_stored(b, t * n3 + i);
            if (volume_get_stored(m, i) != 0) {
                masked += t == 0;
                inside_t += changed;
            } else {
                outside += changed;
            }
        }
        inside += inside_t;
        frames_untouched += inside_t == 0;
    }
    printf("masked %ld\noutside_changed %ld\ninside_changed %ld\n", masked, outside, inside);
    if (a->nt > 1) /* only for several frames: the single-frame output stays as it was */
        printf("frames %lld\nframes_untouched %ld\n", (long long)a->nt, frames_untouched);
    faceless_volume_free(m);
    mismatch(ctx, a, b); /* frees */
    return outside != 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: see the comment at the top of tests/tools/dicom_tool.c\n");
        return 2;
    }
    long box[6] = {-1, -1, -1, -1, -1, -1};
    const char *uid = NULL;
    uint64_t seed = 0;
    int force = 0;
    const char *pos[3] = {NULL, NULL, NULL};
    int npos = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--box") && i + 6 < argc) {
            for (int b = 0; b < 6; b++)
                box[b] = atol(argv[++i]);
        } else if (!strcmp(argv[i], "--series") && i + 1 < argc) {
            uid = argv[++i];
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--force")) {
            force = 1;
        } else if (npos < 3) {
            pos[npos++] = argv[i];
        } else {
            return 2;
        }
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "list") && npos == 1)
        return cmd_list(pos[0]);
    if (!strcmp(cmd, "roundtrip") && npos == 2)
        return cmd_roundtrip(pos[0], pos[1], box, uid, seed, force);
    if (!strcmp(cmd, "compare") && npos == 2)
        return cmd_compare(pos[0], pos[1], box);
    if (!strcmp(cmd, "niicmp") && npos == 2)
        return cmd_niicmp(pos[0], pos[1]);
    if (!strcmp(cmd, "maskcmp") && npos == 3)
        return cmd_maskcmp(pos[0], pos[1], pos[2]);
    if (!strcmp(cmd, "niipair") && npos == 2)
        return cmd_niipair(pos[0], pos[1]);
    fprintf(stderr, "dicom_tool: bad arguments\n");
    return 2;
}
