/* Slice stacking: sort the 2D images of a series along the slice normal,
 * refuse stacks that are not one regular grid, and derive the voxel-to-world
 * matrix.
 *
 * Voxel (i, j, k) is column i, row j of the k-th image in sorted order. In
 * DICOM patient coordinates (LPS, PS3.3 C.7.6.2.1.1) the centre of pixel
 * (column i, row j) of an image is IPP + i * dc * X + j * dr * Y, with X the
 * row direction (first three values of ImageOrientationPatient), Y the column
 * direction (last three), dr = PixelSpacing[0] (between rows) and
 * dc = PixelSpacing[1] (between columns). RAS = diag(-1,-1,1) * LPS. The k axis
 * is the step between consecutive sorted positions, so an oblique or tilted
 * stack keeps its exact geometry. dcm2niix agrees up to its own axis flips,
 * which tests/integration/dicom_geometry.sh accounts for.
 *
 * A series of several volumes (fMRI, DWI, echoes: issue 18) repeats every
 * position: dicom_geometry_volumes groups the images by position, orders
 * each group by echo, time, b-value and acquisition order
 * (dicom_frame.order), and stacks each volume as above; all must share one
 * grid. */
#include "io/dicom/dicom.h"

#include "core/context.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Direction cosines of scanners are written with 5-6 decimals; 1e-4 is far
 * below any real difference in orientation (0.006 degrees). */
#define IOP_TOL 1e-4
/* Positions closer than this along the normal are the same slice (mm). */
#define DUP_TOL 1e-3
/* A step may exceed the smallest step by this fraction before we call it
 * a gap: positions are written with ~1e-5 mm rounding, while one missing
 * slice doubles a step. */
#define GAP_REL_TOL 0.02

typedef struct sort_key {
    double d;
    size_t idx;
} sort_key;

static int cmp_key(const void *a, const void *b)
{
    const sort_key *x = a, *y = b;
    if (x->d < y->d)
        return -1;
    if (x->d > y->d)
        return 1;
    return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

static double dot3(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

faceless_status dicom_geometry_stack(faceless_ctx *ctx, const char *where, dicom_frame *frames, size_t n,
                                     double fallback_dz, double vox2ras[4][4], double voxel_mm[3])
{
    if (n == 0)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: no images", where);
    for (size_t i = 0; i < n; i++) {
        if (!frames[i].has_ipp || !frames[i].has_iop)
            return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED,
                            "%s: image %zu has no ImagePositionPatient/ImageOrientationPatient, so its "
                            "place in the head is unknown",
                            where, i + 1);
        if (!frames[i].has_spacing || !(frames[i].spacing[0] > 0) || !(frames[i].spacing[1] > 0))
            return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: image %zu has no valid PixelSpacing",
                            where, i + 1);
    }
    const double *iop = frames[0].iop;
    double X[3] = {iop[0], iop[1], iop[2]}, Y[3] = {iop[3], iop[4], iop[5]};
    double lx = sqrt(dot3(X, X)), ly = sqrt(dot3(Y, Y));
    if (fabs(lx - 1) > 1e-2 || fabs(ly - 1) > 1e-2 || fabs(dot3(X, Y)) > 1e-2)
        return ctx_fail(ctx, FACELESS_ERR_INPUT,
                        "%s: ImageOrientationPatient is not two orthogonal unit vectors", where);
    for (int a = 0; a < 3; a++) {
        X[a] /= lx;
        Y[a] /= ly;
    }
    double N[3] = {X[1] * Y[2] - X[2] * Y[1], X[2] * Y[0] - X[0] * Y[2], X[0] * Y[1] - X[1] * Y[0]};
    for (size_t i = 1; i < n; i++) {
        for (int a = 0; a < 6; a++)
            if (fabs(frames[i].iop[a] - iop[a]) > IOP_TOL)
                return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED,
                                "%s: mixed orientation (ImageOrientationPatient differs between images "
                                "1 and %zu); split the series",
                                where, i + 1);
        if (fabs(frames[i].spacing[0] - frames[0].spacing[0]) > 1e-4 ||
            fabs(frames[i].spacing[1] - frames[0].spacing[1]) > 1e-4)
            return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED,
                            "%s: mixed PixelSpacing between images 1 and %zu", where, i + 1);
    }

    sort_key *keys = malloc(n * sizeof *keys);
    dicom_frame *sorted = malloc(n * sizeof *sorted);
    if (!keys || !sorted) {
        free(keys);
        free(sorted);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory sorting slices", where);
    }
    for (size_t i = 0; i < n; i++) {
        keys[i].d = dot3(frames[i].ipp, N);
        keys[i].idx = i;
    }
    qsort(keys, n, sizeof *keys, cmp_key);
    for (size_t i = 0; i < n; i++)
        sorted[i] = frames[keys[i].idx];

    faceless_status st = FACELESS_OK;
    double dz[3];
    if (n == 1) {
        double s = fallback_dz > 0 ? fallback_dz : 1.0;
        for (int a = 0; a < 3; a++)
            dz[a] = N[a] * s;
    } else {
        double span = keys[n - 1].d - keys[0].d;
        double mean = span / (double)(n - 1);
        /* The smallest step is the true spacing; a missing slice shows up
         * as a step about twice as large. */
        double smallest = INFINITY;
        for (size_t i = 1; i < n; i++)
            smallest = fmin(smallest, keys[i].d - keys[i - 1].d);
        size_t worst = 0;
        double worst_dev = 0;
        for (size_t i = 1; i < n && st == FACELESS_OK; i++) {
            double step = keys[i].d - keys[i - 1].d;
            if (step < DUP_TOL)
                st = ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED,
                              "%s: duplicate slice position (%.3f mm along the normal appears twice; "
                              "several volumes or echoes in one series are not supported)",
                              where, keys[i].d);
            else if (step - smallest > worst_dev) {
                worst_dev = step - smallest;
                worst = i;
            }
        }
        if (st == FACELESS_OK && worst_dev > GAP_REL_TOL * smallest)
            st = ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED,
                          "%s: gap or non-uniform slice spacing (%.3f mm between sorted slices %zu and %zu, "
                          "%.3f mm elsewhere); missing files?",
                          where, keys[worst].d - keys[worst - 1].d, worst, worst + 1, smallest);
        if (st == FACELESS_OK) {
            /* The in-plane drift of the positions per slice (gantry tilt) is
             * kept in the k column; check it is the same for every step. */
            for (int a = 0; a < 3; a++)
                dz[a] = (sorted[n - 1].ipp[a] - sorted[0].ipp[a]) / (double)(n - 1);
            for (size_t i = 1; i < n && st == FACELESS_OK; i++) {
                double e = 0;
                for (int a = 0; a < 3; a++) {
                    double expect = sorted[0].ipp[a] + dz[a] * (double)i;
                    e = fmax(e, fabs(sorted[i].ipp[a] - expect));
                }
                if (e > GAP_REL_TOL * mean + 1e-3)
                    st = ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED,
                                  "%s: slice positions do not lie on a line (slice %zu is %.3f mm off)",
                                  where, i + 1, e);
            }
        }
    }
    if (st == FACELESS_OK) {
        for (size_t i = 0; i < n; i++)
            frames[i] = sorted[i];
        double dr = frames[0].spacing[0], dc = frames[0].spacing[1];
        static const double lps2ras[3] = {-1, -1, 1};
        for (int a = 0; a < 3; a++) {
            vox2ras[a][0] = lps2ras[a] * X[a] * dc;
            vox2ras[a][1] = lps2ras[a] * Y[a] * dr;
            vox2ras[a][2] = lps2ras[a] * dz[a];
            vox2ras[a][3] = lps2ras[a] * frames[0].ipp[a];
            vox2ras[3][a] = 0;
        }
        vox2ras[3][3] = 1;
        voxel_mm[0] = dc;
        voxel_mm[1] = dr;
        voxel_mm[2] = sqrt(dot3(dz, dz));
    }
    free(keys);
    free(sorted);
    return st;
}

static int cmp_order(const dicom_frame *a, const dicom_frame *b)
{
    for (int i = 0; i < 4; i++)
        if (a->order[i] != b->order[i])
            return a->order[i] < b->order[i] ? -1 : 1;
    return 0;
}

/* Volume order of the images of one position; ties (refused afterwards)
 * broken by file and frame so the sort is a total order. */
static int cmp_volume(const void *pa, const void *pb)
{
    const dicom_frame *a = *(const dicom_frame *const *)pa, *b = *(const dicom_frame *const *)pb;
    int c = cmp_order(a, b);
    if (c)
        return c;
    if (a->file != b->file)
        return a->file < b->file ? -1 : 1;
    return (a->frame > b->frame) - (a->frame < b->frame);
}

faceless_status dicom_geometry_volumes(faceless_ctx *ctx, const char *where, dicom_frame *frames, size_t n,
                                       double fallback_dz, double vox2ras[4][4], double voxel_mm[3], size_t *n_vols)
{
    *n_vols = 1;
    int placed = n > 0;
    for (size_t i = 0; i < n; i++)
        placed = placed && frames[i].has_ipp && frames[i].has_iop;
    if (!placed) /* the stack says which image lacks its place */
        return dicom_geometry_stack(ctx, where, frames, n, fallback_dz, vox2ras, voxel_mm);
    const double *iop = frames[0].iop;
    double N[3] = {iop[1] * iop[5] - iop[2] * iop[4], iop[2] * iop[3] - iop[0] * iop[5],
                   iop[0] * iop[4] - iop[1] * iop[3]};
    /* Sort by position alone (a total order), find the groups of one
     * position, then order each group by volume. */
    dicom_frame *copy = malloc(n * sizeof *copy);
    sort_key *pos = malloc(n * sizeof *pos);
    const dicom_frame **grp = malloc(n * sizeof *grp);
    if (!copy || !pos || !grp) {
        free(copy);
        free(pos);
        free(grp);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory sorting images", where);
    }
    for (size_t i = 0; i < n; i++) {
        pos[i].d = frames[i].has_ipp ? dot3(frames[i].ipp, N) : 0;
        pos[i].idx = i;
    }
    qsort(pos, n, sizeof *pos, cmp_key);
    /* Groups of one position: their count, the first one's size (per), the
     * first group of another size, and how many hold a single image. */
    size_t per = 0, groups = 0, run = 0, odd_at = 0, odd_n = 0, singles = 0, dup_at = 0, dup_n = 0;
    faceless_status st = FACELESS_OK;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && i > 0 && pos[i].d - pos[i - 1].d < DUP_TOL) {
            run++;
            continue;
        }
        if (i > 0) {
            groups++;
            singles += run == 1;
            if (run > 1 && !dup_n) {
                dup_at = i - 1;
                dup_n = run;
            }
            if (groups == 1)
                per = run;
            else if (run != per && !odd_n) {
                odd_at = i - 1;
                odd_n = run;
            }
        }
        run = 1;
    }
    if (odd_n && singles * 2 > groups)
        /* Mostly one image per position: a stack with a slice twice. */
        st = ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED,
                      "%s: duplicate slice position (%.3f mm along the normal holds %zu images, most positions "
                      "one)",
                      where, pos[dup_at].d, dup_n);
    else if (odd_n)
        st = ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED,
                      "%s: %zu image%s at %.3f mm along the normal but %zu at the first position; a series of "
                      "several volumes needs every position in every volume (missing or extra files?)",
                      where, odd_n, odd_n > 1 ? "s" : "", pos[odd_at].d, per);
    if (st == FACELESS_OK && per > 1) {
        /* Group ids in position order, then volume order inside a group. */
        for (size_t g = 0; g < groups && st == FACELESS_OK; g++) {
            for (size_t j = 0; j < per; j++)
                grp[j] = &frames[pos[g * per + j].idx];
            qsort(grp, per, sizeof *grp, cmp_volume);
            for (size_t j = 1; j < per && st == FACELESS_OK; j++)
                if (!cmp_order(grp[j], grp[j - 1]))
                    st = ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED,
                                  "%s: two images at %.3f mm along the normal with the same echo, time, b-value "
                                  "and InstanceNumber; which volume each belongs to is unknown",
                                  where, pos[g * per].d);
            /* Volume t, slice g (sorted again by the stack below). */
            for (size_t t = 0; t < per; t++)
                copy[t * groups + g] = *grp[t];
        }
    } else if (st == FACELESS_OK) {
        memcpy(copy, frames, n * sizeof *copy);
    }
    free(pos);
    free(grp);
    size_t T = per > 1 ? per : 1, P = n / T;
    /* Each volume is one stack; every volume must have the first one's grid. */
    for (size_t t = 0; t < T && st == FACELESS_OK; t++) {
        double m[4][4], mm[3];
        st = dicom_geometry_stack(ctx, where, copy + t * P, P, fallback_dz, t ? m : vox2ras, t ? mm : voxel_mm);
        for (int r = 0; r < 3 && st == FACELESS_OK && t; r++)
            for (int c = 0; c < 4; c++)
                if (fabs(m[r][c] - vox2ras[r][c]) > 1e-3)
                    st = ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED,
                                  "%s: volume %zu of %zu lies on another grid than volume 1", where, t + 1, T);
    }
    if (st == FACELESS_OK) {
        memcpy(frames, copy, n * sizeof *copy);
        *n_vols = T;
    }
    free(copy);
    return st;
}
