/* dicom_geometry.c: slice sorting, refusals, and the voxel-to-world matrix
 * (LPS -> RAS) on synthetic stacks in several orientations. The reference
 * is PS3.3 C.7.6.2.1.1 written out directly: the centre of pixel (column i,
 * row j) of a slice is IPP + i*dc*X + j*dr*Y. */
#include "core/context.h"
#include "core/volume.h"
#include "io/dicom/dicom.h"
#include "test_util.h"

#include <math.h>
#include <string.h>

#define MAXN 64

/* A stack: n slices, orientation X,Y, spacing dr,dc, step along the normal
 * plus an in-plane drift per slice, written in a shuffled order. */
static size_t make_stack(dicom_frame *f, size_t n, const double X[3], const double Y[3], double dr, double dc,
                         double step, const double origin[3])
{
    double N[3] = {X[1] * Y[2] - X[2] * Y[1], X[2] * Y[0] - X[0] * Y[2], X[0] * Y[1] - X[1] * Y[0]};
    for (size_t s = 0; s < n; s++) {
        size_t k = (s * 5 + 2) % n; /* shuffled: n is odd or coprime with 5 in the tests */
        memset(&f[s], 0, sizeof f[s]);
        f[s].file = (int)k; /* remember the true slice index */
        f[s].has_ipp = f[s].has_iop = f[s].has_spacing = 1;
        for (int a = 0; a < 3; a++) {
            f[s].ipp[a] = origin[a] + N[a] * step * (double)k;
            f[s].iop[a] = X[a];
            f[s].iop[3 + a] = Y[a];
        }
        f[s].spacing[0] = dr;
        f[s].spacing[1] = dc;
        f[s].slope = 1;
    }
    return n;
}

/* Largest distance (mm) between M*(i,j,k) and the DICOM position of that
 * pixel, over the corners of every slice. */
static double world_error(const double M[4][4], const dicom_frame *sorted, size_t n, int cols, int rows)
{
    double worst = 0;
    for (size_t k = 0; k < n; k++)
        for (int c = 0; c < 4; c++) {
            int i = (c & 1) ? cols - 1 : 0, j = (c & 2) ? rows - 1 : 0;
            for (int a = 0; a < 3; a++) {
                double lps = sorted[k].ipp[a] + i * sorted[k].spacing[1] * sorted[k].iop[a] +
                             j * sorted[k].spacing[0] * sorted[k].iop[3 + a];
                double ras = a < 2 ? -lps : lps;
                double got = M[a][0] * i + M[a][1] * j + M[a][2] * (double)k + M[a][3];
                worst = fmax(worst, fabs(got - ras));
            }
        }
    return worst;
}

static int sorted_by_truth(const dicom_frame *f, size_t n, int ascending)
{
    for (size_t k = 0; k < n; k++)
        if (f[k].file != (int)(ascending ? k : n - 1 - k))
            return 0;
    return 1;
}

int main(void)
{
    faceless_ctx *ctx = faceless_ctx_new();
    dicom_frame f[MAXN];
    double M[4][4], mm[3];
    const double o[3] = {-83.9, -91.2, 6.6};

    /* Axial, head-first supine: X = +x (L), Y = +y (P), normal +z (S). */
    const double ax_x[3] = {1, 0, 0}, ax_y[3] = {0, 1, 0};
    size_t n = make_stack(f, 7, ax_x, ax_y, 0.5, 0.4, 2.0, o);
    CHECK(dicom_geometry_stack(ctx, "axial", f, n, 0, M, mm) == FACELESS_OK, "%s", faceless_ctx_error(ctx));
    CHECK(sorted_by_truth(f, n, 1), "axial slices sorted by position");
    CHECK(fabs(M[0][0] + 0.4) < 1e-12 && fabs(M[1][1] + 0.5) < 1e-12 && fabs(M[2][2] - 2.0) < 1e-12,
          "axial matrix diagonal %g %g %g", M[0][0], M[1][1], M[2][2]);
    CHECK(fabs(M[0][3] - 83.9) < 1e-12 && fabs(M[1][3] - 91.2) < 1e-12 && fabs(M[2][3] - 6.6) < 1e-12,
          "axial origin is RAS of the first IPP");
    CHECK(fabs(mm[0] - 0.4) < 1e-12 && fabs(mm[1] - 0.5) < 1e-12 && fabs(mm[2] - 2.0) < 1e-12, "voxel size");
    CHECK(world_error(M, f, n, 64, 48) < 1e-9, "axial world error %g", world_error(M, f, n, 64, 48));

    /* Sagittal (Siemens style): X = +y (P), Y = -z (I), normal -x (R):
     * storage axes point P, I, R, as dcm2niix and `faceless info` report
     * for the shared child MPRAGE. */
    const double sg_x[3] = {0, 1, 0}, sg_y[3] = {0, 0, -1};
    n = make_stack(f, 9, sg_x, sg_y, 0.86, 0.86, 0.9, o);
    CHECK(dicom_geometry_stack(ctx, "sagittal", f, n, 0, M, mm) == FACELESS_OK, "%s", faceless_ctx_error(ctx));
    CHECK(sorted_by_truth(f, n, 1), "sagittal sorted");
    CHECK(world_error(M, f, n, 256, 256) < 1e-9, "sagittal world error");
    char code[4];
    volume_orientation_code(M, code);
    CHECK(!strcmp(code, "PIR"), "sagittal orientation %s", code);

    /* Prone / feet-first: positions decreasing along the normal. */
    const double pr_x[3] = {-1, 0, 0}, pr_y[3] = {0, -1, 0};
    n = make_stack(f, 7, pr_x, pr_y, 1.0, 1.0, -3.0, o);
    CHECK(dicom_geometry_stack(ctx, "prone", f, n, 0, M, mm) == FACELESS_OK, "%s", faceless_ctx_error(ctx));
    CHECK(sorted_by_truth(f, n, 0), "negative steps sorted the other way");
    CHECK(world_error(M, f, n, 32, 32) < 1e-9, "prone world error");
    CHECK(fabs(mm[2] - 3.0) < 1e-12, "prone slice spacing %g", mm[2]);

    /* Double oblique. */
    double a = 0.3, b = -0.5;
    const double ob_x[3] = {cos(a), sin(a), 0};
    const double ob_y[3] = {-sin(a) * cos(b), cos(a) * cos(b), sin(b)};
    n = make_stack(f, 11, ob_x, ob_y, 1.1, 0.9, 1.25, o);
    CHECK(dicom_geometry_stack(ctx, "oblique", f, n, 0, M, mm) == FACELESS_OK, "%s", faceless_ctx_error(ctx));
    CHECK(world_error(M, f, n, 100, 80) < 1e-9, "oblique world error %g", world_error(M, f, n, 100, 80));

    /* Rounding jitter of 1e-4 mm is not a gap. */
    n = make_stack(f, 7, ax_x, ax_y, 1, 1, 1.0, o);
    f[3].ipp[2] += 1e-4;
    CHECK(dicom_geometry_stack(ctx, "jitter", f, n, 0, M, mm) == FACELESS_OK, "%s", faceless_ctx_error(ctx));

    /* Single slice: the fallback spacing along the normal. */
    n = make_stack(f, 1, ax_x, ax_y, 1, 1, 1.0, o);
    CHECK(dicom_geometry_stack(ctx, "single", f, n, 3.0, M, mm) == FACELESS_OK, "%s", faceless_ctx_error(ctx));
    CHECK(fabs(M[2][2] - 3.0) < 1e-12 && fabs(mm[2] - 3.0) < 1e-12, "single-slice spacing");

    /* Refusals. */
    n = make_stack(f, 7, ax_x, ax_y, 1, 1, 2.0, o);
    f[2] = f[6]; /* one slice replaced by a copy of another */
    CHECK(dicom_geometry_stack(ctx, "dup", f, n, 0, M, mm) == FACELESS_ERR_UNSUPPORTED &&
              strstr(faceless_ctx_error(ctx), "duplicate slice position"),
          "duplicate: %s", faceless_ctx_error(ctx));
    n = make_stack(f, 7, ax_x, ax_y, 1, 1, 2.0, o);
    for (size_t s = 0; s < n; s++)
        if (f[s].file == 3)
            f[s] = f[--n];
    CHECK(dicom_geometry_stack(ctx, "gap", f, n, 0, M, mm) == FACELESS_ERR_UNSUPPORTED &&
              strstr(faceless_ctx_error(ctx), "gap"),
          "gap: %s", faceless_ctx_error(ctx));
    n = make_stack(f, 7, ax_x, ax_y, 1, 1, 2.0, o);
    f[4].iop[4] = 0.99;
    f[4].iop[5] = 0.141;
    CHECK(dicom_geometry_stack(ctx, "tilt", f, n, 0, M, mm) == FACELESS_ERR_UNSUPPORTED &&
              strstr(faceless_ctx_error(ctx), "mixed orientation"),
          "orientation: %s", faceless_ctx_error(ctx));
    n = make_stack(f, 7, ax_x, ax_y, 1, 1, 2.0, o);
    f[1].spacing[0] = 1.5;
    CHECK(dicom_geometry_stack(ctx, "spacing", f, n, 0, M, mm) == FACELESS_ERR_UNSUPPORTED &&
              strstr(faceless_ctx_error(ctx), "PixelSpacing"),
          "spacing: %s", faceless_ctx_error(ctx));
    n = make_stack(f, 7, ax_x, ax_y, 1, 1, 2.0, o);
    f[5].has_ipp = 0;
    CHECK(dicom_geometry_stack(ctx, "noipp", f, n, 0, M, mm) == FACELESS_ERR_UNSUPPORTED, "missing IPP");
    n = make_stack(f, 7, ax_x, ax_y, 1, 1, 2.0, o);
    f[3].ipp[0] += 5; /* off the line of the others */
    CHECK(dicom_geometry_stack(ctx, "line", f, n, 0, M, mm) == FACELESS_ERR_UNSUPPORTED, "%s",
          faceless_ctx_error(ctx));

    /* Several volumes (issue 18): 3 echoes of a 7-slice stack, the images
     * in an order that is neither by position nor by echo; frame = the echo
     * (0..2) and file = the true slice, so the result can be checked. */
    dicom_frame v[MAXN];
    size_t nv = 0;
    for (int e = 2; e >= 0; e--) {
        size_t ns = make_stack(v + nv, 7, ax_x, ax_y, 1, 1, 2.0, o);
        for (size_t s = 0; s < ns; s++) {
            v[nv + s].frame = e;
            v[nv + s].order[0] = e + 1;                                /* EchoNumbers */
            v[nv + s].order[3] = 1e7 * (double)(100 - 7 * e - (int)s); /* instances not in echo order */
        }
        nv += ns;
    }
    for (size_t i = 0; i < nv; i += 2) { /* interleave further */
        dicom_frame t = v[i];
        v[i] = v[nv - 1 - i];
        v[nv - 1 - i] = t;
    }
    size_t T = 0;
    CHECK(dicom_geometry_volumes(ctx, "echoes", v, nv, 0, M, mm, &T) == FACELESS_OK, "%s", faceless_ctx_error(ctx));
    CHECK(T == 3, "3 volumes, got %zu", T);
    int placed = 1;
    for (size_t i = 0; i < nv; i++)
        placed = placed && v[i].frame == (int)(i / 7) && v[i].file == (int)(i % 7);
    CHECK(placed, "volume-major order, each volume sorted by position");
    CHECK(world_error(M, v, 7, 64, 64) < 1e-9, "echoes world error");
    /* A plain stack is one volume. */
    n = make_stack(f, 7, ax_x, ax_y, 1, 1, 2.0, o);
    CHECK(dicom_geometry_volumes(ctx, "one", f, n, 0, M, mm, &T) == FACELESS_OK && T == 1, "one volume: %s",
          faceless_ctx_error(ctx));
    /* One echo short of a slice. */
    CHECK(dicom_geometry_volumes(ctx, "short", v, nv - 1, 0, M, mm, &T) == FACELESS_ERR_UNSUPPORTED &&
              strstr(faceless_ctx_error(ctx), "every position in every volume"),
          "short: %s", faceless_ctx_error(ctx));
    /* Two images of one position that nothing tells apart. */
    for (size_t i = 0; i < nv; i++)
        memset(v[i].order, 0, sizeof v[i].order);
    CHECK(dicom_geometry_volumes(ctx, "unordered", v, nv, 0, M, mm, &T) == FACELESS_ERR_UNSUPPORTED &&
              strstr(faceless_ctx_error(ctx), "which volume each belongs to is unknown"),
          "unordered: %s", faceless_ctx_error(ctx));
    faceless_ctx_free(ctx);
    return test_finish("test_dicom_geometry");
}
