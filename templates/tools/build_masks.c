/* build_masks: writes the face/ear removal mask and the brain guard of the
 * embedded template set (issue 4), in Colin27/MNI world coordinates (RAS mm).
 *
 * usage: build_masks CH2BET.nii.gz FACE_OUT.nii.gz GUARD_OUT.nii.gz DEPTH_OUT.nii.gz
 *
 * The face mask lives on a padded grid that reaches far below Colin27's
 * field of view (which ends at z = -71 mm under the nose), so that lips,
 * chin and jaw of a full-head subject are covered once the template is
 * mapped onto it.
 *
 * The face/ear mask is analytic: a union of regions in mm, placed by looking
 * at Colin27 slices (eye globes at (+-33, 62, -36), nose tip beyond y = 88 at
 * z = -63, ear canals near (+-78, -30, -55), spinal cord at (0, -41, -65)).
 * It is generous towards the front and the ears because the brain guard is
 * subtracted afterwards on the subject grid; it never reaches behind y = 0
 * under the skull base, so the neck and the medulla are never cut.
 *
 * The guard is ch2bet > 0, max-pooled onto a 2 mm grid (a 2 mm voxel is
 * guard when any 1 mm brain voxel within 1 mm of its centre along each axis
 * is brain: never thinner than the brain), plus a cylinder along the
 * brainstem and upper cord (ch2bet stops at z = -65 mm, the field of view)
 * down to z = -100 mm. The safety margin is added at run time on the
 * subject's own grid (src/mask/guard.c), so it is in subject millimetres.
 *
 * The depth limit (issue 16), on the face mask's grid, says how deep below
 * the subject's own skin a removal may reach (stored value = mm, scl_slope
 * 1/255 so that the loader's 0..1 mask levels are millimetres; 255 = no
 * limit; src/mask/surface.c applies it). The central lower face (nose,
 * mouth, chin) goes to the full depth of the mask: the limit grows 1.5 mm
 * per mm into it from the shell around it. Elsewhere a shell (shell_mm):
 * 18 mm over and beside the eyes, 8 mm over the brows (the frontal lobes
 * lie 10 mm and more under the brow's skin), 15 mm over the cheeks,
 * EAR_SHELL_MM around the pinnae, and only what sticks out (found as
 * protrusions at run time) elsewhere; every shell fades out sideways and falls to 0 at the
 * mask's edge (1 mm per mm), so the cut is a bevel that follows the face,
 * never a wall where a box ends.
 *
 * This is a build tool, not part of libfaceless: it links nifti2 directly. */
#include <nifti2_io.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Two grids, each just large enough for its mask (template images are held
 * as float at run time, so their size is memory): the face/ear mask at 3 mm
 * (a generous mask: its edge only needs to fall in air or soft tissue), the
 * brain guard at 2 mm (max-pooled, and dilated by the margin at run time). */
typedef struct grid {
    double step, x0, y0, z0;
    int64_t nx, ny, nz;
} grid;

/* face: x -102..102, y -75..150, z -240..9 mm (covers every region below) */
static const grid FACE_GRID = {3.0, -102.0, -75.0, -240.0, 69, 76, 84};
/* guard: x -76..76, y -112..82, z -102..88 mm (ch2bet plus the brainstem
 * extension, with a 2 mm border) */
static const grid GUARD_GRID = {2.0, -76.0, -112.0, -102.0, 77, 98, 96};

/* Eyes, eyelids, brows and nose root: the band between the orbital roofs
 * and just above the eyebrows, in front of the frontal lobes. */
static int in_upper_face(double ax, double y, double z)
{
    return z > -26.0 && z <= 20.0 && ax < 70.0 && y > 48.0;
}

/* Eyes, nose, cheeks, lips, mouth, chin and jaw: everything in front of a
 * coronal cut at y = 20 mm (behind the globes and the cheek bones) that moves
 * back to y = 0 mm under the skull base (jaw angles), down to a floor that
 * follows the underside of the mandible from the chin (y >= 60, z = -220)
 * rising towards the jaw angles (z = -160 at y = 0), so most of the throat
 * below the chin stays. Measured chins once registered: IXI012 at
 * (y 49, z -173), the MRIcroGL CT at (y 29, z -158): the affine fit puts the
 * template's z scale at about 0.78 of these heads, and the face below the
 * template's field of view goes with it, so the floor keeps 25-35 mm of room. */
static int in_lower_face(double ax, double y, double z)
{
    if (z > -26.0 || ax >= 100.0)
        return 0;
    double yfront = z > -60.0 ? 20.0 : (z > -80.0 ? 20.0 + (z + 60.0) : 0.0);
    if (y <= yfront)
        return 0;
    double floor_z = y >= 60.0 ? -220.0 : -220.0 + (60.0 - y);
    return z > floor_z;
}

/* Both outer ears: lateral to the skull around the ear canals, up to the top
 * of the helix (IXI014's reaches z = -3 once registered; the brain guard
 * keeps the temporal lobes, which come this far out at that height). */
static int in_ear(double ax, double y, double z)
{
    return ax >= 56.0 && y > -80.0 && y < 24.0 && z > -95.0 && z < 14.0;
}

/* The central lower face (eyes, nose, mouth, chin), removed to the full
 * depth of the mask. */
static int in_central_face(double ax, double y, double z) { return ax < 38.0 && in_lower_face(ax, y, z); }

/* The shell around the ear canals: the whole pinna, whose folds seen at 2 mm
 * merge into tissue up to about 11 mm deep where it lies flat against the
 * head (Colin27's); the temporal lobe lies 15 mm and more below the skin
 * there (pinna, scalp, temporalis muscle, skull). */
#define EAR_SHELL_MM 12.0

/* 0 at a, 1 at b, smooth (C1) in between; a > b allowed. */
static double ramp(double x, double a, double b)
{
    double t = (x - a) / (b - a);
    t = t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t;
    return t * t * (3.0 - 2.0 * t);
}

/* The shell depth (mm) allowed at p before the edge taper: 18 mm over the
 * eyes and the nose root (z under -16 mm; the orbitofrontal cortex lies
 * 25 mm and more behind that skin), 8 mm over the brows (z -4 to 2 mm;
 * the frontal poles lie 10 mm and more behind), thinning out up the forehead
 * (z 2 to 20 mm) and back towards the temples; 18 mm beside the eyes and
 * 15 mm over the cheeks, thinning out sideways and backwards (20 mm in
 * front of the mask's back edge), so the temples and the skin in front of
 * the ears keep all but what sticks out;
 * EAR_SHELL_MM within 18 mm of the pinnae's centres (27 mm up and down,
 * 14 mm forwards), half of it 28 mm away (the top of the pinna, where the temporal lobe can
 * lie 10 mm under the skin), none beyond 45 mm. */
static double shell_mm(double ax, double y, double z)
{
    double mm = 0.0;
    if (in_upper_face(ax, y, z)) {
        /* The band ends along an oval around the eyes and brows, not along
         * lines of constant height and width: a straight brow line and
         * straight temple edges met in corners the render showed as a box
         * cut into the forehead. The oval (centre 44 mm under the eyes' level
         * z = 0, 66 mm wide and 64 mm high) keeps the old fades on the midline
         * (full to z = 2, none from z = 20) and at eye level (full to about
         * 40 mm out, none from 60), and rounds the corners between them. */
        double e = sqrt((ax / 66.0) * (ax / 66.0) + ((z + 44.0) / 64.0) * ((z + 44.0) / 64.0));
        mm = (8.0 + 10.0 * ramp(z, -4.0, -16.0)) * ramp(e, 1.0, 0.72) * ramp(y, 50.0, 60.0);
    }
    if (in_lower_face(ax, y, z))
    {
        double yfront = z > -60.0 ? 20.0 : (z > -80.0 ? 20.0 + (z + 60.0) : 0.0);
        mm = fmax(mm, (18.0 - 3.0 * ramp(z, -45.0, -55.0)) * ramp(ax, 72.0, 42.0) * ramp(y, yfront, yfront + 20.0));
    }
    if (in_ear(ax, y, z)) {
        /* pinnae centred near (+-78, -28, -35) once registered to most heads,
         * 60 mm tall: a distance stretched 1.5 times less upwards and down */
        double dz = (z + 35.0) / 1.5;
        /* and 1.3 times more forwards: in front of the tragus the temporal
         * lobe's tip comes nearer the skin than above or behind the ear (an
         * IXI014 anatomy lost a voxel of it 12 mm deep, 19 mm in front) */
        double dy = y > -28.0 ? (y + 28.0) * 1.3 : y + 28.0;
        double r = sqrt((ax - 78.0) * (ax - 78.0) + dy * dy + dz * dz);
        mm = fmax(mm, 0.5 * EAR_SHELL_MM * (ramp(r, 45.0, 28.0) + ramp(r, 28.0, 18.0)));
    }
    return mm;
}

/* Distance (mm) from each voxel of a binary grid to the nearest voxel where
 * in[] is 0, by a brute-force separable squared distance transform (a build
 * tool: n <= 84 per line). */
static void distance_to_outside(const uint8_t *in, const grid *g, double *out)
{
    const int64_t dim[3] = {g->nx, g->ny, g->nz}, n = g->nx * g->ny * g->nz;
    for (int64_t v = 0; v < n; v++)
        out[v] = in[v] ? 1e12 : 0.0;
    double line[128], res[128];
    for (int axis = 0; axis < 3; axis++) {
        const int64_t stride = axis == 0 ? 1 : axis == 1 ? dim[0] : dim[0] * dim[1];
        for (int64_t v = 0; v < n; v++) {
            const int64_t c[3] = {v % dim[0], (v / dim[0]) % dim[1], v / (dim[0] * dim[1])};
            if (c[axis] != 0)
                continue;
            for (int64_t q = 0; q < dim[axis]; q++)
                line[q] = out[v + q * stride];
            for (int64_t q = 0; q < dim[axis]; q++) {
                double best = 1e12;
                for (int64_t p = 0; p < dim[axis]; p++) {
                    double dq = (double)(q - p) * g->step, x = line[p] + dq * dq;
                    best = x < best ? x : best;
                }
                res[q] = best;
            }
            for (int64_t q = 0; q < dim[axis]; q++)
                out[v + q * stride] = res[q];
        }
    }
    for (int64_t v = 0; v < n; v++)
        out[v] = sqrt(out[v]);
}

static void grid_sform(nifti_image *im, const grid *g)
{
    memset(&im->sto_xyz, 0, sizeof im->sto_xyz);
    im->sto_xyz.m[0][0] = im->sto_xyz.m[1][1] = im->sto_xyz.m[2][2] = g->step;
    im->sto_xyz.m[0][3] = g->x0;
    im->sto_xyz.m[1][3] = g->y0;
    im->sto_xyz.m[2][3] = g->z0;
    im->sto_xyz.m[3][3] = 1.0;
    im->qto_xyz = im->sto_xyz;
    im->sform_code = im->qform_code = NIFTI_XFORM_MNI_152;
    nifti_dmat44_to_quatern(im->qto_xyz, &im->quatern_b, &im->quatern_c, &im->quatern_d,
                            &im->qoffset_x, &im->qoffset_y, &im->qoffset_z, NULL, NULL, NULL,
                            &im->qfac);
    im->sto_ijk = nifti_dmat44_inverse(im->sto_xyz);
    im->qto_ijk = im->sto_ijk;
}

static nifti_image *grid_new(const char *path, const grid *g)
{
    int64_t dims[8] = {3, g->nx, g->ny, g->nz, 1, 1, 1, 1};
    nifti_image *im = nifti_make_new_nim(dims, DT_UINT8, 1);
    if (!im)
        return NULL;
    im->pixdim[1] = im->pixdim[2] = im->pixdim[3] = g->step;
    im->dx = im->dy = im->dz = g->step;
    im->xyz_units = NIFTI_UNITS_MM;
    grid_sform(im, g);
    if (nifti_set_filenames(im, path, 0, 1)) {
        nifti_image_free(im);
        return NULL;
    }
    return im;
}

static double brain_value(const nifti_image *b, int64_t i, int64_t j, int64_t k)
{
    if (i < 0 || j < 0 || k < 0 || i >= b->nx || j >= b->ny || k >= b->nz)
        return 0.0;
    int64_t idx = i + b->nx * (j + b->ny * k);
    switch (b->datatype) {
    case DT_UINT8: return ((const uint8_t *)b->data)[idx];
    case DT_INT16: return ((const int16_t *)b->data)[idx];
    case DT_FLOAT32: return ((const float *)b->data)[idx];
    default: return 0.0;
    }
}

/* Is any brain voxel of the 1 mm ch2bet within 1 mm (per axis) of world p? */
static int brain_near(const nifti_image *b, const double p[3])
{
    nifti_dmat44 w2v = b->sform_code > 0 ? b->sto_ijk : b->qto_ijk;
    double c[3];
    for (int r = 0; r < 3; r++)
        c[r] = w2v.m[r][0] * p[0] + w2v.m[r][1] * p[1] + w2v.m[r][2] * p[2] + w2v.m[r][3];
    for (int64_t k = (int64_t)floor(c[2] - 1.0); k <= (int64_t)ceil(c[2] + 1.0); k++)
        for (int64_t j = (int64_t)floor(c[1] - 1.0); j <= (int64_t)ceil(c[1] + 1.0); j++)
            for (int64_t i = (int64_t)floor(c[0] - 1.0); i <= (int64_t)ceil(c[0] + 1.0); i++)
                if (brain_value(b, i, j, k) > 0.0)
                    return 1;
    return 0;
}

/* Medulla and upper cord below ch2bet's field of view (centre measured on
 * ch2bet at z = -65 mm: x 0, y -41, radius about 6 mm). */
static int in_brainstem_extension(double x, double y, double z)
{
    return z <= -40.0 && z >= -100.0 && (x * x + (y + 41.0) * (y + 41.0)) <= 12.0 * 12.0;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: build_masks CH2BET.nii.gz FACE_OUT.nii.gz GUARD_OUT.nii.gz DEPTH_OUT.nii.gz\n");
        return 2;
    }
    nifti_image *bet = nifti_image_read(argv[1], 1);
    if (!bet || (bet->datatype != DT_UINT8 && bet->datatype != DT_INT16 &&
                 bet->datatype != DT_FLOAT32)) {
        fprintf(stderr, "build_masks: %s: cannot read or unsupported datatype\n", argv[1]);
        return 3;
    }
    nifti_image *face = grid_new(argv[2], &FACE_GRID);
    nifti_image *guard = grid_new(argv[3], &GUARD_GRID);
    nifti_image *depth = grid_new(argv[4], &FACE_GRID);
    if (!face || !guard || !depth) {
        fprintf(stderr, "build_masks: out of memory\n");
        return 7;
    }
    uint8_t *f = face->data, *g = guard->data;
    int64_t nface = 0, nguard = 0, edge = 0;
    const grid *fg = &FACE_GRID, *gg = &GUARD_GRID;
    for (int64_t k = 0; k < fg->nz; k++)
        for (int64_t j = 0; j < fg->ny; j++)
            for (int64_t i = 0; i < fg->nx; i++) {
                double p[3] = {fg->x0 + fg->step * i, fg->y0 + fg->step * j, fg->z0 + fg->step * k};
                double ax = fabs(p[0]);
                int64_t idx = i + fg->nx * (j + fg->ny * k);
                f[idx] = (uint8_t)(in_upper_face(ax, p[1], p[2]) ||
                                   in_lower_face(ax, p[1], p[2]) || in_ear(ax, p[1], p[2]));
                nface += f[idx];
            }
    /* the depth limit: ramps into the central face, tapers to the edge */
    const int64_t nf = fg->nx * fg->ny * fg->nz;
    uint8_t *central = calloc((size_t)nf, 1);
    double *to_edge = malloc((size_t)nf * sizeof *to_edge), *into_centre = malloc((size_t)nf * sizeof *into_centre);
    if (!central || !to_edge || !into_centre) {
        fprintf(stderr, "build_masks: out of memory\n");
        return 7;
    }
    for (int64_t idx = 0; idx < nf; idx++) {
        const int64_t i = idx % fg->nx, j = (idx / fg->nx) % fg->ny, k = idx / (fg->nx * fg->ny);
        double p[3] = {fg->x0 + fg->step * i, fg->y0 + fg->step * j, fg->z0 + fg->step * k};
        central[idx] = (uint8_t)(f[idx] && in_central_face(fabs(p[0]), p[1], p[2]));
    }
    distance_to_outside(f, fg, to_edge);
    distance_to_outside(central, fg, into_centre);
    uint8_t *lim = depth->data;
    for (int64_t idx = 0; idx < nf; idx++) {
        const int64_t i = idx % fg->nx, j = (idx / fg->nx) % fg->ny, k = idx / (fg->nx * fg->ny);
        double p[3] = {fg->x0 + fg->step * i, fg->y0 + fg->step * j, fg->z0 + fg->step * k};
        double mm = 0.0;
        if (central[idx])
            mm = shell_mm(fabs(p[0]), p[1], p[2]) + 1.5 * into_centre[idx];
        else if (f[idx])
            mm = fmin(shell_mm(fabs(p[0]), p[1], p[2]), 1.0 * to_edge[idx]);
        lim[idx] = (uint8_t)(mm >= 254.5 ? 255 : lround(mm));
    }
    depth->scl_slope = (float)(1.0 / 255.0);
    depth->scl_inter = 0.0f;
    free(central);
    free(to_edge);
    free(into_centre);
    for (int64_t k = 0; k < gg->nz; k++)
        for (int64_t j = 0; j < gg->ny; j++)
            for (int64_t i = 0; i < gg->nx; i++) {
                double p[3] = {gg->x0 + gg->step * i, gg->y0 + gg->step * j, gg->z0 + gg->step * k};
                int64_t idx = i + gg->nx * (j + gg->ny * k);
                g[idx] = (uint8_t)(brain_near(bet, p) ||
                                   in_brainstem_extension(p[0], p[1], p[2]));
                nguard += g[idx];
                /* the guard grid must hold all of it: nothing on its faces */
                if (g[idx] && (i == 0 || j == 0 || k == 0 || i == gg->nx - 1 ||
                               j == gg->ny - 1 || k == gg->nz - 1))
                    edge++;
            }
    if (edge) {
        fprintf(stderr, "build_masks: the guard touches its grid's border (%lld voxels)\n",
                (long long)edge);
        return 8;
    }
    nifti_image_write(face);
    nifti_image_write(guard);
    nifti_image_write(depth);
    nifti_image_free(depth);
    printf("face %lld voxels (3 mm), guard %lld voxels (2 mm)\n", (long long)nface,
           (long long)nguard);
    nifti_image_free(face);
    nifti_image_free(guard);
    nifti_image_free(bet);
    return 0;
}
