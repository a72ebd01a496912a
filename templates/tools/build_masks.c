/* build_masks: writes the face/ear removal mask and the brain guard of the
 * embedded template set (issue 4), in Colin27/MNI world coordinates (RAS mm).
 *
 * usage: build_masks CH2BET.nii.gz FACE_OUT.nii.gz GUARD_OUT.nii.gz
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
    return z > -26.0 && z <= 6.0 && ax < 70.0 && y > 62.0;
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
    return ax >= 68.0 && y > -72.0 && y < 22.0 && z > -88.0 && z < 8.0;
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
    if (argc != 4) {
        fprintf(stderr, "usage: build_masks CH2BET.nii.gz FACE_OUT.nii.gz GUARD_OUT.nii.gz\n");
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
    if (!face || !guard) {
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
    printf("face %lld voxels (3 mm), guard %lld voxels (2 mm)\n", (long long)nface,
           (long long)nguard);
    nifti_image_free(face);
    nifti_image_free(guard);
    nifti_image_free(bet);
    return 0;
}
