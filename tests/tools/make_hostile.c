/* make_hostile HEAD DIR [BRAIN]: writes hostile-but-well-formed variants of a
 * head for tests/integration/deface_hostile.sh (issue 9), and prints one line
 * per file: "NAME EXPECT" with EXPECT "write" (a correct de-face is required),
 * "refuse" (no output may be written) or "either" (a correct result or a
 * clear refusal). With BRAIN (a brain mask on HEAD's grid), variants on
 * another grid get their brain mask as NAME_brain.nii.gz (not listed). */
#include "core/volume.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *dir;

static int save(faceless_ctx *ctx, faceless_volume *v, const char *name, const char *expect)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    faceless_write_options wo = {1};
    if (faceless_volume_write(ctx, v, path, &wo) != FACELESS_OK) {
        fprintf(stderr, "make_hostile: %s\n", faceless_ctx_error(ctx));
        return 1;
    }
    printf("%s %s\n", name, expect);
    return 0;
}

static faceless_volume *as_float(const faceless_volume *src, double scale)
{
    faceless_volume *v = volume_new(src->nx, src->ny, src->nz, 1, FACELESS_DT_FLOAT32, src->voxel_mm);
    if (!v)
        return NULL;
    memcpy(v->vox2ras, src->vox2ras, sizeof v->vox2ras);
    float *f = volume_frame_to_float(src, 0);
    for (int64_t i = 0; f && i < volume_voxels3(v); i++)
        ((float *)v->data)[i] = (float)(f[i] * scale);
    free(f);
    return v;
}

static faceless_volume *like(const faceless_volume *src, int64_t nx, int64_t ny, int64_t nz)
{
    faceless_volume *v = volume_new(nx, ny, nz, 1, src->dtype, src->voxel_mm);
    if (v)
        memcpy(v->vox2ras, src->vox2ras, sizeof v->vox2ras);
    return v;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: make_hostile HEAD DIR [BRAIN]\n");
        return 2;
    }
    dir = argv[2];
    faceless_ctx *ctx = faceless_ctx_new();
    faceless_volume *h = NULL;
    if (faceless_volume_read(ctx, argv[1], &h) != FACELESS_OK) {
        fprintf(stderr, "make_hostile: %s\n", faceless_ctx_error(ctx));
        return 1;
    }
    int bad = 0;
    int64_t n = volume_voxels3(h);
    uint64_t rng = 12345;

    /* NaN and Inf sprinkled over 1% of the voxels of a float copy. */
    faceless_volume *v = as_float(h, 1.0);
    for (int64_t i = 0; v && i < n; i++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        unsigned r = (unsigned)(rng >> 40) % 200;
        if (r == 0)
            ((float *)v->data)[i] = NAN;
        else if (r == 1)
            ((float *)v->data)[i] = (rng >> 20) & 1 ? INFINITY : -INFINITY;
    }
    bad |= !v || save(ctx, v, "nan_inf.nii.gz", "either");
    faceless_volume_free(v);

    /* Extreme intensities: the same head times 1e30. */
    v = as_float(h, 1e30);
    bad |= !v || save(ctx, v, "extreme_1e30.nii.gz", "write");
    faceless_volume_free(v);

    /* Extreme integer intensities: the head as int16 spanning 0..32767, with
     * the corners outside a cylinder at -32768, as scanners pad outside the
     * reconstructed field of view. */
    v = volume_new(h->nx, h->ny, h->nz, 1, FACELESS_DT_INT16, h->voxel_mm);
    {
        double slo, shi;
        volume_stored_range(h, &slo, &shi);
        for (int64_t k = 0; v && k < v->nz; k++)
            for (int64_t j = 0; j < v->ny; j++)
                for (int64_t i = 0; i < v->nx; i++) {
                    int64_t at = (k * v->ny + j) * v->nx + i;
                    double dx = (double)(i - v->nx / 2) / (v->nx / 2), dy = (double)(j - v->ny / 2) / (v->ny / 2);
                    double s = dx * dx + dy * dy > 1.0 ? -32768.0
                                                        : floor(32767.0 * (volume_get_stored(h, at) - slo) / (shi - slo));
                    volume_set_stored(v, at, s);
                }
        if (v)
            memcpy(v->vox2ras, h->vox2ras, sizeof v->vox2ras);
    }
    bad |= !v || save(ctx, v, "int16_extremes_padded.nii.gz", "write");
    faceless_volume_free(v);

    /* All zero. */
    v = like(h, h->nx, h->ny, h->nz);
    bad |= !v || save(ctx, v, "all_zero.nii.gz", "refuse");
    faceless_volume_free(v);

    /* A single axial slice through the eyes. */
    v = like(h, h->nx, h->ny, 1);
    if (v) {
        int64_t k = h->nz / 3, plane = h->nx * h->ny;
        memcpy(v->data, (char *)h->data + (size_t)(k * plane) * faceless_dtype_size(h->dtype),
               (size_t)plane * faceless_dtype_size(h->dtype));
        for (int r = 0; r < 3; r++)
            v->vox2ras[r][3] += h->vox2ras[r][2] * (double)k;
    }
    bad |= !v || save(ctx, v, "single_slice.nii.gz", "refuse");
    faceless_volume_free(v);

    /* A uniform sphere (a phantom, not a head). */
    v = like(h, h->nx, h->ny, h->nz);
    double lo, hi;
    volume_stored_range(h, &lo, &hi);
    for (int64_t k = 0; v && k < v->nz; k++)
        for (int64_t j = 0; j < v->ny; j++)
            for (int64_t i = 0; i < v->nx; i++) {
                double dx = (double)(i - v->nx / 2), dy = (double)(j - v->ny / 2), dz = (double)(k - v->nz / 2);
                if (dx * dx + dy * dy + dz * dz < 70.0 * 70.0)
                    volume_set_stored(v, (k * v->ny + j) * v->nx + i, 0.6 * hi);
            }
    bad |= !v || save(ctx, v, "sphere_phantom.nii.gz", "refuse");
    faceless_volume_free(v);

    /* A fruit (an orange, 9 cm): unlike the uniform sphere it has internal
     * structure, a bright rind, ten segments split by dark membranes, a core
     * and seeds, and texture. Not a head: it must be refused. */
    v = like(h, h->nx, h->ny, h->nz);
    for (int64_t k = 0; v && k < v->nz; k++)
        for (int64_t j = 0; j < v->ny; j++)
            for (int64_t i = 0; i < v->nx; i++) {
                double x = ((double)i - (double)v->nx / 2) * h->voxel_mm[0] / 45.0;
                double y = ((double)j - (double)v->ny / 2) * h->voxel_mm[1] / 45.0;
                double z = ((double)k - (double)v->nz / 2) * h->voxel_mm[2] / 40.0;
                double r = sqrt(x * x + y * y + z * z), rxy = sqrt(x * x + y * y);
                if (r >= 1.0)
                    continue;
                rng = rng * 6364136223846793005ull + 1442695040888963407ull;
                double noise = 0.08 * ((double)(rng >> 11) / 9007199254740992.0 - 0.5);
                double val;
                if (r > 0.93)
                    val = 0.9; /* rind */
                else if (rxy < 0.08)
                    val = 0.3; /* core */
                else {
                    double a = atan2(y, x) / (2 * 3.14159265358979) * 10.0;
                    double edge = fabs(a - floor(a + 0.5)); /* 0 on a membrane */
                    val = edge * rxy * 45.0 < 1.0 ? 0.15 : 0.55 + 0.15 * r;
                    double sa = (floor(a) + 0.5) * 2 * 3.14159265358979 / 10.0; /* one seed per segment */
                    double sx = x - 0.3 * cos(sa), sy = y - 0.3 * sin(sa);
                    if (sx * sx + sy * sy + z * z * 4 < 0.06 * 0.06)
                        val = 0.05;
                }
                volume_set_stored(v, (k * v->ny + j) * v->nx + i, lo + (hi - lo) * (val + noise));
            }
    bad |= !v || save(ctx, v, "fruit_orange.nii.gz", "refuse");
    faceless_volume_free(v);

    /* Pure noise. */
    v = like(h, h->nx, h->ny, h->nz);
    for (int64_t i = 0; v && i < n; i++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        volume_set_stored(v, i, lo + (hi - lo) * (double)(rng >> 11) / 9007199254740992.0);
    }
    bad |= !v || save(ctx, v, "noise_only.nii.gz", "refuse");
    faceless_volume_free(v);

    /* Two heads side by side along x. */
    v = like(h, 2 * h->nx, h->ny, h->nz);
    size_t bpv = faceless_dtype_size(h->dtype);
    for (int64_t r = 0; v && r < h->ny * h->nz; r++) {
        memcpy((char *)v->data + (size_t)(r * 2 * h->nx) * bpv, (char *)h->data + (size_t)(r * h->nx) * bpv,
               (size_t)h->nx * bpv);
        memcpy((char *)v->data + (size_t)(r * 2 * h->nx + h->nx) * bpv, (char *)h->data + (size_t)(r * h->nx) * bpv,
               (size_t)h->nx * bpv);
    }
    /* Either face left in place would be a silent failure: one mask cannot
     * cover both, so the only correct answer is a refusal. */
    bad |= !v || save(ctx, v, "two_heads.nii.gz", "refuse");
    faceless_volume_free(v);

    /* The same voxels declared 0.3 mm: a 5 cm "head". */
    v = like(h, h->nx, h->ny, h->nz);
    if (v) {
        memcpy(v->data, h->data, (size_t)n * bpv);
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++)
                v->vox2ras[r][c] *= 0.3;
        for (int a = 0; a < 3; a++)
            v->voxel_mm[a] *= 0.3;
    }
    bad |= !v || save(ctx, v, "voxels_0.3mm.nii.gz", "refuse");
    faceless_volume_free(v);

    /* 5 mm voxels: 5x5x5 block means of the head, same world space. */
    int64_t bx = h->nx / 5, by = h->ny / 5, bz = h->nz / 5;
    double mm5[3] = {h->voxel_mm[0] * 5, h->voxel_mm[1] * 5, h->voxel_mm[2] * 5};
    v = volume_new(bx, by, bz, 1, h->dtype, mm5);
    if (v) {
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++)
                v->vox2ras[r][c] = h->vox2ras[r][c] * 5;
            /* centre of block 0 = centre of voxels 0..4 */
            v->vox2ras[r][3] = h->vox2ras[r][3] + 2.0 * (h->vox2ras[r][0] + h->vox2ras[r][1] + h->vox2ras[r][2]);
        }
        for (int64_t k = 0; k < bz; k++)
            for (int64_t j = 0; j < by; j++)
                for (int64_t i = 0; i < bx; i++) {
                    double s = 0;
                    for (int dk = 0; dk < 5; dk++)
                        for (int dj = 0; dj < 5; dj++)
                            for (int di = 0; di < 5; di++)
                                s += volume_get_stored(h, ((k * 5 + dk) * h->ny + j * 5 + dj) * h->nx + i * 5 + di);
                    volume_set_stored(v, (k * by + j) * bx + i, s / 125.0);
                }
    }
    bad |= !v || save(ctx, v, "voxels_5mm.nii.gz", "either");
    /* Its brain: every 5 mm block that holds a brain voxel (a block partly
     * brain must stay unchanged too). */
    faceless_volume *brain = NULL;
    if (v && argc == 4) {
        if (faceless_volume_read(ctx, argv[3], &brain) != FACELESS_OK || brain->nx != h->nx || brain->ny != h->ny ||
            brain->nz != h->nz) {
            fprintf(stderr, "make_hostile: %s: not a brain mask on the head's grid\n", argv[3]);
            bad = 1;
        } else {
            faceless_volume *b5 = volume_new(bx, by, bz, 1, FACELESS_DT_UINT8, mm5);
            if (b5) {
                memcpy(b5->vox2ras, v->vox2ras, sizeof b5->vox2ras);
                for (int64_t k = 0; k < bz; k++)
                    for (int64_t j = 0; j < by; j++)
                        for (int64_t i = 0; i < bx; i++) {
                            int any = 0;
                            for (int dk = 0; dk < 5; dk++)
                                for (int dj = 0; dj < 5; dj++)
                                    for (int di = 0; di < 5; di++)
                                        any |= volume_get_stored(
                                                   brain, ((k * 5 + dk) * h->ny + j * 5 + dj) * h->nx + i * 5 + di) > 0;
                            volume_set_stored(b5, (k * by + j) * bx + i, any);
                        }
                char path[4096];
                snprintf(path, sizeof path, "%s/voxels_5mm_brain.nii.gz", dir);
                faceless_write_options wo = {1};
                if (faceless_volume_write(ctx, b5, path, &wo) != FACELESS_OK) {
                    fprintf(stderr, "make_hostile: %s\n", faceless_ctx_error(ctx));
                    bad = 1;
                }
            }
            bad |= !b5;
            faceless_volume_free(b5);
        }
    }
    faceless_volume_free(brain);
    faceless_volume_free(v);

    faceless_volume_free(h);
    faceless_ctx_free(ctx);
    return bad;
}
