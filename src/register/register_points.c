/* Template points for comparing two registrations (register_distance_mm). */
#include "register/reg_internal.h"

#include <math.h>

/* Face and ear boxes (MNI mm, centre and half-size) where defacing acts. */
static const double FACE_BOXES[4][3] = {{0, 85, -35}, {32, 60, -5}, {-32, 60, -5}, {0, 70, -85}};
static const double EAR_BOXES[2][3] = {{75, -20, -15}, {-75, -20, -15}};
#define BOX_HALF 10.0
#define BOX_STEP 5.0

static double sq_dist(const double a[4][4], const double b[4][4], const double p[3])
{
    double x[3], y[3];
    reg_mat_apply(a, p, x);
    reg_mat_apply(b, p, y);
    return (x[0] - y[0]) * (x[0] - y[0]) + (x[1] - y[1]) * (x[1] - y[1]) + (x[2] - y[2]) * (x[2] - y[2]);
}

static double box_ms(const double a[4][4], const double b[4][4], const double (*c)[3], int nbox)
{
    double s = 0;
    int n = 0;
    for (int q = 0; q < nbox; q++)
        for (double dz = -BOX_HALF; dz <= BOX_HALF; dz += BOX_STEP)
            for (double dy = -BOX_HALF; dy <= BOX_HALF; dy += BOX_STEP)
                for (double dx = -BOX_HALF; dx <= BOX_HALF; dx += BOX_STEP) {
                    double p[3] = {c[q][0] + dx, c[q][1] + dy, c[q][2] + dz};
                    s += sq_dist(a, b, p);
                    n++;
                }
    return s / n;
}

double register_distance_mm(const template_set *tpl, const double a[4][4], const double b[4][4],
                            double region_rms[3])
{
    const template_image *br = &tpl->brain;
    double s = 0;
    int64_t n = 0;
    for (int64_t k = 0; k < br->nz; k += 2)
        for (int64_t j = 0; j < br->ny; j += 2)
            for (int64_t i = 0; i < br->nx; i += 2)
                if (br->mask[(k * br->ny + j) * br->nx + i] > 127) { /* > 0.5 */
                    double u[3] = {(double)i, (double)j, (double)k}, p[3];
                    reg_mat_apply(br->vox2ras, u, p);
                    s += sq_dist(a, b, p);
                    n++;
                }
    double r[3] = {n ? sqrt(s / (double)n) : 0, sqrt(box_ms(a, b, FACE_BOXES, 4)), sqrt(box_ms(a, b, EAR_BOXES, 2))};
    if (region_rms)
        for (int q = 0; q < 3; q++)
            region_rms[q] = r[q];
    return fmax(r[0], fmax(r[1], r[2]));
}
