/* Global search for a start transform: for every rotation of a grid (and,
 * with all_orientations, every one of the 24 axis-aligned orientations), all
 * translations at once by FFT cross-correlation of head masks.
 *
 * Masks, not intensities, are correlated: a head mask is the same in T1w,
 * T2w, PD, FLAIR, CT and inverted images, so the search works across
 * contrasts. Both masks are signed (+1 head, -1 air, 0 outside the field of
 * view), so the score counts agreements minus disagreements over the overlap
 * and a slab or a cropped head is compared only where it has data.
 *
 * Grids are world-aligned at REG_SEARCH_MM spacing. The FFT size per axis is
 * at least subject + template extent - 1, so the correlation is linear (no
 * wrap-around) for every placement that overlaps the subject.
 *
 * FFTW: plans are made once per call with FFTW_ESTIMATE through
 * core/fft_plan.h (FFTW's planner is not thread-safe; the noise refill plans
 * under the same lock); fftwf_execute_dft_r2c/c2r with
 * per-rotation arrays are thread-safe. Each rotation's result goes to its own
 * slot and the best are chosen in slot order, so the outcome does not depend
 * on the thread count. */
#include "register/reg_internal.h"

#include "core/fft_plan.h"

#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdlib.h>
#include <string.h>

#define REG_SEARCH_MM 12.0
#define SEARCH_ORIENTATIONS 12

/* Smallest n' >= n of the form 2^a 3^b 5^c (fast FFT sizes). */
static int64_t fft_size(int64_t n)
{
    for (int64_t m = n;; m++) {
        int64_t r = m;
        while (r % 2 == 0)
            r /= 2;
        while (r % 3 == 0)
            r /= 3;
        while (r % 5 == 0)
            r /= 5;
        if (r == 1)
            return m;
    }
}

/* Signed mask value of an image's head mask at world point z: +1, -1, or 0 outside. */
static float mask_at(const reg_image *im, const uint8_t *head, const double z[3])
{
    double u[3];
    reg_mat_apply(im->ras2vox, z, u);
    int64_t i = (int64_t)floor(u[0] + 0.5), j = (int64_t)floor(u[1] + 0.5), k = (int64_t)floor(u[2] + 0.5);
    if (i < 0 || j < 0 || k < 0 || i >= im->nx || j >= im->ny || k >= im->nz)
        return 0;
    return head[(k * im->ny + j) * im->nx + i] ? 1.0f : -1.0f;
}

/* The 48 signed permutation matrices: the 24 rotations that map axes onto
 * axes (det +1) and their mirror images (det -1). A header whose orientation
 * is wrong can be wrong by a reflection (a flipped qfac or a lost sign), so
 * with ignore_orientation both handednesses are searched; the cost of an
 * asymmetric head then picks the true one, not its mirror image. */
static int axis_orientations(double out[48][3][3])
{
    static const int perm[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    int n = 0;
    for (int p = 0; p < 6; p++)
        for (int s = 0; s < 8; s++) {
            double m[3][3] = {{0}};
            for (int r = 0; r < 3; r++)
                m[r][perm[p][r]] = (s >> r) & 1 ? -1 : 1;
            memcpy(out[n++], m, sizeof m);
        }
    return n;
}

typedef struct rot_result {
    double rot[4][4];
    double score;
    int64_t shift[3];
} rot_result;

int reg_search_global(faceless_ctx *ctx, const reg_image *subj, const uint8_t *subj_head, const reg_image *tpl,
                      const uint8_t *tpl_head, int all_orientations, reg_start *out, int max_out)
{
    const double h = REG_SEARCH_MM;
    /* Subject: world bounding box of the grid's corners. */
    double lo[3] = {1e30, 1e30, 1e30}, hi[3] = {-1e30, -1e30, -1e30};
    for (int c = 0; c < 8; c++) {
        double u[3] = {c & 1 ? subj->nx - 1 : 0, c & 2 ? subj->ny - 1 : 0, c & 4 ? subj->nz - 1 : 0}, z[3];
        reg_mat_apply(subj->vox2ras, u, z);
        for (int a = 0; a < 3; a++) {
            lo[a] = fmin(lo[a], z[a]);
            hi[a] = fmax(hi[a], z[a]);
        }
    }
    int64_t ns[3];
    for (int a = 0; a < 3; a++)
        ns[a] = (int64_t)ceil((hi[a] - lo[a]) / h) + 1;
    /* Template: centre c_t = head mask centroid, radius = farthest head voxel from it. */
    double ct[3] = {0, 0, 0}, tlo[3] = {1e30, 1e30, 1e30}, thi[3] = {-1e30, -1e30, -1e30};
    int64_t cnt = 0;
    for (int64_t k = 0; k < tpl->nz; k++)
        for (int64_t j = 0; j < tpl->ny; j++)
            for (int64_t i = 0; i < tpl->nx; i++)
                if (tpl_head[(k * tpl->ny + j) * tpl->nx + i]) {
                    double u[3] = {(double)i, (double)j, (double)k}, z[3];
                    reg_mat_apply(tpl->vox2ras, u, z);
                    for (int a = 0; a < 3; a++) {
                        ct[a] += z[a];
                        tlo[a] = fmin(tlo[a], z[a]);
                        thi[a] = fmax(thi[a], z[a]);
                    }
                    cnt++;
                }
    if (cnt == 0)
        return 0;
    for (int a = 0; a < 3; a++)
        ct[a] /= (double)cnt;
    double rad = 0;
    for (int64_t k = 0; k < tpl->nz; k++)
        for (int64_t j = 0; j < tpl->ny; j++)
            for (int64_t i = 0; i < tpl->nx; i++)
                if (tpl_head[(k * tpl->ny + j) * tpl->nx + i]) {
                    double u[3] = {(double)i, (double)j, (double)k}, z[3];
                    reg_mat_apply(tpl->vox2ras, u, z);
                    rad = fmax(rad, sqrt((z[0] - ct[0]) * (z[0] - ct[0]) + (z[1] - ct[1]) * (z[1] - ct[1]) +
                                         (z[2] - ct[2]) * (z[2] - ct[2])));
                }
    int64_t nt = (int64_t)ceil(2 * rad / h) + 1;
    int64_t P[3];
    for (int a = 0; a < 3; a++)
        P[a] = fft_size(ns[a] + nt - 1);
    const int64_t nreal = P[0] * P[1] * P[2],
                  ncplx = P[2] * P[1] * (P[0] / 2 + 1); /* FFTW row-major: x (P[0]) is the last, halved axis */

    /* Rotation set: Euler grid -20, 0, +20 degrees per axis around the header
     * orientation (and around the best of the 48 axis-aligned orientations
     * with all_orientations). Grid points are 20 degrees apart, so every tilt up to
     * +-30 degrees per axis is within 10 degrees of one, which the similarity
     * fit at 8 mm then closes. */
    double orient[48][3][3];
    int norient = all_orientations ? axis_orientations(orient) : 1;
    if (!all_orientations) {
        memset(orient, 0, sizeof orient[0]);
        for (int a = 0; a < 3; a++)
            orient[0][a][a] = 1;
    }
    static const double ang[3] = {-20, 0, 20};
    const int na = 3;
    int nrot = norient * na * na * na;
    rot_result *res = calloc((size_t)nrot, sizeof *res);
    uint8_t *want = calloc((size_t)nrot, 1);
    float *sgrid = fftwf_malloc((size_t)nreal * sizeof(float));
    fftwf_complex *sf = fftwf_malloc((size_t)ncplx * sizeof(fftwf_complex));
    int threads = ctx_omp_threads(ctx);
    float **tg = calloc((size_t)threads, sizeof *tg);
    fftwf_complex **tf = calloc((size_t)threads, sizeof *tf);
    int ok = res && want && sgrid && sf && tg && tf;
    for (int t = 0; ok && t < threads; t++) {
        tg[t] = fftwf_malloc((size_t)nreal * sizeof(float));
        tf[t] = fftwf_malloc((size_t)ncplx * sizeof(fftwf_complex));
        ok = tg[t] && tf[t];
    }
    fftwf_plan fwd = NULL, inv = NULL;
    if (ok) {
        fwd = fft_plan_r2c_3d((int)P[2], (int)P[1], (int)P[0], sgrid, sf);
        inv = fft_plan_c2r_3d((int)P[2], (int)P[1], (int)P[0], tf[0], tg[0]);
        ok = fwd && inv;
    }
    int nfound = -1;
    if (ok) {
        /* Subject grid S at the origin of the FFT box. */
        memset(sgrid, 0, (size_t)nreal * sizeof(float));
        for (int64_t k = 0; k < ns[2]; k++)
            for (int64_t j = 0; j < ns[1]; j++)
                for (int64_t i = 0; i < ns[0]; i++) {
                    double z[3] = {lo[0] + h * i, lo[1] + h * j, lo[2] + h * k};
                    sgrid[(k * P[1] + j) * P[0] + i] = mask_at(subj, subj_head, z);
                }
        fftwf_execute_dft_r2c(fwd, sgrid, sf);
        const double ot[3] = {ct[0] - h * (nt - 1) / 2.0, ct[1] - h * (nt - 1) / 2.0, ct[2] - h * (nt - 1) / 2.0};
        /* With all_orientations, two passes: first each orientation untilted
         * (Euler slot 13 = 0, 0, 0), then the full tilt grid around the best
         * SEARCH_ORIENTATIONS of them only (a 90-degree error scores far
         * below a 25-degree tilt): 48 + 6 * 26 FFT correlations, not 48 * 27. */
        const int centre_slot = 13;
        for (int r = 0; r < nrot; r++) {
            res[r].score = -INFINITY;
            want[r] = !all_orientations || r % (na * na * na) == centre_slot;
        }
        for (int pass = 0; pass < (all_orientations ? 2 : 1); pass++) {
            if (pass == 1) {
                uint8_t taken[48] = {0};
                for (int k = 0; k < SEARCH_ORIENTATIONS && k < norient; k++) {
                    int bo = -1;
                    for (int o = 0; o < norient; o++)
                        if (!taken[o] && (bo < 0 || res[o * na * na * na + centre_slot].score >
                                                        res[bo * na * na * na + centre_slot].score))
                            bo = o;
                    taken[bo] = 1;
                    for (int e = 0; e < na * na * na; e++)
                        want[bo * na * na * na + e] = e != centre_slot;
                }
                for (int o = 0; o < norient; o++)
                    if (!taken[o])
                        want[o * na * na * na + centre_slot] = 0;
            }
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
            for (int r = 0; r < nrot; r++) {
                if (!want[r] || (pass == 1 && r % (na * na * na) == centre_slot))
                    continue;
                int t = 0;
#ifdef _OPENMP
                t = omp_get_thread_num();
#endif
                float *g = tg[t];
                fftwf_complex *f = tf[t];
                int o = r / (na * na * na), e = r % (na * na * na);
                double R[4][4], O[4][4], rot[4][4], rinv[4][4];
                reg_mat_rotation(ang[e % na], ang[(e / na) % na], ang[e / (na * na)], R);
                memset(O, 0, sizeof O);
                for (int a = 0; a < 3; a++)
                    for (int b = 0; b < 3; b++)
                        O[a][b] = orient[o][a][b];
                O[3][3] = 1;
                reg_mat_mul(R, O, rot); /* template -> subject direction */
                for (int a = 0; a < 3; a++)
                    for (int b = 0; b < 4; b++)
                        rinv[a][b] = b < 3 ? rot[b][a] : 0; /* inverse of a rotation: transpose */
                rinv[3][0] = rinv[3][1] = rinv[3][2] = 0;
                rinv[3][3] = 1;
                memset(g, 0, (size_t)nreal * sizeof(float));
                for (int64_t k = 0; k < nt; k++)
                    for (int64_t j = 0; j < nt; j++)
                        for (int64_t i = 0; i < nt; i++) {
                            double d[3] = {ot[0] + h * i - ct[0], ot[1] + h * j - ct[1], ot[2] + h * k - ct[2]}, y[3];
                            reg_mat_apply(rinv, d, y);
                            for (int a = 0; a < 3; a++)
                                y[a] += ct[a];
                            g[(k * P[1] + j) * P[0] + i] = mask_at(tpl, tpl_head, y);
                        }
                fftwf_execute_dft_r2c(fwd, g, f);
                /* corr(s) = sum_z S(z + s) T(z): multiply by the conjugate. */
                for (int64_t q = 0; q < ncplx; q++) {
                    float ar = sf[q][0], ai = sf[q][1], br = f[q][0], bi = f[q][1];
                    f[q][0] = ar * br + ai * bi;
                    f[q][1] = ai * br - ar * bi;
                }
                fftwf_execute_dft_c2r(inv, f, g);
                double best = -1e30;
                int64_t bs[3] = {0, 0, 0};
                for (int64_t k = 0; k < P[2]; k++)
                    for (int64_t j = 0; j < P[1]; j++)
                        for (int64_t i = 0; i < P[0]; i++) {
                            double v = g[(k * P[1] + j) * P[0] + i];
                            if (v > best) {
                                best = v;
                                bs[0] = i;
                                bs[1] = j;
                                bs[2] = k;
                            }
                        }
                res[r].score = best / (double)nreal;
                for (int a = 0; a < 3; a++)
                    res[r].shift[a] = bs[a] > P[a] / 2 ? bs[a] - P[a] : bs[a];
                memcpy(res[r].rot, rot, sizeof rot);
            }
        }
        /* Best max_out rotations, best first (ties: lower index first). */
        nfound = 0;
        uint8_t *used = calloc((size_t)nrot, 1);
        while (used && nfound < max_out && nfound < nrot) {
            int bi = -1;
            for (int r = 0; r < nrot; r++)
                if (!used[r] && isfinite(res[r].score) && (bi < 0 || res[r].score > res[bi].score))
                    bi = r;
            if (bi < 0)
                break;
            used[bi] = 1;
            /* subject z = rot (y - ct) + ct + dvec, dvec = (lo + h s) - ot */
            double dvec[3], M[4][4], inv4[4][4];
            for (int a = 0; a < 3; a++)
                dvec[a] = lo[a] + h * (double)res[bi].shift[a] - ot[a];
            memcpy(M, res[bi].rot, sizeof M);
            for (int a = 0; a < 3; a++) {
                double rc = 0;
                for (int b = 0; b < 3; b++)
                    rc += M[a][b] * ct[b];
                M[a][3] = ct[a] - rc + dvec[a];
            }
            reg_mat_inv(M, inv4);
            memcpy(out[nfound].subj2tpl, inv4, sizeof inv4);
            out[nfound].score = res[bi].score;
            nfound++;
        }
        if (!used)
            nfound = -1;
        free(used);
    }
    fft_plan_destroy(fwd);
    fft_plan_destroy(inv);
    for (int t = 0; tg && t < threads; t++)
        fftwf_free(tg[t]);
    for (int t = 0; tf && t < threads; t++)
        fftwf_free(tf[t]);
    free(tg);
    free(tf);
    fftwf_free(sgrid);
    fftwf_free(sf);
    free(res);
    free(want);
    return nfound;
}
